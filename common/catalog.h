/*
 * The scenario catalog: every scenario's name, metrics (unit, direction, who measures them)
 * and per-profile sample counts. It is plain data shared by the driver (which must never link
 * the tracker) and the runner, so `ccbench list` and the runner can never disagree.
 */
#ifndef CCB_CATALOG_H
#define CCB_CATALOG_H

#include <stddef.h>

typedef enum ccb_direction {
    CCB_LOWER_IS_BETTER = 0,
    CCB_HIGHER_IS_BETTER = 1,
} ccb_direction;

/** Who produces a metric's samples. */
typedef enum ccb_metric_origin {
    CCB_FROM_RUNNER = 0, /**< ccbench-scenario writes it to the result fd. */
    CCB_FROM_DRIVER = 1, /**< the driver measures it around the child (wait4, clocks). */
    CCB_FROM_MOCK = 2,   /**< the driver reads it from its mock API, with the runner's marks. */
    CCB_FROM_COUNTS = 3, /**< count processes (ccbench-counts, native or under callgrind). */
} ccb_metric_origin;

typedef enum ccb_metric_kind {
    CCB_KIND_TIMING = 0, /**< noisy continuous measurement: statistics apply. */
    CCB_KIND_COUNT = 1,  /**< exact count: compared exactly, not statistically. */
} ccb_metric_kind;

typedef struct ccb_metric_def {
    const char *name;
    const char *unit;
    ccb_direction direction;
    ccb_metric_origin origin;
    ccb_metric_kind kind;
    const char *description;
} ccb_metric_def;

typedef enum ccb_profile {
    CCB_PROFILE_QUICK = 0,
    CCB_PROFILE_DEFAULT = 1,
    CCB_PROFILE_FULL = 2,
} ccb_profile;
#define CCB_PROFILE_COUNT 3

/** A scenario's parameters for one profile. */
typedef struct ccb_profile_params {
    unsigned int processes;   /**< child processes to spawn (one per cold sample). */
    unsigned int iterations;  /**< lifecycles per process (warm_lifecycle), else 0. */
    unsigned int warmup;      /**< un-measured lifecycles first, else 0. */
    unsigned int threads;     /**< worker threads (throughput), else 0. */
    unsigned int duration_ms; /**< sustained duration (throughput), else 0. */
} ccb_profile_params;

typedef struct ccb_scenario_def {
    const char *name;
    const char *description;
    int needs_mock_api;      /**< the driver must serve the mock API for it. */
    int selftest;            /**< failure-injection scenario, hidden from list and profiles. */
    unsigned int timeout_ms; /**< per-process limit before the driver kills the child. */
    const char *executable;  /**< "ccbench-scenario" or "ccbench-floor". */
    const ccb_metric_def *metrics;
    size_t metric_count;
    ccb_profile_params profiles[CCB_PROFILE_COUNT];
} ccb_scenario_def;

/** All scenarios, selftests included (check `selftest`). */
const ccb_scenario_def *ccb_catalog_scenarios(size_t *count);
/** The scenario of that name, or NULL. */
const ccb_scenario_def *ccb_catalog_find(const char *name);
/** The metric of that name in a scenario, or NULL. */
const ccb_metric_def *ccb_catalog_metric(const ccb_scenario_def *s, const char *name);
/** "quick"/"default"/"full" -> profile; -1 if unknown. */
int ccb_profile_parse(const char *text);
const char *ccb_profile_name(ccb_profile p);
const char *ccb_direction_name(ccb_direction d);

#endif
