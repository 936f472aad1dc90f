/*
 * Count processes (issue 13): for each scenario with count metrics (catalog origin
 * CCB_FROM_COUNTS), a few `ccbench-counts --counts native` processes (system calls, page
 * faults, allocations) and a few under `valgrind --tool=callgrind` (instructions, with each
 * dump's function profile), after that scenario's timing processes and apart from them, so
 * counting never perturbs a timing. Their values join the scenario's result as count
 * metrics, one replicate per process; what cannot be counted here is "unavailable" with the
 * reason, never 0. The raw callgrind dumps are kept for callgrind_annotate / KCachegrind.
 */
#ifndef CCB_COUNTS_H
#define CCB_COUNTS_H

#include <stddef.h>

#include "catalog.h"
#include "measure.h"
#include "result.h"
#include "sample.h"

typedef enum ccb_counts_mode {
    CCB_COUNTS_OFF = -1,     /* --no-counts */
    CCB_COUNTS_DEFAULT = 0,  /* on; instructions unavailable is a note */
    CCB_COUNTS_REQUIRED = 1, /* --counts: instructions unavailable is bad usage (exit 2) */
} ccb_counts_mode;

typedef struct ccb_counts {
    int enabled;
    char *valgrind;      /* absolute path; NULL: instructions unavailable */
    char instr_why[256]; /* why instructions are unavailable ("" when available) */
    unsigned int native_procs, instr_procs; /* per scenario and side */
    char *keep_dir;                         /* where the dumps end up (ccb_counts_keep), owned */
    char *stage_dir;                        /* where they are written while measuring, owned */
    size_t seq;
} ccb_counts;

/* Processes per scenario and side at PROFILE: a valgrind process costs ~0.35 s here, so the
 * quick profile's counts fit in ~2.5 s a side. */
void ccb_counts_procs(ccb_profile profile, unsigned int *native, unsigned int *instr);

/* Set C up for MODE. RUNNER_SANITIZED: the runner measured is a sanitizer build (valgrind
 * cannot run it). KEEP_DIR (may be NULL: dumps are not kept) is where ccb_counts_keep moves
 * the dumps. With CCB_COUNTS_REQUIRED and instructions unavailable: -1, class
 * CCB_ERROR_USAGE, the message saying why and what to install. Otherwise prints the reason
 * once on stderr when instructions are unavailable. */
int ccb_counts_init(ccb_counts *c, ccb_counts_mode mode, ccb_profile profile, int runner_sanitized,
                    const char *keep_dir);
void ccb_counts_release(ccb_counts *c);

/* 1 when DEF has count metrics (they are the last of its metrics: catalog invariant). */
int ccb_counts_applies(const ccb_scenario_def *def);
/* DEF's metrics before its count metrics: the ones timing processes give. */
size_t ccb_counts_timed_metrics(const ccb_scenario_def *def);

/* How many count processes of each kind ITEM's scenario gets from C (0 instructions without
 * valgrind). A process that costs more under valgrind than cold_init's ~0.35 s (a warm loop's
 * dumps, api_latency's first upload loading libcurl: ~1 s) gets one fewer, so a side's counts
 * stay near 5 s at quick. */
void ccb_counts_plan(const ccb_counts *c, const ccb_plan_item *item, unsigned int *native,
                     unsigned int *instr);

/* One count process of ITEM's scenario with the count runner EXE: native, or instructions
 * under valgrind (its dumps read into INTO's instruction metrics and profile). TAG names the
 * side in the dump files ("a", "base"). 0 with *status (a failed process is recorded in INTO
 * like any failed sample), or -1 on a harness error. */
int ccb_counts_process(ccb_counts *c, const ccb_runner_ctx *ctx, const ccb_plan_item *item,
                       const char *exe, int instructions, const char *tag,
                       ccb_scenario_result *into, ccb_sample_status *status);

/* Every count process of ITEM for one side (native then instructions), then the profile
 * reduced (ccb_counts_finish). Stops at ^C (*interrupted). */
int ccb_counts_measure(ccb_counts *c, const ccb_runner_ctx *ctx, const ccb_plan_item *item,
                       const char *exe, const char *tag, ccb_scenario_result *into,
                       int *interrupted);

/* INTO's per-process profile gathered so far reduced to medians per call and function (the
 * form the result file keeps); the unavailable instructions reason recorded. Once per side. */
int ccb_counts_finish(const ccb_counts *c, ccb_scenario_result *into);

/* 1 when this ccbench (and so the runners built with it) is a sanitizer build. */
int ccb_counts_this_build_sanitized(void);
/* Where the dumps of the result file RESULT_PATH are kept: RESULT_PATH without ".json", plus
 * ".callgrind". *out is malloc'd. */
int ccb_counts_keep_dir_for(const char *result_path, char **out);

/* Move the dumps to the keep dir (replacing an older one there); *where is the dir (NULL
 * when nothing was kept). -1 with a message. */
int ccb_counts_keep(ccb_counts *c, const char **where);

#endif
