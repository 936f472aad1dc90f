/*
 * What the runner (runner.c) and the scenario files share: the resolved parameters, the
 * sample a scenario fills (metrics from the catalog, or a failure), the scenario functions of
 * the dispatch table, and the few helpers every scenario needs (config, temp dir, lifecycle).
 */
#ifndef CCB_SCENARIO_H
#define CCB_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "cctracker.h"
#include "check.h"

/**
 * Every parameter of protocol.h, resolved: the scenario's default unless given on the
 * command line. A scenario only reads the ones its dispatch entry declares.
 */
typedef struct ccb_params {
    unsigned long iterations;
    unsigned long warmup;
    unsigned long threads;
    unsigned long duration_ms;
    unsigned long measure_interval_ms;
    unsigned long save_to_file;
    const char *output_dir;       /**< NULL: ccb_outdir_open picks one (see there). */
    const char *api_endpoint;     /**< api_latency: the driver's mock API. */
    unsigned long api_latency_ms; /**< api_latency: the mock's injected latency (recorded). */
    unsigned long uploads;        /**< api_latency: flushes before stop (each uploads once a whole
                                     second has passed since the last upload). */
} ccb_params;

/** The process sample a scenario produces. */
typedef struct ccb_sample {
    const ccb_scenario_def *def; /**< The scenario's catalog entry. */
    cJSON *metrics;              /**< Metric name -> array of numbers. */
    cJSON *marks;                /**< Instants/counts the driver needs (protocol.h). */
    ccb_failure failure;         /**< Set: the sample is ok=false with this reason. */
    int result_fd;               /**< Only for selftest_garbage, which writes it itself. */
    int raw_written;             /**< The scenario wrote the result fd itself. */
} ccb_sample;

/**
 * Add values to a runner-origin catalog metric of the sample's scenario. Returns 0, or -1
 * (out of memory, or a metric the catalog does not give the runner: a runner bug, reported
 * on stderr).
 */
int ccb_sample_add(ccb_sample *s, const char *metric, const double *values, size_t n);
/** The same for a metric of one value per process. */
int ccb_sample_add_one(ccb_sample *s, const char *metric, double value);
/** Record a named instant (CLOCK_MONOTONIC ns) or count for the driver in "marks". */
int ccb_sample_mark(ccb_sample *s, const char *name, uint64_t value);
/** init_us, start_us and stop_us from the instants ccb_new_and_start and ccb_stop_and_check
 * took. 0, or -1 (out of memory). */
int ccb_sample_add_call_times(ccb_sample *s, const uint64_t t_new[2], const uint64_t t_start[2],
                              const uint64_t t_stop[2]);

/**
 * A scenario: run once, fill `s`. Returns 0 when it produced a sample (ok or failed), or -1
 * when the runner itself could not run (no memory, no temp dir): reported on stderr, and the
 * process exits 1 without a result, which the driver records as a failed sample.
 */
typedef int (*ccb_scenario_fn)(const ccb_params *p, ccb_sample *s);

int ccb_scenario_cold_init(const ccb_params *p, ccb_sample *s);
int ccb_scenario_first_sample(const ccb_params *p, ccb_sample *s);
int ccb_scenario_warm_lifecycle(const ccb_params *p, ccb_sample *s);
int ccb_scenario_throughput(const ccb_params *p, ccb_sample *s);
int ccb_scenario_api_latency(const ccb_params *p, ccb_sample *s);
#ifdef CCBENCH_SELFTEST_SCENARIOS
int ccb_scenario_selftest_crash(const ccb_params *p, ccb_sample *s);
int ccb_scenario_selftest_hang(const ccb_params *p, ccb_sample *s);
int ccb_scenario_selftest_garbage(const ccb_params *p, ccb_sample *s);
int ccb_scenario_selftest_wrong(const ccb_params *p, ccb_sample *s);
#endif

/* ---- scenario_common.c ---- */

/** Every scenario runs offline in France, logging nothing, outputs as the params say. */
#define CCB_COUNTRY "FRA"

/** The scenarios' tracker config: CCT_CONFIG_INIT, offline, FRA, silent, CSV as given. */
void ccb_config_init(cct_config *cfg, const char *output_dir, int save_to_file);
/** A zeroed emissions value whose version (where the tracker has one) stop() accepts. */
void ccb_emissions_init(cct_emissions *e);
/** What ccb_check_emissions may expect of a tracker configured by ccb_config_init. */
ccb_expect ccb_config_expect(const cct_config *cfg);

/**
 * The directory a scenario's tracker is configured with: `given` if set; else, with
 * save_to_file, a fresh mkdtemp directory (TMPDIR or /tmp) that ccb_outdir_close removes with
 * its files; else a path under TMPDIR that does not exist and must still not exist afterwards
 * (nothing is created, so the measured process does no directory I/O of ours).
 */
typedef struct ccb_outdir {
    char path[4096];
    int owned;  /**< A mkdtemp directory of ours. */
    int absent; /**< A path that must not exist (save_to_file 0, no output_dir given). */
} ccb_outdir;
int ccb_outdir_open(ccb_outdir *d, const char *given, int save_to_file);
/**
 * Check the directory after the scenario: with save_to_file the CSV must be well-formed and
 * hold `rows_before + rows_written` rows; without, an absent path must still not exist and an
 * owned directory must be empty (a tracker told not to write wrote nothing). Records a
 * failure (wrong_answer, naming the path) in `f`. Returns 0 or -1.
 */
int ccb_outdir_check(const ccb_outdir *d, int save_to_file, size_t rows_before, size_t rows_written,
                     ccb_failure *f);
/** Data rows already in the CSV of the directory (0 if there is no file); -1 on a bad file. */
int ccb_outdir_rows(const ccb_outdir *d, size_t *rows, ccb_failure *f);
/** Remove an owned directory and the files the tracker wrote into it; remove whatever was
 * created at an absent path (best effort). */
void ccb_outdir_close(ccb_outdir *d);

/**
 * One timed lifecycle: new -> start -> stop(out) -> free with CLOCK_MONOTONIC instants
 * between the calls. Only tracker calls and clock reads happen between t[0] and t[4]:
 * t[0] before new, t[1] before start, t[2] before stop, t[3] after stop, t[4] after free.
 * A failing call is recorded in `f` (captured in this thread) and the tracker freed.
 * Returns 0 or -1.
 */
int ccb_lifecycle(const cct_config *cfg, cct_emissions *out, uint64_t t[5], ccb_failure *f);
/** The check window of a lifecycle timed by ccb_lifecycle. */
ccb_instants ccb_lifecycle_instants(const uint64_t t[5]);

/**
 * The beginning of a one-lifecycle scenario: new() timed into t_new[0..1], start() into
 * t_start[0..1], each return code checked. Returns 0, or -1 with the failure in `f` (*tr
 * is then NULL or a tracker for the caller to free).
 */
int ccb_new_and_start(const cct_config *cfg, cct_tracker **tr, uint64_t t_new[2],
                      uint64_t t_start[2], ccb_failure *f);

/**
 * The end of a one-lifecycle scenario: stop() timed into t_stop[0..1], its return code
 * checked, the tracker freed (*tr = NULL), then stop()'s answer checked against the window
 * from t_start[0] (before start) to t_stop[1]. Returns 0, or -1 with the failure in `f`
 * ("stop(): " prefixed to a wrong answer).
 */
int ccb_stop_and_check(cct_tracker **tr, const uint64_t t_start[2], uint64_t t_stop[2],
                       const ccb_expect *x, cct_emissions *out, ccb_failure *f);

#endif
