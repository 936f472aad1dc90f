/*
 * Table, markdown and JSON renderings of a result (see report.h). Cells are formatted first
 * and padded after, so colour codes never upset the alignment.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define BOLD "\033[1m"
#define RED "\033[31m"
#define YELLOW "\033[33m"
#define CYAN "\033[36m"
#define DIM "\033[2m"
#define RESET "\033[0m"

enum {
    COL_SCENARIO,
    COL_METRIC,
    COL_UNIT,
    COL_N,
    COL_MEDIAN,
    COL_CI,
    COL_MAD,
    COL_P95,
    COL_OUTLIERS,
    COL_FAILED,
    NCOLS
};

static const char *const headers[NCOLS] = {"scenario", "metric", "unit", "n",        "median",
                                           "CI95",     "MAD",    "p95",  "outliers", "failed"};
/* Right-aligned (numeric) columns. */
static const int numeric[NCOLS] = {0, 0, 0, 1, 1, 0, 1, 1, 1, 1};

typedef char cell[64];

void ccb_report_format_number(char *buf, size_t size, double v)
{
    double a = fabs(v);
    /* Tables are read, not parsed (JSON keeps every digit): 2483652 reads as 2.48M. */
    static const struct {
        double at;
        const char *prefix;
    } si[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e5, "k"}};
    for (size_t i = 0; isfinite(v) && i < sizeof(si) / sizeof(si[0]); i++) {
        /* 999,999 is "1.00M", not "1000k": the next prefix from where rounding reaches it. */
        if (a >= (si[i].at >= 1e6 ? si[i].at * 0.9995 : si[i].at)) {
            double scaled = v / (si[i].at >= 1e6 ? si[i].at : 1e3);
            snprintf(buf, size, "%.*f%s",
                     fabs(scaled) >= 100  ? 0
                     : fabs(scaled) >= 10 ? 1
                                          : 2,
                     scaled, si[i].prefix);
            return;
        }
    }
    if (!isfinite(v))
        snprintf(buf, size, "%g", v);
    else if (a >= 1000 || (v == floor(v) && a < 1e15))
        snprintf(buf, size, "%.0f", v);
    else if (a >= 1)
        snprintf(buf, size, "%.*f", 3 - (int)floor(log10(a)), v);
    else
        snprintf(buf, size, "%#.3g", v); /* '#' keeps "0.730", not "0.73" */
}

static void fill_row(cell *row, const ccb_scenario_result *s, const ccb_metric_result *m, int first)
{
    const ccb_summary *st = &m->stats;
    snprintf(row[COL_SCENARIO], sizeof(cell), "%s", first ? s->name : "");
    snprintf(row[COL_METRIC], sizeof(cell), "%s", m->name);
    snprintf(row[COL_UNIT], sizeof(cell), "%s", m->unit);
    /* n is the replicates: processes when each gave several samples ("3x1000"). */
    if (m->grouped && m->n > m->ngroups && m->n % m->ngroups == 0)
        snprintf(row[COL_N], sizeof(cell), "%zux%zu", m->ngroups, m->n / m->ngroups);
    else if (m->grouped && m->n > m->ngroups)
        snprintf(row[COL_N], sizeof(cell), "%zu proc/%zu", m->ngroups, m->n);
    else
        snprintf(row[COL_N], sizeof(cell), "%zu", st->n);
    if (st->n == 0) {
        for (int c = COL_MEDIAN; c <= COL_OUTLIERS; c++)
            snprintf(row[c], sizeof(cell), "-");
    } else {
        char lo[24], hi[24];
        ccb_report_format_number(row[COL_MEDIAN], sizeof(cell), st->median);
        ccb_report_format_number(lo, sizeof(lo), st->ci95_low);
        ccb_report_format_number(hi, sizeof(hi), st->ci95_high);
        if (isfinite(st->ci95_low))
            snprintf(row[COL_CI], sizeof(cell), "[%s, %s]", lo, hi);
        else
            snprintf(row[COL_CI], sizeof(cell), "n=%zu: none", st->n);
        ccb_report_format_number(row[COL_MAD], sizeof(cell), st->mad);
        ccb_report_format_number(row[COL_P95], sizeof(cell), st->p95);
        snprintf(row[COL_OUTLIERS], sizeof(cell), "%zu", st->outliers);
    }
    if (first)
        snprintf(row[COL_FAILED], sizeof(cell), "%zu", s->samples_failed);
    else
        row[COL_FAILED][0] = '\0';
}

