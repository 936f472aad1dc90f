/*
 * CPU load from /proc/stat and this process's CPU time from /proc/self/stat, and the
 * machine-mode power model built on them. Parsing is by hand (strtoull): these are read on
 * the sampler's tick and must cost microseconds, not a stdio stream.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The aggregate "cpu " line, which comes first. */
static int parse_aggregate(const char *buf, cct_cpu_times *out)
{
    uint64_t v[10] = {0};
    const char *p;
    char *end;

    if (strncmp(buf, "cpu ", 4) != 0)
        return -1;
    p = buf + 4;
    for (int i = 0; i < 10; i++) {
        v[i] = strtoull(p, &end, 10);
        if (end == p) {
            if (i < 4)
                return -1; /* user, nice, system, idle are always there */
            break;
        }
        p = end;
    }
    /* user nice system idle iowait irq softirq steal guest guest_nice; guest time is
     * already inside user, so it is not added again. */
    uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6];
    out->busy = busy;
    out->steal = v[7];
    out->total = busy + v[3] + v[4] + v[7];
    return 0;
}

int cct_cpuload__read_machine(const char *procfs_root, cct_cpu_times *out)
{
    char buf[512]; /* always holds the aggregate line */

    if (cct_fs__read(procfs_root, "/stat", buf, sizeof(buf)) <= 0)
        return -1;
    return parse_aggregate(buf, out);
}

int cct_cpuload__read_machine_online(const char *procfs_root, char *buf, size_t cap,
                                     cct_cpu_times *out, unsigned int *online)
{
    long n = cct_fs__read(procfs_root, "/stat", buf, cap);
    unsigned int count = 0;
    const char *line;

    *online = 0;
    if (n <= 0 || parse_aggregate(buf, out) != 0)
        return -1;
    /* The kernel prints one "cpuN" line per online CPU right after the aggregate line; the
     * count is known only if a line of another kind follows inside the buffer. */
    for (line = strchr(buf, '\n'); line; line = strchr(line, '\n')) {
        line++;
        if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
            count++;
        } else {
            /* Only a whole line of another kind ends the list: a buffer cut inside "cpu12"
             * leaves "c", "cp" or "cpu", which are not. */
            if (strchr(line, '\n'))
                *online = count;
            break;
        }
    }
    return 0;
}

int cct_cpuload__read_self(const char *procfs_root, uint64_t *out)
{
    char buf[1024];
    char *p, *end;
    uint64_t utime, stime;

    if (cct_fs__read(procfs_root, "/self/stat", buf, sizeof(buf)) <= 0)
        return -1;
    /* comm may hold spaces and parentheses: fields start after the LAST ')'. */
    p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* After ")": state is field 3; utime and stime are fields 14 and 15. */
    for (int field = 3; field < 14; field++) {
        p += strspn(p, " ");
        p += strcspn(p, " ");
        if (*p == '\0')
            return -1;
    }
    utime = strtoull(p, &end, 10);
    if (end == p)
        return -1;
    p = end;
    stime = strtoull(p, &end, 10);
    if (end == p)
        return -1;
    *out = utime + stime;
    return 0;
}

double cct_cpuload__machine_power(double tdp_w, double load)
{
    if (load < 0)
        load = 0;
    if (load > 1)
        load = 1;
    /* Idle parts still draw ~10% of TDP; the cube follows the convex rise of power with
     * frequency and voltage under load (DESIGN.md, CPU load x TDP). */
    return tdp_w * (0.1 + 0.9 * load * load * load);
}
