/*
 * Tests for harness/model/stats.c. Expected numbers were worked out independently of the C code:
 * by hand where short, otherwise with the plain-Python reference reproduced at the end of
 * this file (no numpy/scipy: it re-implements numpy's "linear" percentile and scipy's
 * asymptotic Mann-Whitney formula, and counts U pair by pair instead of by ranks).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka 1.1's assert_float_equal works in float precision; these checks need doubles.
 * |actual - expected| <= abs_tol + rel_tol * |expected|. */
#define assert_within(actual, expected, abs_tol, rel_tol)                                          \
    do {                                                                                           \
        double a_ = (actual), e_ = (expected), t_ = (abs_tol) + (rel_tol)*fabs(e_);                \
        if (!(fabs(a_ - e_) <= t_))                                                                \
            fail_msg("%s = %.17g, expected %.17g (+/- %g)", #actual, a_, e_, t_);                  \
    } while (0)
#define assert_near(actual, expected, tol) assert_within(actual, expected, tol, 0)
/* Relative 1e-12: room for a different libm rounding, nowhere near a different answer. */
#define assert_close(actual, expected) assert_within(actual, expected, 0, 1e-12)

static const double odd7[] = {3, 1, 4, 1, 5, 9, 2};

/* 100 + deterministic jitter: 25 distinct-ish timings, the "noisy" vector of the reference. */
static void fill_noisy25(double *x)
{
    for (int i = 0; i < 25; i++)
        x[i] = 100.0 + ((i * 37) % 23) * 0.5 + (i % 5) * 0.25;
}

/* ---- RNG ---------------------------------------------------------------------------------- */

static void test_stats__rng_matches_reference_sequence(void **state)
{
    (void)state;
    /* Python reference (splitmix64 seeding checked against Vigna's known first output for
     * seed 0, 0xe220a8397b1dcdaf). */
    static const uint64_t seed0[] = {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                     0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL};
    static const uint64_t seed_default[] = {0x7f8f77ea8d275882ULL, 0x21e239b54ba409d8ULL,
                                            0x7be2a5f61adae705ULL, 0x9c4a03baae3ec6d1ULL};
    ccb_rng r;
    ccb_stats_rng_seed(&r, 0);
    for (size_t i = 0; i < N_ELEMS(seed0); i++)
        assert_int_equal(ccb_stats_rng_next(&r), seed0[i]);
    ccb_stats_rng_seed(&r, CCB_STATS_DEFAULT_SEED);
    for (size_t i = 0; i < N_ELEMS(seed_default); i++)
        assert_int_equal(ccb_stats_rng_next(&r), seed_default[i]);
}

static void test_stats__rng_below_matches_reference(void **state)
{
    (void)state;
    /* Python reference: Lemire's multiply-and-reject on the default-seed stream. */
    static const uint64_t bounds[] = {10, 10, 10, 1000, 1000, 7, 3, 1ULL << 40};
    static const uint64_t expect[] = {4, 1, 4, 610, 487, 2, 2, 769721301272ULL};
    ccb_rng r;
    ccb_stats_rng_seed(&r, CCB_STATS_DEFAULT_SEED);
    for (size_t i = 0; i < N_ELEMS(bounds); i++)
        assert_int_equal(ccb_stats_rng_below(&r, (size_t)bounds[i]), expect[i]);
    for (int i = 0; i < 100; i++)
        assert_int_equal(ccb_stats_rng_below(&r, 1), 0);
}

static void test_stats__rng_below_is_unbiased(void **state)
{
    (void)state;
    ccb_rng r;
    ccb_stats_rng_seed(&r, 42);
    /* Small bound: 60,000 draws over 6 faces, each expected 10,000 (sd ~91); +/-500 is >5 sd. */
    size_t counts[6] = {0};
    for (int i = 0; i < 60000; i++) {
        size_t v = ccb_stats_rng_below(&r, 6);
        assert_true(v < 6);
        counts[v]++;
    }
    for (int f = 0; f < 6; f++)
        assert_in_range(counts[f], 9500, 10500);

#if SIZE_MAX >= 0xffffffffffffffffULL
    /* bound = 3 * 2^62: plain `next % bound` would put half the draws below 2^62 instead of
     * a third, so this catches a dropped rejection step. 30,000 draws: sd of the share ~0.003. */
    size_t bound = (size_t)0xc000000000000000ULL;
    size_t low = 0;
    for (int i = 0; i < 30000; i++) {
        size_t v = ccb_stats_rng_below(&r, bound);
        assert_true(v < bound);
        low += v < ((size_t)1 << 62);
    }
    assert_in_range(low, 9400, 10600);
#endif
}

/* ---- Summaries ---------------------------------------------------------------------------- */

static void test_stats__median_odd_even_and_input_untouched(void **state)
{
    (void)state;
    double x[] = {3, 1, 4, 1, 5, 9, 2};
    double copy[N_ELEMS(x)];
    memcpy(copy, x, sizeof x);
    assert_true(ccb_stats_median(x, 7) == 3); /* sorted 1 1 2 3 4 5 9 */
    assert_memory_equal(x, copy, sizeof x);
    assert_true(ccb_stats_median(x, 6) == 3.5); /* 3 1 4 1 5 9: sorted 1 1 3 4 5 9 */
    assert_true(ccb_stats_median(x, 1) == 3);
    assert_true(ccb_stats_median(x, 0) == 0);
}

/* The median's 95% interval computed here without stats.c: binomial coefficients from
 * Pascal's triangle, the largest k with P(B <= k-1) <= 2.5%, order statistics of a copy
 * sorted by insertion. NAN when no k exists. n <= 60. */
static double pascal_cdf(size_t n, size_t j)
{
    double row[64] = {1};
    for (size_t r = 1; r <= n; r++)
        for (size_t c = r; c > 0; c--)
            row[c] += row[c - 1];
    double cum = 0, all = 0;
    for (size_t c = 0; c <= n; c++) {
        all += row[c];
        if (c <= j)
            cum += row[c];
    }
    return cum / all;
}

static size_t pascal_rank(size_t n)
{
    size_t k = 0;
    while (k < n / 2 && pascal_cdf(n, k) <= 0.025)
        k++;
    return k;
}

static void expected_median_ci(const double *x, size_t n, double *lo, double *hi)
{
    double v[64];
    memcpy(v, x, n * sizeof(*v));
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    size_t k = pascal_rank(n);
    *lo = k ? v[k - 1] : NAN;
    *hi = k ? v[n - k] : NAN;
}

static void test_stats__median_ci_ranks_against_pascal(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 60; n++) {
        double coverage = 0;
        size_t k = ccb_stats_median_ci_rank(n, 0.95, &coverage);
        if (k != pascal_rank(n))
            fail_msg("n=%zu: rank %zu, Pascal says %zu", n, k, pascal_rank(n));
        assert_true((k == 0) == (n <= 5));
        if (k) {
            assert_true(coverage >= 0.95);
            assert_true(fabs(coverage - (1 - 2 * pascal_cdf(n, k - 1))) < 1e-9);
        }
    }
}