/* All metric rows of R, plus one row for a scenario that has no metric at all. */
static cell *build_rows(const ccb_result *r, size_t *nrows)
{
    size_t count = 0;
    for (size_t i = 0; i < r->nscenarios; i++)
        count += r->scenarios[i].nmetrics ? r->scenarios[i].nmetrics : 1;
    cell *rows = calloc(count ? count * NCOLS : 1, sizeof(cell));
    if (!rows)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < r->nscenarios; i++) {
        const ccb_scenario_result *s = &r->scenarios[i];
        for (size_t j = 0; j < s->nmetrics; j++, k++)
            fill_row(&rows[k * NCOLS], s, &s->metrics[j], j == 0);
        if (s->nmetrics == 0) {
            cell *row = &rows[k * NCOLS];
            snprintf(row[COL_SCENARIO], sizeof(cell), "%s", s->name);
            snprintf(row[COL_FAILED], sizeof(cell), "%zu", s->samples_failed);
            k++;
        }
    }
    *nrows = count;
    return rows;
}

/* Which scenario each row belongs to, for colouring. */
static const ccb_scenario_result *row_scenario(const ccb_result *r, size_t row)
{
    for (size_t i = 0; i < r->nscenarios; i++) {
        size_t n = r->scenarios[i].nmetrics ? r->scenarios[i].nmetrics : 1;
        if (row < n)
            return &r->scenarios[i];
        row -= n;
    }
    return NULL;
}

static void print_cell(FILE *out, const char *text, int width, int right, const char *color)
{
    int pad = width - (int)strlen(text);
    if (!text[0])
        color = NULL;
    if (right)
        fprintf(out, "%*s", pad > 0 ? pad : 0, "");
    fprintf(out, "%s%s%s", color ? color : "", text, color ? RESET : "");
    if (!right)
        fprintf(out, "%*s", pad > 0 ? pad : 0, "");
}

static void print_header(FILE *out, const ccb_result *r, int color)
{
    fprintf(out, "%sccbench %s%s: label %s, profile %s, %s\n", color ? BOLD : "",
            r->ccbench_version, color ? RESET : "", r->label, r->profile, r->created_at);
    if (r->git.present)
        fprintf(out, "git: %s @ %.12s%s\n", r->git.revision ? r->git.revision : "?",
                r->git.commit ? r->git.commit : "(no commit yet)",
                r->git.dirty ? " (uncommitted changes)" : "");
    else
        fprintf(out, "git: not measured inside a git repository\n");
    const ccb_machine_info *m = &r->machine;
    fprintf(out, "machine: %s, %s %s, %s, %d CPUs, %ld MiB, %s, %s build\n\n", m->hostname, m->os,
            m->kernel, m->cpu_model, m->cpus, m->mem_total_kb / 1024, m->compiler, m->build_type);
}

/* The reason counts and first detail of each distinct reason of S. */
typedef void (*reason_fn)(FILE *out, const char *reason, size_t count, const char *detail,
                          int color);

static void for_each_reason(FILE *out, const ccb_scenario_result *s, reason_fn fn, int color)
{
    for (size_t i = 0; i < s->nfailures; i++) {
        const char *reason = s->failures[i].reason;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(s->failures[j].reason, reason) == 0;
        if (seen)
            continue;
        size_t count = 0;
        for (size_t j = i; j < s->nfailures; j++)
            count += strcmp(s->failures[j].reason, reason) == 0;
        fn(out, reason, count, s->failures[i].detail, color);
    }
}

static void table_reason(FILE *out, const char *reason, size_t count, const char *detail, int color)
{
    fprintf(out, "    %s%s%s", color ? RED : "", reason, color ? RESET : "");
    if (count > 1)
        fprintf(out, " (x%zu, first shown)", count);
    fputs(": ", out);
    /* A log tail follows the first line; indent it so it reads as a quote. */
    for (const char *p = detail; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "      %s|%s ", color ? DIM : "", color ? RESET : "");
    }
    fputc('\n', out);
}

static void print_failures_table(FILE *out, const ccb_result *r, int color)
{
    int any = 0;
    for (size_t i = 0; i < r->nscenarios; i++)
        any |= r->scenarios[i].nfailures > 0 || r->scenarios[i].samples_ok == 0;
    if (!any)
        return;
    fprintf(out, "\n%sfailures:%s\n", color ? BOLD : "", color ? RESET : "");
    for (size_t i = 0; i < r->nscenarios; i++) {
        const ccb_scenario_result *s = &r->scenarios[i];
        if (s->nfailures == 0 && s->samples_ok > 0)
            continue;
        size_t total = s->samples_ok + s->samples_failed;
        fprintf(out, "  %s: %zu of %zu samples failed%s\n", s->name, s->samples_failed, total,
                s->samples_ok == 0 ? " (no valid sample)" : "");
        for_each_reason(out, s, table_reason, color);
    }
}

