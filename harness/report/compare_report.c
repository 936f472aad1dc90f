/*
 * Compare reports (see compare_report.h). Ratios are shown as signed percentages of change
 * (candidate / baseline - 1), the form PR reviewers read fastest; the JSON keeps the ratio.
 * The arrow shows which way the value moved (↑ larger, ↓ smaller); the colour and the verdict
 * say whether that is good, since for a rate larger is better.
 */
#include "compare_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

#define NCOLS 7

static const char *confirm_name(ccb_confirm c)
{
    switch (c) {
    case CCB_CONFIRM_NONE:
        return "none";
    case CCB_CONFIRM_CONFIRMED:
        return "confirmed";
    case CCB_CONFIRM_REJECTED:
        return "not_confirmed";
    case CCB_CONFIRM_IMPOSSIBLE:
        return "not_remeasurable";
    }
    return "none";
}

/* A metric whose replicates cannot give p < alpha at all: no data could make it regressed. */
static int unreachable(const ccb_compare_metric *m)
{
    return isfinite(m->min_p) && m->min_p >= CCB_VERDICT_ALPHA;
}

void ccb_compare_report_verdict_text(const ccb_compare_metric *m, char *buf, size_t size)
{
    if (m->nbase == 0 || m->ncand == 0) {
        snprintf(buf, size, "no data");
        return;
    }
    const char *arrow = "";
    if (m->verdict == CCB_VERDICT_REGRESSED || m->verdict == CCB_VERDICT_IMPROVED)
        arrow = m->cand_median > m->base_median ? " ↑" : " ↓";
    switch (m->confirm) {
    case CCB_CONFIRM_CONFIRMED:
        snprintf(buf, size, "regressed%s (confirmed)", arrow);
        return;
    case CCB_CONFIRM_REJECTED:
        snprintf(buf, size, "%s (regressed in round 1, not confirmed)",
                 ccb_stats_verdict_name(m->verdict));
        return;
    case CCB_CONFIRM_IMPOSSIBLE:
        snprintf(buf, size, "regressed%s", arrow);
        return;
    case CCB_CONFIRM_NONE:
        break;
    }
    if (m->verdict == CCB_VERDICT_BELOW_NOISE) {
        snprintf(buf, size, "below noise (±%.1f%%: judge at ≥ %.1f%%)", m->floor_used * 100,
                 ceil(m->floor_used * 200) / 2);
    } else if (m->verdict == CCB_VERDICT_INCONCLUSIVE && unreachable(m)) {
        snprintf(buf, size, "inconclusive (n=%zu %s: p ≥ %.2g)", m->units,
                 m->paired ? "blocks" : "processes", m->min_p);
    } else if (m->verdict == CCB_VERDICT_INCONCLUSIVE && m->more_blocks > 0) {
        snprintf(buf, size, "inconclusive (~%zu more %s)", m->more_blocks,
                 m->paired ? "blocks" : "samples");
    } else {
        snprintf(buf, size, "%s%s", ccb_stats_verdict_name(m->verdict), arrow);
    }
}

static const char *verdict_color(const ccb_compare_metric *m)
{
    switch (m->verdict) {
    case CCB_VERDICT_REGRESSED:
        return RED;
    case CCB_VERDICT_IMPROVED:
        return GREEN;
    case CCB_VERDICT_INCONCLUSIVE:
    case CCB_VERDICT_BELOW_NOISE:
        return YELLOW;
    case CCB_VERDICT_UNCHANGED:
        break;
    }
    return "";
}

static void fmt_pct(char *buf, size_t size, double ratio)
{
    if (!isfinite(ratio))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%+.1f%%", (ratio - 1) * 100);
}

static void fmt_p(char *buf, size_t size, double p)
{
    if (isnan(p))
        snprintf(buf, size, "-");
    else if (p < 0.0001)
        snprintf(buf, size, "<0.0001");
    else
        snprintf(buf, size, "%.4f", p);
}

typedef struct row {
    char c[NCOLS][96];
} row;

