/*
 * Compare's statistics and its interleaved measurement (see compare.h). The statistics
 * themselves live in stats.c; this file decides what is fed to them (per-process medians,
 * pairs within blocks), which metrics share one Holm family, and what a confirm round means.
 */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "interrupt.h"
#include "sample.h"

/* ---------------------------------------------------------------------------------------- */
/* Thresholds */

void ccb_thresholds_init(ccb_thresholds *t)
{
    memset(t, 0, sizeof(*t));
    t->global = CCB_DEFAULT_THRESHOLD;
}

void ccb_thresholds_release(ccb_thresholds *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->overrides[i].key);
    free(t->overrides);
    t->overrides = NULL;
    t->n = 0;
}

/* "5", "5%", "2.5%" -> 0.05, 0.05, 0.025. */
static int parse_percent(const char *arg, const char *text, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || (*end && strcmp(end, "%") != 0) || !(v > 0 && v < 1000))
        return ccb_error_set("compare: --threshold '%s': expected a percentage in (0, 1000) "
                             "such as 5%% or 10, or SCENARIO.METRIC=PCT",
                             arg);
    *out = v / 100.0;
    return 0;
}

int ccb_thresholds_parse(ccb_thresholds *t, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return parse_percent(arg, arg, &t->global);

    double value = 0;
    if (parse_percent(arg, eq + 1, &value) != 0)
        return -1;
    size_t keylen = (size_t)(eq - arg);
    char key[256];
    if (keylen == 0 || keylen >= sizeof(key))
        return ccb_error_set("compare: --threshold '%s': expected SCENARIO.METRIC=PCT", arg);
    memcpy(key, arg, keylen);
    key[keylen] = '\0';
    char *dot = strchr(key, '.');
    if (!dot)
        return ccb_error_set("compare: --threshold '%s': '%s' is not SCENARIO.METRIC (e.g. "
                             "warm_lifecycle.lifecycle_us=10%%)",
                             arg, key);
    *dot = '\0';
    const ccb_scenario_def *def = ccb_catalog_find(key);
    if (!def || !ccb_catalog_metric(def, dot + 1)) {
        *dot = '.';
        return ccb_error_set("compare: --threshold '%s': no metric '%s'. 'ccbench list' shows "
                             "them all.",
                             arg, key);
    }
    *dot = '.';
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->overrides[i].key, key) == 0) {
            t->overrides[i].value = value;
            return 0;
        }
    }
    ccb_threshold_override *grown = realloc(t->overrides, (t->n + 1) * sizeof(*grown));
    if (!grown)
        return ccb_error_set("out of memory");
    t->overrides = grown;
    t->overrides[t->n].key = strdup(key);
    t->overrides[t->n].value = value;
    if (!t->overrides[t->n].key)
        return ccb_error_set("out of memory");
    t->n++;
    return 0;
}

double ccb_thresholds_for(const ccb_thresholds *t, const char *scenario, const char *metric)
{
    size_t slen = strlen(scenario);
    for (size_t i = 0; i < t->n; i++) {
        const char *k = t->overrides[i].key;
        if (strncmp(k, scenario, slen) == 0 && k[slen] == '.' && strcmp(k + slen + 1, metric) == 0)
            return t->overrides[i].value;
    }
    return t->global;
}

/* ---------------------------------------------------------------------------------------- */
/* The compare's metrics */

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
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        ccb_compare_metric *grown = realloc(c->metrics, cap * sizeof(*grown));
        if (!grown) {
            ccb_error_set("out of memory");
            return NULL;
        }
        c->metrics = grown;
        c->cap = cap;
    }
    m = &c->metrics[c->n];
    memset(m, 0, sizeof(*m));
    m->scenario = strdup(scenario);
    m->name = strdup(name);
    m->unit = strdup(unit ? unit : "");
    m->direction = direction;
    m->kind = kind;
    m->p = m->p_holm = m->noise_floor = NAN;
    c->n++;
    if (!m->scenario || !m->name || !m->unit) {
        ccb_error_set("out of memory");
        return NULL;
    }
    return m;
}

