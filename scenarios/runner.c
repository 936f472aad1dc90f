/*
 * ccbench-scenario: runs one scenario once in this fresh process and writes exactly one JSON
 * object to the result fd (protocol.h). The driver spawns it per process sample; it links the
 * full static tracker and nothing the tracker does not need, so what it measures is the
 * tracker's cost, not ours. Metric names, units and directions come only from catalog.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol.h"
#include "scenario.h"
#ifdef CCBENCH_COUNT_RUNNER
#include "count_mode.h"
#endif

#define EXIT_USAGE 2
#ifdef CCBENCH_COUNT_RUNNER
#define RUNNER_NAME "ccbench-counts"
#define COUNTS_USAGE " --counts native|instructions"
#else
#define RUNNER_NAME "ccbench-scenario"
#define COUNTS_USAGE ""
#endif
#define MAX_RAW_PARAMS 32
/* The scenario's default is the catalog's "default" profile value (one source of truth). */
#define FROM_CATALOG ULONG_MAX

typedef struct param_def {
    const char *key;
    size_t offset; /* of the field in ccb_params */
    int is_string;
    unsigned long def, min, max;
} param_def;

/* clang-format off */
#define NUM(key, def, min, max) {#key, offsetof(ccb_params, key), 0, def, min, max}
#define STR(key) {#key, offsetof(ccb_params, key), 1, 0, 0, 0}
/* clang-format on */
#define PARAMS(a) a, sizeof(a) / sizeof((a)[0])
#define NO_PARAMS NULL, 0

/* cold_init: one fresh process, one lifecycle; the sampler's period is configured but never
 * waited for. */
static const param_def cold_init_params[] = {
    NUM(measure_interval_ms, 1, 1, 3600000),
    NUM(save_to_file, 0, 0, 1),
    STR(output_dir),
};
/* first_sample waits for the first measurement at most FIRST_SAMPLE_TIMEOUT_S (5 s, inside
 * the driver's 10 s limit): a longer period could only fail. */
static const param_def first_sample_params[] = {
    NUM(measure_interval_ms, 1, 1, 4000),
    NUM(save_to_file, 0, 0, 1),
    STR(output_dir),
};
/* iterations is bounded because every lifecycle's answer is kept for the check after the
 * timed loop (~600 bytes each): 100000 lifecycles = 60 MB. */
static const param_def warm_lifecycle_params[] = {
    NUM(iterations, FROM_CATALOG, 1, 100000),
    NUM(warmup, FROM_CATALOG, 0, 100000000),
    NUM(save_to_file, 0, 0, 1),
    STR(output_dir),
};
/* The same loop with CodeCarbon's CSV written at every stop: one row per lifecycle. */
static const param_def warm_lifecycle_csv_params[] = {
    NUM(iterations, FROM_CATALOG, 1, 100000),
    NUM(warmup, FROM_CATALOG, 0, 100000000),
    NUM(save_to_file, 1, 0, 1),
    STR(output_dir),
};
/* A worker holds a 42 KiB histogram; 1024 threads is far beyond any useful contention test. */
static const param_def throughput_params[] = {
    NUM(threads, FROM_CATALOG, 1, 1024),
    NUM(duration_ms, FROM_CATALOG, 1, 86400000),
};

static const param_def api_latency_params[] = {
    STR(api_endpoint),
    NUM(api_latency_ms, 0, 0, 600000),
    NUM(uploads, 3, 0, 1000),
    STR(output_dir),
};

