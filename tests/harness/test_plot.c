/*
 * `ccbench plot`, `history`, `run --save-note` and the export formats, driven as a user
 * drives them: the files they write (PNG signature, SVG text, the gnuplot script), exit
 * statuses and messages, and git notes in a throw-away repository made with libgit2.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "bisect_report.h"
#include "catalog.h"
#include "error.h"
#include "result.h"

#include "cli_driver.h"

/* ---------------------------------------------------------------------------------------- */
/* Fixtures: result files written through result.c, so the tests control every field. */

static const ccb_metric_def metric_defs[] = {
    {"init_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING, ""},
    {"lifecycles_per_s", "1/s", CCB_HIGHER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING, ""},
    {"requests_total", "count", CCB_LOWER_IS_BETTER, CCB_FROM_MOCK, CCB_KIND_COUNT, ""},
};
#define NMETRICS 3
static const char *const metric_labels[NMETRICS] = {
    "cold_init.init_us", "cold_init.lifecycles_per_s", "api_latency.requests_total"};

/* A result at CREATED (ISO 8601) labelled LABEL on CPU; samples scaled by SCALE, and those of
 * cold_init.init_us by INIT_SCALE too. */
static void write_fixture_init(const char *path, const char *label, const char *created,
                               const char *cpu, double scale, double init_scale)
{
    ccb_result *r = fixture_result(label, created, "quick", cpu);
    ccb_scenario_result *cold = ccb_result_add_scenario(r, "cold_init");
    assert_non_null(cold);
    for (int k = 0; k < 2; k++) {
        ccb_metric_result *m = ccb_result_scenario_add_metric(cold, &metric_defs[k]);
        assert_non_null(m);
        for (int i = 0; i < 12; i++)
            assert_int_equal(ccb_result_metric_add_sample(m, (k ? 1e6 : 3.0 * init_scale) * scale *
                                                                 (1 + i * 0.01)),
                             0);
    }
    cold->samples_ok = 12;
    ccb_scenario_result *api = ccb_result_add_scenario(r, "api_latency");
    assert_non_null(api);
    ccb_metric_result *m = ccb_result_scenario_add_metric(api, &metric_defs[2]);
    assert_non_null(m);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ccb_result_metric_add_sample(m, 5), 0);
    api->samples_ok = 5;
    assert_int_equal(ccb_result_compute_stats(r), 0);
    if (ccb_result_write_file(r, path) != 0)
        fail_msg("%s", ccb_error_message());
    ccb_result_free(r);
}

/* A result at CREATED (ISO 8601) labelled LABEL on CPU; samples scaled by SCALE. */
static void write_fixture(const char *path, const char *label, const char *created, const char *cpu,
                          double scale)
{
    write_fixture_init(path, label, created, cpu, scale, 1.0);
}

static void two_fixtures(const fixture *f, char *a, char *b, size_t size)
{
    path_in(a, size, f, "base.json");
    path_in(b, size, f, "cand.json");
    write_fixture(a, "main", "2026-11-21T10:00:00Z", "Test CPU", 1.0);
    write_fixture(b, "feature", "2026-11-21T11:00:00Z", "Test CPU", 1.2);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

static void expect_png(const char *path)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("no image at %s", path);
    assert_int_equal(fread(head, 1, sizeof(head), fp), sizeof(head));
    fclose(fp);
    assert_memory_equal(head, signature, sizeof(signature));
}

static void expect_svg(const char *path)
{
    char *text = read_file(path);
    if (!text)
        fail_msg("no image at %s", path);
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    assert_true(strncmp(p, "<?xml", 5) == 0 || strncmp(p, "<svg", 4) == 0);
    expect_contains(text, "</svg>");
    for (size_t i = 0; i < NMETRICS; i++)
        expect_contains(text, metric_labels[i]);
    free(text);
}

/* The script is complete: every metric's label, its data (inline, or the .dat beside it),
 * the output variable, and no reference to the result files it was made from. */
static void expect_script(const char *path)
{
    char *text = read_file(path);
    if (!text)
        fail_msg("no script at %s", path);
    for (size_t i = 0; i < NMETRICS; i++)
        expect_contains(text, metric_labels[i]);
    assert_true(strstr(text, "<< EOD") || strstr(text, "datafile index"));
    expect_contains(text, "set output outfile");
    assert_null(strstr(text, "/base.json"));
    assert_null(strstr(text, "/cand.json"));
    free(text);
}

/* ---------------------------------------------------------------------------------------- */
/* plot */

static void test_plot__distribution_png_and_svg(void **state)
{
    fixture *f = *state;
    char a[400], b[400], png[400], svg[400], gp[400];
    two_fixtures(f, a, b, sizeof(a));
    path_in(png, sizeof(png), f, "dist.png");
    proc p;
    run(&p, f, ARGS("plot", a, b, "--out", png));
    expect_status(&p, 0);
    expect_contains(p.err, png);
    proc_free(&p);
    expect_png(png);
    path_in(gp, sizeof(gp), f, "dist.gp");
    expect_script(gp);
    char *script = read_file(gp);
    expect_contains(script, "with boxplot");
    /* A count has no distribution worth a panel: a note of its value instead. */
    expect_contains(script, "counts (not drawn): api_latency.requests_total 5");
    assert_null(strstr(script, "set title 'api_latency.requests_total'"));
    expect_contains(script, "'main'");
    expect_contains(script, "'feature'");
    expect_contains(script, "us (lower is better)");
    free(script);

    /* Relative --out, from the fixture dir. */
    run(&p, f, ARGS("plot", a, b, "--kind", "distribution", "--out", "dist.svg"));
    expect_status(&p, 0);
    proc_free(&p);
    path_in(svg, sizeof(svg), f, "dist.svg");
    expect_svg(svg);
}