static int push(double **arr, size_t *n, size_t *cap, double v)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 32;
        double *grown = realloc(*arr, grown_cap * sizeof(*grown));
        if (!grown)
            return ccb_error_set("out of memory");
        *arr = grown;
        *cap = grown_cap;
    }
    (*arr)[(*n)++] = v;
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
            const ccb_metric_result *mc = ccb_scenario_find_metric(sc, mb->name);
            if (!mc)
                continue;
            ccb_compare_metric *m =
                ccb_compare_metric_get(c, sb->name, mb->name, mb->unit, mb->direction, mb->kind);
            if (!m)
                return -1;
            for (size_t j = 0; j < mb->n; j++)
                if (ccb_compare_add_value(m, 0, mb->samples[j]) != 0)
                    return -1;
            for (size_t j = 0; j < mc->n; j++)
                if (ccb_compare_add_value(m, 1, mc->samples[j]) != 0)
                    return -1;
        }
    }
    if (c->n == 0)
        return ccb_error_set("compare: the two results have no scenario metric in common: "
                             "compare results of the same scenarios");
    return 0;
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
        int err = c->paired ? ccb_stats_ratio_paired(m->base, m->cand, m->nbase,
                                                     CCB_STATS_DEFAULT_SEED, &m->ratio)
                            : ccb_stats_ratio_unpaired(m->base, m->nbase, m->cand, m->ncand,
                                                       CCB_STATS_DEFAULT_SEED, &m->ratio);
        if (err != 0) {
            ccb_error_set("out of memory computing the ratio of %s.%s", m->scenario, m->name);
            goto done;
        }
        m->p = ccb_stats_mann_whitney(m->base, m->nbase, m->cand, m->ncand, NULL);
        if (isnan(m->p)) {
            ccb_error_set("out of memory computing the U test of %s.%s", m->scenario, m->name);
            goto done;
        }
        p[family] = m->p;
        idx[family++] = i;
    }
    /* One Holm family: every timing metric of the compare that has data. */
    ccb_stats_holm(p, family, adj);
    for (size_t k = 0; k < family; k++)
        c->metrics[idx[k]].p_holm = adj[k];

    for (size_t i = 0; i < c->n; i++) {
        ccb_compare_metric *m = &c->metrics[i];
        int hib = m->direction == CCB_HIGHER_IS_BETTER;
        if (m->nbase == 0 || m->ncand == 0)
            m->verdict = CCB_VERDICT_UNCHANGED;
        else if (m->kind == CCB_KIND_COUNT)
            m->verdict = ccb_stats_verdict_count(m->base_median, m->cand_median, hib);
        else
            m->verdict = ccb_stats_verdict(&m->ratio, m->p_holm, m->threshold, hib);
        if (m->verdict == CCB_VERDICT_INCONCLUSIVE) {
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

void ccb_compare_apply_confirm(ccb_compare *c, const ccb_compare *round2)
{
    c->confirm_ran = 1;
    for (size_t i = 0; i < c->n; i++) {
        ccb_compare_metric *m = &c->metrics[i];
        if (m->first_verdict != CCB_VERDICT_REGRESSED)
            continue;
        const ccb_compare_metric *again = ccb_compare_find(round2, m->scenario, m->name);
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
        if (c->metrics[i].first_verdict != CCB_VERDICT_REGRESSED)
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
    ccb_rng_seed(&rng, seed ^ 0xc0f1e5eedULL);
    return ccb_rng_next(&rng);
}

double ccb_compare_noise_floor(const ccb_compare_metric *m)
{
    if (!(m->ratio.ci_low > 0) || !(m->ratio.ci_high > 0))
        return NAN;
    double w = fmax(fabs(log(m->ratio.ci_low)), fabs(log(m->ratio.ci_high)));
    return expm1(w);
}

/* ---------------------------------------------------------------------------------------- */
/* Interleaved measurement */

typedef struct interleave {
    const char *const (*exe)[2];
    unsigned int blocks;
    ccb_rng rng;
    ccb_result **results;
    ccb_compare *cmp;
    size_t sample_index; /* unique log names across both sides */
} interleave;

/* The per-metric reduction of the samples one process added to S (from counts BEFORE). */
static void reduce_process(const ccb_scenario_result *s, const size_t *before, double *out)
{
    for (size_t k = 0; k < s->nmetrics; k++) {
        const ccb_metric_result *m = &s->metrics[k];
        out[k] = ccb_compare_reduce(m->samples + before[k], m->n - before[k]);
    }
}

static int interleave_item(void *payload, size_t index, ccb_plan_item *item,
                           const ccb_runner_ctx *ctx, ccb_progress *progress, int *interrupted)
{
    interleave *il = payload;
    const ccb_scenario_def *def = item->def;
    size_t nm = def->metric_count;
    int rc = -1;
    size_t *before = calloc(nm ? nm : 1, sizeof(*before));
    double *vals = calloc((nm ? nm : 1) * 4, sizeof(*vals)); /* [side][slot][metric] */
    ccb_compare_metric **cm = calloc(nm ? nm : 1, sizeof(*cm));
    (void)index;
    if (!before || !vals || !cm) {
        ccb_error_set("out of memory");
        goto done;
    }
    ccb_scenario_result *s[2];
    for (int side = 0; side < 2; side++) {
        s[side] = ccb_result_add_scenario(il->results[side], def->name);
        if (!s[side])
            goto done;
        cJSON_Delete(s[side]->params);
        s[side]->params = cJSON_Duplicate(item->params, 1);
        /* Each side ran half of the item's processes; record what it really got. */
        if (!s[side]->params ||
            !cJSON_ReplaceItemInObjectCaseSensitive(s[side]->params, "processes",
                                                    cJSON_CreateNumber(2.0 * il->blocks)) ||
            !cJSON_AddNumberToObject(s[side]->params, "abba_blocks", il->blocks)) {
            ccb_error_set("out of memory");
            goto done;
        }
        for (size_t m = 0; m < nm; m++) {
            if (!ccb_scenario_add_metric(s[side], &def->metrics[m]))
                goto done;
        }
    }
    for (size_t m = 0; m < nm; m++) {
        const ccb_metric_def *md = &def->metrics[m];
        /* Pointers into cmp stay valid: no other metric is added while this item runs. */
        if (!ccb_compare_metric_get(il->cmp, def->name, md->name, md->unit, md->direction,
                                    md->kind))
            goto done;
    }
    for (size_t m = 0; m < nm; m++)
        cm[m] = ccb_compare_find(il->cmp, def->name, def->metrics[m].name);

    int is_floor = strcmp(def->executable, CCB_FLOOR_EXECUTABLE) == 0;
    for (unsigned int b = 0; b < il->blocks && !*interrupted; b++) {
        /* ABBA or BAAB: drift within a block hits both sides equally either way, and the
         * random choice keeps a periodic disturbance from lining up with one side. */
        int first = (int)ccb_rng_below(&il->rng, 2);
        const int order[4] = {first, !first, !first, first};
        int slot_of_side[2] = {0, 0};
        for (int k = 0; k < 4; k++) {
            int side = order[k];
            int slot = slot_of_side[side]++;
            double *out = vals + ((size_t)side * 2 + (size_t)slot) * nm;
            for (size_t m = 0; m < nm; m++) {
                before[m] = s[side]->metrics[m].n;
                out[m] = NAN;
            }
            ccb_sample_status status = CCB_SAMPLE_OK;
            if (ccb_runner_sample(ctx, def, il->exe[side][is_floor], item->runner_params,
                                  item->timeout_ms, il->sample_index++, s[side], &status) != 0)
                goto done;
            if (status == CCB_SAMPLE_INTERRUPTED || ccb_interrupt_requested()) {
                *interrupted = 1;
                break;
            }
            if (status == CCB_SAMPLE_OK)
                reduce_process(s[side], before, out);
            ccb_progress_sample(progress, status == CCB_SAMPLE_OK);
        }
        if (*interrupted)
            break;
        for (size_t m = 0; m < nm; m++) {
            double base[2] = {vals[(0 * 2 + 0) * nm + m], vals[(0 * 2 + 1) * nm + m]};
            double cand[2] = {vals[(1 * 2 + 0) * nm + m], vals[(1 * 2 + 1) * nm + m]};
            if (ccb_compare_add_block(cm[m], base, cand) < 0)
                goto done;
        }
    }
    rc = 0;
done:
    free(cm);
    free(before);
    free(vals);
    return rc;
}

int ccb_compare_measure(ccb_plan_item *items, size_t count, const char *const exe[2][2],
                        unsigned int blocks, uint64_t seed, int cpu, ccb_progress_mode mode,
                        ccb_result *results[2], ccb_compare *cmp, ccb_measure_outcome *outcome)
{
    interleave il = {.exe = exe, .blocks = blocks, .results = results, .cmp = cmp};
    ccb_rng_seed(&il.rng, seed);
    cmp->seed = seed;
    cmp->blocks = blocks;
    return ccb_measure_each(items, count, cpu, mode, interleave_item, &il, outcome);
}

/* ---------------------------------------------------------------------------------------- */
/* Rounds */

int ccb_selection_add(ccb_selection *s, const char *command, const char *arg)
{
    int rc = -1;
    char *copy = strdup(arg), *save = NULL;
    if (!copy)
        return ccb_error_set("out of memory");
    if (arg[0] == '\0' || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
        ccb_error_set("%s: --scenario '%s': expected NAME[,NAME...]", command, arg);
        goto done;
    }
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const ccb_scenario_def *def = ccb_catalog_find(name);
        if (!def) {
            size_t count = 0;
            const ccb_scenario_def *all = ccb_catalog_scenarios(&count);
            const char *names[64];
            size_t n = 0;
            for (size_t i = 0; i < count && n < 64; i++)
                names[n++] = all[i].name;
            const char *near = ccb_cli_nearest(name, names, n);
            if (near)
                ccb_error_set("%s: unknown scenario '%s'. Did you mean '%s'?", command, name,
                              near);
            else
                ccb_error_set("%s: unknown scenario '%s'. 'ccbench list' shows them all.",
                              command, name);
            goto done;
        }
        if (def->needs_mock_api && !ccb_measure_mock_api_available()) {
            ccb_error_set("%s: scenario %s needs the mock API, which this build lacks", command,
                          name);
            goto done;
        }
        int dup = 0;
        for (size_t i = 0; i < s->n; i++)
            dup |= s->defs[i] == def;
        if (dup)
            continue;
        if (s->n == CCB_COMPARE_MAX_SCENARIOS) {
            ccb_error_set("%s: too many scenarios", command);
            goto done;
        }
        s->defs[s->n++] = def;
    }
    rc = 0;
done:
    free(copy);
    return rc;
}

void ccb_selection_default(ccb_selection *s)
{
    size_t count = 0;
    const ccb_scenario_def *all = ccb_catalog_scenarios(&count);
    for (size_t i = 0; i < count && s->n < CCB_COMPARE_MAX_SCENARIOS; i++) {
        if (!all[i].selftest && (!all[i].needs_mock_api || ccb_measure_mock_api_available()))
            s->defs[s->n++] = &all[i];
    }
}

uint64_t ccb_compare_default_seed(void)
{
    struct timespec ts;
    ccb_rng rng;

    clock_gettime(CLOCK_REALTIME, &ts);
    ccb_rng_seed(&rng, (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
                           ((uint64_t)getpid() << 32));
    return ccb_rng_next(&rng) >> 11;
}

unsigned int ccb_compare_default_blocks(ccb_profile profile)
{
    switch (profile) {
    case CCB_PROFILE_QUICK:
        return 6;
    case CCB_PROFILE_DEFAULT:
        return 15;
    case CCB_PROFILE_FULL:
        return 30;
    }
    return 15;
}

int ccb_compare_round(const ccb_selection *sel, ccb_profile profile, long cpu,
                      unsigned int blocks, uint64_t seed, const char *const exe[2][2],
                      ccb_progress_mode mode, ccb_result *results[2], ccb_compare *cmp,
                      int *scenario_failed, ccb_measure_outcome *outcome)
{
    int rc = -1;
    ccb_plan_item items[CCB_COMPARE_MAX_SCENARIOS];
    size_t nitems = 0;
    size_t first[2] = {results[0]->nscenarios, results[1]->nscenarios};
    memset(items, 0, sizeof(items));
    *scenario_failed = 0;
    /* Each block runs 4 processes: 2 per side. */
    ccb_plan_overrides ov = {.samples = 4UL * blocks, .api_latency_ms = 50, .cpu = cpu};
    for (size_t i = 0; i < sel->n; i++) {
        nitems++;
        if (ccb_plan_item_init(&items[i], sel->defs[i], profile, &ov) != 0)
            goto done;
    }
    if (ccb_compare_measure(items, nitems, exe, blocks, seed, (int)cpu, mode, results, cmp,
                            outcome) != 0)
        goto done;
    for (int side = 0; side < 2; side++) {
        for (size_t i = first[side]; i < results[side]->nscenarios; i++)
            if (results[side]->scenarios[i].samples_ok == 0)
                *scenario_failed = 1;
    }
    rc = 0;
done:
    for (size_t i = 0; i < nitems; i++)
        ccb_plan_item_release(&items[i]);
    return rc;
}
