/*
 * Signed-rank test, Hodges-Lehmann estimate and its interval from one set of Walsh averages
 * (see signrank.h). Costs O(n^2) time for the statistic and O(n^2 log n) to sort the Walsh
 * averages: 125,250 of them for the 500 blocks a compare may run, a few milliseconds.
 */
#include "signrank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ranknull.h"

/* The null distribution of W+ for n values: cdf[w] = P(W+ <= w), w = 0 .. n(n+1)/2, by the
 * recursion P_k(w) = (P_{k-1}(w) + P_{k-1}(w - k)) / 2 over the values' ranks k. NULL when
 * out of memory. Only used for n <= CCB_SIGNRANK_EXACT_MAX (1,276 entries at most). */
static double *exact_cdf(size_t n)
{
    size_t total = n * (n + 1) / 2;
    double *p = calloc(total + 1, sizeof(*p));
    if (!p)
        return NULL;
    p[0] = 1;
    for (size_t k = 1; k <= n; k++) {
        size_t top = k * (k + 1) / 2;
        /* Descending, so p[w - k] is still the previous step's value. */
        for (size_t w = top + 1; w-- > 0;)
            p[w] = 0.5 * (p[w] + (w >= k ? p[w - k] : 0));
    }
    for (size_t w = 1; w <= total; w++)
        p[w] += p[w - 1];
    return p;
}

/* The null of W+ for N values: TABLE (exact) or normal. */
static ccb_rank_null null_of(size_t n, const double *table)
{
    ccb_rank_null z = {(double)n * (double)(n + 1) / 2, table,
                       sqrt((double)n * (double)(n + 1) * (double)(2 * n + 1) / 24.0)};
    return z;
}

double ccb_signrank_cdf(size_t n, double w)
{
    double *table = n <= CCB_SIGNRANK_EXACT_MAX ? exact_cdf(n) : NULL;
    if (n <= CCB_SIGNRANK_EXACT_MAX && !table)
        return NAN;
    ccb_rank_null z = null_of(n, table);
    double c = ccb_ranknull_cdf(&z, w);
    free(table);
    return c;
}

int ccb_signrank_test(const double *d, size_t n, double level, ccb_signrank *out)
{
    int rc = -1;
    double *x = malloc((n ? n : 1) * sizeof(*x));
    double *walsh = NULL, *table = NULL;
    memset(out, 0, sizeof(*out));
    out->estimate = out->ci_low = out->ci_high = NAN;
    out->p = out->min_p = 1;
    if (!x)
        goto done;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(d[i]))
            x[m++] = d[i];
    }
    out->n = m;
    if (m == 0) {
        rc = 0;
        goto done;
    }
    out->exact = m <= CCB_SIGNRANK_EXACT_MAX;
    if (out->exact && !(table = exact_cdf(m)))
        goto done;

    size_t total = m * (m + 1) / 2;
    size_t stride = (total + CCB_SIGNRANK_MAX_WALSH - 1) / CCB_SIGNRANK_MAX_WALSH;
    size_t kept = 0;
    walsh = malloc((total / stride + 1) * sizeof(*walsh));
    if (!walsh)
        goto done;
    double positive = 0;
    size_t index = 0;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = i; j < m; j++, index++) {
            double a = (x[i] + x[j]) / 2;
            positive += a > 0 ? 1.0 : a == 0 ? 0.5 : 0.0;
            if (index % stride == 0)
                walsh[kept++] = a;
        }
    }
    ccb_rank_null z = null_of(m, table);
    out->statistic = positive;

    ccb_rank_inference inf;
    ccb_ranknull_infer(&z, positive, level, walsh, kept, stride, &inf);
    CCB_RANKNULL_STORE(out, inf);
    rc = 0;
done:
    free(x);
    free(walsh);
    free(table);
    return rc;
}