static void fill_row(row *r, const ccb_compare_metric *m)
{
    char a[32], b[32], lo[32], hi[32];
    snprintf(r->c[0], sizeof(r->c[0]), "%s.%s", m->scenario, m->name);
    ccb_report_format_number(a, sizeof(a), m->base_median);
    ccb_report_format_number(b, sizeof(b), m->cand_median);
    snprintf(r->c[1], sizeof(r->c[1]), "%s %s", m->nbase ? a : "-", m->unit);
    snprintf(r->c[2], sizeof(r->c[2]), "%s %s", m->ncand ? b : "-", m->unit);
    fmt_pct(r->c[3], sizeof(r->c[3]), m->ratio.ratio);
    if (m->kind == CCB_KIND_COUNT && m->count_spread > 0) {
        /* Processes of one side disagreed (ASLR, a time-dependent path): say by how much. */
        if (m->count_unsettled)
            snprintf(r->c[4], sizeof(r->c[4]), "unsettled, %.2g%%", m->count_spread * 100);
        else if (m->count_modes > 1 && m->count_spread > 0.02)
            snprintf(r->c[4], sizeof(r->c[4]), "%zu modes, %.2g%%", m->count_modes,
                     m->count_spread * 100);
        else
            snprintf(r->c[4], sizeof(r->c[4]), "varies %.2g%%", m->count_spread * 100);
    } else if (m->kind == CCB_KIND_COUNT) {
        snprintf(r->c[4], sizeof(r->c[4]), "exact");
    } else if (m->as_difference) {
        /* Values <= 0 have no ratio: the change is a difference in the metric's unit. */
        char d[32];
        ccb_report_format_number(d, sizeof(d), m->diff);
        snprintf(r->c[3], sizeof(r->c[3]), "%s%s %s", m->diff >= 0 ? "+" : "", d, m->unit);
        if (isfinite(m->diff_low)) {
            ccb_report_format_number(lo, sizeof(lo), m->diff_low);
            ccb_report_format_number(hi, sizeof(hi), m->diff_high);
            snprintf(r->c[4], sizeof(r->c[4]), "[%s, %s] %s", lo, hi, m->unit);
        } else {
            snprintf(r->c[4], sizeof(r->c[4]), "n=%zu: none", m->units);
        }
    } else if (!isfinite(m->ratio.ci_low)) {
        /* Too few replicates for a 95% interval: say so rather than print [min, max]. */
        snprintf(r->c[4], sizeof(r->c[4]), "n=%zu: none", m->units);
    } else {
        fmt_pct(lo, sizeof(lo), m->ratio.ci_low);
        fmt_pct(hi, sizeof(hi), m->ratio.ci_high);
        snprintf(r->c[4], sizeof(r->c[4]), "[%s, %s]", lo, hi);
    }
    fmt_p(r->c[5], sizeof(r->c[5]), m->p_holm);
    ccb_compare_report_verdict_text(m, r->c[6], sizeof(r->c[6]));
}

/* Display width of UTF-8 text (the arrows are one column each). */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void side_line(FILE *out, const char *role, const ccb_compare_side_info *s)
{
    fprintf(out, "%s: %s", role, s->operand);
    if (s->commit && s->commit[0])
        fprintf(out, " (commit %.12s", s->commit);
    if (s->tracker_tree && s->tracker_tree[0])
        fprintf(out, "%stracker tree %.12s", s->commit && s->commit[0] ? ", " : " (",
                s->tracker_tree);
    if ((s->commit && s->commit[0]) || (s->tracker_tree && s->tracker_tree[0]))
        fputc(')', out);
    if (s->dirty)
        fputs(" + uncommitted changes", out);
    fputc('\n', out);
}

static void threshold_text(const ccb_compare_report *r, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "%g%%", r->thresholds->global * 100);
    for (size_t i = 0; i < r->thresholds->n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, ", %s %g%%", r->thresholds->overrides[i].key,
                                r->thresholds->overrides[i].value * 100);
}