static void test_plot__history_png_and_svg(void **state)
{
    fixture *f = *state;
    char a[400], b[400], c[400], png[400], svg[400], gp[400];
    two_fixtures(f, a, b, sizeof(a));
    path_in(c, sizeof(c), f, "third.json");
    write_fixture(c, "next", "2026-11-21T12:00:00Z", "Test CPU", 0.9);
    path_in(png, sizeof(png), f, "hist.png");
    proc p;
    /* Given out of order: history orders by created_at. */
    run(&p, f, ARGS("plot", "--kind", "history", c, a, b, "--out", png));
    expect_status(&p, 0);
    proc_free(&p);
    expect_png(png);
    path_in(gp, sizeof(gp), f, "hist.gp");
    expect_script(gp);
    char *script = read_file(gp);
    expect_contains(script, "filledcurves");
    char *main_tic = strstr(script, "'main' 0");
    char *next_tic = strstr(script, "'next' 2");
    assert_non_null(main_tic);
    assert_non_null(next_tic);
    /* The y axis of a history starts at 0: noise must not look like a cliff. */
    expect_contains(script, "set yrange [0:");
    free(script);

    /* A result without the metric in the middle: the line breaks there (a blank data line)
     * instead of bridging the gap. */
    char gap[400], gap_png[400];
    path_in(gap, sizeof(gap), f, "gap.json");
    write_fixture(gap, "gap", "2026-11-21T11:30:00Z", "Test CPU", 1.0);
    char *gap_text = read_file(gap);
    cJSON *doc = cJSON_Parse(gap_text);
    free(gap_text);
    assert_non_null(doc);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(doc, "scenarios"), 1);
    gap_text = cJSON_Print(doc);
    write_text(gap, gap_text);
    cJSON_free(gap_text);
    cJSON_Delete(doc);
    path_in(gap_png, sizeof(gap_png), f, "gap.png");
    run(&p, f,
        ARGS("plot", "--kind", "history", a, gap, c, "--out", gap_png, "--metric",
             "api_latency.requests_total"));
    expect_status(&p, 0);
    proc_free(&p);
    path_in(gp, sizeof(gp), f, "gap.gp");
    script = read_file(gp);
    assert_non_null(strstr(script, "\n\n2 ")); /* entry 1 missing: a blank line, then 2 */
    free(script);

    /* Two runs with one label: their times tell the x labels apart. */
    char again[400];
    path_in(again, sizeof(again), f, "again.json");
    write_fixture(again, "main", "2026-11-21T13:00:00Z", "Test CPU", 1.0);
    run(&p, f, ARGS("plot", "--kind", "history", a, again, "--out", gap_png));
    expect_status(&p, 0);
    proc_free(&p);
    script = read_file(gp);
    expect_contains(script, "'main 10:00:00' 0");
    expect_contains(script, "'main 13:00:00' 1");
    free(script);

    /* results/latest.json beside the run it copies (a glob picks up both): shown once. */
    char latest[400];
    path_in(latest, sizeof(latest), f, "latest.json");
    char *copy = read_file(again);
    write_text(latest, copy);
    free(copy);
    run(&p, f, ARGS("plot", "--kind", "history", a, again, latest, "--out", gap_png));
    expect_status(&p, 0);
    expect_contains(p.err, "shown once");
    proc_free(&p);
    script = read_file(gp);
    assert_null(strstr(script, "' 2")); /* two x positions, not three */
    free(script);

    path_in(svg, sizeof(svg), f, "hist.svg");
    run(&p, f,
        ARGS("plot", "--kind", "history", a, b, c, "--out", svg, "--metric", "cold_init.init_us"));
    expect_status(&p, 0);
    proc_free(&p);
    char *text = read_file(svg);
    assert_non_null(text);
    expect_contains(text, "</svg>");
    expect_contains(text, "cold_init.init_us");
    assert_null(strstr(text, "api_latency.requests_total")); /* --metric: that one only */
    free(text);
}

static void test_plot__without_gnuplot_writes_the_script(void **state)
{
    fixture *f = *state;
    char a[400], b[400], png[400], gp[400], empty[400], path_env[450];
    two_fixtures(f, a, b, sizeof(a));
    path_in(empty, sizeof(empty), f, "nobin");
    assert_int_equal(mkdir(empty, 0755), 0);
    snprintf(path_env, sizeof(path_env), "PATH=%s", empty);
    path_in(png, sizeof(png), f, "x.png");
    proc p;
    run_in(&p, f, NULL, ENV(path_env), ARGS("plot", a, b, "--out", png));
    expect_status(&p, 2);
    expect_contains(p.err, "apt-get install gnuplot-nox");
    expect_contains(p.err, "x.gp");
    proc_free(&p);
    path_in(gp, sizeof(gp), f, "x.gp");
    expect_script(gp);
    assert_false(file_exists(png));
}

static void test_plot__bad_usage_exits_2(void **state)
{
    fixture *f = *state;
    char a[400], b[400];
    two_fixtures(f, a, b, sizeof(a));
    proc p;
    run(&p, f, ARGS("plot", a, "--out", "x.pdf"));
    expect_status(&p, 2);
    expect_contains(p.err, ".png or .svg");
    proc_free(&p);
    run(&p, f, ARGS("plot", a, "--kind", "compare"));
    expect_status(&p, 2);
    expect_contains(p.err, "ccbench-compare/1");
    proc_free(&p);
    run(&p, f, ARGS("plot", a, "--metric", "cold_init.init_ux"));
    expect_status(&p, 2);
    expect_contains(p.err, "cold_init.init_us");
    proc_free(&p);
    run(&p, f, ARGS("plot", "--kind", "scatter", a));
    expect_status(&p, 2);
    proc_free(&p);
    run(&p, f, ARGS("plot"));
    expect_status(&p, 2);
    proc_free(&p);
}

/* A ccbench-compare/1 file made by the built `ccbench compare` of two result files, the
 * candidate's cold_init.init_us 1.5 times the baseline's (regressed: compare exits 1), with
 * a per-metric threshold of 20% for cold_init.init_us (the 5% default for the others). */
static void compare_file_scaled(const fixture *f, double init_scale, char *path, size_t size)
{
    char a[400], b[400];
    path_in(a, sizeof(a), f, "base.json");
    path_in(b, sizeof(b), f, "cand.json");
    write_fixture(a, "main", "2026-11-21T10:00:00Z", "Test CPU", 1.0);
    write_fixture_init(b, "feature", "2026-11-21T11:00:00Z", "Test CPU", 1.0, init_scale);
    proc p;
    run(&p, f, ARGS("compare", a, b, "--format", "json", "--threshold", "cold_init.init_us=20%"));
    expect_status(&p, 1);
    path_in(path, size, f, "compare.json");
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(p.out, fp);
    assert_int_equal(fclose(fp), 0);
    proc_free(&p);
}

static void compare_file(const fixture *f, char *path, size_t size)
{
    compare_file_scaled(f, 1.5, path, size);
}

static void test_plot__compare_png_and_svg(void **state)
{
    fixture *f = *state;
    char cmp[400], png[400], svg[400], gp[400];
    compare_file(f, cmp, sizeof(cmp));
    path_in(png, sizeof(png), f, "cmp.png");
    proc p;
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 0);
    expect_contains(p.err, png);
    proc_free(&p);
    expect_png(png);
    path_in(gp, sizeof(gp), f, "cmp.gp");
    char *script = read_file(gp);
    assert_non_null(script);
    for (size_t i = 0; i < NMETRICS; i++)
        expect_contains(script, metric_labels[i]);
    expect_contains(script, "set output outfile");
    expect_contains(script, "base.json (baseline)");
    expect_contains(script, "cand.json (candidate)");
    expect_contains(script, "1 regressed");
    expect_contains(script, "gate: FAILS");
    /* init_us is the regressed one, drawn red; the count is a point, marked in its label. */
    expect_contains(script, "$regressed_timing << EOD\n3 ");
    expect_contains(script, "lc rgb '#d62728' title 'regressed'");
    expect_contains(script, "api_latency.requests_total (count)");
    expect_contains(script, "$unchanged_count << EOD\n1 1 ");
    expect_contains(script, "+50.0%");
    /* Each timing metric's own band: 20% for init_us, the 5% default for lifecycles_per_s. */
    char row[128];
    snprintf(row, sizeof(row), "\n3 %.17g %.17g\n", 1 - 0.20, 1 + 0.20);
    expect_contains(script, row);
    snprintf(row, sizeof(row), "\n2 %.17g %.17g\n", 1 - 0.05, 1 + 0.05);
    expect_contains(script, row);
    assert_null(strstr(script, "\nset logscale x")); /* 1.5x is not an order of magnitude */
    assert_null(strstr(script, ".json\n"));          /* the data is inline, not read from files */
    free(script);

    path_in(svg, sizeof(svg), f, "cmp.svg");
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", svg));
    expect_status(&p, 0);
    proc_free(&p);
    expect_svg(svg);

    /* 20 times slower: ratios spanning more than an order of magnitude get a log axis. */
    compare_file_scaled(f, 20.0, cmp, sizeof(cmp));
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 0);
    proc_free(&p);
    expect_png(png);
    script = read_file(gp);
    assert_non_null(script);
    expect_contains(script, "\nset logscale x\n");
    expect_contains(script, "'10×' 10");
    free(script);
}

