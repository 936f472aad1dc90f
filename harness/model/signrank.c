/*
 * Signed-rank test, Hodges-Lehmann estimate and its interval from one set of Walsh averages
 * (see signrank.h). Costs O(n^2) time for the statistic and O(n^2 log n) to sort the Walsh
 * averages: 125,250 of them for the 500 blocks a compare may run, a few milliseconds.
 */
#include "signrank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static double normal_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* P(W+ <= w): from TABLE when given (exact), else the normal approximation with continuity
 * correction. */
static double cdf_at(size_t n, const double *table, double w)
{
    double total = (double)n * (double)(n + 1) / 2;
    if (w < 0)
        return 0;
    if (w >= total)
        return 1;
    if (table)
        return table[(size_t)floor(w)];
    double mean = total / 2;
    double sd = sqrt((double)n * (double)(n + 1) * (double)(2 * n + 1) / 24.0);
    return normal_cdf((floor(w) + 0.5 - mean) / sd);
}

double ccb_signrank_cdf(size_t n, double w)
{
    double *table = n <= CCB_SIGNRANK_EXACT_MAX ? exact_cdf(n) : NULL;
    if (n <= CCB_SIGNRANK_EXACT_MAX && !table)
        return NAN;
    double c = cdf_at(n, table, w);
    free(table);
    return c;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
    qsort(walsh, kept, sizeof(*walsh), cmp_double);
    out->estimate = kept % 2 ? walsh[kept / 2] : (walsh[kept / 2 - 1] + walsh[kept / 2]) / 2;
    out->statistic = positive;

    /* Two-sided p: twice the smaller tail at the observed statistic. */
    double lower = cdf_at(m, table, floor(positive));
    double upper = 1 - cdf_at(m, table, ceil(positive) - 1);
    out->p = fmin(1.0, 2 * fmin(lower, upper));
    out->min_p = fmin(1.0, 2 * cdf_at(m, table, 0));

    /* The interval: the largest k with P(W+ <= k - 1) <= (1 - level) / 2 gives the k-th
     * smallest and k-th largest Walsh averages. */
    double tail = (1 - level) / 2;
    if (cdf_at(m, table, 0) <= tail) {
        size_t lo = 1, hi = total / 2 + 1; /* cdf(lo - 1) <= tail < cdf(hi - 1) */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (cdf_at(m, table, (double)(mid - 1)) <= tail)
                lo = mid;
            else
                hi = mid;
        }
        size_t k = lo;
        out->confidence = 1 - 2 * cdf_at(m, table, (double)(k - 1));
        /* k-th from each end of all `total` averages, mapped onto the ones kept. */
        size_t at = stride == 1 ? k - 1 : (size_t)(((double)k - 0.5) / (double)total * (double)kept);
        if (at >= kept)
            at = kept - 1;
        out->ci_low = walsh[at];
        out->ci_high = walsh[kept - 1 - at];
    }
    rc = 0;
done:
    free(x);
    free(walsh);
    free(table);
    return rc;
}
