/*
 * The measuring loop (see measure.h). One child at a time, never in parallel: two measured
 * processes would compete for the same cores and each would measure the other.
 */
#include "measure.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "error.h"
#include "interrupt.h"
#ifdef CCBENCH_HAVE_MOCKAPI
#include "mockapi.h"
#endif
#include "paths.h"
#include "counts.h"
#include "sample.h"

void ccb_measure_plan_item_release(ccb_plan_item *item)
{
    free(item->executable);
    free(item->counts_executable);
    item->counts_executable = NULL;
    cJSON_Delete(item->params);
    cJSON_Delete(item->runner_params);
    item->executable = NULL;
    item->params = NULL;
    item->runner_params = NULL;
}

static int add_param(cJSON *obj, const char *key, double value)
{
    return cJSON_AddNumberToObject(obj, key, value) ? 0 : ccb_error_set("out of memory");
}

int ccb_measure_plan_item_init(ccb_plan_item *item, const ccb_scenario_def *def,
                               ccb_profile profile, const ccb_plan_overrides *ov)
{
    const ccb_profile_params *pp = &def->profiles[profile];
    unsigned int threads = pp->threads, duration_ms = pp->duration_ms;
    if (threads && ov->threads)
        threads = (unsigned int)ov->threads;
    if (duration_ms && ov->duration_s > 0)
        duration_ms = (unsigned int)(ov->duration_s * 1000 + 0.5);
    item->def = def;
    item->samples = ov->samples ? (unsigned int)ov->samples : pp->processes;
    /* The catalog's limit is for the profile's duration; a longer --duration extends it. */
    item->timeout_ms =
        def->timeout_ms + (duration_ms > pp->duration_ms ? duration_ms - pp->duration_ms : 0);
    item->hint_ms = duration_ms;

    item->params = cJSON_CreateObject();
    item->runner_params = cJSON_CreateObject();
    if (!item->params || !item->runner_params)
        return ccb_error_set("out of memory");
    if (add_param(item->params, "processes", item->samples) != 0)
        return -1;
    const struct {
        const char *key;
        unsigned int value;
    } passed[] = {{"iterations", pp->iterations},
                  {"warmup", pp->warmup},
                  {"threads", threads},
                  {"duration_ms", duration_ms}};
    for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
        if (passed[i].value == 0)
            continue;
        if (add_param(item->params, passed[i].key, passed[i].value) != 0 ||
            add_param(item->runner_params, passed[i].key, passed[i].value) != 0)
            return -1;
    }
    if (def->needs_mock_api &&
        (add_param(item->params, "api_latency_ms", (double)ov->api_latency_ms) != 0 ||
         add_param(item->runner_params, "api_latency_ms", (double)ov->api_latency_ms) != 0))
        return -1;
    if (ov->cpu >= 0 && add_param(item->params, "cpu", (double)ov->cpu) != 0)
        return -1;
    return 0;
}

/* The samples of one scenario (ccb_measure_item_fn of ccb_measure_run; payload: the result). */
typedef struct run_payload {
    ccb_result *into;
    ccb_counts *counts;
} run_payload;

static int measure_samples(void *payload, size_t index, ccb_plan_item *item,
                           const ccb_runner_ctx *ctx, ccb_progress *progress, int *interrupted)
{
    run_payload *rp = payload;
    ccb_result *into = rp->into;
    (void)index;
    ccb_scenario_result *s = ccb_result_add_scenario(into, item->def->name);
    if (!s)
        return -1;
    cJSON_Delete(s->params);
    s->params = item->params;
    item->params = NULL;
    /* Count metrics are added by the count processes, when they can be counted. */
    for (size_t m = 0; m < ccb_counts_timed_metrics(item->def); m++) {
        if (!ccb_result_scenario_add_metric(s, &item->def->metrics[m]))
            return -1;
    }
    for (unsigned int i = 0; i < item->samples; i++) {
        ccb_sample_status status = CCB_SAMPLE_OK;
        if (ccb_sample_run(ctx, item->def, item->executable, item->runner_params, item->timeout_ms,
                           i, s, &status) != 0)
            return -1;
        if (status == CCB_SAMPLE_INTERRUPTED || ccb_interrupt_requested()) {
            *interrupted = 1;
            return 0;
        }
        ccb_progress_sample(progress, status == CCB_SAMPLE_OK);
    }
    if (rp->counts && item->counts_executable && rp->counts->enabled) {
        /* `s` may have moved: the result's scenarios array only grows between items. */
        s = &into->scenarios[into->nscenarios - 1];
        unsigned int native, instr;
        ccb_counts_plan(rp->counts, item, &native, &instr);
        ccb_progress_note(progress, "%s: counting: %u native and %u callgrind processes",
                          item->def->name, native, instr);
        return ccb_counts_measure(rp->counts, ctx, item, item->counts_executable, "run", s,
                                  interrupted);
    }
    return 0;
}

