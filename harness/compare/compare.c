/*
 * The compare model and its analysis (see compare.h). The statistics themselves live in
 * stats.c; this file decides what is fed to them (per-process medians, pairs within blocks),
 * which metrics share one Holm family, and what a confirm round means.
 */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "count_verdict.h"
#include "array.h"
#include "error.h"

void ccb_compare_init(ccb_compare *c, int paired)
{
    memset(c, 0, sizeof(*c));
    c->paired = paired;
}

static void metric_release(ccb_compare_metric *m)
{
    free(m->scenario);
    free(m->name);
    free(m->unit);
    free(m->base);
    free(m->cand);
    free(m->blocks);
    for (size_t i = 0; i < m->nculprits; i++)
        free(m->culprits[i].name);
}

void ccb_compare_release(ccb_compare *c)
{
    for (size_t i = 0; i < c->n; i++)
        metric_release(&c->metrics[i]);
    free(c->metrics);
    c->metrics = NULL;
    c->n = c->cap = 0;
}

ccb_compare_metric *ccb_compare_find(const ccb_compare *c, const char *scenario, const char *name)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->metrics[i].scenario, scenario) == 0 && strcmp(c->metrics[i].name, name) == 0)
            return &c->metrics[i];
    }
    return NULL;
}

ccb_compare_metric *ccb_compare_metric_get(ccb_compare *c, const char *scenario, const char *name,
                                           const char *unit, ccb_direction direction,
                                           ccb_metric_kind kind)
{
    ccb_compare_metric *m = ccb_compare_find(c, scenario, name);
    if (m)
        return m;
    if (ccb_array_reserve((void **)&c->metrics, c->n, &c->cap, sizeof(*c->metrics), 16) != 0)
        return NULL;
    m = &c->metrics[c->n];
    memset(m, 0, sizeof(*m));
    m->scenario = strdup(scenario);
    m->name = strdup(name);
    m->unit = strdup(unit ? unit : "");
    m->direction = direction;
    m->kind = kind;
    m->p = m->p_holm = m->noise_floor = m->aa_floor = NAN;
    c->n++;
    if (!m->scenario || !m->name || !m->unit) {
        ccb_error_set("out of memory");
        return NULL;
    }
    return m;
}

static int push(double **arr, size_t *n, size_t *cap, double v)
{
    if (ccb_array_reserve((void **)arr, *n, cap, sizeof(**arr), 32) != 0)
        return -1;
    (*arr)[(*n)++] = v;
    return 0;
}

int ccb_compare_add_replicates(ccb_compare_metric *m, int candidate, const ccb_metric_result *r)
{
    double *v = NULL;
    size_t n = 0;
    if (ccb_result_metric_replicates(r, &v, &n) != 0)
        return -1;
    for (size_t j = 0; j < n; j++) {
        if (ccb_compare_add_value(m, candidate, v[j]) != 0) {
            free(v);
            return -1;
        }
    }
    free(v);
    return 0;
}

int ccb_compare_add_value(ccb_compare_metric *m, int candidate, double v)
{
    if (candidate)
        return push(&m->cand, &m->ncand, &m->cap_cand, v);
    return push(&m->base, &m->nbase, &m->cap_base, v);
}

double ccb_compare_reduce(const double *x, size_t n)
{
    return n ? ccb_stats_median(x, n) : NAN;
}

int ccb_compare_add_block(ccb_compare_metric *m, const double base[2], const double cand[2])
{
    int added = 0;
    if (m->nblocks == m->cap_blocks) {
        size_t cap = m->cap_blocks ? m->cap_blocks * 2 : 16;
        double *grown = realloc(m->blocks, cap * 4 * sizeof(*grown));
        if (!grown)
            return ccb_error_set("out of memory");
        m->blocks = grown;
        m->cap_blocks = cap;
    }
    double *b = m->blocks + 4 * m->nblocks++;
    b[0] = base[0];
    b[1] = base[1];
    b[2] = cand[0];
    b[3] = cand[1];
    for (int i = 0; i < 2; i++) {
        if (isnan(base[i]) || isnan(cand[i]))
            continue;
        if (ccb_compare_add_value(m, 0, base[i]) != 0 || ccb_compare_add_value(m, 1, cand[i]) != 0)
            return -1;
        added++;
    }
    return added;
}

static int selected(const ccb_selection *only, const char *name)
{
    if (!only)
        return 1;
    for (size_t i = 0; i < only->n; i++) {
        if (strcmp(only->defs[i]->name, name) == 0)
            return 1;
    }
    return 0;
}