static void summary_counts(const ccb_compare *c, size_t counts[CCB_VERDICT_COUNT])
{
    memset(counts, 0, CCB_VERDICT_COUNT * sizeof(counts[0]));
    for (size_t i = 0; i < c->n; i++)
        counts[c->metrics[i].verdict]++;
}

/* What the "change" column is: each distinct estimate once, and the rule for values <= 0. */
static void estimate_notes(FILE *out, const ccb_compare *c, const char *bullet)
{
    const char *seen[4] = {NULL, NULL, NULL, NULL};
    size_t nseen = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *e = c->metrics[i].estimate;
        if (!e)
            continue;
        int known = 0;
        for (size_t k = 0; k < nseen && !known; k++)
            known = strcmp(seen[k], e) == 0;
        if (known || nseen == 4)
            continue;
        seen[nseen++] = e;
        fprintf(out,
                "%schange%s: %s; 95%% CI from the same test; baseline and candidate are "
                "medians of per-process values.\n",
                bullet, c->metrics[i].as_difference ? " (metrics with values <= 0)" : "", e);
    }
    for (size_t i = 0; i < c->n; i++) {
        if (c->metrics[i].as_difference)
            fprintf(out,
                    "%s%s.%s has values <= 0: compared as a difference in %s, not a "
                    "ratio; its threshold applies relative to the baseline median.\n",
                    bullet, c->metrics[i].scenario, c->metrics[i].name, c->metrics[i].unit);
    }
}

/* A changed instruction count: the functions whose inclusive cost changed most. */
static void culprit_notes(FILE *out, const ccb_compare *c, const char *bullet)
{
    for (size_t i = 0; i < c->n; i++) {
        const ccb_compare_metric *m = &c->metrics[i];
        if (m->nculprits == 0)
            continue;
        fprintf(out,
                "%s%s.%s: the functions whose instructions changed most (inclusive, "
                "baseline -> candidate):\n",
                bullet, m->scenario, m->name);
        for (size_t k = 0; k < m->nculprits; k++) {
            const struct ccb_culprit *f = &m->culprits[k];
            fprintf(out, "    %s%-40s %10.0f -> %10.0f  %+.0f\n", *bullet == '-' ? "- " : "",
                    f->name, f->base, f->cand, f->cand - f->base);
        }
    }
}