/* Coverage by simulation (fixed seed): skewed, heavy-tailed data at the replicate counts the
 * profiles produce (quick 10 cold processes, default 40, 3 and 6 warm processes give none). */
static void test_stats__median_ci_covers_the_median(void **state)
{
    (void)state;
    const size_t ns[] = {6, 10, 40};
    ccb_rng r;
    ccb_stats_rng_seed(&r, 11);
    for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
        int covered = 0, reps = 2000;
        double x[40];
        /* Exponential with rate 1 plus a floor: the population median is 1000 + ln 2. */
        double truth = 1000 + log(2.0);
        for (int rep = 0; rep < reps; rep++) {
            for (size_t i = 0; i < ns[t]; i++)
                x[i] =
                    1000 - log(((double)(ccb_stats_rng_next(&r) >> 11) + 0.5) / 9007199254740992.0);
            ccb_summary s;
            assert_int_equal(ccb_stats_summarize(x, ns[t], 0, &s), 0);
            covered += s.ci95_low <= truth && truth <= s.ci95_high;
        }
        if (covered < reps * 94 / 100)
            fail_msg("n=%zu: covered %d of %d", ns[t], covered, reps);
    }
}

static void test_stats__summary_odd_n(void **state)
{
    (void)state;
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(odd7, 7, CCB_STATS_DEFAULT_SEED, &s), 0);
    /* By hand: sorted 1 1 2 3 4 5 9; |x - 3| = 0 2 1 2 2 6 1 -> sorted 0 1 1 2 2 2 6, MAD 2;
     * 5 * MAD = 10, no outliers. p95: h = 6 * 0.95 = 5.7 -> 9 - (9 - 5) * 0.3 = 7.8;
     * p99: h = 5.94 -> 9 - 4 * 0.06 = 8.76. stddev = sqrt(sum (x - 25/7)^2 / 6). */
    assert_int_equal(s.n, 7);
    assert_true(s.min == 1 && s.max == 9 && s.median == 3 && s.mad == 2);
    assert_close(s.mean, 25.0 / 7);
    assert_close(s.stddev, 2.819996622760558);
    assert_close(s.p95, 7.8);
    assert_close(s.p99, 8.76);
    assert_int_equal(s.outliers, 0);
    /* Order statistics at binomial ranks: at n = 7 only k = 1 reaches 95% (1 - 2/128). */
    assert_close(s.ci95_low, 1.0);
    assert_close(s.ci95_high, 9.0);
}

static void test_stats__summary_even_n(void **state)
{
    (void)state;
    const double x[] = {10, 2, 8, 4, 6, 12};
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(x, N_ELEMS(x), CCB_STATS_DEFAULT_SEED, &s), 0);
    /* By hand: sorted 2 4 6 8 10 12, median (6 + 8) / 2 = 7, mean 7, sum of squares 70,
     * stddev sqrt(70 / 5) = sqrt(14); |x - 7| = 3 5 1 3 1 5 -> MAD (3 + 3) / 2 = 3.
     * p95: h = 4.75 -> 12 - 2 * 0.25 = 11.5; p99: h = 4.95 -> 12 - 2 * 0.05 = 11.9. */
    assert_true(s.median == 7 && s.mad == 3 && s.min == 2 && s.max == 12);
    assert_close(s.mean, 7);
    assert_close(s.stddev, sqrt(14));
    assert_close(s.p95, 11.5);
    assert_close(s.p99, 11.9);
    assert_int_equal(s.outliers, 0);
    assert_close(s.ci95_low, 2.0); /* n = 6: k = 1, coverage 1 - 2/64 */
    assert_close(s.ci95_high, 12.0);
}

static void test_stats__summary_ties_mad_zero_no_outliers(void **state)
{
    (void)state;
    const double x[] = {5, 5, 5, 1, 9, 5};
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(x, N_ELEMS(x), CCB_STATS_DEFAULT_SEED, &s), 0);
    /* By hand: median 5; |x - 5| = 0 0 0 4 4 0 -> MAD 0, so 1 and 9 are not outliers even
     * though they exceed 5 * MAD. p95: h = 4.75 -> 9 - 4 * 0.25 = 8; p99 -> 9 - 4 * 0.05. */
    assert_true(s.median == 5 && s.mad == 0);
    assert_int_equal(s.outliers, 0);
    assert_close(s.mean, 5);
    assert_close(s.stddev, sqrt(32.0 / 5));
    assert_close(s.p95, 8);
    assert_close(s.p99, 8.8);
    assert_close(s.ci95_low, 1.0); /* n = 6: the extremes */
    assert_close(s.ci95_high, 9.0);
}