/* Involuntary context switches per process (median) above which a scenario's processes were
 * evidently preempted, and the share of their wall time the hypervisor stole. */
#define NOISY_NIVCSW 10
#define NOISY_STEAL 0.01

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* One line per scenario: the parameters that shaped it, and the noise its processes saw
 * (recorded per process in the result, shown here), flagged where high. */
static void print_scenario_lines(FILE *out, const ccb_result *r, int color)
{
    fprintf(out, "\n%sparameters and noise per scenario:%s\n", color ? BOLD : "",
            color ? RESET : "");
    for (size_t i = 0; i < r->nscenarios; i++) {
        const ccb_scenario_result *s = &r->scenarios[i];
        fprintf(out, "  %s:", s->name);
        const cJSON *p = NULL;
        cJSON_ArrayForEach(p, s->params)
        {
            if (strcmp(p->string, "api_endpoint") == 0)
                continue;
            if (cJSON_IsNumber(p))
                fprintf(out, " %s=%g", p->string, p->valuedouble);
            else if (cJSON_IsString(p))
                fprintf(out, " %s=%s", p->string, p->valuestring);
        }
        long *iv = s->nprocesses ? malloc(s->nprocesses * sizeof(*iv)) : NULL;
        double steal = 0, wall = 0;
        for (size_t k = 0; iv && k < s->nprocesses; k++) {
            iv[k] = s->processes[k].nivcsw;
            steal += s->processes[k].steal_ms;
            wall += s->processes[k].wall_ms;
        }
        if (iv) {
            qsort(iv, s->nprocesses, sizeof(*iv), cmp_long);
            long median = iv[s->nprocesses / 2];
            /* More threads than CPUs preempt each other by design: only steal counts there. */
            int threaded = cJSON_GetObjectItemCaseSensitive(s->params, "threads") != NULL;
            int noisy =
                (!threaded && median > NOISY_NIVCSW) || (wall > 0 && steal / wall > NOISY_STEAL);
            fprintf(out,
                    " | per process %ld involuntary context switches (median), steal %.1f ms "
                    "in all%s%s%s",
                    median, steal, noisy && color ? YELLOW : "",
                    noisy ? " - high: the machine was busy, read these numbers with care" : "",
                    noisy && color ? RESET : "");
            free(iv);
        }
        fputc('\n', out);
    }
}

