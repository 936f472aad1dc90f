/*
 * The scenario catalog's data (see catalog.h). Sample counts are sized so that the quick
 * profile runs every offline scenario in under 20 s on a 2-core machine and the default
 * one in under 2 minutes; full follows CodeCarbon's protocol (30 s sustained throughput).
 */
#include "catalog.h"

#include <string.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The count metrics of one measured window (issue 13): CALL is the tracker call ("start") or
 * "lifecycle"; WHAT says what the window is. Counted in separate count processes, never in a
 * timing process, and for the calling thread only (docs/PERFORMANCE.md, "Counts"). */
#define COUNT_METRICS(call, what)                                                                   \
    {call "_instructions", "instr",        CCB_LOWER_IS_BETTER,                                     \
     CCB_FROM_COUNTS,      CCB_KIND_COUNT, "instructions executed by " what " (callgrind)"},        \
        {call "_syscalls",    "count",                                                              \
         CCB_LOWER_IS_BETTER, CCB_FROM_COUNTS,                                                      \
         CCB_KIND_COUNT,      "system calls made by " what " (perf_event raw_syscalls:sys_enter)"}, \
        {call "_page_faults", "count",                                                              \
         CCB_LOWER_IS_BETTER, CCB_FROM_COUNTS,                                                      \
         CCB_KIND_COUNT,      "page faults taken by " what " (perf_event page-faults)"},            \
        {call "_allocs",      "count",                                                              \
         CCB_LOWER_IS_BETTER, CCB_FROM_COUNTS,                                                      \
         CCB_KIND_COUNT,      "heap allocations (malloc, calloc, realloc, aligned) made by " what}, \
    {                                                                                               \
        call "_alloc_bytes", "B", CCB_LOWER_IS_BETTER, CCB_FROM_COUNTS, CCB_KIND_COUNT,             \
            "bytes those allocations asked for"                                                     \
    }
#define CALL_COUNT_METRICS                                                                         \
    COUNT_METRICS("new", "cct_tracker_new"),                                                       \
        COUNT_METRICS("start", "the first cct_tracker_start"),                                     \
        COUNT_METRICS("stop", "cct_tracker_stop"), COUNT_METRICS("free", "cct_tracker_free")

static const ccb_metric_def spawn_floor_metrics[] = {
    {"process_ms", "ms", CCB_LOWER_IS_BETTER, CCB_FROM_DRIVER, CCB_KIND_TIMING,
     "spawn to reap of a minimal libc-only executable"},
    {"maxrss_kb", "KiB", CCB_LOWER_IS_BETTER, CCB_FROM_DRIVER, CCB_KIND_TIMING,
     "peak resident memory of that executable"},
};