static void test_stats__summary_n1(void **state)
{
    (void)state;
    const double x[] = {42};
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(x, 1, CCB_STATS_DEFAULT_SEED, &s), 0);
    assert_int_equal(s.n, 1);
    assert_true(s.min == 42 && s.max == 42 && s.mean == 42 && s.median == 42);
    assert_true(s.stddev == 0 && s.mad == 0 && s.p95 == 42 && s.p99 == 42);
    assert_true(isnan(s.ci95_low) && isnan(s.ci95_high)); /* n = 1: no 95% interval */
    assert_int_equal(s.outliers, 0);
}

static void test_stats__summary_all_equal(void **state)
{
    (void)state;
    double x[10];
    for (int i = 0; i < 10; i++)
        x[i] = 7.25;
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(x, 10, CCB_STATS_DEFAULT_SEED, &s), 0);
    assert_true(s.median == 7.25 && s.mean == 7.25 && s.stddev == 0 && s.mad == 0);
    assert_true(s.ci95_low == 7.25 && s.ci95_high == 7.25); /* the CI collapses */
    assert_int_equal(s.outliers, 0);
}

static void test_stats__summary_n0_all_zeros(void **state)
{
    (void)state;
    ccb_summary s, zero;
    memset(&s, 0xab, sizeof s);
    memset(&zero, 0, sizeof zero);
    assert_int_equal(ccb_stats_summarize(NULL, 0, CCB_STATS_DEFAULT_SEED, &s), 0);
    assert_memory_equal(&s, &zero, sizeof s);
}

static void test_stats__summary_counts_huge_outlier(void **state)
{
    (void)state;
    const double x[] = {10, 11, 12, 10, 11, 12, 11, 1000};
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(x, N_ELEMS(x), CCB_STATS_DEFAULT_SEED, &s), 0);
    /* By hand: median 11; |x - 11| = 1 0 1 1 0 1 0 989 -> sorted 0 0 0 1 1 1 1 989, MAD 1;
     * only 1000 is more than 5 away. Reported, not dropped: max and mean still include it. */
    assert_true(s.median == 11 && s.mad == 1 && s.max == 1000);
    assert_int_equal(s.outliers, 1);
    assert_close(s.mean, 134.625);
    assert_close(s.stddev, 349.6651204060414); /* Python reference */
    assert_close(s.p95, 654.2);                /* h = 6.65 -> 1000 - 988 * 0.35 */
    assert_close(s.p99, 930.84);               /* h = 6.93 -> 1000 - 988 * 0.07 */
    /* n = 8: only [min, max] reaches 95% (1 - 2/256); k = 2 covers 93% only. Honest about
     * it: a 95% interval from 8 values cannot exclude the outlier. */
    assert_close(s.ci95_low, 10);
    assert_close(s.ci95_high, 1000);
}

static void test_stats__percentile_matches_numpy_linear(void **state)
{
    (void)state;
    /* 37 sorted values (i * 7919 mod 101) / 7; expectations from the Python port of
     * numpy.percentile(method="linear"), _lerp included. */
    double v[37];
    for (int i = 0; i < 37; i++)
        v[i] = ((i * 7919) % 101) / 7.0;
    for (int i = 1; i < 37; i++) /* insertion sort: the test must not lean on stats.c */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    assert_close(ccb_stats_percentile(v, 37, 0), 0.0);
    assert_close(ccb_stats_percentile(v, 37, 2.5), 0.3857142857142857);
    assert_close(ccb_stats_percentile(v, 37, 33.3), 4.851999999999999);
    assert_close(ccb_stats_percentile(v, 37, 50), 7.142857142857143);
    assert_close(ccb_stats_percentile(v, 37, 95), 13.514285714285712);
    assert_close(ccb_stats_percentile(v, 37, 99), 14.131428571428572);
    assert_true(ccb_stats_percentile(v, 37, 100) == v[36]); /* exact at the top end */
    assert_true(ccb_stats_percentile(v, 37, 150) == v[36]); /* clamped */
    assert_true(ccb_stats_percentile(v, 37, -5) == v[0]);
    assert_true(ccb_stats_percentile(v, 1, 99) == v[0]);
    assert_true(ccb_stats_percentile(v, 0, 50) == 0);
}

/* ---- Bootstrap ---------------------------------------------------------------------------- */

static void test_stats__bootstrap_ci_matches_reference(void **state)
{
    (void)state;
    double x[25];
    fill_noisy25(x);
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(x, 25, CCB_STATS_DEFAULT_SEED, &s), 0);
    /* Python reference: median 106.5, MAD 2.75. */
    assert_true(s.median == 106.5 && s.mad == 2.75);
    assert_close(s.mean, 105.84);
    assert_close(s.stddev, 3.6141216083579697);
    assert_close(s.p95, 111.15);
    assert_close(s.p99, 111.63);
    double lo, hi;
    expected_median_ci(x, 25, &lo, &hi);
    assert_close(s.ci95_low, lo);
    assert_close(s.ci95_high, hi);
}

static void test_stats__bootstrap_is_deterministic(void **state)
{
    (void)state;
    double x[25];
    fill_noisy25(x);
    ccb_summary a, b;
    assert_int_equal(ccb_stats_summarize(x, 25, 1234, &a), 0);
    assert_int_equal(ccb_stats_summarize(x, 25, 1234, &b), 0);
    assert_memory_equal(&a, &b, sizeof a); /* bit-identical, CI included */

    /* The interval is exact, not resampled: no seed changes it. */
    for (uint64_t seed = 1; seed <= 20; seed++) {
        assert_int_equal(ccb_stats_summarize(x, 25, seed, &b), 0);
        assert_memory_equal(&a, &b, sizeof a);
    }
}

