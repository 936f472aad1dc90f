/*
 * The two-sample Wilcoxon-Mann-Whitney test with its Hodges-Lehmann shift and Moses
 * interval, all three from the same pairwise differences y_j - x_i so they never disagree:
 * the statistic is the number of positive differences (ties at 0 count one half), the
 * estimate is their median, and the interval is cut at the ranks the same null distribution
 * gives, so it excludes 0 exactly when the two-sided p is at most 1 - level (when no
 * difference is exactly 0). The counterpart of signrank.h for two independent samples.
 *
 * The null distribution is exact (the coefficients of the Gaussian binomial) while both
 * samples have at most CCB_RANKSUM_EXACT_MAX values, normal with continuity correction
 * beyond. Pure functions, no global state.
 */
#ifndef CCB_RANKSUM_H
#define CCB_RANKSUM_H

#include <stddef.h>

#define CCB_RANKSUM_EXACT_MAX 50
/* Beyond this many differences a fixed stride keeps this many for the estimate and the
 * interval (then approximate); the statistic still counts every pair. */
#define CCB_RANKSUM_MAX_DIFFS 2000000

typedef struct ccb_ranksum {
    size_t nx, ny;          /* finite values used */
    double estimate;        /* Hodges-Lehmann: the median of y_j - x_i */
    double ci_low, ci_high; /* NAN when the samples are too small for the level */
    double confidence;      /* the interval's exact coverage (>= level); 0 when none */
    double statistic;       /* positive differences (+ half the zeros) */
    double p;               /* two-sided; 1 when a side is empty */
    double min_p;           /* the smallest two-sided p any data could give at these sizes */
    int exact;
} ccb_ranksum;

/* Test and estimate of Y against X (NaNs skipped) at confidence LEVEL. 0, or -1 when out of
 * memory. */
int ccb_ranksum_test(const double *x, size_t nx, const double *y, size_t ny, double level,
                     ccb_ranksum *out);

/* P(U <= u) under the null for samples of M and N values without ties. */
double ccb_ranksum_cdf(size_t m, size_t n, double u);

#endif
