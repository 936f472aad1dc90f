/*
 * The machine-state guard (see guard.h). Reads /proc/stat's `cpu` line, /proc/loadavg and
 * the cpufreq files; costs two small reads per scenario, nothing per sample.
 */
#include "guard.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "procstat.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(const struct timeval *tv)
{
    return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static void read_mhz(double *lo, double *hi)
{
    *lo = *hi = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < ncpu && c < 1024; c++) {
        char path[96];
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cpufreq/scaling_cur_freq", c);
        FILE *f = fopen(path, "re");
        if (!f)
            return; /* not exposed (most VMs): nothing to report */
        unsigned long khz = 0;
        int ok = fscanf(f, "%lu", &khz) == 1;
        fclose(f);
        if (!ok || khz == 0)
            continue;
        double mhz = (double)khz / 1000.0;
        if (*lo == 0 || mhz < *lo)
            *lo = mhz;
        if (mhz > *hi)
            *hi = mhz;
    }
}

static double read_load1(void)
{
    FILE *f = fopen("/proc/loadavg", "re");
    double l = -1;
    if (!f)
        return -1;
    if (fscanf(f, "%lf", &l) != 1)
        l = -1;
    fclose(f);
    return l;
}

void ccb_guard_snapshot_take(ccb_guard_snapshot *s, double also_ours_ms)
{
    struct rusage self, kids;
    memset(s, 0, sizeof(*s));
    ccb_procstat ps;
    s->ok = ccb_procstat_read(&ps) == 0;
    s->busy_ms = ps.busy_ms;
    s->steal_ms = ps.steal_ms;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    s->own_ms = tv_ms(&self.ru_utime) + tv_ms(&self.ru_stime) + tv_ms(&kids.ru_utime) +
                tv_ms(&kids.ru_stime) + also_ours_ms;
    read_mhz(&s->mhz_min, &s->mhz_max);
    s->wall_ms = now_ms();
}

void ccb_guard_judge(ccb_guard_reading *r, double busy_delta_ms, double own_delta_ms,
                     double steal_delta_ms)
{
    r->judged = r->disturbed = 0;
    r->foreign_cpus = r->steal = 0;
    if (r->window_ms < CCB_GUARD_MIN_WINDOW_MS || r->ncpu < 1)
        return;
    double foreign = busy_delta_ms - own_delta_ms;
    r->foreign_cpus = foreign > 0 ? foreign / r->window_ms : 0;
    r->steal = steal_delta_ms > 0 ? steal_delta_ms / (r->window_ms * (double)r->ncpu) : 0;
    r->judged = 1;
    r->disturbed = r->foreign_cpus > CCB_GUARD_MAX_FOREIGN_CPUS || r->steal > CCB_GUARD_MAX_STEAL;
}

void ccb_guard_read(const ccb_guard_snapshot *before, const ccb_guard_snapshot *after,
                    ccb_guard_reading *out)
{
    memset(out, 0, sizeof(*out));
    out->window_ms = after->wall_ms - before->wall_ms;
    out->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    out->load1 = read_load1();
    out->mhz_min = before->mhz_min;
    out->mhz_max = before->mhz_max;
    if (after->mhz_min > 0 && (out->mhz_min == 0 || after->mhz_min < out->mhz_min))
        out->mhz_min = after->mhz_min;
    if (after->mhz_max > out->mhz_max)
        out->mhz_max = after->mhz_max;
    if (!before->ok || !after->ok)
        return;
    ccb_guard_judge(out, after->busy_ms - before->busy_ms, after->own_ms - before->own_ms,
                    after->steal_ms - before->steal_ms);
}

void ccb_guard_describe(const ccb_guard_reading *r, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "other processes used %.2f CPU on average (limit %.2f), steal %.1f%% "
                     "(limit %.0f%%)",
                     r->foreign_cpus, CCB_GUARD_MAX_FOREIGN_CPUS, r->steal * 100,
                     CCB_GUARD_MAX_STEAL * 100);
    if (n < 0 || (size_t)n >= cap)
        return;
    if (r->load1 >= 0) {
        int k = snprintf(buf + n, cap - (size_t)n, ", load %.2f on %ld CPUs", r->load1, r->ncpu);
        if (k < 0 || (size_t)k >= cap - (size_t)n)
            return;
        n += k;
    }
    if (r->mhz_max > 0)
        snprintf(buf + n, cap - (size_t)n, ", CPU clock %.0f-%.0f MHz", r->mhz_min, r->mhz_max);
}

void ccb_guard_probe(unsigned int ms, ccb_guard_reading *out)
{
    ccb_guard_snapshot a, b;
    ccb_guard_snapshot_take(&a, 0);
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    /* A ^C ends the sleep early; the window is then short and the reading unjudged. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        break;
    ccb_guard_snapshot_take(&b, 0);
    ccb_guard_read(&a, &b, out);
}