static void test_stats__bootstrap_ci_contains_median_within_range(void **state)
{
    (void)state;
    enum { N = 101 };
    double x[N];
    ccb_rng r;
    ccb_stats_rng_seed(&r, 7);
    for (int trial = 0; trial < 20; trial++) {
        /* Skewed, timing-like data: a floor plus an exponential-ish tail. */
        for (int i = 0; i < N; i++) {
            double u = ((double)(ccb_stats_rng_next(&r) >> 11) + 0.5) / 9007199254740992.0;
            x[i] = 1000 + 50 * -log(u);
        }
        size_t n = 5 + (size_t)trial * 4; /* 5 .. 81 samples */
        ccb_summary s;
        assert_int_equal(ccb_stats_summarize(x, n, (uint64_t)trial, &s), 0);
        assert_true(isnan(s.ci95_low) == (n <= 5));
        if (n <= 5)
            continue;
        assert_true(s.min <= s.ci95_low);
        assert_true(s.ci95_low <= s.median);
        assert_true(s.median <= s.ci95_high);
        assert_true(s.ci95_high <= s.max);
    }
}

static void test_stats__summary_10k_samples(void **state)
{
    (void)state;
    /* The size DESIGN.md budgets for (well under a second in a release build); here it
     * checks the selection path at scale, incl. heavy ties from 1 ns quantisation. */
    enum { N = 10000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    ccb_rng r;
    ccb_stats_rng_seed(&r, 99);
    for (int i = 0; i < N; i++)
        x[i] = 20000 + (double)ccb_stats_rng_below(&r, 400);
    ccb_summary s;
    assert_int_equal(ccb_stats_summarize(x, N, CCB_STATS_DEFAULT_SEED, &s), 0);
    assert_true(s.min <= s.ci95_low && s.ci95_low <= s.median);
    assert_true(s.median <= s.ci95_high && s.ci95_high <= s.max);
    assert_true(s.ci95_high - s.ci95_low < 30); /* sd of a median of 10k uniform(400) ~ 5 */
    free(x);
}

/* ---- Mann-Whitney ------------------------------------------------------------------------- */

static void test_stats__mann_whitney_with_ties(void **state)
{
    (void)state;
    const double a[] = {1, 2, 2, 3, 4, 5};
    const double b[] = {2, 3, 3, 6, 7, 8, 9};
    double u = -1;
    /* Python reference: U1 = 9 by pair counting (ties count 1/2); tie runs {2 x3, 3 x3} give
     * tie_term 48; sigma = sqrt(42/12 * (14 - 48/156)); z = (33 - 21 - 0.5) / sigma. */
    double p = ccb_stats_mann_whitney(a, N_ELEMS(a), b, N_ELEMS(b), &u);
    assert_close(u, 9.0);
    assert_close(p, 0.09667054340670096);
    /* Swapping the samples gives the same p and the complementary U. */
    p = ccb_stats_mann_whitney(b, N_ELEMS(b), a, N_ELEMS(a), &u);
    assert_close(u, 33.0);
    assert_close(p, 0.09667054340670096);
}

static void test_stats__mann_whitney_fully_separated(void **state)
{
    (void)state;
    const double lo[] = {1, 2, 3, 4, 5}, hi[] = {6, 7, 8, 9, 10};
    double u = -1;
    /* Python reference, matching scipy.stats.mannwhitneyu(lo, hi) (asymptotic): 0.01218578. */
    double p = ccb_stats_mann_whitney(lo, 5, hi, 5, &u);
    assert_close(u, 0.0);
    assert_close(p, 0.012185780355344818);
    p = ccb_stats_mann_whitney(hi, 5, lo, 5, NULL);
    assert_close(p, 0.012185780355344818);
}

static void test_stats__mann_whitney_degenerate(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3}, same[] = {4, 4, 4, 4};
    double u = -1;
    assert_true(ccb_stats_mann_whitney(a, 3, NULL, 0, &u) == 1.0);
    assert_true(ccb_stats_mann_whitney(NULL, 0, a, 3, NULL) == 1.0);
    assert_true(ccb_stats_mann_whitney(same, 2, same + 2, 2, &u) == 1.0); /* all tie */
    assert_close(u, 2.0);                                                 /* 4 ties x 1/2 */
    /* Identical samples: z < 0 after the continuity correction; p is clipped to 1. */
    assert_true(ccb_stats_mann_whitney(a, 3, a, 3, &u) == 1.0);
    assert_close(u, 4.5);
}

/* ---- Holm --------------------------------------------------------------------------------- */

static void test_stats__holm_hand_worked(void **state)
{
    (void)state;
    /* By hand: ascending 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06),
     * 0.04 (x1 = 0.04, raised to the running max 0.06); back in input order: */
    const double p[] = {0.01, 0.04, 0.03, 0.005};
    double adj[4];
    ccb_stats_holm(p, 4, adj);
    assert_close(adj[0], 0.03);
    assert_close(adj[1], 0.06);
    assert_close(adj[2], 0.06);
    assert_close(adj[3], 0.02);
}

static void test_stats__holm_caps_ties_and_edges(void **state)
{
    (void)state;
    double adj[4];
    /* Capped at 1, and monotone: 0.6 * 1 = 0.6 is raised to the cap reached by 0.5 * 2. */
    const double caps[] = {0.6, 0.5};
    ccb_stats_holm(caps, 2, adj);
    assert_true(adj[0] == 1.0 && adj[1] == 1.0);
    /* Tied p-values get the same adjusted value: 0.01 x4, 0.02 x3 = 0.06 twice, 0.2 x1. */
    const double ties[] = {0.02, 0.2, 0.01, 0.02};
    ccb_stats_holm(ties, 4, adj);
    assert_close(adj[0], 0.06);
    assert_close(adj[1], 0.2);
    assert_close(adj[2], 0.04);
    assert_close(adj[3], 0.06);
    /* One p-value is its own adjustment; none is a no-op. */
    const double one[] = {0.003};
    ccb_stats_holm(one, 1, adj);
    assert_true(adj[0] == 0.003);
    ccb_stats_holm(NULL, 0, NULL);
}

/* ---- Verdicts ----------------------------------------------------------------------------- */

static ccb_verdict verdict_of(double ratio, double lo, double hi, double p, int higher_better)
{
    ccb_ratio r = {.ratio = ratio, .ci_low = lo, .ci_high = hi, .n_used = 30};
    return ccb_stats_verdict(&r, p, 0.05, higher_better);
}