static void notes(FILE *out, const ccb_compare_report *r, const char *bullet)
{
    const ccb_compare *c = r->cmp;
    estimate_notes(out, c, bullet);
    culprit_notes(out, c, bullet);
    for (size_t i = 0; i < c->n; i++) {
        const ccb_compare_metric *m = &c->metrics[i];
        if (m->verdict == CCB_VERDICT_BELOW_NOISE)
            fprintf(out,
                    "%s%s.%s is below noise: its noise floor ±%.1f%% (%s) is above its "
                    "threshold %g%% and the change is not beyond the floor; it neither "
                    "passes nor fails (a threshold of %.1f%% could be judged).\n",
                    bullet, m->scenario, m->name, m->floor_used * 100,
                    m->floor_source ? m->floor_source : "unknown", m->threshold * 100,
                    ceil(m->floor_used * 200) / 2);
        if (m->verdict == CCB_VERDICT_INCONCLUSIVE && unreachable(m)) {
            fprintf(out,
                    "%s%s.%s cannot reach significance: with %zu %s the smallest p any "
                    "data could give is %.2g (%.2g after Holm over %zu metrics), not "
                    "below %g.\n",
                    bullet, m->scenario, m->name, m->units, c->paired ? "blocks" : "processes",
                    m->min_p, fmin(1, m->min_p * (double)c->family), c->family, CCB_VERDICT_ALPHA);
            continue;
        }
        if (m->verdict == CCB_VERDICT_INCONCLUSIVE) {
            double lo = m->ratio.ci_low, hi = m->ratio.ci_high, t = m->threshold;
            int straddles =
                ((lo < 1 + t && 1 + t < hi) || (lo < 1 - t && 1 - t < hi)) && hi - lo > 2 * t;
            fprintf(out,
                    "%s%s.%s is inconclusive: %s; about %zu more %s would likely decide "
                    "it.\n",
                    bullet, m->scenario, m->name,
                    straddles ? "its CI straddles the threshold band"
                              : "its CI says changed but the rank test is not significant",
                    m->more_blocks, c->paired ? "blocks" : "samples per side");
        }
        if (m->confirm == CCB_CONFIRM_REJECTED)
            fprintf(out,
                    "%s%s.%s regressed in round 1 but not in the confirm round: a false "
                    "alarm, it does not fail the gate.\n",
                    bullet, m->scenario, m->name);
        if (m->confirm == CCB_CONFIRM_CONFIRMED)
            fprintf(out, "%s%s.%s regressed in round 1 and again in the confirm round.\n", bullet,
                    m->scenario, m->name);
        if (m->confirm == CCB_CONFIRM_IMPOSSIBLE)
            fprintf(out, "%s%s.%s regressed (result files cannot be re-measured to confirm).\n",
                    bullet, m->scenario, m->name);
    }
    for (size_t i = 0; i < c->nrounds; i++) {
        const ccb_compare_round *t = &c->rounds[i];
        char share[48] = "";
        if (t->budget_ms > 0)
            snprintf(share, sizeof(share), " of a %.1f s share", t->budget_ms / 1000);
        char counts[96] = "";
        if (t->counts_ms[0] > 0 || t->counts_ms[1] > 0)
            snprintf(counts, sizeof(counts), "; count processes %.1f s and %.1f s",
                     t->counts_ms[0] / 1000, t->counts_ms[1] / 1000);
        fprintf(out, "%s%s%s: %u blocks%s; baseline processes %.1f s, candidate %.1f s%s.\n",
                bullet, t->confirm ? "confirm round, " : "", t->scenario, t->blocks, share,
                t->side_ms[0] / 1000, t->side_ms[1] / 1000, counts);
    }
    for (size_t i = 0; i < r->nwarnings; i++)
        fprintf(out, "%swarning: %s\n", bullet, r->warnings[i]);
}

static void header(FILE *out, const ccb_compare_report *r, const char *lead)
{
    const ccb_compare *c = r->cmp;
    char thr[512];
    threshold_text(r, thr, sizeof(thr));
    fputs(lead, out);
    side_line(out, "baseline", &r->side[0]);
    fputs(lead, out);
    side_line(out, "candidate", &r->side[1]);
    fputs(lead, out);
    if (c->paired)
        fprintf(out, "up to %u ABBA blocks per scenario, seed %llu%s, profile %s, threshold %s\n",
                c->blocks, (unsigned long long)c->seed,
                c->confirm_ran ? " (confirm round: derived seed)" : "",
                r->profile ? r->profile : "-", thr);
    else
        fprintf(out, "two result files: unpaired (all cross pairs), threshold %s\n", thr);
}

static int write_table(FILE *out, const ccb_compare_report *r, int color)
{
    static const char *const heads[NCOLS] = {"metric", "baseline", "candidate", "change",
                                             "95% CI", "p (Holm)", "verdict"};
    const ccb_compare *c = r->cmp;
    row *rows = calloc(c->n ? c->n : 1, sizeof(*rows));
    if (!rows)
        return ccb_error_set("out of memory");
    int w[NCOLS];
    for (int k = 0; k < NCOLS; k++)
        w[k] = width(heads[k]);
    for (size_t i = 0; i < c->n; i++) {
        fill_row(&rows[i], &c->metrics[i]);
        for (int k = 0; k < NCOLS; k++)
            if (width(rows[i].c[k]) > w[k])
                w[k] = width(rows[i].c[k]);
    }
    header(out, r, "");
    fputc('\n', out);
    for (int k = 0; k < NCOLS; k++)
        fprintf(out, "%s%s%-*s%s", k ? "  " : "", color ? BOLD : "", k == NCOLS - 1 ? 0 : w[k],
                heads[k], color ? RESET : "");
    fputc('\n', out);
    for (size_t i = 0; i < c->n; i++) {
        const ccb_compare_metric *m = &c->metrics[i];
        for (int k = 0; k < NCOLS; k++) {
            int pad = w[k] - width(rows[i].c[k]);
            int right = k >= 1 && k <= 3;
            const char *col = color && k == NCOLS - 1 ? verdict_color(m) : "";
            fprintf(out, "%s%*s%s%s%s%*s", k ? "  " : "", right ? pad : 0, "", col, rows[i].c[k],
                    col[0] ? RESET : "", (right || k == NCOLS - 1) ? 0 : pad, "");
        }
        fputc('\n', out);
    }
    size_t counts[CCB_VERDICT_COUNT];
    summary_counts(c, counts);
    fprintf(out,
            "\n%zu metrics: %zu regressed, %zu improved, %zu unchanged, %zu inconclusive, %zu "
            "below noise\n",
            c->n, counts[CCB_VERDICT_REGRESSED], counts[CCB_VERDICT_IMPROVED],
            counts[CCB_VERDICT_UNCHANGED], counts[CCB_VERDICT_INCONCLUSIVE],
            counts[CCB_VERDICT_BELOW_NOISE]);
    notes(out, r, "");
    free(rows);
    return 0;
}

