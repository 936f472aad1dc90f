/*
 * The one-sample (paired) Wilcoxon signed-rank test with its Hodges-Lehmann estimate and
 * confidence interval, all three from the same Walsh averages so they can never disagree:
 * the test statistic is the number of positive Walsh averages (d_i + d_j) / 2, i <= j (ties
 * at 0 count one half), which equals the signed-rank W+ when nothing ties; the estimate is
 * their median; the interval is cut at the ranks the same null distribution gives, so the
 * interval excludes 0 exactly when the two-sided p is at most 1 - level.
 *
 * The null distribution is exact (a recursion over rank sums) up to CCB_SIGNRANK_EXACT_MAX
 * values, and the normal approximation with continuity correction beyond. Pure functions,
 * no global state.
 */
#ifndef CCB_SIGNRANK_H
#define CCB_SIGNRANK_H

#include <stddef.h>

#define CCB_SIGNRANK_EXACT_MAX 50
/* Beyond this many values the Walsh averages (n(n+1)/2 of them) are not all formed: a fixed
 * stride through the pairs keeps CCB_SIGNRANK_MAX_WALSH of them (estimate and interval then
 * approximate; the statistic is still counted over all pairs). */
#define CCB_SIGNRANK_MAX_WALSH 2000000

typedef struct ccb_signrank {
    size_t n;               /* finite values used */
    double estimate;        /* Hodges-Lehmann: the median of the Walsh averages */
    double ci_low, ci_high; /* NAN when n is too small for the level */
    double confidence;      /* the interval's exact coverage (>= level); 0 when none */
    double statistic;       /* positive Walsh averages (+ half the zeros) */
    double p;               /* two-sided; 1 when n = 0 */
    double min_p;           /* the smallest two-sided p any data could give at this n */
    int exact;              /* 1: exact null distribution; 0: normal approximation */
} ccb_signrank;

/* Test and estimate on D[0..N) (NaNs skipped) at confidence LEVEL (0.95). 0, or -1 when out
 * of memory. */
int ccb_signrank_test(const double *d, size_t n, double level, ccb_signrank *out);

/* P(W+ <= w) under the null for N values without ties, exact (N <= CCB_SIGNRANK_EXACT_MAX)
 * or normal. Exposed for the tests' independent checks. */
double ccb_signrank_cdf(size_t n, double w);

#endif