int ccb_compare_from_results(ccb_compare *c, const ccb_result *base, const ccb_result *cand,
                             const ccb_selection *only)
{
    for (size_t i = 0; i < base->nscenarios; i++) {
        const ccb_scenario_result *sb = &base->scenarios[i];
        const ccb_scenario_result *sc = ccb_result_find_scenario(cand, sb->name);
        if (!sc || !selected(only, sb->name))
            continue;
        for (size_t k = 0; k < sb->nmetrics; k++) {
            const ccb_metric_result *mb = &sb->metrics[k];
            const ccb_metric_result *mc = ccb_result_scenario_find_metric(sc, mb->name);
            if (!mc)
                continue;
            ccb_compare_metric *m =
                ccb_compare_metric_get(c, sb->name, mb->name, mb->unit, mb->direction, mb->kind);
            if (!m)
                return -1;
            /* The process is the replicate: per-process medians, not raw samples. */
            for (int side = 0; side < 2; side++) {
                if (ccb_compare_add_replicates(m, side, side ? mc : mb) != 0)
                    return -1;
            }
        }
    }
    if (c->n == 0)
        return ccb_error_set("compare: the two results have no scenario metric in common: "
                             "compare results of the same scenarios");
    return 0;
}

/* A timing metric's estimate and interval as changes in the worse direction (positive is
 * worse), with the threshold band [down, up] in the same space: log ratios, or differences
 * relative to the baseline's median (absolute when that median is 0: then any change that
 * the interval shows counts, t = 0). 0 when there is nothing to judge. */
typedef struct change {
    double est, lo, hi, up, down;
} change;

static int change_of(const ccb_compare_metric *m, double t, int hib, change *c)
{
    double e, a, b;
    if (m->as_difference) {
        double base = fabs(m->base_median);
        double scale = base > 0 ? base : 1;
        if (!(base > 0))
            t = 0;
        e = m->diff / scale;
        a = m->diff_low / scale;
        b = m->diff_high / scale;
        c->up = t;
        c->down = -t;
    } else {
        if (!(m->ratio.ratio > 0) || !(m->ratio.ci_low > 0) || !(m->ratio.ci_high > 0))
            return 0;
        e = log(m->ratio.ratio);
        a = log(m->ratio.ci_low);
        b = log(m->ratio.ci_high);
        c->up = log1p(t);
        c->down = t < 1 ? log1p(-t) : -INFINITY;
    }
    if (!isfinite(e) || !isfinite(a) || !isfinite(b))
        return 0;
    if (hib) {
        /* Mirror: for a rate, lower is worse. The band mirrors with it. */
        double up = -c->down, down = -c->up;
        e = -e;
        double lo = -b;
        b = -a;
        a = lo;
        c->up = up;
        c->down = down;
    }
    c->est = e;
    c->lo = a;
    c->hi = b;
    return 1;
}

/* DESIGN.md "Statistics": regressed needs the interval wholly above no change, the estimate
 * beyond the threshold and Holm p < alpha; improved mirrors it; an interval straddling the
 * band's edge (and wider than the band) is inconclusive, as is an interval that says
 * "changed" while the test is not significant after Holm; anything else is unchanged. */
static ccb_verdict judge(const change *c, double holm_p)
{
    if (c->lo > 0 && c->est > c->up && holm_p < CCB_VERDICT_ALPHA)
        return CCB_VERDICT_REGRESSED;
    if (c->hi < 0 && c->est < c->down && holm_p < CCB_VERDICT_ALPHA)
        return CCB_VERDICT_IMPROVED;
    int straddles = (c->lo < c->up && c->up < c->hi) || (c->lo < c->down && c->down < c->hi);
    if (straddles && c->hi - c->lo > c->up - c->down)
        return CCB_VERDICT_INCONCLUSIVE;
    if ((c->lo > 0 && c->est > c->up) || (c->hi < 0 && c->est < c->down))
        return CCB_VERDICT_INCONCLUSIVE;
    return CCB_VERDICT_UNCHANGED;
}

/* The verdict with the noise floor built in (issue 12 item 7): the floor is the larger of a
 * stored A/A floor of this build at this profile and the resolution this compare's own
 * A-vs-A contrasts give. A threshold below the floor cannot be judged: the metric is judged
 * at the floor instead, and only a change beyond the floor is reported as one; otherwise it
 * is "below noise", which neither passes nor fails. */