/* Rewrite the compare file at PATH with metrics[INDEX].KEY replaced by ITEM (NULL: removed). */
static void edit_compare(const char *path, int index, const char *key, cJSON *item)
{
    char *text = read_file(path);
    assert_non_null(text);
    cJSON *json = cJSON_Parse(text);
    free(text);
    assert_non_null(json);
    cJSON *metric = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json, "metrics"), index);
    assert_non_null(metric);
    cJSON_DeleteItemFromObjectCaseSensitive(metric, key);
    if (item)
        assert_true(cJSON_AddItemToObject(metric, key, item));
    char *out = cJSON_Print(json);
    assert_non_null(out);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(out, fp);
    assert_int_equal(fclose(fp), 0);
    cJSON_free(out);
    cJSON_Delete(json);
}

static void test_plot__compare_malformed_file_exits_2(void **state)
{
    fixture *f = *state;
    char cmp[400], png[400];
    compare_file(f, cmp, sizeof(cmp));
    path_in(png, sizeof(png), f, "bad.png");
    proc p;

    edit_compare(cmp, 1, "ratio", cJSON_CreateString("1.2"));
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 2);
    expect_contains(p.err, cmp);
    expect_contains(p.err, "field metrics[1].ratio: expected a number or null, got a string");
    proc_free(&p);
    assert_false(file_exists(png));

    edit_compare(cmp, 1, "ratio", cJSON_CreateNumber(1.0));
    edit_compare(cmp, 0, "verdict", NULL);
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 2);
    expect_contains(p.err, "field metrics[0].verdict: missing");
    proc_free(&p);

    edit_compare(cmp, 0, "verdict", cJSON_CreateString("worse"));
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 2);
    expect_contains(p.err, "field metrics[0].verdict: is \"worse\", expected one of");
    proc_free(&p);

    /* Truncated JSON: named as such, exit 2. */
    FILE *fp = fopen(cmp, "w");
    assert_non_null(fp);
    fputs("{\"schema\": \"ccbench-compare/1\", \"metrics\": [", fp);
    assert_int_equal(fclose(fp), 0);
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 2);
    expect_contains(p.err, "truncated");
    proc_free(&p);
    assert_false(file_exists(png));
}

/* A count that falls to 0 (system calls 3 -> 0) has ratio 0: drawn, not refused as a
 * malformed file; a timing's ratio 0 still is (found by the README test, issue 17). */
static void test_plot__compare_count_falling_to_zero(void **state)
{
    fixture *f = *state;
    char cmp[400], png[400];
    compare_file(f, cmp, sizeof(cmp));
    path_in(png, sizeof(png), f, "zero.png");
    proc p;

    edit_compare(cmp, 2, "candidate_median", cJSON_CreateNumber(0));
    edit_compare(cmp, 2, "ratio", cJSON_CreateNumber(0));
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 0);
    proc_free(&p);
    expect_png(png);

    edit_compare(cmp, 0, "ratio", cJSON_CreateNumber(0));
    run(&p, f, ARGS("plot", cmp, "--kind", "compare", "--out", png));
    expect_status(&p, 2);
    expect_contains(p.err, "field metrics[0].ratio: 0: a ratio must be > 0");
    proc_free(&p);
}

/* ---------------------------------------------------------------------------------------- */
/* history */

static void test_plot__history_skips_another_machine(void **state)
{
    fixture *f = *state;
    char a[400], b[400], other[400];
    two_fixtures(f, a, b, sizeof(a));
    path_in(other, sizeof(other), f, "other.json");
    write_fixture(other, "elsewhere", "2026-11-21T10:30:00Z", "Other CPU", 5.0);
    proc p;
    run(&p, f, ARGS("history", other, b, a, "--format", "json"));
    expect_status(&p, 0);
    expect_contains(p.err, "skipped 1 of 3");
    expect_contains(p.err, "Other CPU");
    cJSON *json = cJSON_Parse(p.out);
    assert_non_null(json);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(json, "schema")->valuestring,
                        "ccbench-history/1");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(json, "entries");
    assert_int_equal(cJSON_GetArraySize(entries), 2);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(entries, 0), "label")->valuestring,
        "main");
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(entries, 1), "label")->valuestring,
        "feature");
    const cJSON *skipped = cJSON_GetObjectItemCaseSensitive(json, "skipped");
    assert_int_equal(cJSON_GetArraySize(skipped), 1);
    const cJSON *reason =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(skipped, 0), "reason");
    assert_true(cJSON_IsString(reason));
    expect_contains(reason->valuestring, "cpu_model");
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(json, "metrics");
    assert_int_equal(cJSON_GetArraySize(metrics), NMETRICS);
    const cJSON *points =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(metrics, 0), "points");
    assert_int_equal(cJSON_GetArraySize(points), 2);
    cJSON_Delete(json);
    proc_free(&p);

    run(&p, f, ARGS("history", a, b, "--metric", "cold_init.init_us"));
    expect_status(&p, 0);
    expect_contains(p.out, "cold_init.init_us (us, lower is better)");
    expect_contains(p.out, "+20.0%");
    assert_null(strstr(p.out, "requests_total"));
    proc_free(&p);

    run(&p, f, ARGS("history", a, b, "--format", "markdown"));
    expect_status(&p, 0);
    expect_contains(p.out, "#### `cold_init.lifecycles_per_s` (1/s, higher is better)");
    proc_free(&p);
}

/* ---------------------------------------------------------------------------------------- */
/* exports */

static void test_plot__exports_have_documented_shapes(void **state)
{
    fixture *f = *state;
    char a[400], b[400];
    two_fixtures(f, a, b, sizeof(a));
    proc p;

    /* github-action-benchmark: [{"name", "unit", "value", "range", "extra"}], one direction. */
    const char *formats[2] = {"github-action-benchmark", "github-action-benchmark-bigger"};
    int counts[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        run(&p, f, ARGS("show", a, "--format", formats[k]));
        expect_status(&p, 0);
        expect_contains(p.err, "left out");
        cJSON *json = cJSON_Parse(p.out);
        assert_true(cJSON_IsArray(json));
        const cJSON *item = NULL;
        cJSON_ArrayForEach(item, json)
        {
            assert_true(cJSON_IsObject(item));
            assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(item, "name")));
            assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(item, "unit")));
            assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(item, "value")));
            assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(item, "range")));
            assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(item, "extra")));
            const char *name = cJSON_GetObjectItemCaseSensitive(item, "name")->valuestring;
            assert_int_equal(strcmp(name, "cold_init.lifecycles_per_s") == 0, k == 1);
            counts[k]++;
        }
        cJSON_Delete(json);
        proc_free(&p);
    }
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 1);

    /* Bencher Metric Format: {"bench": {"measure": {"value", "lower_value", "upper_value"}}}. */
    run(&p, f, ARGS("show", a, "--format", "bencher"));
    expect_status(&p, 0);
    cJSON *json = cJSON_Parse(p.out);
    assert_true(cJSON_IsObject(json));
    int measures = 0;
    const cJSON *bench = NULL;
    cJSON_ArrayForEach(bench, json)
    {
        assert_true(cJSON_IsObject(bench));
        const cJSON *measure = NULL;
        cJSON_ArrayForEach(measure, bench)
        {
            assert_true(cJSON_IsObject(measure));
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(measure, "value");
            const cJSON *lo = cJSON_GetObjectItemCaseSensitive(measure, "lower_value");
            const cJSON *hi = cJSON_GetObjectItemCaseSensitive(measure, "upper_value");
            /* The bounds are there exactly when a 95% interval exists (n >= 6). */
            assert_true(cJSON_IsNumber(v) && (lo != NULL) == (hi != NULL));
            if (lo) {
                assert_true(cJSON_IsNumber(lo) && cJSON_IsNumber(hi));
                assert_true(lo->valuedouble <= v->valuedouble && v->valuedouble <= hi->valuedouble);
            }
            measures++;
        }
    }
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(json, "cold_init"), "init_us");
    assert_non_null(init);
    assert_int_equal(measures, NMETRICS);
    cJSON_Delete(json);
    proc_free(&p);

    run(&p, f, ARGS("show", a, "--format", "xml"));
    expect_status(&p, 2);
    expect_contains(p.err, "bencher");
    proc_free(&p);
}

