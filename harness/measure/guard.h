/*
 * The machine-state guard (DESIGN.md "Statistics", machine-state guard): was the machine
 * quiet while a scenario was measured? A window spans a scenario's measurement; over it the
 * guard compares the CPU time the whole machine spent (/proc/stat) with what ccbench and its
 * children spent (getrusage), so the difference is other work competing for the CPUs, and
 * reads the steal time a hypervisor took. The 1-minute load average is recorded but never
 * judged alone: a build that just ran leaves it high for a minute while the machine is idle.
 * CPU frequency is read where /sys exposes it (most VMs do not) and reported, not judged:
 * turbo makes it move on a quiet machine too.
 */
#ifndef CCB_GUARD_H
#define CCB_GUARD_H

#include <stddef.h>

/* Other work above this many CPUs on average (a quarter of one CPU), or steal above this
 * fraction of the window's CPU time, marks the window disturbed. On a 2-core machine a
 * quarter CPU of foreign work moves a cold start by more than the 5-10% we must detect. */
#define CCB_GUARD_MAX_FOREIGN_CPUS 0.25
#define CCB_GUARD_MAX_STEAL 0.02
/* /proc/stat counts in 10 ms ticks: over a shorter window a quarter CPU is within a few
 * ticks of nothing, so it is not judged. */
#define CCB_GUARD_MIN_WINDOW_MS 500.0
/* The look before measuring: long enough to be judged, short against a 40 s compare. */
#define CCB_GUARD_PROBE_MS 500

typedef struct ccb_guard_snapshot {
    int ok;                  /* /proc/stat was readable */
    double wall_ms;          /* CLOCK_MONOTONIC */
    double busy_ms;          /* machine: user+nice+system+irq+softirq, all CPUs */
    double steal_ms;         /* machine */
    double own_ms;           /* ccbench + its waited-for descendants: user + system */
    double mhz_min, mhz_max; /* over the CPUs, 0 when not readable */
} ccb_guard_snapshot;

typedef struct ccb_guard_reading {
    int judged; /* 0: the window was too short or /proc/stat unreadable */
    int disturbed;
    double window_ms;
    double foreign_cpus; /* other work, in CPUs on average */
    double steal;        /* fraction of the CPUs' time */
    double load1;        /* 1-minute load average at the end, -1 unknown */
    long ncpu;
    double mhz_min, mhz_max; /* over the window's two readings, 0 when not readable */
} ccb_guard_reading;

/* ALSO_OURS_MS: CPU time of our own processes that getrusage does not show yet (children
 * of the spawn helper, which is reaped only when the session ends). */
void ccb_guard_snapshot_take(ccb_guard_snapshot *s, double also_ours_ms);
/* The reading between two snapshots of the same process. */
void ccb_guard_read(const ccb_guard_snapshot *before, const ccb_guard_snapshot *after,
                    ccb_guard_reading *out);
/* The rule, apart from /proc so it is unit-tested: judged/disturbed from the deltas. */
void ccb_guard_judge(ccb_guard_reading *r, double busy_delta_ms, double own_delta_ms,
                     double steal_delta_ms);
/* One line saying what was seen: "other processes used 0.80 CPU on average (limit 0.25),
 * steal 0.0%, load 1.9 on 2 CPUs". */
void ccb_guard_describe(const ccb_guard_reading *r, char *buf, size_t cap);
/* A quiet look before measuring: sleeps MS milliseconds (interruptible by ^C) and reads
 * what the machine did meanwhile; ccbench itself is idle, so nearly all of it is foreign. */
void ccb_guard_probe(unsigned int ms, ccb_guard_reading *out);

#endif