static void test_stats__verdict_regressed_boundaries(void **state)
{
    (void)state;
    assert_int_equal(verdict_of(1.06, 1.01, 1.09, 0.001, 0), CCB_VERDICT_REGRESSED);
    /* The point ratio must be strictly above 1 + t (1 + 0.05 == 1.05 in binary64). */
    assert_int_equal(verdict_of(nextafter(1.05, 2), 1.01, 1.09, 0.001, 0), CCB_VERDICT_REGRESSED);
    assert_int_equal(verdict_of(1.05, 1.01, 1.09, 0.001, 0), CCB_VERDICT_UNCHANGED);
    assert_int_equal(verdict_of(1.049, 1.01, 1.09, 0.001, 0), CCB_VERDICT_UNCHANGED);
    /* Holm p must be strictly below 0.01. */
    assert_int_equal(verdict_of(1.06, 1.01, 1.09, 0.0099, 0), CCB_VERDICT_REGRESSED);
    /* ... and when it is not, the CI and the test disagree: inconclusive, never unchanged. */
    assert_int_equal(verdict_of(1.06, 1.01, 1.09, 0.01, 0), CCB_VERDICT_INCONCLUSIVE);
    assert_int_equal(verdict_of(1.2, 1.1, 1.3, 0.2, 0), CCB_VERDICT_INCONCLUSIVE);
    /* A CI above 1 with the ratio inside the band is a small, real change: unchanged. */
    assert_int_equal(verdict_of(1.03, 1.01, 1.04, 0.2, 0), CCB_VERDICT_UNCHANGED);
    /* Straddling is strict: a CI ending exactly at 1 - t does not straddle it. */
    assert_int_equal(verdict_of(1.0, 1 - 0.05, 1.04, 0.5, 0), CCB_VERDICT_UNCHANGED);
    /* Starting exactly at 1 + t is no straddle either, but the CI is beyond 1 and the test
     * not significant: the evidence disagrees, inconclusive. */
    assert_int_equal(verdict_of(1.1, 1.05, 1.2, 0.5, 0), CCB_VERDICT_INCONCLUSIVE);
}

static void test_stats__verdict_ci_touching_one(void **state)
{
    (void)state;
    /* "The whole CI above 1": a lower bound of exactly 1 is not. */
    assert_int_equal(verdict_of(1.06, 1.0, 1.08, 0.001, 0), CCB_VERDICT_UNCHANGED);
    assert_int_equal(verdict_of(1.06, nextafter(1.0, 2), 1.08, 0.001, 0), CCB_VERDICT_REGRESSED);
    /* Same for improved with an upper bound of exactly 1. */
    assert_int_equal(verdict_of(0.94, 0.92, 1.0, 0.001, 0), CCB_VERDICT_UNCHANGED);
    assert_int_equal(verdict_of(0.94, 0.92, nextafter(1.0, 0), 0.001, 0), CCB_VERDICT_IMPROVED);
    /* Touching 1 with a CI wide enough to reach past 1 + t: undecided. */
    assert_int_equal(verdict_of(1.2, 1.0, 1.4, 0.001, 0), CCB_VERDICT_INCONCLUSIVE);
}

static void test_stats__verdict_improved_boundaries(void **state)
{
    (void)state;
    assert_int_equal(verdict_of(0.9, 0.85, 0.93, 0.001, 0), CCB_VERDICT_IMPROVED);
    assert_int_equal(verdict_of(nextafter(0.95, 0), 0.92, 0.97, 0.001, 0), CCB_VERDICT_IMPROVED);
    assert_int_equal(verdict_of(0.95, 0.92, 0.97, 0.001, 0), CCB_VERDICT_UNCHANGED);
    assert_int_equal(verdict_of(0.9, 0.85, 0.93, 0.01, 0), CCB_VERDICT_INCONCLUSIVE);
}

static void test_stats__verdict_inconclusive(void **state)
{
    (void)state;
    /* Straddles both 0.95 and 1.05 and is 0.2 wide (> 2t = 0.1). */
    assert_int_equal(verdict_of(1.0, 0.9, 1.1, 0.5, 0), CCB_VERDICT_INCONCLUSIVE);
    /* Straddles 1.05 only: 0.11 wide is inconclusive, 0.09 wide is not. */
    assert_int_equal(verdict_of(1.03, 0.97, 1.08, 0.5, 0), CCB_VERDICT_INCONCLUSIVE);
    assert_int_equal(verdict_of(1.03, 0.99, 1.08, 0.5, 0), CCB_VERDICT_UNCHANGED);
    /* Straddles 0.95 only. */
    assert_int_equal(verdict_of(0.96, 0.89, 1.0, 0.5, 0), CCB_VERDICT_INCONCLUSIVE);
    /* Inside the band: no threshold straddled, unchanged. */
    assert_int_equal(verdict_of(1.0, 0.96, 1.04, 0.5, 0), CCB_VERDICT_UNCHANGED);
    /* Regressed wins over inconclusive when the CI is above 1 but still wide. */
    assert_int_equal(verdict_of(1.2, 1.01, 1.4, 0.001, 0), CCB_VERDICT_REGRESSED);
}

static void test_stats__verdict_higher_is_better_mirror(void **state)
{
    (void)state;
    /* Throughput up 20 %: the same numbers that regress a timing improve a throughput. */
    assert_int_equal(verdict_of(1.2, 1.1, 1.3, 0.001, 1), CCB_VERDICT_IMPROVED);
    assert_int_equal(verdict_of(1 / 1.2, 1 / 1.3, 1 / 1.1, 0.001, 1), CCB_VERDICT_REGRESSED);
    /* The rules apply to 1/r with the bounds swapped: these are the timing cases above. */
    assert_int_equal(verdict_of(1 / 1.06, 1 / 1.09, 1 / 1.01, 0.001, 1), CCB_VERDICT_REGRESSED);
    assert_int_equal(verdict_of(1 / 1.04, 1 / 1.09, 1 / 1.01, 0.001, 1), CCB_VERDICT_UNCHANGED);
    assert_int_equal(verdict_of(1 / 1.06, 1 / 1.08, 1.0, 0.001, 1), CCB_VERDICT_UNCHANGED);
    assert_int_equal(verdict_of(1.0, 0.9, 1.1, 0.5, 1), CCB_VERDICT_INCONCLUSIVE);
    assert_int_equal(verdict_of(1.0, 0.99, 1.01, 0.5, 1), CCB_VERDICT_UNCHANGED);
}