/* git-style dispatch table; a new scenario is one line (and its file). */
static const struct scenario_entry {
    const char *name;
    ccb_scenario_fn fn;
    const param_def *params;
    size_t param_count;
} scenario_table[] = {
    {"cold_init", ccb_scenario_cold_init, PARAMS(cold_init_params)},
    {"first_sample", ccb_scenario_first_sample, PARAMS(first_sample_params)},
    {"warm_lifecycle", ccb_scenario_warm_lifecycle, PARAMS(warm_lifecycle_params)},
    {"warm_lifecycle_csv", ccb_scenario_warm_lifecycle, PARAMS(warm_lifecycle_csv_params)},
    {"throughput", ccb_scenario_throughput, PARAMS(throughput_params)},
    {"api_latency", ccb_scenario_api_latency, PARAMS(api_latency_params)},
#ifdef CCBENCH_SELFTEST_SCENARIOS
    {"selftest_crash", ccb_scenario_selftest_crash, NO_PARAMS},
    {"selftest_hang", ccb_scenario_selftest_hang, NO_PARAMS},
    {"selftest_garbage", ccb_scenario_selftest_garbage, NO_PARAMS},
    {"selftest_wrong", ccb_scenario_selftest_wrong, NO_PARAMS},
#endif
};
#define SCENARIO_COUNT (sizeof scenario_table / sizeof scenario_table[0])

static void usage(FILE *to)
{
    fprintf(to,
            "usage: %s NAME [--param KEY=VALUE]...%s --result-fd N\n"
            "Runs one scenario once and writes one JSON object (%s) to fd N.\n"
            "Normally spawned by `ccbench run`, not by hand.\n\nscenarios:\n",
            RUNNER_NAME, COUNTS_USAGE, CCB_SAMPLE_SCHEMA);
    for (size_t i = 0; i < SCENARIO_COUNT; i++) {
        const struct scenario_entry *e = &scenario_table[i];

        fprintf(to, "  %-18s", e->name);
        for (size_t j = 0; j < e->param_count; j++)
            fprintf(to, " %s=%s", e->params[j].key, e->params[j].is_string ? "PATH" : "N");
        fputc('\n', to);
    }
}

int ccb_sample_mark(ccb_sample *s, const char *name, uint64_t value)
{
    if (!s->marks)
        s->marks = cJSON_CreateObject();
    /* Instants fit a double exactly up to 2^53 ns (104 days of uptime); beyond that the
     * rounding is a few ns, far below what the marks are used for. */
    if (!s->marks || !cJSON_AddNumberToObject(s->marks, name, (double)value)) {
        fprintf(stderr, "ccbench-scenario: out of memory for mark %s\n", name);
        return -1;
    }
    return 0;
}

int ccb_sample_add_one(ccb_sample *s, const char *metric, double value)
{
    return ccb_sample_add(s, metric, &value, 1);
}

int ccb_sample_add(ccb_sample *s, const char *metric, const double *values, size_t n)
{
    const ccb_metric_def *m = ccb_catalog_metric(s->def, metric);
    cJSON *arr;

    if (!m || (m->origin != CCB_FROM_RUNNER && m->origin != CCB_FROM_COUNTS)) {
        fprintf(stderr, "ccbench-scenario: bug: %s is not a runner metric of %s\n", metric,
                s->def->name);
        return -1;
    }
    arr = cJSON_GetObjectItemCaseSensitive(s->metrics, metric);
    if (!arr) {
        arr = cJSON_AddArrayToObject(s->metrics, metric);
        if (!arr)
            goto nomem;
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *num;

        /* JSON has no NaN/inf (cJSON would print null): a runner bug, never a sample. */
        if (!isfinite(values[i])) {
            fprintf(stderr, "ccbench-scenario: bug: %s sample %zu is %g\n", metric, i, values[i]);
            return -1;
        }
        num = cJSON_CreateNumber(values[i]);
        if (!num || !cJSON_AddItemToArray(arr, num)) {
            cJSON_Delete(num);
            goto nomem;
        }
    }
    return 0;
nomem:
    fprintf(stderr, "ccbench-scenario: out of memory for %s samples\n", metric);
    return -1;
}