static ccb_verdict timing_verdict(ccb_compare_metric *m, int hib)
{
    change c;
    double floor = NAN;
    m->floor_source = NULL;
    if (isfinite(m->noise_floor)) {
        floor = m->noise_floor;
        m->floor_source = CCB_FLOOR_STORED;
    }
    if (isfinite(m->aa_floor) && !(floor >= m->aa_floor)) {
        floor = m->aa_floor;
        m->floor_source = m->paired ? CCB_FLOOR_CONTRASTS : CCB_FLOOR_FILES;
    }
    m->floor_used = floor;
    if (!change_of(m, m->threshold, hib, &c))
        return m->units || m->nbase ? CCB_VERDICT_INCONCLUSIVE : CCB_VERDICT_UNCHANGED;
    if (!(floor > m->threshold))
        return judge(&c, m->p_holm);
    change at_floor;
    change_of(m, floor, hib, &at_floor);
    ccb_verdict v = judge(&at_floor, m->p_holm);
    return v == CCB_VERDICT_REGRESSED || v == CCB_VERDICT_IMPROVED ? v : CCB_VERDICT_BELOW_NOISE;
}

int ccb_compare_analyse(ccb_compare *c, const ccb_thresholds *t)
{
    int rc = -1;
    /* Zeroed: the compiler cannot prove that holm reads only the first `family` entries. */
    double *p = calloc(c->n ? c->n : 1, sizeof(*p));
    double *adj = calloc(c->n ? c->n : 1, sizeof(*adj));
    size_t *idx = malloc((c->n ? c->n : 1) * sizeof(*idx));
    size_t family = 0;
    if (!p || !adj || !idx) {
        ccb_error_set("out of memory");
        goto done;
    }
    for (size_t i = 0; i < c->n; i++) {
        ccb_compare_metric *m = &c->metrics[i];
        m->threshold = ccb_thresholds_for(t, m->scenario, m->name);
        m->paired = c->paired;
        m->base_median = ccb_compare_reduce(m->base, m->nbase);
        m->cand_median = ccb_compare_reduce(m->cand, m->ncand);
        m->p = m->p_holm = NAN;
        m->more_blocks = 0;
        m->as_difference = 0;
        m->estimate = NULL;
        m->units = 0;
        m->min_p = NAN;
        m->aa_floor = m->floor_used = NAN;
        m->floor_source = NULL;
        m->diff = m->diff_low = m->diff_high = NAN;
        memset(&m->ratio, 0, sizeof(m->ratio));
        m->ratio.ratio = m->ratio.ci_low = m->ratio.ci_high = NAN;
        if (m->nbase == 0 || m->ncand == 0)
            continue;
        if (m->kind == CCB_KIND_COUNT) {
            /* Exact: the ratio of medians is shown, no CI, no test. */
            if (m->base_median > 0)
                m->ratio.ratio = m->cand_median / m->base_median;
            continue;
        }
        if ((c->paired ? ccb_compare_estimate_paired(m) : ccb_compare_estimate_unpaired(m)) != 0)
            goto done;
        p[family] = m->p;
        idx[family++] = i;
    }
    /* One Holm family: every timing metric of the compare that has data. */
    ccb_stats_holm(p, family, adj);
    c->family = family;
    for (size_t k = 0; k < family; k++)
        c->metrics[idx[k]].p_holm = adj[k];

    for (size_t i = 0; i < c->n; i++) {
        ccb_compare_metric *m = &c->metrics[i];
        int hib = m->direction == CCB_HIGHER_IS_BETTER;
        if (m->nbase == 0 || m->ncand == 0)
            m->verdict = CCB_VERDICT_UNCHANGED;
        else if (m->kind == CCB_KIND_COUNT)
            m->verdict = ccb_count_verdict_judge(m);
        else
            m->verdict = timing_verdict(m, hib);
        if (m->verdict == CCB_VERDICT_INCONCLUSIVE && !m->as_difference) {
            size_t now = c->paired ? m->nbase / 2 : m->nbase;
            m->more_blocks = ccb_stats_more_blocks_needed(&m->ratio, now, m->threshold);
            /* A CI already narrow but a rank test not yet significant: suggest doubling. */
            if (m->more_blocks == 0)
                m->more_blocks = now;
        }
        m->first_verdict = m->verdict;
        m->confirm = CCB_CONFIRM_NONE;
    }
    rc = 0;
done:
    free(p);
    free(adj);
    free(idx);
    return rc;
}