static void test_stats__verdict_names_and_no_data(void **state)
{
    (void)state;
    assert_string_equal(ccb_stats_verdict_name(CCB_VERDICT_UNCHANGED), "unchanged");
    assert_string_equal(ccb_stats_verdict_name(CCB_VERDICT_IMPROVED), "improved");
    assert_string_equal(ccb_stats_verdict_name(CCB_VERDICT_REGRESSED), "regressed");
    assert_string_equal(ccb_stats_verdict_name(CCB_VERDICT_INCONCLUSIVE), "inconclusive");
    assert_int_equal(verdict_of(NAN, NAN, NAN, 0.001, 0), CCB_VERDICT_UNCHANGED);
    assert_int_equal(verdict_of(NAN, NAN, NAN, 0.001, 1), CCB_VERDICT_UNCHANGED);
    assert_int_equal(ccb_stats_verdict(NULL, 0.001, 0.05, 0), CCB_VERDICT_UNCHANGED);
}

/* ---- Ratios ------------------------------------------------------------------------------- */

static const double base8[] = {100, 102, 98, 101, 99, 103, 97, 100.5};

static void test_stats__ratio_paired_exact_ratio(void **state)
{
    (void)state;
    double c[8];
    for (int i = 0; i < 8; i++)
        c[i] = 1.1 * base8[i];
    ccb_ratio r;
    assert_int_equal(ccb_stats_ratio_paired(base8, c, 8, CCB_STATS_DEFAULT_SEED, &r), 0);
    /* Every log-ratio is log(1.1) up to rounding, so the CI has nothing to spread over. */
    assert_close(r.ratio, 1.1);
    assert_close(r.ci_low, 1.1);
    assert_close(r.ci_high, 1.1);
    assert_int_equal(r.n_used, 8);
    assert_int_equal(r.skipped, 0);
}

static void test_stats__ratio_paired_matches_reference(void **state)
{
    (void)state;
    static const double noise[] = {1.02, 0.99, 1.05, 1.01, 0.97, 1.03, 1.00, 1.04};
    double c[8];
    for (int i = 0; i < 8; i++)
        c[i] = base8[i] * 1.1 * noise[i];
    ccb_ratio r;
    assert_int_equal(ccb_stats_ratio_paired(base8, c, 8, CCB_STATS_DEFAULT_SEED, &r), 0);
    /* Median of the logs: the middle noise factors are 1.01 and 1.02, so the ratio is
     * 1.1 * sqrt(1.01 * 1.02); the bootstrap CI is from the Python reference. */
    assert_close(r.ratio, 1.1164864531197858);
    assert_close(r.ci_low, 1.089);
    assert_close(r.ci_high, 1.144);
    assert_true(r.ci_low <= r.ratio && r.ratio <= r.ci_high);
}

static void test_stats__ratio_paired_skips_nonpositive(void **state)
{
    (void)state;
    const double b[] = {100, 0, 50, -1, 200, 10};
    const double c[] = {110, 10, 55, 5, 220, NAN};
    ccb_ratio r;
    assert_int_equal(ccb_stats_ratio_paired(b, c, 6, CCB_STATS_DEFAULT_SEED, &r), 0);
    assert_int_equal(r.n_used, 3);
    assert_int_equal(r.skipped, 3);
    assert_close(r.ratio, 1.1);
    assert_close(r.ci_low, 1.1);
    assert_close(r.ci_high, 1.1);
}

static void test_stats__ratio_no_data(void **state)
{
    (void)state;
    const double zeros[] = {0, 0};
    ccb_ratio r;
    assert_int_equal(ccb_stats_ratio_paired(zeros, zeros, 2, 1, &r), 0);
    assert_int_equal(r.n_used, 0);
    assert_int_equal(r.skipped, 2);
    assert_true(isnan(r.ratio) && isnan(r.ci_low) && isnan(r.ci_high));
    assert_int_equal(ccb_stats_ratio_paired(NULL, NULL, 0, 1, &r), 0);
    assert_true(r.n_used == 0 && isnan(r.ratio));
    assert_int_equal(ccb_stats_ratio_unpaired(base8, 8, zeros, 2, 1, &r), 0);
    assert_int_equal(r.n_used, 8);
    assert_int_equal(r.skipped, 2);
    assert_true(isnan(r.ratio));
    assert_int_equal(ccb_stats_ratio_unpaired(NULL, 0, base8, 8, 1, &r), 0);
    assert_true(isnan(r.ratio));
    assert_int_equal(ccb_stats_more_blocks_needed(&r, 10, 0.05), 0);
}

