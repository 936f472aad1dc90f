/*
 * The history loader and its renderings (see history.h). The fingerprint rule exists because
 * a median from another CPU or compiler says nothing about a commit: mixing them would chart
 * the runner pool, not the code, so such results are dropped and counted, never blended.
 */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "error.h"
#include "report.h"

#define HISTORY_SCHEMA "ccbench-history/1"

int ccb_history_add(ccb_history *h, ccb_result *r, const char *source, const char *commit)
{
    /* Files and git notes are other people's text: nothing in them may reach the terminal
     * as a control sequence (the table, the skipped-results lines). */
    ccb_result_neutralize_controls(r);
    /* results/latest.json is a copy of the newest run: a glob of results/ must not count it
     * twice. Same creation time, label, profile and commit: the same measurement. */
    for (size_t i = 0; i < h->n; i++) {
        const ccb_result *o = h->entries[i].result;
        if (o->created_at && r->created_at && strcmp(o->created_at, r->created_at) == 0 &&
            strcmp(o->label ? o->label : "", r->label ? r->label : "") == 0 &&
            strcmp(o->profile ? o->profile : "", r->profile ? r->profile : "") == 0 &&
            strcmp(o->git.commit ? o->git.commit : "", r->git.commit ? r->git.commit : "") == 0) {
            ccb_result_free(r);
            h->duplicates++;
            return 0;
        }
    }
    if (ccb_array_reserve((void **)&h->entries, h->n, &h->cap, sizeof(*h->entries), 16) != 0) {
        ccb_result_free(r);
        return -1;
    }
    ccb_history_entry *e = &h->entries[h->n];
    memset(e, 0, sizeof(*e));
    e->source = strdup(source);
    if (!e->source) {
        ccb_result_free(r);
        return ccb_error_set("out of memory");
    }
    e->result = r;
    const char *sha = commit ? commit : (r->git.present ? r->git.commit : NULL);
    snprintf(e->commit, sizeof(e->commit), "%.12s", sha ? sha : "");
    h->n++;
    return 0;
}

/* Stable insertion sort by created_at: ISO 8601 UTC strings order as text, and n is small. */
static void sort_by_time(ccb_history *h)
{
    for (size_t i = 1; i < h->n; i++) {
        ccb_history_entry e = h->entries[i];
        size_t j = i;
        while (j > 0 && strcmp(h->entries[j - 1].result->created_at, e.result->created_at) > 0) {
            h->entries[j] = h->entries[j - 1];
            j--;
        }
        h->entries[j] = e;
    }
}

int ccb_history_load_files(ccb_history *h, char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ccb_result *r = NULL;
        if (ccb_result_read_file(paths[i], &r) != 0 || ccb_history_add(h, r, paths[i], NULL) != 0)
            return -1;
    }
    sort_by_time(h);
    return 0;
}

static long kernel_major(const char *kernel)
{
    return kernel ? strtol(kernel, NULL, 10) : -1;
}

static int same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Why R's machine (or profile) is not NEWEST's, or 0 when it is the same fingerprint. */
static int fingerprint_differs(const ccb_result *rr, const ccb_result *nn, char *why, size_t size)
{
    const ccb_machine_info *r = &rr->machine, *newest = &nn->machine;
    if (!same_text(rr->profile, nn->profile))
        snprintf(why, size, "profile '%s', newest '%s'", rr->profile ? rr->profile : "",
                 nn->profile ? nn->profile : "");
    else if (!same_text(r->cpu_model, newest->cpu_model))
        snprintf(why, size, "cpu_model '%s', newest '%s'", r->cpu_model, newest->cpu_model);
    else if (r->cpus != newest->cpus)
        snprintf(why, size, "cpus %d, newest %d", r->cpus, newest->cpus);
    else if (kernel_major(r->kernel) != kernel_major(newest->kernel))
        snprintf(why, size, "kernel '%s', newest '%s'", r->kernel, newest->kernel);
    else if (!same_text(r->compiler, newest->compiler))
        snprintf(why, size, "compiler '%s', newest '%s'", r->compiler, newest->compiler);
    else
        return 0;
    return 1;
}