/* What a scenario needs running while it is measured. */
typedef struct services {
#ifdef CCBENCH_HAVE_MOCKAPI
    ccb_mockapi *api;
#else
    int none;
#endif
} services;

int ccb_measure_mock_api_available(void)
{
#ifdef CCBENCH_HAVE_MOCKAPI
    return 1;
#else
    return 0;
#endif
}

/* What a scenario needs running while it is measured: the mock API for api_latency, on an
 * ephemeral port whose URL becomes the runner's api_endpoint. Started after the signals are
 * blocked, so its threads inherit the mask and ^C always reaches the waiting main thread. */
static int services_start(ccb_plan_item *item, services *sv)
{
    if (!item->def->needs_mock_api)
        return 0;
#ifdef CCBENCH_HAVE_MOCKAPI
    const cJSON *latency = cJSON_GetObjectItemCaseSensitive(item->runner_params, "api_latency_ms");
    ccb_mockapi_config cfg = {
        .port = 0,
        .latency_ms = cJSON_IsNumber(latency) ? (unsigned int)latency->valuedouble : 0,
        .api_key = NULL,
        .geo_country = NULL,
    };
    if (ccb_mockapi_start(&cfg, &sv->api) != 0)
        return -1;
    cJSON *url = cJSON_CreateString(ccb_mockapi_url(sv->api));
    cJSON_DeleteItemFromObjectCaseSensitive(item->runner_params, "api_endpoint");
    if (!url || !cJSON_AddItemToObject(item->runner_params, "api_endpoint", url)) {
        cJSON_Delete(url);
        return ccb_error_set("out of memory");
    }
    return 0;
#else
    (void)sv;
    return ccb_error_set("scenario %s needs the mock API server, which this build of ccbench "
                         "does not include",
                         item->def->name);
#endif
}

#ifdef CCBENCH_HAVE_MOCKAPI
static void mock_reset(void *payload)
{
    ccb_mockapi_reset_stats(payload);
}

static int mark(const cJSON *marks, const char *name, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(marks, name);
    if (!cJSON_IsNumber(v))
        return -1;
    *out = v->valuedouble;
    return 0;
}

/* What the server saw of one api_latency process, checked then turned into metrics. */
static int mock_collect(void *payload, const ccb_scenario_def *def, const cJSON *marks,
                        double *values, char *why, size_t cap)
{
    ccb_mockapi *api = payload;
    ccb_mockapi_stats st;
    double start_ns, due_ns, expected;

    ccb_mockapi_get_stats(api, &st);
    if (mark(marks, "start_begin_ns", &start_ns) || mark(marks, "first_upload_due_ns", &due_ns) ||
        mark(marks, "uploads_expected", &expected)) {
        snprintf(why, cap,
                 "the runner reported no marks (start_begin_ns, first_upload_due_ns, "
                 "uploads_expected)");
        return 0;
    }
    /* A faster but wrong tracker is not an improvement: the server's view is an answer too. */
    if (st.answers_4xx > 0) {
        snprintf(why, cap, "the mock API rejected %lu request(s): %s", st.answers_4xx,
                 st.last_error);
        return 0;
    }
    if (st.emissions_accepted != (unsigned long)expected || st.emissions_duplicated > 0) {
        snprintf(why, cap, "the mock API accepted %lu emission(s) (%lu duplicated), expected %.0f",
                 st.emissions_accepted, st.emissions_duplicated, expected);
        return 0;
    }
    for (size_t i = 0; i < def->metric_count; i++) {
        const char *name = def->metrics[i].name;
        if (def->metrics[i].origin != CCB_FROM_MOCK)
            continue;
        if (strcmp(name, "first_upload_ms") == 0)
            values[i] = st.first_emission_ns > (uint64_t)start_ns
                            ? ((double)st.first_emission_ns - start_ns) / 1e6
                            : 0;
        else if (strcmp(name, "requests_before_first_upload") == 0)
            values[i] = (double)ccb_mockapi_requests_before(api, (uint64_t)due_ns);
        else if (strcmp(name, "connections_opened") == 0)
            values[i] = (double)st.connections;
        else if (strcmp(name, "requests_total") == 0)
            values[i] = (double)st.requests_total;
        else if (strcmp(name, "runs_created") == 0)
            values[i] = (double)st.runs_created;
        else
            return ccb_error_set("internal: the mock API does not measure %s", name);
    }
    return 1;
}
#endif