static int write_table(FILE *out, const ccb_result *r, int color)
{
    size_t nrows = 0;
    cell *rows = build_rows(r, &nrows);
    if (!rows)
        return ccb_error_set("out of memory rendering the report");
    int width[NCOLS];
    for (int c = 0; c < NCOLS; c++) {
        width[c] = (int)strlen(headers[c]);
        for (size_t k = 0; k < nrows; k++) {
            int w = (int)strlen(rows[k * NCOLS + c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    print_header(out, r, color);
    for (int c = 0; c < NCOLS; c++) {
        print_cell(out, headers[c], width[c], numeric[c], color ? BOLD : NULL);
        fputs(c + 1 < NCOLS ? "  " : "\n", out);
    }
    for (size_t k = 0; k < nrows; k++) {
        const ccb_scenario_result *s = row_scenario(r, k);
        for (int c = 0; c < NCOLS; c++) {
            const char *text = rows[k * NCOLS + c];
            const char *col = NULL;
            if (color && c == COL_SCENARIO)
                col = s && s->samples_ok == 0 ? RED : CYAN;
            else if (color && c == COL_FAILED && text[0] && strcmp(text, "0") != 0)
                col = RED;
            else if (color && c == COL_OUTLIERS && text[0] && strcmp(text, "0") != 0 &&
                     strcmp(text, "-") != 0)
                col = YELLOW;
            /* The last column needs no trailing padding. */
            print_cell(out, text, c + 1 < NCOLS ? width[c] : (numeric[c] ? width[c] : 0),
                       numeric[c], col);
            fputs(c + 1 < NCOLS ? "  " : "\n", out);
        }
    }
    print_scenario_lines(out, r, color);
    print_failures_table(out, r, color);
    free(rows);
    return 0;
}

/* A markdown table cell: '|' would end the cell, a newline the row. */
static void md_cell(FILE *out, const char *text)
{
    fputs("| ", out);
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            fputs("\\|", out);
        else if (*p == '\n')
            fputc(' ', out);
        else
            fputc(*p, out);
    }
    fputc(' ', out);
}

static void md_reason_block(FILE *out, const char *reason, size_t count, const char *detail,
                            int color)
{
    /* Indent every log line so the fence stays inside the list item. */
    size_t first = strcspn(detail, "\n");
    fprintf(out, "  - `%s`", reason);
    if (count > 1)
        fprintf(out, " (x%zu, first shown)", count);
    fprintf(out, ": %.*s\n", (int)first, detail);
    if (detail[first] != '\n')
        return;
    fputs("\n    ```\n    ", out);
    for (const char *p = detail + first + 1; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fputs("    ", out);
    }
    fputs("\n    ```\n", out);
}

static int write_markdown(FILE *out, const ccb_result *r)
{
    size_t nrows = 0;
    cell *rows = build_rows(r, &nrows);
    if (!rows)
        return ccb_error_set("out of memory rendering the report");
    fprintf(out, "### ccbench: `%s` (profile %s)\n\n", r->label, r->profile);
    if (r->git.present)
        fprintf(out, "git `%s` @ `%.12s`%s · ", r->git.revision ? r->git.revision : "?",
                r->git.commit ? r->git.commit : "no commit yet",
                r->git.dirty ? " (uncommitted changes)" : "");
    fprintf(out, "%s %s · %s · %d CPUs · %s · %s build · %s\n\n", r->machine.os, r->machine.kernel,
            r->machine.cpu_model, r->machine.cpus, r->machine.compiler, r->machine.build_type,
            r->created_at);
    for (int c = 0; c < NCOLS; c++)
        md_cell(out, headers[c]);
    fputs("|\n", out);
    for (int c = 0; c < NCOLS; c++)
        fputs(numeric[c] ? "|---:" : "|---", out);
    fputs("|\n", out);
    for (size_t k = 0; k < nrows; k++) {
        for (int c = 0; c < NCOLS; c++)
            md_cell(out, rows[k * NCOLS + c]);
        fputs("|\n", out);
    }
    int any = 0;
    for (size_t i = 0; i < r->nscenarios; i++) {
        const ccb_scenario_result *s = &r->scenarios[i];
        if (s->nfailures == 0 && s->samples_ok > 0)
            continue;
        if (!any)
            fputs("\n**Failures**\n\n", out);
        any = 1;
        fprintf(out, "- `%s`: %zu of %zu samples failed%s\n", s->name, s->samples_failed,
                s->samples_ok + s->samples_failed, s->samples_ok == 0 ? " (no valid sample)" : "");
        for_each_reason(out, s, md_reason_block, 0);
    }
    free(rows);
    return 0;
}

static int write_json(FILE *out, const ccb_result *r)
{
    char *text = ccb_result_to_text(r);
    if (!text)
        return -1;
    fputs(text, out);
    fputc('\n', out);
    free(text);
    return 0;
}

/*
 * Exports for the dashboards people already run. Shapes as documented (checked 2026-11):
 * - github-action-benchmark, "customSmallerIsBetter"/"customBiggerIsBetter" tools
 *   (github.com/benchmark-action/github-action-benchmark, README "Examples"): a JSON array of
 *   {"name", "unit", "value"} with optional "range" (a string, e.g. "± 329") and "extra"
 *   (a string). One file feeds one `tool:`, so one direction: `github-action-benchmark`
 *   holds the lower-is-better metrics (customSmallerIsBetter) and
 *   `github-action-benchmark-bigger` the higher-is-better ones (customBiggerIsBetter); each
 *   says on stderr how many it left to the other. Name "scenario.metric", value the median,
 *   range "± half the 95% CI width", extra n, the CI and the commit.
 * - Bencher Metric Format (bencher.dev/docs/reference/bencher-metric-format):
 *   {"<benchmark>": {"<measure>": {"value", "lower_value", "upper_value"}}}, lower/upper
 *   optional. Benchmark = scenario name, measure = metric name (Bencher creates a measure
 *   for a new name), value = median, lower/upper = the 95% CI of the median.
 */
static int export_gab(FILE *out, const ccb_result *r, ccb_direction want)
{
    cJSON *array = cJSON_CreateArray();
    size_t other = 0;
    char *text = NULL;
    int ok = array != NULL;
    for (size_t i = 0; ok && i < r->nscenarios; i++) {
        const ccb_scenario_result *s = &r->scenarios[i];
        for (size_t j = 0; ok && j < s->nmetrics; j++) {
            const ccb_metric_result *m = &s->metrics[j];
            if (m->stats.n == 0)
                continue;
            if (m->direction != want) {
                other++;
                continue;
            }
            const ccb_summary *st = &m->stats;
            char name[256], range[64], extra[256], lo[24], hi[24], half[24];
            double h = fmax(st->ci95_high - st->median, st->median - st->ci95_low);
            snprintf(name, sizeof(name), "%s.%s", s->name, m->name);
            ccb_report_format_number(half, sizeof(half), h);
            if (isfinite(h))
                snprintf(range, sizeof(range), "\xc2\xb1 %s", half);
            else
                snprintf(range, sizeof(range), "n=%zu: no 95%% CI", st->n);
            ccb_report_format_number(lo, sizeof(lo), st->ci95_low);
            ccb_report_format_number(hi, sizeof(hi), st->ci95_high);
            snprintf(extra, sizeof(extra), "n=%zu, median with 95%% CI [%s, %s], %s%s%.12s", st->n,
                     lo, hi, ccb_direction_name(m->direction),
                     r->git.present && r->git.commit ? ", commit " : "",
                     r->git.present && r->git.commit ? r->git.commit : "");
            cJSON *o = cJSON_CreateObject();
            ok = o && cJSON_AddItemToArray(array, o) && cJSON_AddStringToObject(o, "name", name) &&
                 cJSON_AddStringToObject(o, "unit", m->unit) &&
                 cJSON_AddNumberToObject(o, "value", st->median) &&
                 cJSON_AddStringToObject(o, "range", range) &&
                 cJSON_AddStringToObject(o, "extra", extra);
        }
    }
    text = ok ? cJSON_Print(array) : NULL;
    cJSON_Delete(array);
    if (!text)
        return ccb_error_set("out of memory rendering the export");
    fprintf(out, "%s\n", text);
    free(text);
    if (other)
        fprintf(stderr,
                "ccbench: %zu %s metrics left out: a github-action-benchmark file holds one "
                "direction; use --format %s for them (tool: %s)\n",
                other, want == CCB_LOWER_IS_BETTER ? "higher-is-better" : "lower-is-better",
                want == CCB_LOWER_IS_BETTER ? "github-action-benchmark-bigger"
                                            : "github-action-benchmark",
                want == CCB_LOWER_IS_BETTER ? "customBiggerIsBetter" : "customSmallerIsBetter");
    return 0;
}

static int export_bencher(FILE *out, const ccb_result *r)
{
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;
    int ok = root != NULL;
    for (size_t i = 0; ok && i < r->nscenarios; i++) {
        const ccb_scenario_result *s = &r->scenarios[i];
        cJSON *bench = NULL;
        for (size_t j = 0; ok && j < s->nmetrics; j++) {
            const ccb_metric_result *m = &s->metrics[j];
            if (m->stats.n == 0)
                continue;
            if (!bench) {
                bench = cJSON_AddObjectToObject(root, s->name);
                ok = bench != NULL;
            }
            cJSON *measure = ok ? cJSON_AddObjectToObject(bench, m->name) : NULL;
            ok = measure && cJSON_AddNumberToObject(measure, "value", m->stats.median);
            /* BMF's bounds are optional: too few replicates for a 95% interval, none. */
            if (ok && isfinite(m->stats.ci95_low))
                ok = cJSON_AddNumberToObject(measure, "lower_value", m->stats.ci95_low) &&
                     cJSON_AddNumberToObject(measure, "upper_value", m->stats.ci95_high);
        }
    }
    text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return ccb_error_set("out of memory rendering the export");
    fprintf(out, "%s\n", text);
    free(text);
    return 0;
}

int ccb_report_write(FILE *out, const ccb_result *r, ccb_format format, int color)
{
    int rc = -1;
    switch (format) {
    case CCB_FORMAT_TABLE:
        rc = write_table(out, r, color);
        break;
    case CCB_FORMAT_MARKDOWN:
        rc = write_markdown(out, r);
        break;
    case CCB_FORMAT_JSON:
        rc = write_json(out, r);
        break;
    case CCB_FORMAT_GITHUB_ACTION_BENCHMARK:
        rc = export_gab(out, r, CCB_LOWER_IS_BETTER);
        break;
    case CCB_FORMAT_GITHUB_ACTION_BENCHMARK_BIGGER:
        rc = export_gab(out, r, CCB_HIGHER_IS_BETTER);
        break;
    case CCB_FORMAT_BENCHER:
        rc = export_bencher(out, r);
        break;
    }
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = ccb_error_set("cannot write the report: %s", strerror(errno));
    return rc;
}