void ccb_compare_set_estimate(ccb_compare_metric *m, int diff, const char *name, double est,
                              double lo, double hi, double p, double min_p, size_t units)
{
    m->as_difference = diff;
    m->estimate = name;
    m->units = units;
    m->min_p = min_p;
    m->p = p;
    m->diff = m->diff_low = m->diff_high = NAN;
    if (diff) {
        m->diff = est;
        m->diff_low = lo;
        m->diff_high = hi;
        m->ratio.ratio = m->ratio.ci_low = m->ratio.ci_high = NAN;
    } else {
        m->ratio.ratio = exp(est);
        m->ratio.ci_low = isfinite(lo) ? exp(lo) : NAN;
        m->ratio.ci_high = isfinite(hi) ? exp(hi) : NAN;
    }
}

/* A count metric that changed either way in round 1: the confirm round measures it again. */
static int count_changed(const ccb_compare_metric *m)
{
    return m->kind == CCB_KIND_COUNT &&
           (m->first_verdict == CCB_VERDICT_REGRESSED || m->first_verdict == CCB_VERDICT_IMPROVED);
}

void ccb_compare_apply_confirm(ccb_compare *c, const ccb_compare *round2)
{
    c->confirm_ran = 1;
    for (size_t i = 0; i < round2->nrounds && c->nrounds < CCB_COMPARE_MAX_ROUNDS; i++) {
        c->rounds[c->nrounds] = round2->rounds[i];
        c->rounds[c->nrounds++].confirm = 1;
    }
    for (size_t i = 0; i < c->n; i++) {
        ccb_compare_metric *m = &c->metrics[i];
        const ccb_compare_metric *again = ccb_compare_find(round2, m->scenario, m->name);
        if (count_changed(m) && m->first_verdict == CCB_VERDICT_IMPROVED) {
            /* A count that improved is measured again too: it stands only if it improves
             * again (a count's rare disagreement must not read as a gain either). */
            m->verdict = again && again->verdict == CCB_VERDICT_IMPROVED ? CCB_VERDICT_IMPROVED
                                                                         : CCB_VERDICT_UNCHANGED;
            continue;
        }
        if (m->first_verdict != CCB_VERDICT_REGRESSED)
            continue;
        if (again && again->verdict == CCB_VERDICT_REGRESSED) {
            m->confirm = CCB_CONFIRM_CONFIRMED;
            m->verdict = CCB_VERDICT_REGRESSED;
        } else {
            m->confirm = CCB_CONFIRM_REJECTED;
            /* A false alarm is not an improvement: only what round 2 found short of a
             * regression (unchanged or inconclusive) stands. */
            m->verdict = again && again->verdict == CCB_VERDICT_INCONCLUSIVE
                             ? CCB_VERDICT_INCONCLUSIVE
                             : CCB_VERDICT_UNCHANGED;
        }
    }
}

void ccb_compare_mark_unconfirmable(ccb_compare *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->metrics[i].first_verdict == CCB_VERDICT_REGRESSED)
            c->metrics[i].confirm = CCB_CONFIRM_IMPOSSIBLE;
    }
}

int ccb_compare_has_failure(const ccb_compare *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const ccb_compare_metric *m = &c->metrics[i];
        if (m->verdict == CCB_VERDICT_REGRESSED &&
            (m->confirm == CCB_CONFIRM_CONFIRMED || m->confirm == CCB_CONFIRM_IMPOSSIBLE))
            return 1;
    }
    return 0;
}

size_t ccb_compare_regressed_scenarios(const ccb_compare *c, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->metrics[i].first_verdict != CCB_VERDICT_REGRESSED && !count_changed(&c->metrics[i]))
            continue;
        int seen = 0;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(out[k], c->metrics[i].scenario) == 0;
        if (!seen && n < cap)
            out[n++] = c->metrics[i].scenario;
    }
    return n;
}

uint64_t ccb_compare_derive_seed(uint64_t seed)
{
    ccb_rng rng;
    ccb_stats_rng_seed(&rng, seed ^ 0xc0f1e5eedULL);
    return ccb_stats_rng_next(&rng);
}

double ccb_compare_noise_floor(const ccb_compare_metric *m)
{
    if (!(m->ratio.ci_low > 0) || !(m->ratio.ci_high > 0))
        return NAN;
    double w = fmax(fabs(log(m->ratio.ci_low)), fabs(log(m->ratio.ci_high)));
    return expm1(w);
}
