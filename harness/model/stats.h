/*
 * Statistics for ccbench: per-metric summaries (run), and the two-sample machinery of
 * compare (ratio with bootstrap CI, Mann-Whitney U, Holm, verdicts). Pure functions over
 * arrays of doubles: no I/O, no global state. Every random choice uses a caller-given seed,
 * so the same samples always give the same numbers.
 */
#ifndef CCB_STATS_H
#define CCB_STATS_H

#include <stddef.h>
#include <stdint.h>

#define CCB_STATS_DEFAULT_SEED 0x5eedc0ffee1234ULL
#define CCB_BOOTSTRAP_RESAMPLES 2000

typedef struct ccb_summary {
    size_t n;
    double min, max, mean, median, stddev; /* stddev: sample (n-1); 0 when n < 2 */
    double mad;                            /* median absolute deviation, unscaled */
    double p95, p99;                       /* linear interpolation (numpy's default) */
    /* Exact distribution-free CI of the median: order statistics at binomial ranks, the
     * narrowest symmetric pair covering >= 95%. NAN when n <= 5 (no such pair exists). */
    double ci95_low, ci95_high;
    size_t outliers; /* |x - median| > 5 * MAD (none when MAD = 0) */
} ccb_summary;

/* Summary of x[0..n). n = 0 gives all zeros. Returns 0, or -1 on allocation failure. SEED
 * is kept for callers; the summary no longer draws random numbers. */
int ccb_stats_summarize(const double *x, size_t n, uint64_t seed, ccb_summary *out);
/* The rank k (1-based) of the median's order-statistic interval [x_(k), x_(n+1-k)] at
 * LEVEL: the largest k with P(Binomial(n, 1/2) <= k - 1) <= (1 - LEVEL) / 2; its exact
 * coverage in *coverage. 0 when n is too small for LEVEL (n <= 5 at 95%). */
size_t ccb_stats_median_ci_rank(size_t n, double level, double *coverage);

double ccb_stats_median(const double *x, size_t n);                    /* copies, does not sort x */
double ccb_stats_percentile(const double *sorted, size_t n, double p); /* p in [0,100] */

/* Deterministic PRNG (splitmix64 seeded xoshiro256**), for bootstrap and ABBA orders. */
typedef struct ccb_rng {
    uint64_t s[4];
} ccb_rng;
void ccb_stats_rng_seed(ccb_rng *r, uint64_t seed);
uint64_t ccb_stats_rng_next(ccb_rng *r);
size_t ccb_stats_rng_below(ccb_rng *r, size_t bound); /* uniform in [0, bound), bound > 0 */

/* Ratio candidate/baseline. Paired: the median of log(c[i]/b[i]) over pairs, with a
 * bootstrap 95% CI (resampling pairs). Unpaired: the median over all cross pairs
 * (Hodges-Lehmann on logs; a seeded subsample beyond CCB_HL_MAX_PAIRS pairs) with Moses'
 * distribution-free 95% CI on the same differences, so the estimate is always inside its CI.
 * Values must be > 0; non-positive values are skipped (counted in `skipped`). */
typedef struct ccb_ratio {
    double ratio, ci_low, ci_high;
    size_t n_used, skipped;
} ccb_ratio;
int ccb_stats_ratio_paired(const double *base, const double *cand, size_t n, uint64_t seed,
                           ccb_ratio *out);
int ccb_stats_ratio_unpaired(const double *base, size_t nb, const double *cand, size_t nc,
                             uint64_t seed, ccb_ratio *out);

/* Two-sided Mann-Whitney U test, normal approximation with tie correction and continuity
 * correction. Returns the p-value in [0,1] (1 when either side is empty or all values tie);
 * *u_out (may be NULL) receives U for the first sample. */
double ccb_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                              double *u_out);

/* Holm-Bonferroni step-down: adjusted[i] for p[i], monotone, capped at 1. */
void ccb_stats_holm(const double *p, size_t n, double *adjusted);

typedef enum ccb_verdict {
    CCB_VERDICT_UNCHANGED = 0,
    CCB_VERDICT_IMPROVED = 1,
    CCB_VERDICT_REGRESSED = 2,
    CCB_VERDICT_INCONCLUSIVE = 3,
    /* The metric's noise floor is above its threshold and the change is not beyond the
     * floor: the threshold cannot be judged at this profile. Neither a pass nor a fail. */
    CCB_VERDICT_BELOW_NOISE = 4,
} ccb_verdict;
#define CCB_VERDICT_COUNT 5
#define CCB_VERDICT_ALPHA 0.01

/* Verdict of a timing metric (DESIGN.md "Statistics"): threshold as a fraction (0.05),
 * higher_is_better mirrors the rules, alpha is 0.01. One deliberate addition to DESIGN.md
 * (docs/statistics.md): a CI wholly beyond 1 with the ratio beyond the threshold but Holm
 * p >= alpha is inconclusive, not unchanged. */
ccb_verdict ccb_stats_verdict(const ccb_ratio *r, double holm_p, double threshold,
                              int higher_is_better);
const char *ccb_stats_verdict_name(ccb_verdict v);

/* For an inconclusive metric: how many more blocks (pairs) would likely shrink the CI
 * to the threshold band, assuming the CI narrows as 1/sqrt(n). 0 if already narrow. */
size_t ccb_stats_more_blocks_needed(const ccb_ratio *r, size_t n_now, double threshold);

#endif