int ccb_sample_add_call_times(ccb_sample *s, const uint64_t t_new[2], const uint64_t t_start[2],
                              const uint64_t t_stop[2])
{
    const char *const names[] = {"init_us", "start_us", "stop_us"};
    const uint64_t *const spans[] = {t_new, t_start, t_stop};

    for (int i = 0; i < 3; i++) {
        double us = (double)(spans[i][1] - spans[i][0]) / 1e3;
        if (ccb_sample_add(s, names[i], &us, 1))
            return -1;
    }
    return 0;
}

static const struct scenario_entry *find_entry(const char *name)
{
    for (size_t i = 0; i < SCENARIO_COUNT; i++) {
        if (strcmp(scenario_table[i].name, name) == 0)
            return &scenario_table[i];
    }
    return NULL;
}

static unsigned long catalog_default(const ccb_scenario_def *def, const char *key)
{
    const ccb_profile_params *pp = &def->profiles[CCB_PROFILE_DEFAULT];

    if (strcmp(key, "iterations") == 0)
        return pp->iterations;
    if (strcmp(key, "warmup") == 0)
        return pp->warmup;
    if (strcmp(key, "threads") == 0)
        return pp->threads;
    if (strcmp(key, "duration_ms") == 0)
        return pp->duration_ms;
    return 0;
}

/* A decimal number, digits only (strtoul would take "-1" and " 7"). */
static int parse_ulong(const char *text, unsigned long *out)
{
    char *end = NULL;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    *out = strtoul(text, &end, 10);
    return errno || *end ? -1 : 0;
}

/*
 * Resolve the raw KEY=VALUE parameters against the scenario's declarations into `p`, and
 * echo every declared parameter's effective value into `echo`. Returns 0, or -1 after a
 * message on stderr (bad usage).
 */
static int resolve_params(const struct scenario_entry *e, const ccb_scenario_def *def, char **raw,
                          size_t nraw, ccb_params *p, cJSON *echo)
{
    int given[MAX_RAW_PARAMS] = {0};

    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < nraw; i++) {
        char *eq = strchr(raw[i], '=');
        const param_def *pd = NULL;
        size_t keylen = eq ? (size_t)(eq - raw[i]) : 0;

        if (!eq || keylen == 0) {
            fprintf(stderr, "ccbench-scenario: --param wants KEY=VALUE, got \"%s\"\n", raw[i]);
            return -1;
        }
        for (size_t j = 0; j < e->param_count; j++) {
            if (strlen(e->params[j].key) == keylen &&
                strncmp(e->params[j].key, raw[i], keylen) == 0)
                pd = &e->params[j];
        }
        if (!pd) {
            fprintf(stderr, "ccbench-scenario: scenario %s has no parameter \"%.*s\"", e->name,
                    (int)keylen, raw[i]);
            for (size_t j = 0; j < e->param_count; j++)
                fprintf(stderr, "%s%s", j ? ", " : " (it takes: ", e->params[j].key);
            fprintf(stderr, "%s\n", e->param_count ? ")" : " (it takes none)");
            return -1;
        }
        if (given[pd - e->params]++) {
            fprintf(stderr, "ccbench-scenario: parameter %s given twice\n", pd->key);
            return -1;
        }
    }
    for (size_t j = 0; j < e->param_count; j++) {
        const param_def *pd = &e->params[j];
        const char *value = NULL;
        char *field = (char *)p + pd->offset;

        for (size_t i = 0; i < nraw; i++) {
            size_t keylen = strlen(pd->key);
            if (strncmp(raw[i], pd->key, keylen) == 0 && raw[i][keylen] == '=')
                value = raw[i] + keylen + 1;
        }
        if (pd->is_string) {
            if (value && !*value) {
                fprintf(stderr, "ccbench-scenario: parameter %s is empty\n", pd->key);
                return -1;
            }
            memcpy(field, &value, sizeof value);
            if (value && !cJSON_AddStringToObject(echo, pd->key, value))
                return -1;
        } else {
            unsigned long v = pd->def == FROM_CATALOG ? catalog_default(def, pd->key) : pd->def;

            if (value && parse_ulong(value, &v)) {
                fprintf(stderr, "ccbench-scenario: parameter %s=%s is not a number\n", pd->key,
                        value);
                return -1;
            }
            if (v < pd->min || v > pd->max) {
                fprintf(stderr, "ccbench-scenario: parameter %s=%lu is outside [%lu, %lu]\n",
                        pd->key, v, pd->min, pd->max);
                return -1;
            }
            memcpy(field, &v, sizeof v);
            if (!cJSON_AddNumberToObject(echo, pd->key, (double)v))
                return -1;
        }
    }
    return 0;
}