static int write_markdown(FILE *out, const ccb_compare_report *r)
{
    const ccb_compare *c = r->cmp;
    size_t counts[CCB_VERDICT_COUNT];
    summary_counts(c, counts);
    fprintf(out, "### ccbench compare: %s → %s\n\n", r->side[0].operand, r->side[1].operand);
    fprintf(out,
            "**%zu regressed**, %zu improved, %zu unchanged, %zu inconclusive, %zu below "
            "noise\n\n",
            counts[CCB_VERDICT_REGRESSED], counts[CCB_VERDICT_IMPROVED],
            counts[CCB_VERDICT_UNCHANGED], counts[CCB_VERDICT_INCONCLUSIVE],
            counts[CCB_VERDICT_BELOW_NOISE]);
    header(out, r, "- ");
    fputs("\n| metric | baseline | candidate | change | 95% CI | p (Holm) | verdict |\n", out);
    fputs("|---|---:|---:|---:|---|---:|---|\n", out);
    for (size_t i = 0; i < c->n; i++) {
        row rw;
        const ccb_compare_metric *m = &c->metrics[i];
        fill_row(&rw, m);
        const char *em = m->verdict == CCB_VERDICT_REGRESSED ? "**" : "";
        fprintf(out, "| `%s` | %s | %s | %s | %s | %s | %s%s%s |\n", rw.c[0], rw.c[1], rw.c[2],
                rw.c[3], rw.c[4], rw.c[5], em, rw.c[6], em);
    }
    fputc('\n', out);
    notes(out, r, "- ");
    return 0;
}

static cJSON *number_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *side_json(const ccb_compare_side_info *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "operand", s->operand);
    cJSON_AddStringToObject(o, "kind", s->kind);
    if (s->commit && s->commit[0])
        cJSON_AddStringToObject(o, "commit", s->commit);
    else
        cJSON_AddNullToObject(o, "commit");
    if (s->tracker_tree && s->tracker_tree[0])
        cJSON_AddStringToObject(o, "tracker_tree", s->tracker_tree);
    else
        cJSON_AddNullToObject(o, "tracker_tree");
    cJSON_AddBoolToObject(o, "dirty", s->dirty);
    if (s->result_path)
        cJSON_AddStringToObject(o, "result_file", s->result_path);
    else
        cJSON_AddNullToObject(o, "result_file");
    /* The result file's machine fields that say what measured this side (not its host name:
     * a compare file may be posted publicly). */
    if (s->machine) {
        const ccb_machine_info *m = s->machine;
        cJSON *machine = cJSON_AddObjectToObject(o, "machine");
        if (!machine) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddStringToObject(machine, "cpu_model", m->cpu_model ? m->cpu_model : "");
        cJSON_AddNumberToObject(machine, "cpus", m->cpus);
        cJSON_AddStringToObject(machine, "kernel", m->kernel ? m->kernel : "");
        cJSON_AddStringToObject(machine, "compiler", m->compiler ? m->compiler : "");
        cJSON_AddStringToObject(machine, "build_type", m->build_type ? m->build_type : "");
    } else {
        cJSON_AddNullToObject(o, "machine");
    }
    return o;
}

