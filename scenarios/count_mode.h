/*
 * The count runner's modes (issue 13). `ccbench-counts NAME --counts MODE ...` runs the
 * scenario once with a probe around each tracker call (count_probe.h):
 *
 *   native        system calls and page faults of the calling thread (perf_event, counters.c)
 *                 and its heap allocations (alloc_hook.c), each window's own counter cost
 *                 subtracted; metrics <call>_syscalls, _page_faults, _allocs, _alloc_bytes;
 *   instructions  under `valgrind --tool=callgrind --collect-atstart=no --separate-threads=yes`:
 *                 collection toggled on for the window only and dumped after it, named after
 *                 the call ("start"); the driver reads the dumps (<call>_instructions and the
 *                 function profile). An "overhead" dump of an empty window comes first.
 *
 * The tracker's own threads (the sampler, the API worker) are out in both modes: what they
 * do runs asynchronously and would make a call's count depend on scheduling.
 * A counter that cannot run here is listed in the sample's "unavailable" object with the
 * reason; its metrics are absent, never 0.
 */
#ifndef CCB_COUNT_MODE_H
#define CCB_COUNT_MODE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "scenario.h"

/** Installs the probe for MODE ("native" or "instructions") recording into S. 0, or -1 with
 * a message on stderr (unknown mode; instructions outside callgrind). */
int ccb_count_mode_setup(const char *mode, ccb_sample *s);
/** The "unavailable" object for the sample (owned by count mode; NULL when none). */
cJSON *ccb_count_mode_unavailable(void);
/** 1 when recording a count ran out of memory (the sample must not be written). */
int ccb_count_mode_failed(void);
/** Known work through the native probe (a self-check, and the test of the counters): 7 raw
 * system calls and 3 allocations of 100 bytes, counted and printed on OUT as one JSON object
 * {"syscalls": 7, "allocs": 3, "alloc_bytes": 300, "page_faults": N}, or a counter's null
 * with its reason under "unavailable". 0, or 1 when a count is not what the work did. */
int ccb_count_mode_known_work(FILE *out);
/** Removes the probe and closes the counters. */
void ccb_count_mode_finish(void);

#endif