/* The whole buffer, whatever the pipe takes per write. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The sample's JSON text (caller frees), or NULL (out of memory, or a runner bug: stderr). */
static char *render(const ccb_sample *s, cJSON *params, int counting)
{
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;
    int ok = !s->failure.failed;

    if (!root || !cJSON_AddStringToObject(root, "schema", CCB_SAMPLE_SCHEMA) ||
        !cJSON_AddStringToObject(root, "scenario", s->def->name) ||
        !cJSON_AddBoolToObject(root, "ok", ok))
        goto done;
    if (ok) {
        /* Every runner metric of the catalog, or the runner is broken: no half sample. */
        for (size_t i = 0; i < s->def->metric_count; i++) {
            const ccb_metric_def *m = &s->def->metrics[i];
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(s->metrics, m->name);

            if (!counting && m->origin == CCB_FROM_RUNNER && cJSON_GetArraySize(arr) < 1) {
                fprintf(stderr, "ccbench-scenario: bug: %s produced no %s sample\n", s->def->name,
                        m->name);
                goto done;
            }
        }
        cJSON_AddItemReferenceToObject(root, "metrics", s->metrics);
        cJSON_AddItemReferenceToObject(root, "params", params);
        if (s->marks)
            cJSON_AddItemReferenceToObject(root, "marks", s->marks);
#ifdef CCBENCH_COUNT_RUNNER
        if (ccb_count_mode_unavailable())
            cJSON_AddItemReferenceToObject(root, "unavailable", ccb_count_mode_unavailable());
#endif
    } else if (!cJSON_AddStringToObject(root, "reason", s->failure.reason) ||
               !cJSON_AddStringToObject(root, "detail", s->failure.detail)) {
        goto done;
    }
    text = cJSON_PrintUnformatted(root);
done:
    cJSON_Delete(root); /* references: metrics and params stay owned by the caller */
    return text;
}

int main(int argc, char **argv)
{
    const char *name = NULL;
    char *raw[MAX_RAW_PARAMS];
    size_t nraw = 0;
    long result_fd = -1;
    const struct scenario_entry *entry;
    ccb_params params;
    ccb_sample sample;
    cJSON *echo = NULL;
    char *text = NULL;
    const char *counts_mode = NULL;
    int ret = EXIT_USAGE;

    memset(&sample, 0, sizeof sample);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            ret = 0;
            goto done;
#ifdef CCBENCH_COUNT_RUNNER
        } else if (strcmp(a, "--known-work") == 0) {
            ret = ccb_count_mode_known_work(stdout);
            goto done;
        } else if (strcmp(a, "--counts") == 0 && i + 1 < argc) {
            counts_mode = argv[++i];
            continue;
#endif
        } else if (strcmp(a, "--param") == 0 || strcmp(a, "--result-fd") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ccbench-scenario: %s wants a value\n", a);
                goto done;
            }
            val = argv[++i];
        } else if (strncmp(a, "--param=", 8) == 0 || strncmp(a, "--result-fd=", 12) == 0) {
            val = strchr(a, '=') + 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "ccbench-scenario: unknown option %s\n", a);
            usage(stderr);
            goto done;
        } else if (name) {
            fprintf(stderr, "ccbench-scenario: one scenario per process (%s, then %s)\n", name, a);
            goto done;
        } else {
            name = a;
            continue;
        }
        if (strncmp(a, "--param", 7) == 0) {
            if (nraw == MAX_RAW_PARAMS) {
                fprintf(stderr, "ccbench-scenario: more than %d parameters\n", MAX_RAW_PARAMS);
                goto done;
            }
            raw[nraw++] = (char *)val;
        } else {
            char *end = NULL;

            errno = 0;
            result_fd = strtol(val, &end, 10);
            if (errno || *end || end == val || result_fd < 0 || result_fd > INT_MAX) {
                fprintf(stderr, "ccbench-scenario: --result-fd %s is not a descriptor\n", val);
                goto done;
            }
        }
    }
    if (!name) {
        usage(stderr);
        goto done;
    }