/* ---------------------------------------------------------------------------------------- */
/* git notes */

/* Commit the work tree's tracker/a.c with CONTENT on HEAD; the new commit's sha in HEX. */
static void commit_file(git_repository *repo, const char *repo_dir, const char *content, char *hex)
{
    char path[500];
    snprintf(path, sizeof(path), "%s/tracker/a.c", repo_dir);
    write_text(path, content);
    git_index *index = NULL;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    git_reference *head = NULL;
    git_commit *parent = NULL;
    git_oid tree_oid, commit_oid;
    assert_int_equal(git_repository_index(&index, repo), 0);
    assert_int_equal(git_index_add_bypath(index, "tracker/a.c"), 0);
    assert_int_equal(git_index_add_bypath(index, ".gitignore"), 0);
    assert_int_equal(git_index_write(index), 0);
    assert_int_equal(git_index_write_tree(&tree_oid, index), 0);
    assert_int_equal(git_tree_lookup(&tree, repo, &tree_oid), 0);
    assert_int_equal(git_signature_now(&sig, "test", "test@example.com"), 0);
    int has_parent = git_repository_head(&head, repo) == 0;
    if (has_parent)
        assert_int_equal(git_commit_lookup(&parent, repo, git_reference_target(head)), 0);
    const git_commit *parents[1] = {parent};
    assert_int_equal(git_commit_create(&commit_oid, repo, "HEAD", sig, sig, NULL, content, tree,
                                       has_parent ? 1 : 0, parents),
                     0);
    git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &commit_oid);
    git_commit_free(parent);
    git_reference_free(head);
    git_signature_free(sig);
    git_tree_free(tree);
    git_index_free(index);
}

/* A new repository F/repo (its path in REPO_DIR) with tracker/ and a .gitignore of results/,
 * before any commit. */
static git_repository *notes_repo(const fixture *f, char *repo_dir, size_t size)
{
    char path[500];
    git_repository *repo = NULL;
    path_in(repo_dir, size, f, "repo");
    assert_int_equal(git_repository_init(&repo, repo_dir, 0), 0);
    snprintf(path, sizeof(path), "%s/tracker", repo_dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/.gitignore", repo_dir);
    write_text(path, "/results/\n");
    return repo;
}

static void test_plot__notes_round_trip(void **state)
{
    fixture *f = *state;
    char repo_dir[400], sha[3][GIT_OID_HEXSZ + 1];
    git_repository *repo = notes_repo(f, repo_dir, sizeof(repo_dir));

    proc p;
    for (int i = 0; i < 2; i++) {
        commit_file(repo, repo_dir, i == 0 ? "int a;\n" : "int a = 1;\n", sha[i]);
        run_in(&p, f, repo_dir, ENV("CCBENCH_RESULTS_DIR"),
               ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--save-note"));
        expect_status(&p, 0);
        expect_contains(p.err, "refs/notes/ccbench");
        proc_free(&p);
        /* The note is there, on that commit, through libgit2. */
        git_oid oid;
        git_note *note = NULL;
        assert_int_equal(git_oid_fromstr(&oid, sha[i]), 0);
        assert_int_equal(git_note_read(&note, repo, "refs/notes/ccbench", &oid), 0);
        expect_contains(git_note_message(note), "ccbench-result/1");
        git_note_free(note);
    }
    commit_file(repo, repo_dir, "int a = 2;\n", sha[2]); /* no note on this one */

    run_in(&p, f, repo_dir, NO_ENV, ARGS("history", "--notes", "HEAD", "--format", "json"));
    expect_status(&p, 0);
    expect_contains(p.err, "1 of 3 commits");
    cJSON *json = cJSON_Parse(p.out);
    assert_non_null(json);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(json, "entries");
    assert_int_equal(cJSON_GetArraySize(entries), 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *commit =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(entries, i), "commit");
        assert_true(cJSON_IsString(commit));
        assert_int_equal(strncmp(commit->valuestring, sha[i], 12), 0); /* oldest first */
    }
    cJSON_Delete(json);
    proc_free(&p);

    /* A range: the commits after the first. */
    char range[100];
    snprintf(range, sizeof(range), "%.12s..HEAD", sha[0]);
    run_in(&p, f, repo_dir, NO_ENV, ARGS("history", "--notes", range));
    expect_status(&p, 0);
    expect_contains(p.out, "1 results");
    char short_sha[13];
    snprintf(short_sha, sizeof(short_sha), "%.12s", sha[1]);
    expect_contains(p.out, short_sha);
    proc_free(&p);

    /* And as a plot. */
    char png[500];
    snprintf(png, sizeof(png), "%s/notes.png", f->dir);
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("plot", "--kind", "history", "--notes", "HEAD", "--out", png));
    expect_status(&p, 0);
    proc_free(&p);
    expect_png(png);

    run_in(&p, f, repo_dir, NO_ENV, ARGS("history", "--notes", "no-such-branch"));
    expect_status(&p, 2);
    expect_contains(p.err, "no-such-branch");
    proc_free(&p);

    /* Notes accumulate: another profile on the same commit adds an entry beside the first;
     * the same profile again replaces its own entry. history keeps the newest profile and
     * says what it skipped. */
    for (int i = 0; i < 2; i++) {
        run_in(&p, f, repo_dir, ENV("CCBENCH_RESULTS_DIR"),
               ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--profile", "quick",
                    "--save-note"));
        expect_status(&p, 0);
        expect_contains(p.err, i == 0 ? "as this machine's quick entry"
                                      : "replacing this machine's quick entry");
        proc_free(&p);
    }
    git_oid head_oid;
    git_note *note = NULL;
    assert_int_equal(git_oid_fromstr(&head_oid, sha[2]), 0);
    assert_int_equal(git_note_read(&note, repo, "refs/notes/ccbench", &head_oid), 0);
    cJSON *doc = cJSON_Parse(git_note_message(note));
    git_note_free(note);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "schema")->valuestring,
                        "ccbench-notes/1");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "entries")), 1);
    cJSON_Delete(doc);
    run_in(&p, f, repo_dir, ENV("CCBENCH_RESULTS_DIR"),
           ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--save-note"));
    expect_status(&p, 0);
    proc_free(&p);
    assert_int_equal(git_note_read(&note, repo, "refs/notes/ccbench", &head_oid), 0);
    doc = cJSON_Parse(git_note_message(note));
    git_note_free(note);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "entries")), 2);
    cJSON_Delete(doc);
    run_in(&p, f, repo_dir, NO_ENV, ARGS("history", "--notes", "HEAD"));
    expect_status(&p, 0);
    expect_contains(p.err, "profile 'quick', newest 'default'");
    proc_free(&p);

    /* Outside a repository: --save-note fails before measuring. */
    run(&p, f,
        ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--save-note", "--out",
             "r.json"));
    expect_status(&p, 2);
    expect_contains(p.err, "--save-note");
    proc_free(&p);
    git_repository_free(repo);
}

