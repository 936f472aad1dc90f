/*
 * Mann-Whitney test, Hodges-Lehmann shift and Moses interval from one set of pairwise
 * differences (see ranksum.h). The exact null distribution comes from the recursion
 * p(m, n, u) = (m p(m-1, n, u-n) + n p(m, n-1, u)) / (m + n) over two layers of m: at most
 * 2 x 51 x 2,501 doubles and 6 million steps for 50 values a side.
 */
#include "ranksum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ranknull.h"

/* cdf[u] = P(U <= u), u = 0 .. m n, for samples of M and N values. NULL when out of memory. */
static double *exact_cdf(size_t m, size_t n)
{
    size_t width = m * n + 1;
    double *prev = calloc((n + 1) * width, sizeof(*prev));
    double *cur = calloc((n + 1) * width, sizeof(*cur));
    double *cdf = malloc(width * sizeof(*cdf));
    if (!prev || !cur || !cdf) {
        free(prev);
        free(cur);
        free(cdf);
        return NULL;
    }
    /* m' = 0: U is 0 whatever n'. */
    for (size_t j = 0; j <= n; j++)
        prev[j * width] = 1;
    for (size_t i = 1; i <= m; i++) {
        memset(cur, 0, (n + 1) * width * sizeof(*cur));
        cur[0] = 1; /* n' = 0 */
        for (size_t j = 1; j <= n; j++) {
            double *row = cur + j * width;
            const double *left = cur + (j - 1) * width, *up = prev + j * width;
            for (size_t u = 0; u <= i * j; u++) {
                double a = u >= j ? up[u - j] : 0;
                row[u] = ((double)i * a + (double)j * left[u]) / (double)(i + j);
            }
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    const double *last = prev + n * width;
    double cum = 0;
    for (size_t u = 0; u < width; u++) {
        cum += last[u];
        cdf[u] = cum;
    }
    free(prev);
    free(cur);
    return cdf;
}

/* The null of U for samples of M and N values: TABLE (exact) or normal. */
static ccb_rank_null null_of(size_t m, size_t n, const double *table)
{
    ccb_rank_null z = {(double)m * (double)n, table,
                       sqrt((double)m * (double)n * (double)(m + n + 1) / 12.0)};
    return z;
}

static int exact_sizes(size_t m, size_t n)
{
    return m <= CCB_RANKSUM_EXACT_MAX && n <= CCB_RANKSUM_EXACT_MAX;
}

double ccb_ranksum_cdf(size_t m, size_t n, double u)
{
    double *table = exact_sizes(m, n) ? exact_cdf(m, n) : NULL;
    if (exact_sizes(m, n) && !table)
        return NAN;
    ccb_rank_null z = null_of(m, n, table);
    double c = ccb_ranknull_cdf(&z, u);
    free(table);
    return c;
}

/* The finite values of V[0..N) into a new array; *kept their count. NULL when out of memory
 * (or none: then *kept is 0 and the result is still non-NULL). */
static double *finite_copy(const double *v, size_t n, size_t *kept)
{
    double *out = malloc((n ? n : 1) * sizeof(*out));
    *kept = 0;
    for (size_t i = 0; out && i < n; i++) {
        if (isfinite(v[i]))
            out[(*kept)++] = v[i];
    }
    return out;
}

int ccb_ranksum_test(const double *x, size_t nx, const double *y, size_t ny, double level,
                     ccb_ranksum *out)
{
    int rc = -1;
    size_t m = 0, n = 0;
    double *a = finite_copy(x, nx, &m), *b = finite_copy(y, ny, &n);
    double *diffs = NULL, *table = NULL;
    memset(out, 0, sizeof(*out));
    out->estimate = out->ci_low = out->ci_high = NAN;
    out->p = out->min_p = 1;
    if (!a || !b)
        goto done;
    out->nx = m;
    out->ny = n;
    if (m == 0 || n == 0) {
        rc = 0;
        goto done;
    }
    out->exact = exact_sizes(m, n);
    if (out->exact && !(table = exact_cdf(m, n)))
        goto done;

    size_t total = m * n;
    size_t stride = (total + CCB_RANKSUM_MAX_DIFFS - 1) / CCB_RANKSUM_MAX_DIFFS;
    size_t kept = 0, index = 0;
    diffs = malloc((total / stride + 1) * sizeof(*diffs));
    if (!diffs)
        goto done;
    double positive = 0;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++, index++) {
            double d = b[j] - a[i];
            positive += d > 0 ? 1.0 : d == 0 ? 0.5 : 0.0;
            if (index % stride == 0)
                diffs[kept++] = d;
        }
    }
    out->statistic = positive;
    ccb_rank_null z = null_of(m, n, table);
    ccb_rank_inference inf;
    ccb_ranknull_infer(&z, positive, level, diffs, kept, stride, &inf);
    CCB_RANKNULL_STORE(out, inf);
    rc = 0;
done:
    free(a);
    free(b);
    free(diffs);
    free(table);
    return rc;
}
