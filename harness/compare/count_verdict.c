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
 * instructions of one call's path vary between processes of one build by up to 0.55% (the
 * first start(): 21716-21724 or 21836-21844); page faults of the first start() by 1-3 of
 * ~8. */
static const count_rule near_exact[] = {
    {"_instructions", 0.005, 0},
    {"_page_faults", 0.10, 3},
};

double ccb_count_verdict_floor(const char *name, double *absolute)
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

/* Values this far apart (relative) are different modes of a near-exact count: a call that
 * sometimes takes another path (the tracker reuses a reading younger than 1 ms, and whether
 * one exists depends on when its sampler thread ran) has two, each itself near-exact. */
#define MODE_GAP 0.02
/* A candidate mode this close to a baseline mode is that mode, moved or not. */
#define MATCH_RANGE 0.10

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct mode {
    double value;  /* the median of its values */
    double lo, hi; /* its smallest and largest */
    size_t n;      /* processes in it */
} mode;

/* The modes of N values: runs of sorted values whose neighbours are at most MODE_GAP apart
 * (NEAR), or of equal values (an exact count). Returns how many (<= n). */
static size_t modes(const double *x, size_t n, int near, mode *out)
{
    double *v = malloc((n ? n : 1) * sizeof(*v));
    size_t k = 0;
    if (!v)
        return 0;
    memcpy(v, x, n * sizeof(*v));
    qsort(v, n, sizeof(*v), cmp_double);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && (near ? v[j] - v[j - 1] <= MODE_GAP * fabs(v[j - 1]) : v[j] == v[i]))
            j++;
        out[k++] = (mode){v[i + (j - i - 1) / 2], v[i], v[j - 1], j - i};
        i = j;
    }
    free(v);
    return k;
}

/* A side whose every mode is a single process (each disagrees with every other) shows no
 * value that repeats: nothing to judge at this many processes. */
static int settled(const mode *m, size_t k, size_t n)
{
    if (n < 2)
        return 1;
    for (size_t i = 0; i < k; i++) {
        if (m[i].n >= 2)
            return 1;
    }
    return 0;
}

ccb_verdict ccb_count_verdict_judge(ccb_compare_metric *m)
{
    double absolute, relative = ccb_count_verdict_floor(m->name, &absolute);
    m->count_spread = 0;
    m->count_modes = 0;
    m->count_unsettled = 0;
    mode *bm = malloc((m->nbase ? m->nbase : 1) * sizeof(*bm));
    mode *cm = malloc((m->ncand ? m->ncand : 1) * sizeof(*cm));
    size_t nb = bm ? modes(m->base, m->nbase, relative > 0, bm) : 0;
    size_t nc = cm ? modes(m->cand, m->ncand, relative > 0, cm) : 0;
    for (int side = 0; side < 2; side++) {
        const double *x = side ? m->cand : m->base;
        size_t n = side ? m->ncand : m->nbase;
        double a = INFINITY, z = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            a = fmin(a, x[i]);
            z = fmax(z, x[i]);
        }
        if (n && a > 0 && (z - a) / a > m->count_spread)
            m->count_spread = (z - a) / a;
    }
    m->count_modes = nb > nc ? nb : nc;
    int up = 0, down = 0;
    m->count_unsettled = !settled(bm, nb, m->nbase) || !settled(cm, nc, m->ncand);
    /* Each candidate mode against the nearest baseline mode: a change is every candidate mode
     * moved the same way, each of its processes beyond each of the matched mode's, and its
     * median by more than the floor (exact counts: by any amount, so +1 is a change). A mode
     * only one side happened to hit then cannot pass for a change of the other. */
    /* A candidate mode more than MATCH_RANGE from every baseline mode is a path only the
     * candidate's processes happened to take (the other one of start()'s two): it has
     * nothing to be compared with and is left out, unless no mode has a match (a large
     * change moves them all). */
    size_t matched = 0, considered = 0;
    size_t *best = calloc(nc ? nc : 1, sizeof(*best));
    for (size_t i = 0; best && i < nc; i++) {
        for (size_t j = 1; j < nb; j++) {
            if (fabs(cm[i].value - bm[j].value) < fabs(cm[i].value - bm[best[i]].value))
                best[i] = j;
        }
        matched += fabs(cm[i].value - bm[best[i]].value) <= MATCH_RANGE * fabs(bm[best[i]].value);
    }
    for (size_t i = 0; best && i < nc && !m->count_unsettled; i++) {
        const mode *b = &bm[best[i]];
        double d = cm[i].value - b->value;
        if (matched > 0 && fabs(d) > MATCH_RANGE * fabs(b->value))
            continue;
        considered++;
        int beyond = d != 0 && fabs(d) >= absolute && fabs(d) > relative * fabs(b->value);
        up += beyond && d > 0 && cm[i].lo > b->hi;
        down += beyond && d < 0 && cm[i].hi < b->lo;
    }
    free(best);
    free(bm);
    free(cm);
    if (considered == 0 || (up != (int)considered && down != (int)considered))
        return CCB_VERDICT_UNCHANGED;
    int worse =
        m->direction == CCB_HIGHER_IS_BETTER ? down == (int)considered : up == (int)considered;
    return worse ? CCB_VERDICT_REGRESSED : CCB_VERDICT_IMPROVED;
}

/* X's modes (NAN left out) into a malloc'd array; *k receives how many. NULL when none. */
static mode *modes_of(const char *name, const double *x, size_t n, size_t *k)
{
    double absolute, relative = ccb_count_verdict_floor(name, &absolute);
    double *v = malloc((n ? n : 1) * sizeof(*v));
    mode *m = malloc((n ? n : 1) * sizeof(*m));
    size_t nv = 0;
    *k = 0;
    for (size_t i = 0; v && i < n; i++) {
        if (!isnan(x[i]))
            v[nv++] = x[i];
    }
    if (v && m && nv)
        *k = modes(v, nv, relative > 0, m);
    free(v);
    if (*k == 0) {
        free(m);
        return NULL;
    }
    return m;
}

static double nearest(const mode *m, size_t k, double value)
{
    double best = INFINITY;
    for (size_t i = 0; i < k; i++)
        best = fmin(best, fabs(value - m[i].value));
    return best;
}

int ccb_count_like_bad(const char *name, const double *good, size_t ngood, const double *bad,
                       size_t nbad, const double *x, size_t nx)
{
    size_t kg, kb, kx;
    mode *g = modes_of(name, good, ngood, &kg);
    mode *b = modes_of(name, bad, nbad, &kb);
    mode *m = modes_of(name, x, nx, &kx);
    size_t to_bad = 0, to_good = 0;
    for (size_t i = 0; g && b && m && i < kx; i++) {
        double dg = nearest(g, kg, m[i].value), db = nearest(b, kb, m[i].value);
        to_bad += db < dg ? m[i].n : 0;
        to_good += dg < db ? m[i].n : 0;
    }
    free(g);
    free(b);
    free(m);
    return to_bad > to_good ? 1 : to_good > to_bad ? 0 : -1;
}

double ccb_count_typical(const char *name, const double *x, size_t n)
{
    size_t k;
    mode *m = modes_of(name, x, n, &k);
    double value = NAN;
    size_t most = 0;
    for (size_t i = 0; i < k; i++) {
        if (m[i].n > most) {
            most = m[i].n;
            value = m[i].value;
        }
    }
    free(m);
    return value;
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

int ccb_count_verdict_culprits(ccb_compare *c, const ccb_result *base, const ccb_result *cand)
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