static void test_stats__ratio_unpaired_matches_reference(void **state)
{
    (void)state;
    const double b[] = {10, 11, 12}, c[] = {20, 22, 24};
    ccb_ratio r;
    assert_int_equal(ccb_stats_ratio_unpaired(b, 3, c, 3, CCB_STATS_DEFAULT_SEED, &r), 0);
    /* By hand: the nine cross ratios c/b are 1.667 1.818 1.833 2 2 2 2.182 2.2 2.4, median 2.
     * Moses: k = 9/2 - 1.96 * sqrt(9 * 7 / 12) = 0.009 -> 0 cut: the CI is [min, max]. */
    assert_close(r.ratio, 2.0);
    assert_close(r.ci_low, 1.6666666666666663);
    assert_close(r.ci_high, 2.4);
    assert_int_equal(r.n_used, 6);
    assert_int_equal(r.skipped, 0);

    static const double noise[] = {1.02, 0.99, 1.05, 1.01, 0.97, 1.03, 1.00, 1.04};
    double c8[8];
    for (int i = 0; i < 8; i++)
        c8[i] = base8[i] * 1.1 * noise[i];
    assert_int_equal(ccb_stats_ratio_unpaired(base8, 8, c8, 8, CCB_STATS_DEFAULT_SEED, &r), 0);
    /* Python, plain math: the 64 sorted log differences, median, and Moses' k =
     * floor(32 - 1.959964 * sqrt(64 * 17 / 12)) = 13 from either end. */
    assert_close(r.ratio, 1.1186082771068435);
    assert_close(r.ci_low, 1.0784271844660192);
    assert_close(r.ci_high, 1.1497199999999996);
}

static void test_stats__ratio_unpaired_identical_is_one(void **state)
{
    (void)state;
    /* The cross differences of a sample with itself are symmetric around 0 with n zeros in
     * the middle, so the Hodges-Lehmann estimate is exactly 0 in log space. */
    ccb_ratio r;
    assert_int_equal(ccb_stats_ratio_unpaired(base8, 8, base8, 8, 3, &r), 0);
    assert_true(r.ratio == 1.0);
    assert_true(r.ci_low < 1.0 && r.ci_high > 1.0);
    assert_true(r.ci_low > 0.97 && r.ci_high < 1.03);
}

static void test_stats__ratio_unpaired_subsamples_large(void **state)
{
    (void)state;
    /* 600 x 700 = 420,000 cross pairs > 250,000: the subsampled estimate must still be close
     * to the true shift of 1.25 and repeat exactly. */
    enum { NB = 600, NC = 700 };
    double *b = malloc(NB * sizeof *b), *c = malloc(NC * sizeof *c);
    assert_non_null(b);
    assert_non_null(c);
    ccb_rng g;
    ccb_stats_rng_seed(&g, 5);
    for (int i = 0; i < NB; i++)
        b[i] = 1000 * (1 + 0.1 * (double)ccb_stats_rng_below(&g, 1000) / 1000);
    for (int j = 0; j < NC; j++)
        c[j] = 1250 * (1 + 0.1 * (double)ccb_stats_rng_below(&g, 1000) / 1000);
    ccb_ratio r1, r2;
    assert_int_equal(ccb_stats_ratio_unpaired(b, NB, c, NC, 11, &r1), 0);
    assert_int_equal(ccb_stats_ratio_unpaired(b, NB, c, NC, 11, &r2), 0);
    assert_memory_equal(&r1, &r2, sizeof r1);
    assert_near(r1.ratio, 1.25, 0.01);
    assert_true(r1.ci_low < 1.25 && 1.25 < r1.ci_high);
    assert_true(r1.ci_high - r1.ci_low < 0.03);
    assert_int_equal(r1.n_used, NB + NC);
    free(b);
    free(c);
}

/* ---- More blocks -------------------------------------------------------------------------- */

