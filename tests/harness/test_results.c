/*
 * Result files (harness/model/result.c): a write -> read round trip keeps every value bit for bit,
 * the writer is atomic and names the path when it cannot write, and the strict reader turns
 * each kind of malformed file into -1 and a message naming the file and the field.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "error.h"
#include "protocol.h"
#include "result.h"

typedef struct fixture {
    char dir[256];
    char path[300];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    const char *base = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/test_results-XXXXXX", base && base[0] ? base : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/result.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A result with every kind of field filled, including doubles that do not print short. */
static ccb_result *sample_result(int with_git)
{
    ccb_result *r = ccb_result_new();
    assert_non_null(r);
    r->ccbench_version = strdup("0.1.0");
    r->created_at = strdup("2026-11-21T10:00:00Z");
    r->label = strdup("main");
    r->profile = strdup("quick");
    if (with_git) {
        r->git.present = 1;
        r->git.revision = strdup("main");
        r->git.commit = strdup("0123456789abcdef0123456789abcdef01234567");
        r->git.tracker_tree = strdup("89abcdef0123456789abcdef0123456789abcdef");
        r->git.dirty = 1;
    }
    r->machine.hostname = strdup("host");
    r->machine.os = strdup("Linux");
    r->machine.kernel = strdup("6.1.0");
    r->machine.cpu_model = strdup("Some \"quoted\" CPU \\ model");
    r->machine.compiler = strdup("gcc 12.2.0");
    r->machine.build_type = strdup("Release");
    r->machine.cpus = 2;
    r->machine.mem_total_kb = 24684096;

    const ccb_scenario_def *cold = ccb_catalog_find("cold_init");
    const ccb_scenario_def *floor_def = ccb_catalog_find("spawn_floor");
    assert_non_null(cold);
    assert_non_null(floor_def);

    ccb_scenario_result *s = ccb_result_add_scenario(r, "cold_init");
    assert_non_null(s);
    cJSON_AddNumberToObject(s->params, "processes", 10);
    cJSON_AddStringToObject(s->params, "output_dir", "/tmp/x");
    for (size_t i = 0; i < cold->metric_count; i++)
        assert_non_null(ccb_result_scenario_add_metric(s, &cold->metrics[i]));
    const double tricky[] = {0.1, 1.0 / 3.0, 1e-300, 123456789.123456789, 2.5e15, 0, 42};
    for (size_t i = 0; i < s->nmetrics; i++) {
        for (size_t j = 0; j < sizeof(tricky) / sizeof(tricky[0]); j++)
            assert_int_equal(
                ccb_result_metric_add_sample(&s->metrics[i], tricky[j] * (double)(i + 1)), 0);
    }
    s->samples_ok = 7;
    s->samples_failed = 1;
    assert_int_equal(ccb_result_scenario_add_failure(s, CCB_REASON_CRASH,
                                                     "killed by signal 11\nlog line \"two\""),
                     0);
    ccb_process_meta meta = {.ok = 1,
                             .wall_ms = 1.25,
                             .cpu_ms = 0.75,
                             .maxrss_kb = 1024,
                             .steal_ms = 0.1,
                             .nvcsw = 3,
                             .nivcsw = 4};
    assert_int_equal(ccb_result_scenario_add_process(s, &meta), 0);
    meta.ok = 0;
    assert_int_equal(ccb_result_scenario_add_process(s, &meta), 0);

    /* A scenario whose samples all failed: metrics present, no samples. */
    s = ccb_result_add_scenario(r, "spawn_floor");
    assert_non_null(s);
    for (size_t i = 0; i < floor_def->metric_count; i++)
        assert_non_null(ccb_result_scenario_add_metric(s, &floor_def->metrics[i]));
    s->samples_failed = 1;
    assert_int_equal(ccb_result_scenario_add_failure(s, CCB_REASON_TIMEOUT, ""), 0);

    assert_int_equal(ccb_result_compute_stats(r), 0);
    return r;
}

static void assert_str_equal_or_null(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_summary_equal(const ccb_summary *a, const ccb_summary *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->outliers, b->outliers);
    const double x[] = {a->min, a->max, a->mean, a->median,   a->stddev,
                        a->mad, a->p95, a->p99,  a->ci95_low, a->ci95_high};
    const double y[] = {b->min, b->max, b->mean, b->median,   b->stddev,
                        b->mad, b->p95, b->p99,  b->ci95_low, b->ci95_high};
    for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
        assert_memory_equal(&x[i], &y[i], sizeof(double)); /* bit for bit */
}

