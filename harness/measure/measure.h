/*
 * Measuring a planned list of scenarios into a result: a temp dir for the children, ^C
 * handling, progress, and every sample of every scenario one process at a time, through
 * sample.c. Separate from cmd_run.c so the other measuring commands (noise) reuse it.
 */
#ifndef CCB_MEASURE_H
#define CCB_MEASURE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "progress.h"
#include "result.h"
#include "sample.h"

typedef struct ccb_plan_item {
    const ccb_scenario_def *def;
    char *executable;        /* absolute path, owned */
    char *counts_executable; /* the count runner (ccbench-counts), owned; NULL: no counts */
    cJSON *params;           /* recorded in the result (moved into it), owned */
    cJSON *runner_params;    /* passed as --param key=value, owned */
    unsigned int samples;    /* processes to run */
    unsigned int timeout_ms; /* per process */
    double hint_ms;          /* known minimum per sample, for the time-left estimate */
    double budget_ms;        /* > 0: `samples` is a minimum, more run while this lasts */
} ccb_plan_item;

void ccb_measure_plan_item_release(ccb_plan_item *item);

/* What the command line changes of a profile's parameters (0 / -1: the profile's). */
typedef struct ccb_plan_overrides {
    unsigned long samples, threads, api_latency_ms;
    double duration_s;
    long cpu; /* recorded in the params when >= 0 */
} ccb_plan_overrides;

/* Fill ITEM's samples, timeout, hint, and both parameter objects for DEF at PROFILE with OV
 * applied (the executable is the caller's). Shared by run, compare and noise so the three
 * measure exactly the same thing. */
int ccb_measure_plan_item_init(ccb_plan_item *item, const ccb_scenario_def *def,
                               ccb_profile profile, const ccb_plan_overrides *ov);

/* 1 when this build serves the mock API (harness/measure/mockapi.c linked, CCBENCH_HAVE_MOCKAPI):
 * then a scenario with needs_mock_api gets it started before its first sample, its URL as
 * the runner's api_endpoint, and stopped after its last. */
int ccb_measure_mock_api_available(void);

typedef enum ccb_measure_outcome {
    CCB_MEASURE_DONE = 0,        /* every sample ran (some may have failed) */
    CCB_MEASURE_INTERRUPTED = 1, /* ^C: the result is partial and must not be written */
} ccb_measure_outcome;

typedef struct ccb_counts ccb_counts;

/* Run every sample of ITEMS in order, appending one scenario per item to INTO (the item's
 * params move into it), then, with COUNTS (may be NULL) and an item's counts_executable, that
 * scenario's count processes (counts.h). CPU pins children (-1: no pinning). Returns 0 with
 * *outcome, or -1 with a message when the harness itself failed. */
int ccb_measure_run(ccb_plan_item *items, size_t count, int cpu, ccb_progress_mode progress,
                    ccb_counts *counts, ccb_result *into, ccb_measure_outcome *outcome);

/* The loop behind ccb_measure_run with the samples of one item left to FN: the temp dir, ^C
 * handling, progress (item->samples steps per item) and the item's services (mock API) are
 * set up around each call. FN returns 0 (setting *interrupted on ^C) or -1 on a harness
 * error; compare uses it to interleave two builds. */
typedef int (*ccb_measure_item_fn)(void *payload, size_t index, ccb_plan_item *item,
                                   const ccb_runner_ctx *ctx, ccb_progress *progress,
                                   int *interrupted);
int ccb_measure_each(ccb_plan_item *items, size_t count, int cpu, ccb_progress_mode progress,
                     ccb_measure_item_fn fn, void *payload, ccb_measure_outcome *outcome);

#endif