int ccb_history_filter_machine(ccb_history *h)
{
    if (h->n == 0)
        return 0;
    const ccb_result *newest = h->entries[h->n - 1].result;
    size_t kept = 0;
    int rc = 0;
    for (size_t i = 0; i < h->n; i++) {
        ccb_history_entry *e = &h->entries[i];
        char why[512];
        if (rc != 0 || !fingerprint_differs(e->result, newest, why, sizeof(why))) {
            h->entries[kept++] = *e;
            continue;
        }
        if (ccb_array_reserve((void **)&h->skipped, h->nskipped, &h->skip_cap, sizeof(*h->skipped),
                              8) != 0) {
            rc = -1;
            h->entries[kept++] = *e;
            continue;
        }
        ccb_history_skip *s = &h->skipped[h->nskipped];
        s->reason = strdup(why);
        s->source = e->source; /* moves from the entry */
        if (!s->reason) {
            rc = ccb_error_set("out of memory");
            h->entries[kept++] = *e;
            continue;
        }
        h->nskipped++;
        ccb_result_free(e->result);
    }
    /* `newest` pointed into an entry that is always kept (it matches itself). */
    h->n = kept;
    return rc;
}

int ccb_history_add_commit(ccb_history *h, const char *sha, long long when, int has_note)
{
    if (ccb_array_reserve((void **)&h->commits, h->ncommits, &h->commits_cap, sizeof(*h->commits),
                          32) != 0)
        return -1;
    ccb_history_commit *c = &h->commits[h->ncommits++];
    memset(c, 0, sizeof(*c));
    time_t t = (time_t)when;
    struct tm tm;
    snprintf(c->sha, sizeof(c->sha), "%.12s", sha);
    if (gmtime_r(&t, &tm))
        strftime(c->date, sizeof(c->date), "%Y-%m-%d", &tm);
    else
        snprintf(c->date, sizeof(c->date), "?");
    c->has_note = has_note;
    return 0;
}

void ccb_history_release(ccb_history *h)
{
    for (size_t i = 0; i < h->n; i++) {
        ccb_result_free(h->entries[i].result);
        free(h->entries[i].source);
    }
    for (size_t i = 0; i < h->nskipped; i++) {
        free(h->skipped[i].source);
        free(h->skipped[i].reason);
    }
    free(h->entries);
    free(h->skipped);
    free(h->commits);
    memset(h, 0, sizeof(*h));
}

const ccb_metric_result *ccb_history_series_find(const ccb_result *r, const ccb_series *s)
{
    const ccb_scenario_result *sc = ccb_result_find_scenario(r, s->scenario);
    return sc ? ccb_result_scenario_find_metric(sc, s->metric) : NULL;
}

static int series_has(const ccb_series *list, size_t n, const char *scenario, const char *metric)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].scenario, scenario) == 0 && strcmp(list[i].metric, metric) == 0)
            return 1;
    }
    return 0;
}

static int filter_error(const ccb_series *list, size_t n, const char *filter)
{
    char **names = calloc(n ? n : 1, sizeof(char *));
    const char *near = NULL;
    int ok = names != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = asprintf(&names[i], "%s.%s", list[i].scenario, list[i].metric) >= 0;
    if (ok)
        near = ccb_cli_nearest(filter, (const char *const *)names, n);
    if (near)
        ccb_error_setc(CCB_ERROR_USAGE,
                       "--metric '%s': no such metric in these results. Did you mean '%s'?", filter,
                       near);
    else
        ccb_error_setc(CCB_ERROR_USAGE,
                       "--metric '%s': no such metric in these results (SCENARIO.METRIC, as "
                       "'ccbench show FILE' lists them)",
                       filter);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    return -1;
}