static void assert_results_equal(const ccb_result *a, const ccb_result *b)
{
    assert_string_equal(a->ccbench_version, b->ccbench_version);
    assert_string_equal(a->created_at, b->created_at);
    assert_string_equal(a->label, b->label);
    assert_string_equal(a->profile, b->profile);
    assert_int_equal(a->git.present, b->git.present);
    assert_str_equal_or_null(a->git.revision, b->git.revision);
    assert_str_equal_or_null(a->git.commit, b->git.commit);
    assert_str_equal_or_null(a->git.tracker_tree, b->git.tracker_tree);
    assert_int_equal(a->git.dirty, b->git.dirty);
    assert_string_equal(a->machine.hostname, b->machine.hostname);
    assert_string_equal(a->machine.cpu_model, b->machine.cpu_model);
    assert_string_equal(a->machine.build_type, b->machine.build_type);
    assert_int_equal(a->machine.cpus, b->machine.cpus);
    assert_int_equal(a->machine.mem_total_kb, b->machine.mem_total_kb);
    assert_int_equal(a->nscenarios, b->nscenarios);
    for (size_t i = 0; i < a->nscenarios; i++) {
        const ccb_scenario_result *x = &a->scenarios[i], *y = &b->scenarios[i];
        assert_string_equal(x->name, y->name);
        assert_true(cJSON_Compare(x->params, y->params, 1));
        assert_int_equal(x->samples_ok, y->samples_ok);
        assert_int_equal(x->samples_failed, y->samples_failed);
        assert_int_equal(x->nfailures, y->nfailures);
        for (size_t j = 0; j < x->nfailures; j++) {
            assert_string_equal(x->failures[j].reason, y->failures[j].reason);
            assert_string_equal(x->failures[j].detail, y->failures[j].detail);
        }
        assert_int_equal(x->nprocesses, y->nprocesses);
        for (size_t j = 0; j < x->nprocesses; j++) {
            const ccb_process_meta *p = &x->processes[j], *q = &y->processes[j];
            assert_int_equal(p->ok, q->ok);
            assert_true(p->wall_ms == q->wall_ms && p->cpu_ms == q->cpu_ms &&
                        p->maxrss_kb == q->maxrss_kb && p->steal_ms == q->steal_ms);
            assert_int_equal(p->nvcsw, q->nvcsw);
            assert_int_equal(p->nivcsw, q->nivcsw);
        }
        assert_int_equal(x->nmetrics, y->nmetrics);
        for (size_t j = 0; j < x->nmetrics; j++) {
            const ccb_metric_result *m = &x->metrics[j], *n = &y->metrics[j];
            assert_string_equal(m->name, n->name);
            assert_string_equal(m->unit, n->unit);
            assert_int_equal(m->direction, n->direction);
            assert_int_equal(m->kind, n->kind);
            assert_int_equal(m->n, n->n);
            if (m->n)
                assert_memory_equal(m->samples, n->samples, m->n * sizeof(double));
            assert_summary_equal(&m->stats, &n->stats);
        }
    }
}

static void test_results__round_trip_keeps_every_value(void **state)
{
    fixture *f = *state;
    for (int with_git = 0; with_git <= 1; with_git++) {
        ccb_result *r = sample_result(with_git);
        ccb_result *back = NULL;
        assert_int_equal(ccb_result_write_file(r, f->path), 0);
        if (ccb_result_read_file(f->path, &back) != 0)
            fail_msg("%s", ccb_error_message());
        assert_results_equal(r, back);
        ccb_result_free(back);
        ccb_result_free(r);
    }
}

static void test_results__outside_git_writes_nulls(void **state)
{
    fixture *f = *state;
    ccb_result *r = sample_result(0);
    assert_int_equal(ccb_result_write_file(r, f->path), 0);
    cJSON *json = ccb_result_to_json(r);
    const cJSON *git = cJSON_GetObjectItemCaseSensitive(json, "git");
    const char *keys[] = {"revision", "commit", "tracker_tree", "dirty"};
    for (size_t i = 0; i < 4; i++)
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(git, keys[i])));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(json, "schema")->valuestring,
                        CCB_RESULT_SCHEMA);
    cJSON_Delete(json);
    ccb_result_free(r);
}

static void test_results__atomic_write_leaves_no_temp_file(void **state)
{
    fixture *f = *state;
    ccb_result *r = sample_result(1);
    assert_int_equal(ccb_result_write_file(r, f->path), 0);
    assert_int_equal(ccb_result_write_file(r, f->path), 0); /* replaces in place */
    ccb_result_free(r);
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    size_t entries = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_string_equal(e->d_name, "result.json");
        entries++;
    }
    closedir(d);
    assert_int_equal(entries, 1);
}