/* ---------------------------------------------------------------------------------------- */
/* Pictures as a person sees them (issue 17): every kind in PNG and SVG, the same size, the
 * SVG's text read back: titles there, nothing past the canvas edge, no label twice. */

/* One text of an SVG written by gnuplot: <g transform="translate(X,Y)[ rotate(..)]" ...
 * font-size="S" text-anchor="A"> <text>...</text>. */
typedef struct svg_text {
    double x, y, size;
    char anchor; /* 's'tart, 'm'iddle, 'e'nd */
    int rotated;
    int chars; /* characters, entities and multi-byte ones counted once */
    char text[400];
} svg_text;

static int attr_double(const char *tag, const char *tag_end, const char *name, double *out)
{
    const char *p = strstr(tag, name);
    return p && p < tag_end && sscanf(p + strlen(name), "%lf", out) == 1;
}

/* Every text of SVG into OUT (at most MAX); the canvas size into W and H. */
static size_t svg_texts(const char *svg, svg_text *out, size_t max, double *w, double *h)
{
    const char *head = strstr(svg, "<svg");
    assert_non_null(head);
    assert_true(attr_double(head, head + 200, "width=\"", w));
    assert_true(attr_double(head, head + 200, "height=\"", h));
    size_t n = 0;
    for (const char *g = strstr(svg, "<g transform=\"translate("); g && n < max;
         g = strstr(g + 1, "<g transform=\"translate(")) {
        const char *end = strchr(g, '>');
        const char *open = strstr(g, "<text>");
        if (!end || !open || (strstr(g + 1, "<g ") && strstr(g + 1, "<g ") < open))
            continue;
        svg_text *t = &out[n];
        memset(t, 0, sizeof(*t));
        if (sscanf(g + strlen("<g transform=\"translate("), "%lf,%lf", &t->x, &t->y) != 2)
            continue;
        t->rotated = strstr(g, "rotate(") && strstr(g, "rotate(") < end;
        t->size = 10;
        attr_double(g, end, "font-size=\"", &t->size);
        const char *anchor = strstr(g, "text-anchor=\"");
        t->anchor = anchor && anchor < end ? anchor[strlen("text-anchor=\"")] : 's';
        const char *close = strstr(open, "</text>");
        assert_non_null(close);
        size_t k = 0;
        for (const char *p = open + strlen("<text>"); p < close && k + 1 < sizeof(t->text); p++) {
            if (*p == '<') { /* <tspan ...>, </tspan> */
                p = strchr(p, '>');
                continue;
            }
            if (*p == '&') {
                const char *semi = strchr(p, ';');
                char c = strncmp(p, "&amp;", 5) == 0  ? '&'
                         : strncmp(p, "&lt;", 4) == 0 ? '<'
                         : strncmp(p, "&gt;", 4) == 0 ? '>'
                                                      : '\'';
                t->text[k++] = c;
                t->chars++;
                p = semi;
                continue;
            }
            t->text[k++] = *p;
            t->chars += ((unsigned char)*p & 0xc0) != 0x80;
        }
        t->text[k] = '\0';
        n++;
    }
    return n;
}

static void png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char head[24];
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("no image at %s", path);
    assert_int_equal(fread(head, 1, sizeof(head), fp), sizeof(head));
    fclose(fp);
    assert_memory_equal(head + 12, "IHDR", 4);
    *w = (unsigned)head[16] << 24 | (unsigned)head[17] << 16 | (unsigned)head[18] << 8 | head[19];
    *h = (unsigned)head[20] << 24 | (unsigned)head[21] << 16 | (unsigned)head[22] << 8 | head[23];
}

/* PNG and SVG of one picture: the same size; TITLE in the SVG's text; every horizontal text
 * inside the canvas, by a generous estimate of its width (0.6 em a character); no two texts
 * of the titles' and labels' size (11 points) alike; each of WANT[0..NWANT) present. */
static void expect_picture(const char *png, const char *svg, const char *title,
                           const char *const *want, size_t nwant)
{
    unsigned pw = 0, ph = 0;
    double sw = 0, sh = 0;
    png_size(png, &pw, &ph);
    char *text = read_file(svg);
    assert_non_null(text);
    static svg_text texts[2000];
    size_t n = svg_texts(text, texts, sizeof(texts) / sizeof(texts[0]), &sw, &sh);
    free(text);
    if (pw < 600 || ph < 300 || pw != (unsigned)sw || ph != (unsigned)sh)
        fail_msg("%s is %ux%u and %s %.0fx%.0f: expected the same size, at least 600x300", png, pw,
                 ph, svg, sw, sh);
    int have_title = 0;
    for (size_t i = 0; i < n; i++) {
        const svg_text *t = &texts[i];
        have_title |= strstr(t->text, title) != NULL;
        if (t->rotated || strspn(t->text, " ") == strlen(t->text))
            continue;
        double width = 0.6 * t->size * t->chars;
        double left = t->anchor == 'm' ? t->x - width / 2 : t->anchor == 'e' ? t->x - width : t->x;
        if (left < -1 || left + width > sw + 1)
            fail_msg("'%s' (%d characters at %.1f px, anchor %c at x %.0f) is clipped: it spans "
                     "%.0f..%.0f of a %.0f px canvas",
                     t->text, t->chars, t->size, t->anchor, t->x, left, left + width, sw);
        /* 11-point texts are titles, legends and row labels: each names one thing. */
        if (fabs(t->size - 11 * 1.3333) > 0.1)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (fabs(texts[j].size - t->size) < 0.1 && strcmp(texts[j].text, t->text) == 0)
                fail_msg("'%s' appears twice in %s", t->text, svg);
        }
    }
    if (!have_title)
        fail_msg("no title containing '%s' in %s", title, svg);
    for (size_t k = 0; k < nwant; k++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = strstr(texts[i].text, want[k]) != NULL;
        if (!found)
            fail_msg("'%s' is not in %s", want[k], svg);
    }
}

/* A result of 400 init_us samples: most near 1 us, one in 20 at 40 us (a heavy tail). */
static void write_heavy_fixture(const char *path, const char *created)
{
    ccb_result *r = fixture_result("main", created, "quick", "Test CPU");
    ccb_scenario_result *cold = ccb_result_add_scenario(r, "cold_init");
    assert_non_null(cold);
    ccb_metric_result *m = ccb_result_scenario_add_metric(cold, &metric_defs[0]);
    assert_non_null(m);
    for (int i = 0; i < 400; i++)
        assert_int_equal(ccb_result_metric_add_sample(m, i % 20 == 0 ? 40.0 : 1.0 + (i % 7) * 0.01),
                         0);
    cold->samples_ok = 400;
    assert_int_equal(ccb_result_compute_stats(r), 0);
    if (ccb_result_write_file(r, path) != 0)
        fail_msg("%s", ccb_error_message());
    ccb_result_free(r);
}