int ccb_history_series_collect(const ccb_result *const *rs, size_t n, const char *filter,
                               ccb_series **out, size_t *count)
{
    size_t cap = 0, len = 0;
    ccb_series *list = NULL;
    *out = NULL;
    *count = 0;
    if (filter && !strchr(filter, '.'))
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "--metric '%s': expected SCENARIO.METRIC (e.g. cold_init.init_us)",
                              filter);
    /* The newest (last) result first: its order is the one `show` prints. */
    for (size_t k = n; k-- > 0;) {
        const ccb_result *r = rs[k];
        for (size_t i = 0; i < r->nscenarios; i++) {
            const ccb_scenario_result *s = &r->scenarios[i];
            for (size_t j = 0; j < s->nmetrics; j++) {
                const ccb_metric_result *m = &s->metrics[j];
                if (series_has(list, len, s->name, m->name))
                    continue;
                if (ccb_array_reserve((void **)&list, len, &cap, sizeof(*list), 32) != 0) {
                    free(list);
                    return -1;
                }
                list[len++] = (ccb_series){s->name, m->name, m->unit, m->direction};
            }
        }
    }
    if (filter) {
        size_t keep = len;
        for (size_t i = 0; i < len; i++) {
            size_t slen = strlen(list[i].scenario);
            if (strncmp(filter, list[i].scenario, slen) == 0 && filter[slen] == '.' &&
                strcmp(filter + slen + 1, list[i].metric) == 0)
                keep = i;
        }
        if (keep == len) {
            filter_error(list, len, filter);
            free(list);
            return -1;
        }
        list[0] = list[keep];
        len = 1;
    }
    *out = list;
    *count = len;
    return 0;
}

void ccb_history_entry_label(const ccb_history_entry *e, char *buf, size_t size)
{
    const char *label = e->result->label;
    char sha[9];
    snprintf(sha, sizeof(sha), "%.8s", e->commit);
    if (sha[0] && label[0] && strncmp(label, sha, strlen(sha)) != 0)
        snprintf(buf, size, "%s @ %s", label, sha);
    else
        snprintf(buf, size, "%s", sha[0] ? sha : label);
}

void ccb_history_skip_summary(const ccb_history *h, char *buf, size_t size)
{
    buf[0] = '\0';
    if (h->nskipped == 0)
        return;
    snprintf(buf, size,
             "skipped %zu of %zu results measured on another machine than the newest "
             "(%s: %s%s); history compares one machine fingerprint (CPU model, CPUs, kernel "
             "major, compiler)",
             h->nskipped, h->nskipped + h->n, h->skipped[0].source, h->skipped[0].reason,
             h->nskipped > 1 ? ", ..." : "");
}

int ccb_history_keep_one_machine(ccb_history *h, const char *command)
{
    if (ccb_history_filter_machine(h) != 0)
        return -1;
    char summary[1024];
    ccb_history_skip_summary(h, summary, sizeof(summary));
    if (summary[0])
        fprintf(stderr, "ccbench: %s: %s\n", command, summary);
    return 0;
}

