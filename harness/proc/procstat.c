/*
 * /proc/stat's `cpu` line (procstat.h).
 */
#include "procstat.h"

#include <stdio.h>
#include <unistd.h>

int ccb_procstat_read(ccb_procstat *out)
{
    out->busy_ms = out->steal_ms = 0;
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    /* cpu  user nice system idle iowait irq softirq steal ... (clock ticks) */
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                       steal = 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                   &iowait, &irq, &softirq, &steal);
    fclose(f);
    long tck = sysconf(_SC_CLK_TCK);
    if (n < 7 || tck <= 0)
        return -1;
    double tick_ms = 1000.0 / (double)tck;
    out->busy_ms = (double)(user + nice + sys + irq + softirq) * tick_ms;
    out->steal_ms = n >= 8 ? (double)steal * tick_ms : 0;
    return 0;
}