static void test_stats__more_blocks_needed(void **state)
{
    (void)state;
    double target = log(1.05);
    ccb_ratio r = {.ratio = 1.0};
    /* Half-width 1.7 x the target: 20 * 1.7^2 = 57.8 -> 58 pairs, 38 more. */
    r.ci_low = exp(-1.7 * target);
    r.ci_high = exp(1.7 * target);
    assert_int_equal(ccb_stats_more_blocks_needed(&r, 20, 0.05), 38);
    /* Exactly twice the target: 4x the pairs, 60 more, not 61 from a stray rounding bit. */
    r.ci_low = exp(-2 * target);
    r.ci_high = exp(2 * target);
    assert_int_equal(ccb_stats_more_blocks_needed(&r, 20, 0.05), 60);
    /* Asymmetric CI: only the log width counts; [1, 1.05^3] has half-width 1.5 x target. */
    r.ci_low = 1.0;
    r.ci_high = 1.05 * 1.05 * 1.05;
    assert_int_equal(ccb_stats_more_blocks_needed(&r, 10, 0.05), 13); /* ceil(22.5) - 10 */
    /* Already narrow enough, or nothing to scale from. */
    r.ci_low = 0.98;
    r.ci_high = 1.02;
    assert_int_equal(ccb_stats_more_blocks_needed(&r, 20, 0.05), 0);
    r.ci_low = exp(-2 * target);
    r.ci_high = exp(2 * target);
    assert_int_equal(ccb_stats_more_blocks_needed(&r, 0, 0.05), 0);
    assert_int_equal(ccb_stats_more_blocks_needed(&r, 20, 0), 0);
    assert_int_equal(ccb_stats_more_blocks_needed(NULL, 20, 0.05), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats__rng_matches_reference_sequence),
        cmocka_unit_test(test_stats__rng_below_matches_reference),
        cmocka_unit_test(test_stats__rng_below_is_unbiased),
        cmocka_unit_test(test_stats__median_odd_even_and_input_untouched),
        cmocka_unit_test(test_stats__median_ci_ranks_against_pascal),
        cmocka_unit_test(test_stats__median_ci_covers_the_median),
        cmocka_unit_test(test_stats__summary_odd_n),
        cmocka_unit_test(test_stats__summary_even_n),
        cmocka_unit_test(test_stats__summary_ties_mad_zero_no_outliers),
        cmocka_unit_test(test_stats__summary_n1),
        cmocka_unit_test(test_stats__summary_all_equal),
        cmocka_unit_test(test_stats__summary_n0_all_zeros),
        cmocka_unit_test(test_stats__summary_counts_huge_outlier),
        cmocka_unit_test(test_stats__percentile_matches_numpy_linear),
        cmocka_unit_test(test_stats__bootstrap_ci_matches_reference),
        cmocka_unit_test(test_stats__bootstrap_is_deterministic),
        cmocka_unit_test(test_stats__bootstrap_ci_contains_median_within_range),
        cmocka_unit_test(test_stats__summary_10k_samples),
        cmocka_unit_test(test_stats__mann_whitney_with_ties),
        cmocka_unit_test(test_stats__mann_whitney_fully_separated),
        cmocka_unit_test(test_stats__mann_whitney_degenerate),
        cmocka_unit_test(test_stats__holm_hand_worked),
        cmocka_unit_test(test_stats__holm_caps_ties_and_edges),
        cmocka_unit_test(test_stats__verdict_regressed_boundaries),
        cmocka_unit_test(test_stats__verdict_ci_touching_one),
        cmocka_unit_test(test_stats__verdict_improved_boundaries),
        cmocka_unit_test(test_stats__verdict_inconclusive),
        cmocka_unit_test(test_stats__verdict_higher_is_better_mirror),
        cmocka_unit_test(test_stats__verdict_names_and_no_data),
        cmocka_unit_test(test_stats__ratio_paired_exact_ratio),
        cmocka_unit_test(test_stats__ratio_paired_matches_reference),
        cmocka_unit_test(test_stats__ratio_paired_skips_nonpositive),
        cmocka_unit_test(test_stats__ratio_no_data),
        cmocka_unit_test(test_stats__ratio_unpaired_matches_reference),
        cmocka_unit_test(test_stats__ratio_unpaired_identical_is_one),
        cmocka_unit_test(test_stats__ratio_unpaired_subsamples_large),
        cmocka_unit_test(test_stats__more_blocks_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The Python reference (python3, standard library only). Expected values above come from
 * calls such as summary([3, 1, 4, 1, 5, 9, 2]), paired(b, c), unpaired(b, c), mwu(a, b),
 * pct(sorted_values, 95), Rng(seed).next() / .below(bound).
 *
 * import math
 * M = (1 << 64) - 1
 * def splitmix(x):
 *     x = (x + 0x9e3779b97f4a7c15) & M
 *     z = x
 *     z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
 *     z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
 *     return x, z ^ (z >> 31)
 * def rotl(v, k): return ((v << k) | (v >> (64 - k))) & M
 * class Rng:
 *     def __init__(self, seed):
 *         self.s = []
 *         x = seed
 *         for _ in range(4):
 *             x, z = splitmix(x); self.s.append(z)
 *     def next(self):
 *         s = self.s
 *         r = (rotl((s[1] * 5) & M, 7) * 9) & M
 *         t = (s[1] << 17) & M
 *         s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
 *         return r
 *     def below(self, b):
 *         if b <= 1: return 0
 *         m = self.next() * b
 *         lo = m & M
 *         if lo < b:
 *             th = (2**64 - b) % b
 *             while lo < th:
 *                 m = self.next() * b; lo = m & M
 *         return m >> 64
 * def median(v):
 *     s = sorted(v); n = len(s)
 *     return s[n//2] if n % 2 else (s[n//2-1] + s[n//2]) / 2
 * def pct(s, p):  # numpy linear incl. _lerp
 *     n = len(s); h = (n - 1) * (p / 100.0); i = math.floor(h)
 *     if i >= n - 1: return s[-1]
 *     t = h - i; a, b = s[i], s[i+1]; d = b - a
 *     return b - d * (1 - t) if t >= 0.5 else a + d * t
 * def boot(x, rng, B=2000):
 *     reps = sorted(median([x[rng.below(len(x))] for _ in x]) for _ in range(B))
 *     return pct(reps, 2.5), pct(reps, 97.5)
 * SEED = 0x5eedc0ffee1234
 * def summary(x, seed=SEED):
 *     s = sorted(x); n = len(x)
 *     mean = math.fsum(x) / n
 *     sd = math.sqrt(math.fsum((v - mean)**2 for v in x) / (n - 1)) if n > 1 else 0.0
 *     med = median(x); mad = median([abs(v - med) for v in x])
 *     out = sum(1 for v in x if abs(v - med) > 5 * mad) if mad > 0 else 0
 *     lo, hi = boot(x, Rng(seed))
 *     return dict(n=n, min=s[0], max=s[-1], mean=mean, sd=sd, med=med, mad=mad,
 *                 p95=pct(s, 95), p99=pct(s, 99), lo=lo, hi=hi, out=out)
 * def paired(b, c, seed=SEED):
 *     d = [math.log(ci) - math.log(bi) for bi, ci in zip(b, c) if bi > 0 and ci > 0]
 *     lo, hi = boot(d, Rng(seed))
 *     return math.exp(median(d)), math.exp(lo), math.exp(hi)
 * def unpaired(b, c, seed=SEED):
 *     lb = [math.log(v) for v in b]; lc = [math.log(v) for v in c]
 *     rng = Rng(seed)
 *     assert len(lb) * len(lc) <= 250000
 *     r = math.exp(median([y - x for x in lb for y in lc]))
 *     reps = []
 *     for _ in range(2000):
 *         mb = median([lb[rng.below(len(lb))] for _ in lb])
 *         mc = median([lc[rng.below(len(lc))] for _ in lc])
 *         reps.append(mc - mb)
 *     reps.sort()
 *     return r, math.exp(pct(reps, 2.5)), math.exp(pct(reps, 97.5))
 * def mwu(a, b):
 *     # U by direct pair counting (not ranks): independent of the C rank-sum route.
 *     u1 = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a for y in b)
 *     na, nb = len(a), len(b); n = na + nb
 *     from collections import Counter
 *     tie = sum(t**3 - t for t in Counter(a + b).values())
 *     u = max(u1, na * nb - u1)
 *     sigma = math.sqrt(na * nb / 12 * ((n + 1) - tie / (n * (n - 1))))
 *     z = (u - na * nb / 2 - 0.5) / sigma
 *     p = 2 * 0.5 * math.erfc(z / math.sqrt(2))   # 2 * norm.sf(z)
 *     return u1, min(1.0, max(0.0, p))
 */
