/*
 * ccbench-floor: the physical floor of a process spawn (spawn_floor). Built with the same
 * compiler and flags as ccbench-scenario but linking only libc, so cold_init's process_ms can
 * be read against what any process costs here.
 */
int main(void)
{
    return 0;
}