static int gnuplot_on_path(void)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path ? path : ""), *save = NULL;
    int found = 0;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char full[PATH_MAX];
        snprintf(full, sizeof(full), "%s/gnuplot", dir);
        found = access(full, X_OK) == 0;
    }
    free(copy);
    return found;
}

static void render_both(const fixture *f, const char *name, char *png, char *svg, size_t size,
                        const char *const *args, size_t nargs)
{
    char base[64];
    const char *argv[16];
    assert_true(nargs + 3 < sizeof(argv) / sizeof(argv[0]));
    for (int k = 0; k < 2; k++) {
        snprintf(base, sizeof(base), "%s.%s", name, k ? "svg" : "png");
        path_in(k ? svg : png, size, f, base);
        size_t m = 0;
        argv[m++] = "plot";
        for (size_t i = 0; i < nargs; i++)
            argv[m++] = args[i];
        argv[m++] = "--out";
        argv[m++] = k ? svg : png;
        argv[m] = NULL;
        proc p;
        run(&p, f, argv);
        if (p.status != 0)
            fail_msg("plot %s: exit %d: %s", base, p.status, p.err);
        proc_free(&p);
    }
}

static void test_plot__pictures_are_readable(void **state)
{
    fixture *f = *state;
    if (!gnuplot_on_path()) {
        print_message("SKIPPED: gnuplot is not on PATH (apt-get install gnuplot-nox)\n");
        skip();
    }
    char a[400], b[400], again[400], heavy[400], cmp[400], png[400], svg[400], gp[400];
    two_fixtures(f, a, b, sizeof(a));
    path_in(again, sizeof(again), f, "again.json");
    write_fixture(again, "main", "2026-11-21T12:00:00Z", "Test CPU", 1.1);
    path_in(heavy, sizeof(heavy), f, "heavy.json");
    write_heavy_fixture(heavy, "2026-11-21T13:00:00Z");

    /* Distribution: two runs labelled "main" are told apart by their files; a legend names
     * each box; the samples are in the .dat beside the script. */
    const char *dist[] = {a, b, again};
    render_both(f, "dist", png, svg, sizeof(png), dist, 3);
    const char *dist_want[] = {"base.json",         "cand.json", "again.json",
                               "cold_init.init_us", "Test CPU",  "us (lower is better)"};
    expect_picture(png, svg, "sample distributions", dist_want, 6);
    path_in(gp, sizeof(gp), f, "dist.gp");
    char *script = read_file(gp);
    assert_non_null(script);
    assert_null(strstr(script, "<< EOD\n")); /* no inline samples */
    expect_contains(script, "datafile index");
    free(script);
    path_in(gp, sizeof(gp), f, "dist.dat");
    char *data = read_file(gp);
    assert_non_null(data);
    expect_contains(data, "# index 0: cold_init.init_us [us], base.json, 12 samples");
    free(data);

    /* A heavy tail of 400 samples: an ECDF on a log axis, not a smear of outliers. */
    const char *tail[] = {heavy, a, "--metric", "cold_init.init_us"};
    render_both(f, "tail", png, svg, sizeof(png), tail, 4);
    const char *tail_want[] = {"cold_init.init_us (ECDF)", "fraction of samples"};
    expect_picture(png, svg, "sample distributions", tail_want, 2);
    path_in(gp, sizeof(gp), f, "tail.gp");
    script = read_file(gp);
    assert_non_null(script);
    expect_contains(script, "smooth cumulative");
    expect_contains(script, "set logscale x");
    free(script);

    /* History: the labels of its first and last result in the title. */
    const char *hist[] = {"--kind", "history", a, b, again};
    render_both(f, "hist", png, svg, sizeof(png), hist, 5);
    const char *hist_want[] = {"cold_init.lifecycles_per_s", "Test CPU", "1/s (higher is better)"};
    expect_picture(png, svg, "ccbench history: 3 results, main", hist_want, 3);

    /* Compare: the notes right of the rows fit, verdicts as the table writes them. */
    compare_file(f, cmp, sizeof(cmp));
    const char *cmpargs[] = {"--kind", "compare", cmp};
    render_both(f, "cmp", png, svg, sizeof(png), cmpargs, 3);
    const char *cmp_want[] = {"regressed", "api_latency.requests_total (count)",
                              "candidate / baseline", "Test CPU, 2 CPUs"};
    expect_picture(png, svg, "ccbench compare: base.json", cmp_want, 4);
}

/* ---------------------------------------------------------------------------------------- */
/* History over commits (issue 16, item 5): x in commit order along first parents, gaps kept,
 * y from 0 with the threshold band, and the bisect's first bad commit marked. */

/* Store a fixture result of CPU (cold_init.init_us scaled by SCALE) as COMMIT's
 * ccbench-notes/1 note. */
static void note_fixture(git_repository *repo, const fixture *f, const char *commit,
                         const char *created, const char *cpu, double scale)
{
    char path[500], *text = NULL, *note = NULL;
    path_in(path, sizeof(path), f, "note-result.json");
    write_fixture_init(path, "nightly", created, cpu, 1.0, scale);
    text = read_file(path);
    assert_non_null(text);
    assert_true(asprintf(&note,
                         "{\"schema\": \"ccbench-notes/1\", \"entries\": [{\"machine\": "
                         "\"Test CPU|2|6|gcc 12.2.0\", \"profile\": \"quick\", \"result\": %s}]}",
                         text) > 0);
    git_signature *sig = NULL;
    git_oid oid, note_oid;
    assert_int_equal(git_signature_now(&sig, "test", "test@example.com"), 0);
    assert_int_equal(git_oid_fromstr(&oid, commit), 0);
    assert_int_equal(
        git_note_create(&note_oid, repo, "refs/notes/ccbench", sig, sig, &oid, note, 1), 0);
    git_signature_free(sig);
    free(note);
    free(text);
}

/* A commit of HEAD's tree with PARENTS (hex ids; the first the first parent), moving HEAD
 * when MOVE_HEAD; its sha in HEX. */
static void commit_with_parents(git_repository *repo, const char *const *parents_hex, size_t n,
                                const char *message, int move_head, char *hex)
{
    git_commit *parents[2] = {NULL, NULL};
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    git_oid oid;
    assert_true(n >= 1 && n <= 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(git_oid_fromstr(&oid, parents_hex[i]), 0);
        assert_int_equal(git_commit_lookup(&parents[i], repo, &oid), 0);
    }
    assert_int_equal(git_commit_tree(&tree, parents[0]), 0);
    assert_int_equal(git_signature_now(&sig, "test", "test@example.com"), 0);
    assert_int_equal(git_commit_create(&oid, repo, move_head ? "HEAD" : NULL, sig, sig, NULL,
                                       message, tree, n, (const git_commit **)parents),
                     0);
    git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &oid);
    for (size_t i = 0; i < n; i++)
        git_commit_free(parents[i]);
    git_tree_free(tree);
    git_signature_free(sig);
}

/* A ccbench-bisect/1 file at PATH whose first_bad is the commits BAD[0..N) ("slow start",
 * "slow start (2)"...); FIRST_BAD_JSON, when not NULL, replaces the first_bad array. */