static void test_results__unwritable_path_is_named(void **state)
{
    fixture *f = *state;
    ccb_result *r = sample_result(0);
    char path[400];
    /* Root ignores permission bits, so use paths no one can write: a missing directory and
     * a "directory" that is a regular file. */
    snprintf(path, sizeof(path), "%s/no-such-dir/r.json", f->dir);
    assert_int_equal(ccb_result_write_file(r, path), -1);
    assert_non_null(strstr(ccb_error_message(), path));
    assert_non_null(strstr(ccb_error_message(), "No such file or directory"));

    assert_int_equal(ccb_result_write_file(r, f->path), 0);
    snprintf(path, sizeof(path), "%s/sub.json", f->path);
    assert_int_equal(ccb_result_write_file(r, path), -1);
    assert_non_null(strstr(ccb_error_message(), path));
    ccb_result_free(r);
}

/* ---------------------------------------------------------------------------------------- */
/* Malformed files */

static void write_text(const char *path, const char *text, size_t len)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Read PATH, expect failure with a message naming the file and containing WANT. */
static void expect_rejected(const char *path, const char *want)
{
    ccb_result *r = NULL;
    ccb_error_clear();
    int rc = ccb_result_read_file(path, &r);
    if (rc != -1)
        fail_msg("%s was accepted, expected an error mentioning \"%s\"", path, want);
    assert_null(r);
    const char *msg = ccb_error_message();
    if (!strstr(msg, path) || !strstr(msg, want))
        fail_msg("message \"%s\" should name %s and \"%s\"", msg, path, want);
}

/* The valid JSON of sample_result(), changed by EDIT, written to the fixture path. */
static void write_edited(fixture *f, void (*edit)(cJSON *root))
{
    ccb_result *r = sample_result(1);
    cJSON *json = ccb_result_to_json(r);
    ccb_result_free(r);
    assert_non_null(json);
    edit(json);
    char *text = cJSON_Print(json);
    cJSON_Delete(json);
    write_text(f->path, text, strlen(text));
    free(text);
}

static cJSON *scenario0(cJSON *root)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "scenarios"), 0);
}

static cJSON *metric(cJSON *root, int s, int m)
{
    cJSON *sc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "scenarios"), s);
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sc, "metrics"), m);
}

static void edit_schema(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(root, "schema", cJSON_CreateString("other/2"));
}

static void edit_missing_name(cJSON *root)
{
    cJSON_DeleteItemFromObjectCaseSensitive(scenario0(root), "name");
}

static void edit_mistyped_count(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(scenario0(root), "samples_ok", cJSON_CreateString("7"));
}

static void edit_string_sample(cJSON *root)
{
    cJSON *samples = cJSON_GetObjectItemCaseSensitive(metric(root, 1, 0), "samples");
    cJSON_AddItemToArray(samples, cJSON_CreateString("fast"));
}

static void edit_stats_n(cJSON *root)
{
    cJSON *stats = cJSON_GetObjectItemCaseSensitive(metric(root, 0, 2), "stats");
    cJSON_ReplaceItemInObjectCaseSensitive(stats, "n", cJSON_CreateNumber(3));
}

static void edit_direction(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(metric(root, 0, 1), "direction",
                                           cJSON_CreateString("sideways"));
}

static void edit_git_dirty(cJSON *root)
{
    cJSON *git = cJSON_GetObjectItemCaseSensitive(root, "git");
    cJSON_ReplaceItemInObjectCaseSensitive(git, "dirty", cJSON_CreateString("yes"));
}

static void edit_missing_machine(cJSON *root)
{
    cJSON_DeleteItemFromObjectCaseSensitive(root, "machine");
}

static void edit_failure_reason(cJSON *root)
{
    cJSON *failures = cJSON_GetObjectItemCaseSensitive(scenario0(root), "failures");
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(failures, 0), "reason",
                                           cJSON_CreateNumber(3));
}

static void edit_process_ok(cJSON *root)
{
    cJSON *processes = cJSON_GetObjectItemCaseSensitive(scenario0(root), "processes");
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetArrayItem(processes, 1), "ok");
}

static void edit_scenario_not_object(cJSON *root)
{
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(root, "scenarios"),
                         cJSON_CreateNumber(1));
}

