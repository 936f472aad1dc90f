/* Per-thread cost counters for the runner's count mode (issue 13): system calls (but futex,
 * whose count follows scheduling) through the raw_syscalls:sys_enter tracepoint and page faults
 * through the software event, both opened with perf_event_open for the calling thread only (pid 0,
 * cpu -1). The tracker's sampler thread is therefore OUT, the same on both sides of a compare. A
 * counter the kernel refuses is "unavailable" with its reason, never a fake 0. */
#ifndef CCB_COUNTERS_H
#define CCB_COUNTERS_H

#include <stdint.h>

typedef enum ccb_counter_id {
    CCB_COUNTER_SYSCALLS = 0,
    CCB_COUNTER_PAGE_FAULTS = 1,
} ccb_counter_id;
#define CCB_COUNTER_COUNT 2

typedef struct ccb_counters {
    int fd[CCB_COUNTER_COUNT];           /**< -1 when unavailable. */
    char reason[CCB_COUNTER_COUNT][160]; /**< why unavailable, "" when open. */
    int futex_excluded; /**< the system-call count leaves futex out (a tracepoint filter). */
} ccb_counters;

/** Opens every counter for the calling thread, disabled. Never fails as a whole: each counter
 * the kernel refuses is marked unavailable. CCB_COUNTS_REFUSE_PERF=1 in the environment makes
 * it treat perf_event as refused (tests of the unavailable path). */
void ccb_counters_open(ccb_counters *c);
/** Resets and enables the open counters (one ioctl each: the syscall counter sees them, and
 * ccb_counters_overhead() measures that so callers can subtract it). */
void ccb_counters_start(ccb_counters *c);
/** Disables the counters and writes each open one's value; 0 when read, -1 if unavailable. */
int ccb_counters_stop(ccb_counters *c, uint64_t out[CCB_COUNTER_COUNT], int ok[CCB_COUNTER_COUNT]);
/** The counts of an empty start/stop pair (the counters' own system calls). */
void ccb_counters_overhead(ccb_counters *c, uint64_t out[CCB_COUNTER_COUNT]);
void ccb_counters_close(ccb_counters *c);
const char *ccb_counter_name(ccb_counter_id id);

#endif