static void write_bisect(const char *path, const char *good, const char *last,
                         const char *const *bad, size_t n, const char *first_bad_json)
{
    char list[1200] = "[";
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len,
                                "%s{\"commit\": \"%s\", \"subject\": \"slow start%s\", "
                                "\"author\": \"test\", \"state\": \"bad\"}",
                                i ? ", " : "", bad[i], i ? " (2)" : "");
    snprintf(list + len, sizeof(list) - len, "]");
    char text[4000];
    snprintf(text, sizeof(text),
             "{\"schema\": \"ccbench-bisect/1\", \"metric\": {\"scenario\": \"cold_init\", "
             "\"name\": \"init_us\", \"unit\": \"us\", \"direction\": \"lower_is_better\"}, "
             "\"good\": \"%s\", \"bad\": \"%s\", \"profile\": \"quick\", \"threshold\": 0.1, "
             "\"seed\": 1, \"regression\": true, \"first_bad\": %s, \"commits\": [], "
             "\"steps\": [], \"builds\": {\"built\": 3, \"cached\": 0, \"shared\": 0}}\n",
             good, last, first_bad_json ? first_bad_json : list);
    write_text(path, text);
}

/* What `ccbench bisect --format json` writes (bisect_report.c's writer, not a hand-made
 * file) for a walk over COMMITS[0..N) (GOOD first) that found COMMITS[BAD]: the reader of
 * plot and history must take the writer's output as it is. */
static void write_real_bisect(const char *path, const char *const *commits, size_t n, size_t bad)
{
    ccb_bisect_commit list[8];
    ccb_bisect_step step;
    memset(list, 0, sizeof(list));
    memset(&step, 0, sizeof(step));
    assert_true(n <= 8 && bad < n);
    for (size_t i = 0; i < n; i++) {
        snprintf(list[i].sha, sizeof(list[i].sha), "%s", commits[i]);
        snprintf(list[i].tree, sizeof(list[i].tree), "%s", commits[i]);
        snprintf(list[i].subject, sizeof(list[i].subject), "%s", i == bad ? "slow start" : "x");
        snprintf(list[i].author, sizeof(list[i].author), "test");
        list[i].state = i < bad ? CCB_BISECT_GOOD : CCB_BISECT_BAD;
    }
    step = (ccb_bisect_step){.commit = bad,
                             .build = "built",
                             .measured = 1,
                             .est = 1.3,
                             .low = 1.25,
                             .high = 1.35,
                             .blocks = 4,
                             .verdict = CCB_VERDICT_REGRESSED};
    const ccb_scenario_def *sc = ccb_catalog_find("cold_init");
    assert_non_null(sc);
    ccb_bisect_report r = {.scenario = sc,
                           .metric = ccb_catalog_metric(sc, "init_us"),
                           .good_text = commits[0],
                           .bad_text = commits[n - 1],
                           .profile = "quick",
                           .threshold = 0.1,
                           .seed = 7,
                           .commits = list,
                           .ncommits = n,
                           .steps = &step,
                           .nsteps = 1,
                           .regression = 1,
                           .first = bad,
                           .last = bad,
                           .builds = 1};
    assert_non_null(r.metric);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(ccb_bisect_report_write(fp, &r, CCB_FORMAT_JSON), 0);
    assert_int_equal(fclose(fp), 0);
}

/* The x value after SHA's label in the script's "set xtics (...)" line, or -1. */
static long xtic_of(const char *script, const char *sha)
{
    const char *line = strstr(script, "set xtics (");
    char want[16];
    snprintf(want, sizeof(want), "'%.8s ", sha);
    const char *p = line ? strstr(line, want) : NULL;
    const char *end = line ? strchr(line, '\n') : NULL;
    long x = -1;
    if (!p || p > end)
        return -1;
    p = strchr(p + 1, '\'');
    return p && sscanf(p + 1, " %ld", &x) == 1 ? x : -1;
}