static void test_results__malformed_fields_are_named(void **state)
{
    fixture *f = *state;
    const struct {
        void (*edit)(cJSON *);
        const char *want;
    } cases[] = {
        {edit_schema, "field schema"},
        {edit_missing_name, "field scenarios[0].name: missing"},
        {edit_mistyped_count, "field scenarios[0].samples_ok: expected a number, got a string"},
        {edit_string_sample, "field scenarios[1].metrics[0].samples: expected an array of numbers"},
        {edit_stats_n, "field scenarios[0].metrics[2].stats.n"},
        {edit_direction, "field scenarios[0].metrics[1].direction"},
        {edit_git_dirty, "field git.dirty"},
        {edit_missing_machine, "field machine: missing"},
        {edit_failure_reason, "field scenarios[0].failures[0].reason: expected a string"},
        {edit_process_ok, "field scenarios[0].processes[1].ok: missing"},
        {edit_scenario_not_object, "field scenarios[2]: expected an object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_edited(f, cases[i].edit);
        expect_rejected(f->path, cases[i].want);
    }
}

static void test_results__truncated_file_is_rejected(void **state)
{
    fixture *f = *state;
    ccb_result *r = sample_result(1);
    assert_int_equal(ccb_result_write_file(r, f->path), 0);
    ccb_result_free(r);
    FILE *fp = fopen(f->path, "r");
    assert_non_null(fp);
    char *text = calloc(1, 1 << 20);
    size_t len = fread(text, 1, (1 << 20) - 1, fp);
    fclose(fp);
    /* Cut anywhere: never accepted, never a crash. */
    for (size_t cut = 1; cut < len - 2; cut += len / 37 + 1) {
        write_text(f->path, text, cut);
        expect_rejected(f->path, "not valid JSON");
    }
    write_text(f->path, text, len / 2);
    expect_rejected(f->path, "truncated");
    free(text);
}

static void test_results__not_json_empty_and_missing(void **state)
{
    fixture *f = *state;
    write_text(f->path, "hello, world\n", 13);
    expect_rejected(f->path, "not valid JSON");
    write_text(f->path, "", 0);
    expect_rejected(f->path, "empty");
    write_text(f->path, "  \n", 3);
    expect_rejected(f->path, "empty");
    write_text(f->path, "[1, 2]", 6);
    expect_rejected(f->path, "expected a JSON object");
    write_text(f->path, "{\"schema\": \"ccbench-result/1\"} {}", 33);
    expect_rejected(f->path, "extra data");
    write_text(f->path, "{}", 2);
    expect_rejected(f->path, "field schema: missing");

    char missing[400];
    snprintf(missing, sizeof(missing), "%s/nope.json", f->dir);
    expect_rejected(missing, "cannot open");
    expect_rejected(f->dir, "not a regular file");
}

/* A file exactly as DESIGN.md shows it (no "kind", no "processes") is still read. */
static void test_results__design_example_is_accepted(void **state)
{
    fixture *f = *state;
    static const char text[] =
        "{\"schema\": \"ccbench-result/1\", \"ccbench_version\": \"0.1.0\","
        " \"created_at\": \"2026-11-21T10:00:00Z\", \"label\": \"main\","
        " \"git\": {\"revision\": \"main\", \"commit\": \"abc\", \"tracker_tree\": \"def\","
        " \"dirty\": false},"
        " \"machine\": {\"hostname\": \"\", \"os\": \"\", \"kernel\": \"\", \"cpu_model\": \"\","
        " \"cpus\": 2, \"mem_total_kb\": 0, \"compiler\": \"\", \"build_type\": \"Release\"},"
        " \"profile\": \"quick\","
        " \"scenarios\": [{\"name\": \"cold_init\", \"params\": {}, \"samples_ok\": 2,"
        " \"samples_failed\": 0, \"failures\": [{\"reason\": \"timeout\", \"detail\": \"\"}],"
        " \"metrics\": [{\"name\": \"curl_loaded\", \"unit\": \"bool\","
        " \"direction\": \"lower_is_better\", \"samples\": [0, 0],"
        " \"stats\": {\"n\": 2, \"min\": 0, \"max\": 0, \"mean\": 0, \"median\": 0,"
        " \"stddev\": 0, \"mad\": 0, \"p95\": 0, \"p99\": 0, \"ci95_low\": 0, \"ci95_high\": 0,"
        " \"outliers\": 0}}]}]}";
    write_text(f->path, text, sizeof(text) - 1);
    ccb_result *r = NULL;
    if (ccb_result_read_file(f->path, &r) != 0)
        fail_msg("%s", ccb_error_message());
    assert_int_equal(r->nscenarios, 1);
    assert_int_equal(r->scenarios[0].metrics[0].n, 2);
    /* No "kind" in the file: the catalog knows curl_loaded is a count. */
    assert_int_equal(r->scenarios[0].metrics[0].kind, CCB_KIND_COUNT);
    assert_int_equal(r->scenarios[0].nprocesses, 0);
    assert_true(r->git.present);
    ccb_result_free(r);
}

/* The process is the unit of replication: which samples came from which process is kept
 * in the file, and the summary is over the per-process medians. A file without the grouping
 * (older ones) still reads, each sample then its own process. */
static void test_results__process_grouping_round_trips(void **state)
{
    fixture *f = *state;
    ccb_result *r = ccb_result_new();
    assert_non_null(r);
    ccb_scenario_result *s = ccb_result_add_scenario(r, "warm_lifecycle");
    assert_non_null(s);
    ccb_metric_def def = {"lifecycle_us",  "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER,
                          CCB_KIND_TIMING, NULL};
    ccb_metric_result *m = ccb_result_scenario_add_metric(s, &def);
    assert_non_null(m);
    /* Process 1: 1 2 3 (median 2); process 2: 10 20 30 (median 20); process 3: 5 (5). */
    const double v[] = {1, 2, 3, 10, 20, 30, 5};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(ccb_result_metric_add_sample(m, v[i]), 0);
    assert_int_equal(ccb_result_metric_close_group(m, 3), 0);
    assert_int_equal(ccb_result_metric_close_group(m, 3), 0);
    assert_int_equal(ccb_result_metric_close_group(m, 1), 0);
    assert_int_equal(ccb_result_compute_stats(r), 0);
    assert_int_equal(m->stats.n, 3);
    assert_true(m->stats.median == 5);     /* median of 2, 20, 5 */
    assert_true(isnan(m->stats.ci95_low)); /* 3 processes: no 95% interval */

    ccb_result *back = NULL;
    assert_int_equal(ccb_result_write_file(r, f->path), 0);
    if (ccb_result_read_file(f->path, &back) != 0)
        fail_msg("%s", ccb_error_message());
    const ccb_metric_result *b = &back->scenarios[0].metrics[0];
    assert_true(b->grouped);
    assert_int_equal(b->ngroups, 3);
    assert_true(b->groups[0] == 3 && b->groups[1] == 3 && b->groups[2] == 1);
    assert_int_equal(b->stats.n, 3);
    assert_true(isnan(b->stats.ci95_low) && isnan(b->stats.ci95_high));
    ccb_result_free(back);
    ccb_result_free(r);

    /* Counts that do not add up to the samples: the field is named. */
    static const char bad[] =
        "{\"schema\": \"ccbench-result/1\", \"ccbench_version\": \"0.1.0\","
        " \"created_at\": \"2026-11-21T10:00:00Z\", \"label\": \"main\","
        " \"git\": {\"revision\": \"main\", \"commit\": \"abc\", \"tracker_tree\": \"def\","
        " \"dirty\": false}, \"machine\": {\"hostname\": \"\", \"os\": \"\", \"kernel\": \"\","
        " \"cpu_model\": \"\", \"cpus\": 2, \"mem_total_kb\": 0, \"compiler\": \"\","
        " \"build_type\": \"Release\"}, \"profile\": \"quick\","
        " \"scenarios\": [{\"name\": \"cold_init\", \"params\": {}, \"samples_ok\": 2,"
        " \"samples_failed\": 0, \"failures\": [],"
        " \"metrics\": [{\"name\": \"start_us\", \"unit\": \"us\","
        " \"direction\": \"lower_is_better\", \"samples\": [1, 2], \"process_samples\": [3],"
        " \"stats\": {\"n\": 1, \"min\": 1, \"max\": 2, \"mean\": 1.5, \"median\": 1.5,"
        " \"stddev\": 0, \"mad\": 0, \"p95\": 2, \"p99\": 2, \"ci95_low\": null,"
        " \"ci95_high\": null, \"outliers\": 0}}]}]}";
    write_text(f->path, bad, sizeof(bad) - 1);
    assert_int_equal(ccb_result_read_file(f->path, &back), -1);
    if (!strstr(ccb_error_message(), "process_samples"))
        fail_msg("message: %s", ccb_error_message());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_results__round_trip_keeps_every_value, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_results__outside_git_writes_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results__atomic_write_leaves_no_temp_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_results__unwritable_path_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results__malformed_fields_are_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results__truncated_file_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results__not_json_empty_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results__design_example_is_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results__process_grouping_round_trips, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