#ifdef CCBENCH_COUNT_RUNNER
    if (!counts_mode) {
        fprintf(stderr, "ccbench-counts: --counts native|instructions is required\n");
        goto done;
    }
#endif
    entry = find_entry(name);
    sample.def = ccb_catalog_find(name);
    if (!entry) {
        if (sample.def && sample.def->selftest)
            fprintf(stderr,
                    "ccbench-scenario: %s exists only in a build configured with "
                    "-DCCBENCH_SELFTEST_SCENARIOS=ON\n",
                    name);
        else if (sample.def)
            fprintf(stderr,
                    "ccbench-scenario: the catalog lists %s but this runner has no entry for "
                    "it (scenario_table in scenarios/runner.c)\n",
                    name);
        else
            fprintf(stderr, "ccbench-scenario: unknown scenario %s (see --help)\n", name);
        goto done;
    }
    if (!sample.def) {
        fprintf(stderr, "ccbench-scenario: bug: %s is not in the catalog\n", name);
        ret = 1;
        goto done;
    }
    if (result_fd < 0 || fcntl((int)result_fd, F_GETFD) < 0) {
        fprintf(stderr, "ccbench-scenario: --result-fd N (an open descriptor) is required\n");
        goto done;
    }
    echo = cJSON_CreateObject();
    sample.metrics = cJSON_CreateObject();
    if (!echo || !sample.metrics) {
        ret = 1;
        goto done;
    }
    if (resolve_params(entry, sample.def, raw, nraw, &params, echo))
        goto done;

    /* A driver that went away must not kill us with SIGPIPE mid-write: write fails instead. */
    signal(SIGPIPE, SIG_IGN);
    sample.result_fd = (int)result_fd;
    ret = 1;
#ifdef CCBENCH_COUNT_RUNNER
    if (ccb_count_mode_setup(counts_mode, &sample))
        goto done;
#endif
    if (entry->fn(&params, &sample))
        goto done;
#ifdef CCBENCH_COUNT_RUNNER
    if (ccb_count_mode_failed())
        goto done;
    /* A count process reports counts only: its timings are perturbed by the counting. */
    for (size_t i = 0; i < sample.def->metric_count; i++) {
        if (sample.def->metrics[i].origin != CCB_FROM_COUNTS)
            cJSON_DeleteItemFromObjectCaseSensitive(sample.metrics, sample.def->metrics[i].name);
    }
#endif
    if (sample.raw_written) {
        ret = 0;
        goto done;
    }
    text = render(&sample, echo, counts_mode != NULL);
    if (!text)
        goto done;
    if (write_all(sample.result_fd, text, strlen(text)) || close(sample.result_fd)) {
        fprintf(stderr, "ccbench-scenario: cannot write the result to fd %d: %s\n",
                sample.result_fd, strerror(errno));
        goto done;
    }
    ret = 0;
done:
#ifdef CCBENCH_COUNT_RUNNER
    ccb_count_mode_finish();
#endif
    free(text);
    cJSON_Delete(echo);
    cJSON_Delete(sample.metrics);
    cJSON_Delete(sample.marks);
    return ret;
}
