/*
 * One process sample of a scenario: spawn `ccbench-scenario NAME --param k=v ... --result-fd
 * 3` (or `ccbench-floor`), judge what came back (crash, timeout, exit status, bad JSON, a
 * wrong answer the runner reported) and fold it into a ccb_scenario_result as samples or as a
 * failure with its reason. The executable is an argument so that compare can interleave two
 * builds sample by sample.
 */
#ifndef CCB_SAMPLE_H
#define CCB_SAMPLE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "child.h"
#include "protocol.h"
#include "result.h"

typedef enum ccb_sample_status {
    CCB_SAMPLE_OK = 0,          /* valid: samples added */
    CCB_SAMPLE_FAILED = 1,      /* a failed sample: a failure with its reason added */
    CCB_SAMPLE_INTERRUPTED = 2, /* ^C: nothing added; the caller stops */
} ccb_sample_status;

/* Metrics only a server can see (catalog origin CCB_FROM_MOCK). `reset` runs before each
 * sample; `collect` after a valid one, with the runner's "marks" (may be NULL): it fills
 * values[i] for every FROM_MOCK metric i of def and returns 1, or returns 0 with `why` when
 * what the server saw makes the sample wrong, or -1 on a harness error. */
typedef struct ccb_mock_reader {
    void (*reset)(void *payload);
    int (*collect)(void *payload, const ccb_scenario_def *def, const cJSON *marks, double *values,
                   char *why, size_t why_cap);
    void *payload;
} ccb_mock_reader;

typedef struct ccb_runner_ctx {
    const char *helper;          /* ccbench-spawn (ccb_child_find_helper) */
    const char *tmpdir;          /* the run's temp dir: logs go there, children run there */
    int cpu;                     /* pin children to this CPU; -1: do not pin */
    const ccb_mock_reader *mock; /* NULL unless the scenario needs the mock API */
    ccb_child_server *server;    /* the session's spawn helper; NULL: one helper per sample */
} ccb_runner_ctx;

/* Find EXECUTABLE (a bare name) in CCBENCH_SCENARIO_DIR, or else beside the running ccbench
 * (/proc/self/exe). *out is the malloc'd absolute path. -1 with a message saying where it
 * looked and how to fix it. */
int ccb_sample_find_executable(const char *executable, char **out);

/* Run sample number INDEX of DEF with the executable at PATH. RUNNER_PARAMS (an object; may
 * be NULL) become `--param key=value`; TIMEOUT_MS bounds the process. The scenario result
 * INTO must already hold DEF's metrics (ccb_result_scenario_add_metric). Parameters the runner
 * reports back are merged into INTO->params. Returns 0 with *status, or -1 with a message
 * when the harness itself failed (then the run should stop). */
int ccb_sample_run(const ccb_runner_ctx *ctx, const ccb_scenario_def *def, const char *path,
                   const cJSON *runner_params, unsigned int timeout_ms, size_t index,
                   ccb_scenario_result *into, ccb_sample_status *status);

/* A count process (issue 13): `ccbench-counts NAME --counts MODE ...`, under PREFIX (a
 * NULL-terminated argv whose [0] is an absolute path, e.g. valgrind and its options) when
 * set. Its valid answer adds only count metrics (origin CCB_FROM_COUNTS, created in INTO on
 * first value) and the counters it could not take to INTO->unavailable; it adds no process
 * meta (its timings are perturbed by the counting) and no parameters. A failure is recorded
 * like any sample's, its detail naming the count process. */
typedef struct ccb_count_spec {
    const char *mode;          /* "native" or "instructions" */
    const char *const *prefix; /* NULL: run PATH itself */
} ccb_count_spec;
int ccb_sample_count(const ccb_runner_ctx *ctx, const ccb_scenario_def *def, const char *path,
                     const ccb_count_spec *count, const cJSON *runner_params,
                     unsigned int timeout_ms, size_t index, ccb_scenario_result *into,
                     ccb_sample_status *status);

#endif