static const ccb_result *const *results_of(const ccb_history *h, const ccb_result **buf)
{
    for (size_t i = 0; i < h->n; i++)
        buf[i] = h->entries[i].result;
    return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* Renderings */

/* "+3.1%" against the first point of the series, or "" for the first. */
static void change(char *buf, size_t size, double first, double now)
{
    if (first == 0)
        snprintf(buf, size, "%s", now == 0 ? "+0.0%" : "-");
    else
        snprintf(buf, size, "%+.1f%%", (now / first - 1) * 100);
}

/* One entry's row of series S (WHEN in the first column; *FIRST the first median shown, for
 * "vs first"; BAD: the bisect's first bad commit, or NULL); 0 when the entry lacks the metric. */
static int write_row(FILE *out, const ccb_history_entry *e, const ccb_series *s, const char *when,
                     int md, double *first, int *have_first, const ccb_history_commit *bad)
{
    const ccb_metric_result *m = ccb_history_series_find(e->result, s);
    if (!m || m->stats.n == 0)
        return 0;
    char med[32], lo[32], hi[32], ci[80], delta[32];
    ccb_report_format_number(med, sizeof(med), m->stats.median);
    ccb_report_format_number(lo, sizeof(lo), m->stats.ci95_low);
    ccb_report_format_number(hi, sizeof(hi), m->stats.ci95_high);
    snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
    if (!*have_first) {
        *first = m->stats.median;
        *have_first = 1;
    }
    change(delta, sizeof(delta), *first, m->stats.median);
    if (md)
        fprintf(out, "| %s | `%s` | `%s`%s | %zu | %s | %s | %s |\n", when, e->result->label,
                e->commit[0] ? e->commit : "-", bad ? " **first bad**" : "", m->stats.n, med, ci,
                delta);
    else
        fprintf(out, "  %-20s  %-24.24s  %-12s  %6zu  %10s  %-24s  %8s%s%s\n", when,
                e->result->label, e->commit[0] ? e->commit : "-", m->stats.n, med, ci, delta,
                bad ? "  <- first bad: " : "", bad ? bad->first_bad_subject : "");
    return 1;
}

static void write_text_series(FILE *out, const ccb_history *h, const ccb_series *s, int md)
{
    const char *dir = s->direction == CCB_HIGHER_IS_BETTER ? "higher is better" : "lower is better";
    if (md)
        fprintf(out,
                "\n#### `%s.%s` (%s, %s)\n\n| when | result | commit | n | median | CI95 "
                "| vs first |\n|---|---|---|---:|---:|---|---:|\n",
                s->scenario, s->metric, s->unit, dir);
    else
        fprintf(out, "\n%s.%s (%s, %s)\n  %-20s  %-24s  %-12s  %6s  %10s  %-24s  %8s\n",
                s->scenario, s->metric, s->unit, dir, "when", "result", "commit", "n", "median",
                "CI95", "vs first");
    double first = 0;
    int have_first = 0;
    /* --notes: x is the commit order; a commit without a result of this machine is a gap
     * row, never left out (a missing week must not look like a smooth line). */
    for (size_t c = 0, i = 0; c < h->ncommits; c++) {
        int shown = 0;
        const ccb_history_commit *bad = h->commits[c].first_bad ? &h->commits[c] : NULL;
        for (; i < h->n && strcmp(h->entries[i].commit, h->commits[c].sha) == 0; i++)
            shown +=
                write_row(out, &h->entries[i], s, h->commits[c].date, md, &first, &have_first, bad);
        const char *why =
            h->commits[c].has_note ? "(not measured here: another machine or metric)" : "(no note)";
        if (!shown && md)
            fprintf(out, "| %s | - | `%s`%s | - | - | %s | |\n", h->commits[c].date,
                    h->commits[c].sha, bad ? " **first bad**" : "", why);
        else if (!shown)
            fprintf(out, "  %-20s  %-24s  %-12s  %6s  %10s  %s%s%s\n", h->commits[c].date, "-",
                    h->commits[c].sha, "-", "-", why, bad ? "  <- first bad: " : "",
                    bad ? bad->first_bad_subject : "");
    }
    for (size_t i = 0; i < h->n && h->ncommits == 0; i++)
        write_row(out, &h->entries[i], s, h->entries[i].result->created_at, md, &first, &have_first,
                  NULL);
}

/* One entry's row of series S (WHEN in the first column); 0 when it lacks the metric. */

static cJSON *json_text(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *history_json(const ccb_history *h, const ccb_series *list, size_t count)
{
    cJSON *root = cJSON_CreateObject(), *entries = cJSON_CreateArray(),
          *skipped = cJSON_CreateArray(), *metrics = cJSON_CreateArray();
    if (!root || !entries || !skipped || !metrics) {
        cJSON_Delete(root);
        cJSON_Delete(entries);
        cJSON_Delete(skipped);
        cJSON_Delete(metrics);
        return NULL;
    }
    cJSON_AddStringToObject(root, "schema", HISTORY_SCHEMA);
    cJSON_AddItemToObject(root, "entries", entries);
    cJSON_AddItemToObject(root, "skipped", skipped);
    cJSON_AddItemToObject(root, "metrics", metrics);
    for (size_t i = 0; i < h->n; i++) {
        const ccb_history_entry *e = &h->entries[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(entries, o);
        cJSON_AddStringToObject(o, "source", e->source);
        cJSON_AddStringToObject(o, "created_at", e->result->created_at);
        cJSON_AddStringToObject(o, "label", e->result->label);
        cJSON_AddItemToObject(o, "commit", json_text(e->commit[0] ? e->commit : NULL));
    }
    if (h->ncommits) {
        /* --notes: the x axis, gaps included; each point's entry names its commit. */
        cJSON *commits = cJSON_AddArrayToObject(root, "commits");
        for (size_t c = 0; c < h->ncommits; c++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(commits, o);
            cJSON_AddStringToObject(o, "commit", h->commits[c].sha);
            cJSON_AddStringToObject(o, "date", h->commits[c].date);
            cJSON_AddBoolToObject(o, "has_note", h->commits[c].has_note);
            if (h->bisect_given) /* --bisect: the commit bisect named (or one of its range) */
                cJSON_AddBoolToObject(o, "first_bad", h->commits[c].first_bad);
        }
    }
    for (size_t i = 0; i < h->nskipped; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(skipped, o);
        cJSON_AddStringToObject(o, "source", h->skipped[i].source);
        cJSON_AddStringToObject(o, "reason", h->skipped[i].reason);
    }
    for (size_t k = 0; k < count; k++) {
        const ccb_series *s = &list[k];
        cJSON *o = cJSON_CreateObject(), *points = cJSON_CreateArray();
        cJSON_AddItemToArray(metrics, o);
        cJSON_AddStringToObject(o, "scenario", s->scenario);
        cJSON_AddStringToObject(o, "metric", s->metric);
        cJSON_AddStringToObject(o, "unit", s->unit);
        cJSON_AddStringToObject(o, "direction", ccb_direction_name(s->direction));
        cJSON_AddItemToObject(o, "points", points);
        for (size_t i = 0; i < h->n; i++) {
            const ccb_metric_result *m = ccb_history_series_find(h->entries[i].result, s);
            if (!m || m->stats.n == 0)
                continue;
            cJSON *p = cJSON_CreateObject();
            cJSON_AddItemToArray(points, p);
            cJSON_AddNumberToObject(p, "entry", (double)i);
            cJSON_AddNumberToObject(p, "n", (double)m->stats.n);
            cJSON_AddNumberToObject(p, "median", m->stats.median);
            cJSON_AddNumberToObject(p, "ci95_low", m->stats.ci95_low);
            cJSON_AddNumberToObject(p, "ci95_high", m->stats.ci95_high);
        }
    }
    return root;
}

int ccb_history_write(FILE *out, const ccb_history *h, const char *filter, ccb_format format)
{
    int rc = -1;
    ccb_series *list = NULL;
    size_t count = 0;
    const ccb_result **rs = calloc(h->n ? h->n : 1, sizeof(*rs));
    cJSON *json = NULL;
    char *text = NULL;
    if (!rs) {
        ccb_error_set("out of memory");
        goto done;
    }
    if (ccb_history_series_collect(results_of(h, rs), h->n, filter, &list, &count) != 0)
        goto done;
    if (format == CCB_FORMAT_JSON) {
        json = history_json(h, list, count);
        text = json ? cJSON_Print(json) : NULL;
        if (!text) {
            ccb_error_set("out of memory rendering the history");
            goto done;
        }
        fprintf(out, "%s\n", text);
    } else {
        int md = format == CCB_FORMAT_MARKDOWN;
        char summary[1024];
        ccb_history_skip_summary(h, summary, sizeof(summary));
        fprintf(out,
                md ? "### ccbench history: %zu results%s%s\n"
                   : "ccbench history: %zu "
                     "results%s%s\n",
                h->n, summary[0] ? "; " : "", summary);
        if (h->n)
            fprintf(out,
                    md ? "\nmachine: %s · %d CPUs · %s · %s\n"
                       : "machine: %s, %d CPUs, "
                         "%s, %s\n",
                    h->entries[h->n - 1].result->machine.cpu_model,
                    h->entries[h->n - 1].result->machine.cpus,
                    h->entries[h->n - 1].result->machine.kernel,
                    h->entries[h->n - 1].result->machine.compiler);
        for (size_t k = 0; k < count; k++)
            write_text_series(out, h, &list[k], md);
    }
    rc = 0;
    if (fflush(out) != 0 || ferror(out))
        rc = ccb_error_set("cannot write the history: %s", strerror(errno));
done:
    free(text);
    cJSON_Delete(json);
    free(list);
    free(rs);
    return rc;
}