cJSON *ccb_compare_report_json(const ccb_compare_report *r)
{
    const ccb_compare *c = r->cmp;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "schema", "ccbench-compare/1");
    cJSON_AddItemToObject(root, "baseline", side_json(&r->side[0]));
    cJSON_AddItemToObject(root, "candidate", side_json(&r->side[1]));
    cJSON_AddStringToObject(root, "mode", c->paired ? "interleaved" : "files");
    if (r->profile)
        cJSON_AddStringToObject(root, "profile", r->profile);
    else
        cJSON_AddNullToObject(root, "profile");
    /* A seed is a 64-bit integer: a string keeps every bit (JSON numbers are doubles). */
    char seed[32];
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)c->seed);
    cJSON_AddStringToObject(root, "seed", seed);
    cJSON_AddNumberToObject(root, "blocks", c->blocks);
    cJSON *confirm = cJSON_AddObjectToObject(root, "confirm_round");
    if (confirm) {
        cJSON_AddBoolToObject(confirm, "ran", c->confirm_ran);
        snprintf(seed, sizeof(seed), "%llu", (unsigned long long)c->confirm_seed);
        cJSON_AddStringToObject(confirm, "seed", seed);
    }
    cJSON *thr = cJSON_AddObjectToObject(root, "thresholds");
    if (thr) {
        cJSON_AddNumberToObject(thr, "default", r->thresholds->global);
        cJSON *per = cJSON_AddObjectToObject(thr, "metrics");
        for (size_t i = 0; per && i < r->thresholds->n; i++)
            cJSON_AddNumberToObject(per, r->thresholds->overrides[i].key,
                                    r->thresholds->overrides[i].value);
    }
    cJSON *metrics = cJSON_AddArrayToObject(root, "metrics");
    for (size_t i = 0; metrics && i < c->n; i++) {
        const ccb_compare_metric *m = &c->metrics[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(metrics, o);
        cJSON_AddStringToObject(o, "scenario", m->scenario);
        cJSON_AddStringToObject(o, "name", m->name);
        cJSON_AddStringToObject(o, "unit", m->unit);
        cJSON_AddStringToObject(o, "direction", ccb_direction_name(m->direction));
        cJSON_AddStringToObject(o, "kind", m->kind == CCB_KIND_COUNT ? "count" : "timing");
        if (m->kind == CCB_KIND_COUNT)
            cJSON_AddNumberToObject(o, "count_spread", m->count_spread);
        if (m->nculprits) {
            cJSON *fns = cJSON_AddArrayToObject(o, "functions");
            for (size_t k = 0; fns && k < m->nculprits; k++) {
                cJSON *f = cJSON_CreateObject();
                if (!f || !cJSON_AddItemToArray(fns, f)) {
                    cJSON_Delete(f);
                    break;
                }
                cJSON_AddStringToObject(f, "name", m->culprits[k].name);
                cJSON_AddNumberToObject(f, "baseline", m->culprits[k].base);
                cJSON_AddNumberToObject(f, "candidate", m->culprits[k].cand);
                cJSON_AddNumberToObject(f, "delta", m->culprits[k].cand - m->culprits[k].base);
            }
        }
        cJSON_AddItemToObject(o, "baseline_median", number_or_null(m->base_median));
        cJSON_AddNumberToObject(o, "baseline_n", (double)m->nbase);
        cJSON_AddItemToObject(o, "candidate_median", number_or_null(m->cand_median));
        cJSON_AddNumberToObject(o, "candidate_n", (double)m->ncand);
        cJSON_AddItemToObject(o, "ratio", number_or_null(m->ratio.ratio));
        cJSON_AddItemToObject(o, "ci_low", number_or_null(m->ratio.ci_low));
        cJSON_AddItemToObject(o, "ci_high", number_or_null(m->ratio.ci_high));
        cJSON_AddItemToObject(o, "p", number_or_null(m->p));
        cJSON_AddItemToObject(o, "p_holm", number_or_null(m->p_holm));
        cJSON_AddNumberToObject(o, "threshold", m->threshold);
        cJSON_AddStringToObject(o, "verdict", ccb_stats_verdict_name(m->verdict));
        cJSON_AddStringToObject(o, "first_round_verdict", ccb_stats_verdict_name(m->first_verdict));
        if (m->confirm == CCB_CONFIRM_CONFIRMED || m->confirm == CCB_CONFIRM_REJECTED)
            cJSON_AddBoolToObject(o, "confirmed", m->confirm == CCB_CONFIRM_CONFIRMED);
        else
            cJSON_AddNullToObject(o, "confirmed");
        cJSON_AddStringToObject(o, "confirm", confirm_name(m->confirm));
        cJSON_AddNumberToObject(o, "more_blocks_needed", (double)m->more_blocks);
        cJSON_AddItemToObject(o, "noise_floor", number_or_null(m->noise_floor));
        cJSON_AddItemToObject(o, "aa_floor", number_or_null(m->aa_floor));
        cJSON_AddItemToObject(o, "floor", number_or_null(m->floor_used));
        if (m->floor_source)
            cJSON_AddStringToObject(o, "floor_source", m->floor_source);
        else
            cJSON_AddNullToObject(o, "floor_source");
        if (m->estimate)
            cJSON_AddStringToObject(o, "estimate", m->estimate);
        else
            cJSON_AddNullToObject(o, "estimate");
        cJSON_AddNumberToObject(o, "replicates", (double)m->units);
        cJSON_AddItemToObject(o, "min_p", number_or_null(m->min_p));
        cJSON_AddBoolToObject(o, "as_difference", m->as_difference);
        cJSON_AddItemToObject(o, "difference", number_or_null(m->diff));
        cJSON_AddItemToObject(o, "difference_ci_low", number_or_null(m->diff_low));
        cJSON_AddItemToObject(o, "difference_ci_high", number_or_null(m->diff_high));
    }
    cJSON *rounds = cJSON_AddArrayToObject(root, "rounds");
    for (size_t i = 0; rounds && i < c->nrounds; i++) {
        const ccb_compare_round *t = &c->rounds[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(rounds, o)) {
            cJSON_Delete(o);
            break;
        }
        cJSON_AddStringToObject(o, "scenario", t->scenario);
        cJSON_AddBoolToObject(o, "confirm", t->confirm);
        cJSON_AddNumberToObject(o, "blocks", t->blocks);
        cJSON_AddItemToObject(o, "budget_ms",
                              number_or_null(t->budget_ms > 0 ? t->budget_ms : NAN));
        cJSON_AddNumberToObject(o, "baseline_ms", t->side_ms[0]);
        cJSON_AddNumberToObject(o, "candidate_ms", t->side_ms[1]);
        cJSON_AddNumberToObject(o, "baseline_counts_ms", t->counts_ms[0]);
        cJSON_AddNumberToObject(o, "candidate_counts_ms", t->counts_ms[1]);
    }
    cJSON *warnings = cJSON_AddArrayToObject(root, "warnings");
    for (size_t i = 0; warnings && i < r->nwarnings; i++)
        cJSON_AddItemToArray(warnings, cJSON_CreateString(r->warnings[i]));
    cJSON_AddBoolToObject(root, "failed", ccb_compare_has_failure(c));
    return root;
}

int ccb_compare_report_write(FILE *out, const ccb_compare_report *r, ccb_format format, int color)
{
    if (format == CCB_FORMAT_TABLE)
        return write_table(out, r, color);
    if (format == CCB_FORMAT_MARKDOWN)
        return write_markdown(out, r);
    cJSON *json = ccb_compare_report_json(r);
    char *text = json ? cJSON_Print(json) : NULL;
    cJSON_Delete(json);
    if (!text)
        return ccb_error_set("out of memory rendering the compare as JSON");
    fprintf(out, "%s\n", text);
    cJSON_free(text);
    return 0;
}