static void test_plot__history_by_commit(void **state)
{
    fixture *f = *state;
    char repo_dir[400], path[500], sha[6][GIT_OID_HEXSZ + 1];
    char side[GIT_OID_HEXSZ + 1], merge[GIT_OID_HEXSZ + 1];
    git_repository *repo = notes_repo(f, repo_dir, sizeof(repo_dir));
    path_in(path, sizeof(path), f, "none.json");

    /* 0 1 2 3 M 4 5 along first parents: no note on 2, only another machine's on the merge M;
     * a side commit (merged by M) has a note but is not on the first-parent line; 4 is 30%
     * slower. */
    const double scale[6] = {1.0, 1.02, 1.0, 0.99, 1.3, 1.31};
    for (int i = 0; i < 4; i++) {
        char content[32];
        snprintf(content, sizeof(content), "int a = %d;\n", i);
        commit_file(repo, repo_dir, content, sha[i]);
    }
    const char *side_parent[1] = {sha[1]};
    commit_with_parents(repo, side_parent, 1, "side branch\n", 0, side);
    const char *merge_parents[2] = {sha[3], side};
    commit_with_parents(repo, merge_parents, 2, "merge side\n", 1, merge);
    commit_file(repo, repo_dir, "int a = 4;\n", sha[4]);
    commit_file(repo, repo_dir, "int a = 5;\n", sha[5]);
    for (int i = 0; i < 6; i++) {
        char created[32];
        snprintf(created, sizeof(created), "2026-11-2%dT10:00:00Z", i);
        if (i != 2)
            note_fixture(repo, f, sha[i], created, "Test CPU", scale[i]);
    }
    note_fixture(repo, f, side, "2026-11-19T10:00:00Z", "Test CPU", 5.0);
    note_fixture(repo, f, merge, "2026-11-23T12:00:00Z", "Other CPU", 1.0);

    proc p;
    char png[500], gp[500], svg[500], bisect[500], bad_json[500];
    snprintf(png, sizeof(png), "%s/commits.png", f->dir);
    snprintf(gp, sizeof(gp), "%s/commits.gp", f->dir);
    snprintf(svg, sizeof(svg), "%s/commits.svg", f->dir);
    path_in(bisect, sizeof(bisect), f, "bisect.json");
    path_in(bad_json, sizeof(bad_json), f, "bad-bisect.json");

    /* Without --bisect: commit order, gaps, y from 0, the band, no marker. */
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("plot", "--kind", "history", "--notes", "HEAD", "--metric", "cold_init.init_us",
                "--out", png));
    expect_status(&p, 0);
    expect_contains(p.err, "1 of 7 commits");
    expect_contains(p.err, "skipped 1 of 6 results"); /* the other machine's, named */
    expect_contains(p.err, "Other CPU");
    proc_free(&p);
    expect_png(png);
    char *script = read_file(gp);
    assert_non_null(script);
    const char *order[7] = {sha[0], sha[1], sha[2], sha[3], merge, sha[4], sha[5]};
    for (long i = 0; i < 7; i++)
        assert_int_equal(xtic_of(script, order[i]), i);
    char side8[9];
    snprintf(side8, sizeof(side8), "%.8s", side);
    assert_null(strstr(script, side8)); /* first parents only */
    expect_contains(script, "set label 'no note' at 2,");
    expect_contains(script, "set label 'other machine' at 4,");
    expect_contains(script, "1 result(s) of other machines or profiles left out");
    /* The data: slots 0 1 3 5 6, a blank line where a commit has no value (the line breaks). */
    const char *block = strstr(script, "$h0 << EOD\n");
    assert_non_null(block);
    block += strlen("$h0 << EOD\n");
    const char *end = strstr(block, "EOD\n");
    assert_non_null(end);
    long want[] = {0, 1, -1, 3, -1, 5, 6}, k = 0;
    for (const char *line = block; line < end; line = strchr(line, '\n') + 1, k++) {
        long x = -1;
        if (*line != '\n')
            assert_int_equal(sscanf(line, "%ld", &x), 1);
        assert_true(k < 7);
        assert_int_equal(x, want[k]);
    }
    assert_int_equal(k, 7);
    expect_contains(script, "set yrange [0:");
    expect_contains(script, "set object rect from graph 0, first"); /* the ±5% band */
    expect_contains(script, "±5% of the first median");
    assert_null(strstr(script, "first bad"));
    free(script);

    /* --bisect: its metric (no --metric), its threshold, the marker on slot 5. */
    const char *culprit[2] = {sha[4], sha[5]};
    write_real_bisect(bisect, order, 7, 5);
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("plot", "--kind", "history", "--notes", "HEAD", "--bisect", bisect, "--out", png));
    expect_status(&p, 0);
    assert_null(strstr(p.err, "warning"));
    proc_free(&p);
    expect_png(png);
    script = read_file(gp);
    char text[100];
    snprintf(text, sizeof(text), "'first bad: %.8s slow start'", sha[4]);
    expect_contains(script, text);
    expect_contains(script, "set arrow from 5, graph 0 to 5, graph 1");
    expect_contains(script, "±10% of the first median");
    assert_null(strstr(script, "lifecycles_per_s")); /* the bisected metric only */
    free(script);
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("plot", "--kind", "history", "--notes", "HEAD", "--bisect", bisect, "--out", svg));
    expect_status(&p, 0);
    proc_free(&p);
    /* As a person sees it: the same picture in both, nothing clipped, the marker's label and
     * the gap's reason there. */
    snprintf(text, sizeof(text), "first bad: %.8s slow start", sha[4]);
    const char *want_seen[] = {text, "no note", "cold_init.init_us", "±10% of the first median"};
    expect_picture(png, svg, "ccbench history: 7 commits", want_seen, 4);

    /* A range (a skipped commit left two): one band over both slots. */
    write_bisect(bisect, sha[0], sha[5], culprit, 2, NULL);
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("plot", "--kind", "history", "--notes", "HEAD", "--bisect", bisect, "--out", png));
    expect_status(&p, 0);
    proc_free(&p);
    script = read_file(gp);
    snprintf(text, sizeof(text), "'first bad: one of 2, %.8s .. %.8s'", sha[4], sha[5]);
    expect_contains(script, text);
    expect_contains(script, "set object rect from 5-0.5, graph 0 to 6+0.5, graph 1");
    free(script);

    /* The culprit outside the range: a warning, exit 0, nothing marked. */
    write_bisect(bisect, sha[0], sha[5], culprit, 1, NULL);
    char range[100];
    snprintf(range, sizeof(range), "%.12s..HEAD", sha[4]);
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("plot", "--kind", "history", "--notes", range, "--bisect", bisect, "--out", png));
    expect_status(&p, 0);
    expect_contains(p.err, "warning");
    expect_contains(p.err, "not in the range");
    proc_free(&p);
    script = read_file(gp);
    assert_null(strstr(script, "first bad:"));
    free(script);

    /* A bisect that found no regression: nothing to mark, said so, exit 0. */
    char none[600];
    snprintf(none, sizeof(none),
             "{\"schema\": \"ccbench-bisect/1\", \"metric\": {\"scenario\": \"cold_init\", "
             "\"name\": \"init_us\"}, \"good\": \"%s\", \"bad\": \"%s\", \"threshold\": 0.05, "
             "\"regression\": false, \"first_bad\": []}\n",
             sha[0], sha[5]);
    write_text(bad_json, none);
    run_in(
        &p, f, repo_dir, NO_ENV,
        ARGS("plot", "--kind", "history", "--notes", "HEAD", "--bisect", bad_json, "--out", png));
    expect_status(&p, 0);
    expect_contains(p.err, "found no regression");
    proc_free(&p);
    script = read_file(gp);
    assert_null(strstr(script, "first bad:"));
    free(script);
    /* Malformed bisect files: exit 2, the field named. */
    static const struct {
        const char *first_bad, *field;
    } bad[] = {
        {"[{\"commit\": \"abc\", \"subject\": \"x\"}]", "first_bad[0].commit"},
        {"[{\"commit\": \"0123456789012345678901234567890123456789\", \"subject\": 7}]",
         "first_bad[0].subject"},
        {"[]", "first_bad"},
        {"{}", "first_bad"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_bisect(bad_json, sha[0], sha[5], NULL, 0, bad[i].first_bad);
        run_in(&p, f, repo_dir, NO_ENV,
               ARGS("plot", "--kind", "history", "--notes", "HEAD", "--bisect", bad_json, "--out",
                    png));
        expect_status(&p, 2);
        expect_contains(p.err, bad[i].field);
        proc_free(&p);
    }
    write_text(bad_json, "{\"schema\": \"ccbench-compare/1\"}\n");
    run_in(&p, f, repo_dir, NO_ENV, ARGS("history", "--notes", "HEAD", "--bisect", bad_json));
    expect_status(&p, 2);
    expect_contains(p.err, "field schema");
    proc_free(&p);
    run_in(&p, f, repo_dir, NO_ENV, ARGS("history", path, "--bisect", bisect));
    expect_status(&p, 2);
    expect_contains(p.err, "--notes");
    proc_free(&p);

    /* history --notes --bisect: the row marked, in table, markdown and JSON. */
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("history", "--notes", "HEAD", "--bisect", bisect, "--metric", "cold_init.init_us"));
    expect_status(&p, 0);
    char sha12[13];
    snprintf(sha12, sizeof(sha12), "%.12s", sha[4]);
    const char *row = strstr(p.out, sha12);
    assert_non_null(row);
    const char *eol = strchr(row, '\n');
    const char *mark = strstr(row, "<- first bad: slow start");
    assert_true(mark && mark < eol);
    assert_null(strstr(eol, "first bad")); /* one row only */
    proc_free(&p);
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("history", "--notes", "HEAD", "--bisect", bisect, "--format", "markdown"));
    expect_status(&p, 0);
    snprintf(text, sizeof(text), "`%.12s` **first bad**", sha[4]);
    expect_contains(p.out, text);
    proc_free(&p);
    run_in(&p, f, repo_dir, NO_ENV,
           ARGS("history", "--notes", "HEAD", "--bisect", bisect, "--format", "json"));
    expect_status(&p, 0);
    cJSON *json = cJSON_Parse(p.out);
    assert_non_null(json);
    const cJSON *commits = cJSON_GetObjectItemCaseSensitive(json, "commits");
    assert_int_equal(cJSON_GetArraySize(commits), 7);
    for (int i = 0; i < 7; i++) {
        const cJSON *c = cJSON_GetArrayItem(commits, i);
        assert_int_equal(
            strncmp(cJSON_GetObjectItemCaseSensitive(c, "commit")->valuestring, order[i], 12), 0);
        assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(c, "first_bad")));
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "first_bad")), i == 5);
    }
    cJSON_Delete(json);
    proc_free(&p);
    git_repository_free(repo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plot__distribution_png_and_svg, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__history_png_and_svg, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__without_gnuplot_writes_the_script, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__bad_usage_exits_2, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__compare_png_and_svg, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__compare_count_falling_to_zero, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__compare_malformed_file_exits_2, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__history_skips_another_machine, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__exports_have_documented_shapes, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__notes_round_trip, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__history_by_commit, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_plot__pictures_are_readable, cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, cli_group_setup, cli_group_teardown);
}