static void services_stop(services *sv)
{
#ifdef CCBENCH_HAVE_MOCKAPI
    ccb_mockapi_stop(sv->api);
    sv->api = NULL;
#else
    (void)sv;
#endif
}

/* One scenario with its services running. Returns 0 (with *interrupted) or -1. */
static int measure_item(ccb_measure_item_fn fn, void *payload, size_t index, ccb_plan_item *item,
                        const ccb_runner_ctx *ctx, ccb_progress *progress, int *interrupted)
{
    services sv;
    memset(&sv, 0, sizeof(sv));
    int rc = services_start(item, &sv);
    ccb_runner_ctx item_ctx = *ctx;
#ifdef CCBENCH_HAVE_MOCKAPI
    ccb_mock_reader reader = {mock_reset, mock_collect, sv.api};
    if (sv.api)
        item_ctx.mock = &reader;
#endif
    if (rc == 0)
        rc = fn(payload, index, item, &item_ctx, progress, interrupted);
    services_stop(&sv);
    return rc;
}

int ccb_measure_run(ccb_plan_item *items, size_t count, int cpu, ccb_progress_mode mode,
                    ccb_counts *counts, ccb_result *into, ccb_measure_outcome *outcome)
{
    run_payload rp = {into, counts};
    return ccb_measure_each(items, count, cpu, mode, measure_samples, &rp, outcome);
}

int ccb_measure_each(ccb_plan_item *items, size_t count, int cpu, ccb_progress_mode mode,
                     ccb_measure_item_fn fn, void *payload, ccb_measure_outcome *outcome)
{
    int rc = -1, interrupted = 0, installed = 0, progress_ready = 0, env_set = 0;
    char *tmpdir = NULL, *helper = NULL, *old_tmp = NULL;
    ccb_progress progress;
    ccb_child_server server = {.pid = 0, .ctl = -1};

    *outcome = CCB_MEASURE_DONE;
    if (ccb_child_find_helper(&helper) != 0 || ccb_paths_tempdir_create(&tmpdir) != 0)
        goto done;
    /* The children's TMPDIR is the run's own temp dir, which is removed at the end however
     * the run ends: a child killed at ^C, a time limit or a crash cannot leave its
     * ccbench-scenario-* directory in the user's TMPDIR. Set before any thread exists. */
    const char *tmp_env = getenv("TMPDIR");
    if (tmp_env && !(old_tmp = strdup(tmp_env))) {
        ccb_error_set("out of memory");
        goto done;
    }
    if (setenv("TMPDIR", tmpdir, 1) != 0) {
        ccb_error_set("cannot set TMPDIR for the children: %s", strerror(errno));
        goto done;
    }
    env_set = 1;
    if (ccb_interrupt_install() != 0)
        goto done;
    installed = 1;
    if (ccb_progress_init(&progress, mode, stderr, count) != 0)
        goto done;
    progress_ready = 1;
    for (size_t i = 0; i < count; i++) {
        ccb_progress_plan(&progress, i, items[i].def->name, items[i].samples, items[i].hint_ms);
        ccb_progress_plan_budget(&progress, i, items[i].budget_ms);
    }

    /* One spawn helper for the session, started once TMPDIR is set and the signals blocked
     * (the children inherit both from it): each sample then starts one process, not two. */
    char *server_log = NULL;
    if (asprintf(&server_log, "%s/ccbench-spawn.log", tmpdir) < 0) {
        ccb_error_set("out of memory");
        goto done;
    }
    int started = ccb_child_server_start(helper, server_log, &server);
    free(server_log);
    if (started != 0)
        goto done;
    ccb_runner_ctx ctx = {.helper = helper, .tmpdir = tmpdir, .cpu = cpu, .server = &server};
    for (size_t i = 0; i < count && !interrupted; i++) {
        ccb_progress_begin(&progress, i);
        if (measure_item(fn, payload, i, &items[i], &ctx, &progress, &interrupted) != 0)
            goto done;
        if (!interrupted)
            ccb_progress_end(&progress);
    }
    /* A ^C that arrived after the last child exited still means "stop, write nothing". */
    if (interrupted || ccb_interrupt_requested())
        *outcome = CCB_MEASURE_INTERRUPTED;
    rc = 0;
done:
    ccb_child_server_stop(&server);
    if (progress_ready)
        ccb_progress_release(&progress);
    if (installed)
        ccb_interrupt_uninstall();
    if (env_set && old_tmp)
        setenv("TMPDIR", old_tmp, 1);
    else if (env_set)
        unsetenv("TMPDIR");
    ccb_paths_tempdir_remove(tmpdir);
    free(tmpdir);
    free(old_tmp);
    free(helper);
    return rc;
}