static const ccb_metric_def cold_init_metrics[] = {
    {"init_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "cct_tracker_new in a fresh process"},
    {"start_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "first cct_tracker_start of the process (hardware detection)"},
    {"stop_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING, "cct_tracker_stop"},
    {"process_ms", "ms", CCB_LOWER_IS_BETTER, CCB_FROM_DRIVER, CCB_KIND_TIMING,
     "spawn to reap of the whole process"},
    {"maxrss_kb", "KiB", CCB_LOWER_IS_BETTER, CCB_FROM_DRIVER, CCB_KIND_TIMING,
     "peak resident memory"},
    {"libs_loaded", "count", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_COUNT,
     "shared objects mapped at exit (dl_iterate_phdr)"},
    {"curl_loaded", "bool", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_COUNT,
     "1 if libcurl is mapped after an offline lifecycle"},
    CALL_COUNT_METRICS,
};

static const ccb_metric_def first_sample_metrics[] = {
    {"first_sample_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "start to the first periodic power sample stored (measure_interval_ms=1)"},
};

static const ccb_metric_def warm_lifecycle_metrics[] = {
    {"lifecycle_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "one new -> start -> stop -> free, outputs off, after warm-up"},
    {"lifecycles_per_s", "1/s", CCB_HIGHER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "lifecycles per second over a process's measured loop"},
    COUNT_METRICS("lifecycle", "one warm lifecycle"),
};

static const ccb_metric_def warm_lifecycle_csv_metrics[] = {
    {"lifecycle_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "one new -> start -> stop -> free, a CSV row written at each stop"},
    {"lifecycles_per_s", "1/s", CCB_HIGHER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "lifecycles per second over a process's measured loop"},
    COUNT_METRICS("lifecycle", "one warm lifecycle with its CSV row"),
};

static const ccb_metric_def throughput_metrics[] = {
    {"lifecycles_per_s", "1/s", CCB_HIGHER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "lifecycles per second, all threads together"},
    {"lifecycle_p50_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "median lifecycle latency across threads"},
    {"lifecycle_p99_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "99th percentile lifecycle latency across threads"},
    {"thread_fairness", "ratio", CCB_HIGHER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "min/max lifecycles per thread (1 = perfectly fair)"},
};

static const ccb_metric_def api_latency_metrics[] = {
    {"init_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "cct_tracker_new with save_to_api"},
    {"start_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "cct_tracker_start with save_to_api (must not touch the network)"},
    {"stop_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "cct_tracker_stop with save_to_api (must not wait for the network)"},
    {"first_upload_ms", "ms", CCB_LOWER_IS_BETTER, CCB_FROM_MOCK, CCB_KIND_TIMING,
     "start to the first emission accepted by the mock API"},
    {"requests_before_first_upload", "count", CCB_LOWER_IS_BETTER, CCB_FROM_MOCK, CCB_KIND_COUNT,
     "requests the mock saw before the first upload was due (must be 0)"},
    {"connections_opened", "count", CCB_LOWER_IS_BETTER, CCB_FROM_MOCK, CCB_KIND_COUNT,
     "TCP connections the mock accepted (keep-alive reuse: 1)"},
    {"requests_total", "count", CCB_LOWER_IS_BETTER, CCB_FROM_MOCK, CCB_KIND_COUNT,
     "requests the mock answered"},
    {"runs_created", "count", CCB_LOWER_IS_BETTER, CCB_FROM_MOCK, CCB_KIND_COUNT,
     "POST /runs the mock answered (lazy run creation: 1)"},
    CALL_COUNT_METRICS,
};

static const ccb_metric_def selftest_metrics[] = {
    {"value_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING,
     "a placeholder timing of the failure-injection scenarios"},
};

/* processes, iterations, warmup, threads, duration_ms for quick / default / full */
static const ccb_scenario_def scenarios[] = {
    {"spawn_floor",
     "fork+exec+exit of a libc-only executable: the floor of cold_init",
     0,
     0,
     10000,
     "ccbench-floor",
     spawn_floor_metrics,
     COUNT_OF(spawn_floor_metrics),
     {{10, 0, 0, 0, 0}, {40, 0, 0, 0, 0}, {100, 0, 0, 0, 0}}},
    {"cold_init",
     "one fresh process per sample: new, first start, stop, free (no waiting)",
     0,
     0,
     10000,
     "ccbench-scenario",
     cold_init_metrics,
     COUNT_OF(cold_init_metrics),
     {{10, 0, 0, 0, 0}, {40, 0, 0, 0, 0}, {100, 0, 0, 0, 0}}},
    {"first_sample",
     "one fresh process per sample: new, start, first periodic sample, stop",
     0,
     0,
     10000,
     "ccbench-scenario",
     first_sample_metrics,
     COUNT_OF(first_sample_metrics),
     {{10, 0, 0, 0, 0}, {40, 0, 0, 0, 0}, {100, 0, 0, 0, 0}}},
    {"warm_lifecycle",
     "new/start/stop/free in a loop after warm-up, outputs off",
     0,
     0,
     30000,
     "ccbench-scenario",
     warm_lifecycle_metrics,
     COUNT_OF(warm_lifecycle_metrics),
     {{3, 1000, 200, 0, 0}, {6, 2000, 500, 0, 0}, {10, 5000, 1000, 0, 0}}},
    {"warm_lifecycle_csv",
     "warm_lifecycle with CSV output on (one row per stop)",
     0,
     0,
     30000,
     "ccbench-scenario",
     warm_lifecycle_csv_metrics,
     COUNT_OF(warm_lifecycle_csv_metrics),
     {{3, 1000, 200, 0, 0}, {6, 2000, 500, 0, 0}, {10, 5000, 1000, 0, 0}}},
    {"throughput",
     "N threads doing lifecycles for a sustained duration",
     0,
     0,
     60000,
     "ccbench-scenario",
     throughput_metrics,
     COUNT_OF(throughput_metrics),
     {{2, 0, 0, 8, 1000}, {5, 0, 0, 8, 3000}, {3, 0, 0, 8, 30000}}},
    {"api_latency",
     "tracker uploading to the mock API with injected latency",
     1,
     0,
     30000,
     "ccbench-scenario",
     api_latency_metrics,
     COUNT_OF(api_latency_metrics),
     {{5, 0, 0, 0, 0}, {15, 0, 0, 0, 0}, {30, 0, 0, 0, 0}}},
    {"selftest_crash",
     "test only: the child crashes",
     0,
     1,
     10000,
     "ccbench-scenario",
     selftest_metrics,
     COUNT_OF(selftest_metrics),
     {{2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}}},
    {"selftest_hang",
     "test only: the child never exits",
     0,
     1,
     1000,
     "ccbench-scenario",
     selftest_metrics,
     COUNT_OF(selftest_metrics),
     {{2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}}},
    {"selftest_garbage",
     "test only: the child writes malformed JSON",
     0,
     1,
     10000,
     "ccbench-scenario",
     selftest_metrics,
     COUNT_OF(selftest_metrics),
     {{2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}}},
    {"selftest_wrong",
     "test only: a tracker answer is wrong (negative energy)",
     0,
     1,
     10000,
     "ccbench-scenario",
     selftest_metrics,
     COUNT_OF(selftest_metrics),
     {{2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}}},
};

const ccb_scenario_def *ccb_catalog_scenarios(size_t *count)
{
    *count = COUNT_OF(scenarios);
    return scenarios;
}

const ccb_scenario_def *ccb_catalog_find(const char *name)
{
    for (size_t i = 0; i < COUNT_OF(scenarios); i++) {
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    }
    return NULL;
}

const ccb_metric_def *ccb_catalog_metric(const ccb_scenario_def *s, const char *name)
{
    for (size_t i = 0; i < s->metric_count; i++) {
        if (strcmp(s->metrics[i].name, name) == 0)
            return &s->metrics[i];
    }
    return NULL;
}

static const char *const profile_names[CCB_PROFILE_COUNT] = {"quick", "default", "full"};

int ccb_profile_parse(const char *text)
{
    for (int i = 0; i < CCB_PROFILE_COUNT; i++) {
        if (strcmp(text, profile_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *ccb_profile_name(ccb_profile p)
{
    return (unsigned)p < CCB_PROFILE_COUNT ? profile_names[p] : "?";
}

const char *ccb_direction_name(ccb_direction d)
{
    return d == CCB_HIGHER_IS_BETTER ? "higher_is_better" : "lower_is_better";
}
