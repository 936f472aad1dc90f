/*
 * Measuring a planned list of scenarios into a result: a temp dir for the children, ^C
 * handling, progress, and every sample of every scenario one process at a time, through
 * runner.c. Separate from cmd_run.c so the other measuring commands (noise) reuse it.
 */
#ifndef CCB_MEASURE_H
#define CCB_MEASURE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "progress.h"
#include "result.h"

typedef struct ccb_plan_item {
    const ccb_scenario_def *def;
    char *executable;        /* absolute path, owned */
    cJSON *params;           /* recorded in the result (moved into it), owned */
    cJSON *runner_params;    /* passed as --param key=value, owned */
    unsigned int samples;    /* processes to run */
    unsigned int timeout_ms; /* per process */
    double hint_ms;          /* known minimum per sample, for the time-left estimate */
} ccb_plan_item;

void ccb_plan_item_release(ccb_plan_item *item);

/* 1 when this build serves the mock API (harness/mockapi.c linked, CCBENCH_HAVE_MOCKAPI):
 * then a scenario with needs_mock_api gets it started before its first sample, its URL as
 * the runner's api_endpoint, and stopped after its last. */
int ccb_measure_mock_api_available(void);

typedef enum ccb_measure_outcome {
    CCB_MEASURE_DONE = 0,        /* every sample ran (some may have failed) */
    CCB_MEASURE_INTERRUPTED = 1, /* ^C: the result is partial and must not be written */
} ccb_measure_outcome;

/* Run every sample of ITEMS in order, appending one scenario per item to INTO (the item's
 * params move into it). CPU pins children (-1: no pinning). Returns 0 with *outcome, or -1
 * with a message when the harness itself failed. */
int ccb_measure_run(ccb_plan_item *items, size_t count, int cpu, ccb_progress_mode progress,
                    ccb_result *into, ccb_measure_outcome *outcome);

#endif
