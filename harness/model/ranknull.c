/*
 * The null distribution and the inference the two rank tests share (see ranknull.h).
 */
#include "ranknull.h"

#include <math.h>
#include <stdlib.h>

double ccb_ranknull_cdf(const ccb_rank_null *z, double w)
{
    if (w < 0)
        return 0;
    if (w >= z->total)
        return 1;
    if (z->table)
        return z->table[(size_t)floor(w)];
    return 0.5 * erfc(-((floor(w) + 0.5 - z->total / 2) / z->sd) / sqrt(2.0));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ccb_ranknull_infer(const ccb_rank_null *z, double statistic, double level, double *values,
                        size_t kept, size_t stride, ccb_rank_inference *out)
{
    const double *sorted = values;
    qsort(values, kept, sizeof(*values), cmp_double);
    out->estimate = kept == 0       ? NAN
                    : kept % 2 == 1 ? sorted[kept / 2]
                                    : (sorted[kept / 2 - 1] + sorted[kept / 2]) / 2;
    /* Two-sided p: twice the smaller tail at the observed statistic. */
    double lower = ccb_ranknull_cdf(z, floor(statistic));
    double upper = 1 - ccb_ranknull_cdf(z, ceil(statistic) - 1);
    out->p = fmin(1.0, 2 * fmin(lower, upper));
    out->min_p = fmin(1.0, 2 * ccb_ranknull_cdf(z, 0));
    out->ci_low = out->ci_high = NAN;
    out->confidence = 0;

    /* The largest k with P(S <= k - 1) <= (1 - level) / 2: the k-th smallest and k-th
     * largest values bound the interval, so it excludes 0 exactly when p <= 1 - level. */
    double tail = (1 - level) / 2;
    if (kept == 0 || ccb_ranknull_cdf(z, 0) > tail)
        return;
    size_t total = (size_t)z->total;
    size_t lo = 1, hi = total / 2 + 1; /* cdf(lo - 1) <= tail < cdf(hi - 1) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ccb_ranknull_cdf(z, (double)(mid - 1)) <= tail)
            lo = mid;
        else
            hi = mid;
    }
    out->confidence = 1 - 2 * ccb_ranknull_cdf(z, (double)(lo - 1));
    /* The k-th from each end of all `total` values, mapped onto the ones kept. */
    size_t at = stride == 1 ? lo - 1 : (size_t)(((double)lo - 0.5) / (double)total * (double)kept);
    if (at >= kept)
        at = kept - 1;
    out->ci_low = sorted[at];
    out->ci_high = sorted[kept - 1 - at];
}
