/*
 * Count verdicts and culprits (count_verdict.h).
 */
#include "count_verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

typedef struct count_rule {
    const char *suffix;
    double relative, absolute;
} count_rule;

/* Near-exact counts and their floors. Measured here (docs/statistics.md "Counts"): the
 * instructions of one call vary by under 0.05% between processes of one build; page faults
 * of the first start() by 1-2 of ~8. */
static const count_rule near_exact[] = {
    {"_instructions", 0.003, 0},
    {"_page_faults", 0.10, 3},
};

double ccb_count_floor(const char *name, double *absolute)
{
    size_t len = strlen(name);
    *absolute = 0;
    for (size_t i = 0; i < sizeof(near_exact) / sizeof(near_exact[0]); i++) {
        size_t sl = strlen(near_exact[i].suffix);
        if (len >= sl && strcmp(name + len - sl, near_exact[i].suffix) == 0) {
            *absolute = near_exact[i].absolute;
            return near_exact[i].relative;
        }
    }
    return 0;
}

static void range(const double *x, size_t n, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < *lo)
            *lo = x[i];
        if (x[i] > *hi)
            *hi = x[i];
    }
}

ccb_verdict ccb_compare_count_verdict(ccb_compare_metric *m)
{
    double lo_b, hi_b, lo_c, hi_c, absolute;
    range(m->base, m->nbase, &lo_b, &hi_b);
    range(m->cand, m->ncand, &lo_c, &hi_c);
    double mb = m->base_median, mc = m->cand_median;
    m->count_spread = 0;
    if (mb > 0)
        m->count_spread = (hi_b - lo_b) / mb;
    if (mc > 0 && (hi_c - lo_c) / mc > m->count_spread)
        m->count_spread = (hi_c - lo_c) / mc;
    /* Every candidate process above every baseline process (or below): nothing less is a
     * change, whatever the medians say. */
    int up = lo_c > hi_b, down = hi_c < lo_b;
    if (!up && !down)
        return CCB_VERDICT_UNCHANGED;
    double relative = ccb_count_floor(m->name, &absolute);
    if (relative > 0) {
        double diff = fabs(mc - mb);
        double floor = fmax(relative, m->count_spread) * fmax(mb, mc);
        if (diff <= floor || diff < absolute)
            return CCB_VERDICT_UNCHANGED;
    }
    int worse = m->direction == CCB_HIGHER_IS_BETTER ? down : up;
    return worse ? CCB_VERDICT_REGRESSED : CCB_VERDICT_IMPROVED;
}

/* The profile entry CALL of a scenario result; NULL when none. */
static const cJSON *call_profile(const ccb_result *r, const char *scenario, const char *call)
{
    const ccb_scenario_result *s = r ? ccb_result_find_scenario(r, scenario) : NULL;
    return s && s->profile ? cJSON_GetObjectItemCaseSensitive(s->profile, call) : NULL;
}

static double inclusive_of(const cJSON *functions, const char *name)
{
    const cJSON *f = NULL;
    cJSON_ArrayForEach(f, functions)
    {
        if (strcmp(cJSON_GetArrayItem(f, 0)->valuestring, name) == 0)
            return cJSON_GetArrayItem(f, 1)->valuedouble;
    }
    return 0;
}

/* Keep the CCB_MAX_CULPRITS largest |cand - base| of M's culprits so far, largest first. */
static int consider(ccb_compare_metric *m, const char *name, double base, double cand)
{
    double d = fabs(cand - base);
    if (d == 0)
        return 0;
    for (size_t i = 0; i < m->nculprits; i++) {
        if (strcmp(m->culprits[i].name, name) == 0)
            return 0; /* already named (from the other side's list) */
    }
    size_t at = m->nculprits;
    while (at > 0 && fabs(m->culprits[at - 1].cand - m->culprits[at - 1].base) < d)
        at--;
    if (at >= CCB_MAX_CULPRITS)
        return 0;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    if (m->nculprits == CCB_MAX_CULPRITS)
        free(m->culprits[--m->nculprits].name);
    memmove(&m->culprits[at + 1], &m->culprits[at], (m->nculprits - at) * sizeof(m->culprits[0]));
    m->culprits[at] = (struct ccb_culprit){copy, base, cand};
    m->nculprits++;
    return 0;
}

int ccb_compare_count_culprits(ccb_compare *c, const ccb_result *base, const ccb_result *cand)
{
    static const char suffix[] = "_instructions";
    for (size_t i = 0; i < c->n; i++) {
        ccb_compare_metric *m = &c->metrics[i];
        size_t len = strlen(m->name), sl = sizeof(suffix) - 1;
        if (m->verdict != CCB_VERDICT_REGRESSED && m->verdict != CCB_VERDICT_IMPROVED &&
            m->first_verdict != CCB_VERDICT_REGRESSED)
            continue;
        if (len <= sl || strcmp(m->name + len - sl, suffix) != 0)
            continue;
        char call[64];
        snprintf(call, sizeof(call), "%.*s", (int)(len - sl), m->name);
        const cJSON *pb = call_profile(base, m->scenario, call);
        const cJSON *pc = call_profile(cand, m->scenario, call);
        if (!pb || !pc)
            continue;
        const cJSON *fb = cJSON_GetObjectItemCaseSensitive(pb, "functions");
        const cJSON *fc = cJSON_GetObjectItemCaseSensitive(pc, "functions");
        const cJSON *f = NULL;
        for (size_t k = 0; k < m->nculprits; k++)
            free(m->culprits[k].name);
        m->nculprits = 0;
        /* A function only one side ran counts 0 on the other (the injected helper). */
        cJSON_ArrayForEach(f, fc)
        {
            const char *name = cJSON_GetArrayItem(f, 0)->valuestring;
            if (consider(m, name, inclusive_of(fb, name), cJSON_GetArrayItem(f, 1)->valuedouble))
                return ccb_error_set("out of memory");
        }
        cJSON_ArrayForEach(f, fb)
        {
            const char *name = cJSON_GetArrayItem(f, 0)->valuestring;
            if (consider(m, name, cJSON_GetArrayItem(f, 1)->valuedouble, inclusive_of(fc, name)))
                return ccb_error_set("out of memory");
        }
    }
    return 0;
}
