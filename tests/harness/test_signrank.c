/*
 * The signed-rank test, Hodges-Lehmann estimate and interval (harness/model/signrank.c)
 * against values computed here independently: the null distribution and p-values by
 * enumerating every sign vector, the estimate by listing every Walsh average, the interval
 * ranks by scanning that enumerated distribution. Then, by simulation with a fixed seed and
 * synthetic ABBA blocks (between-process noise, a heavy tail, a disturbance shared by a
 * block), the interval's coverage at the block counts the profiles produce. Nothing timed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signrank.h"
#include "stats.h"

/* counts[w] = sign vectors of n ranks whose positive ranks sum to w. */
static void enumerate(size_t n, double *counts)
{
    size_t total = n * (n + 1) / 2;
    memset(counts, 0, (total + 1) * sizeof(*counts));
    for (unsigned long v = 0; v < (1UL << n); v++) {
        size_t w = 0;
        for (size_t r = 0; r < n; r++)
            if (v & (1UL << r))
                w += r + 1;
        counts[w] += 1;
    }
}

static void test_signrank__null_distribution_matches_enumeration(void **state)
{
    (void)state;
    double counts[80];
    for (size_t n = 1; n <= 12; n++) {
        enumerate(n, counts);
        double cum = 0, all = (double)(1UL << n);
        for (size_t w = 0; w <= n * (n + 1) / 2; w++) {
            cum += counts[w];
            double c = ccb_signrank_cdf(n, (double)w);
            if (fabs(c - cum / all) > 1e-12)
                fail_msg("n=%zu w=%zu: cdf %.15g, enumeration %.15g", n, w, c, cum / all);
        }
    }
}

static double uniform(ccb_rng *r)
{
    return ((double)(ccb_stats_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(ccb_rng *r)
{
    return sqrt(-2 * log(uniform(r))) * cos(2 * M_PI * uniform(r));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p, estimate and interval of random data (no ties) against enumeration and listing. */
static void test_signrank__p_estimate_and_interval_against_enumeration(void **state)
{
    (void)state;
    ccb_rng rng;
    ccb_stats_rng_seed(&rng, 42);
    double counts[80], d[12], walsh[80];
    for (int rep = 0; rep < 200; rep++) {
        size_t n = 1 + (size_t)(rep % 12);
        double shift = (rep % 3) * 0.4;
        for (size_t i = 0; i < n; i++)
            d[i] = shift + gauss(&rng);
        ccb_signrank s;
        assert_int_equal(ccb_signrank_test(d, n, 0.95, &s), 0);
        assert_int_equal(s.n, n);
        assert_true(s.exact);
        /* W+ by ranks of |d|. */
        size_t order[12];
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (fabs(d[order[j]]) < fabs(d[order[i]])) {
                    size_t t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
        double wplus = 0;
        for (size_t r = 0; r < n; r++)
            if (d[order[r]] > 0)
                wplus += (double)(r + 1);
        assert_true(s.statistic == wplus);
        enumerate(n, counts);
        double le = 0, ge = 0, all = (double)(1UL << n);
        for (size_t w = 0; w <= n * (n + 1) / 2; w++) {
            if ((double)w <= wplus)
                le += counts[w];
            if ((double)w >= wplus)
                ge += counts[w];
        }
        double p = fmin(1, 2 * fmin(le, ge) / all);
        if (fabs(s.p - p) > 1e-12)
            fail_msg("n=%zu: p %.15g, enumeration %.15g", n, s.p, p);
        assert_true(fabs(s.min_p - fmin(1, 2 / all)) < 1e-15);

        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i; j < n; j++)
                walsh[m++] = (d[i] + d[j]) / 2;
        qsort(walsh, m, sizeof(*walsh), cmp_double);
        double med = m % 2 ? walsh[m / 2] : (walsh[m / 2 - 1] + walsh[m / 2]) / 2;
        assert_true(fabs(s.estimate - med) < 1e-12);

        /* The interval's rank: the largest k with P(W <= k-1) <= 0.025, by scanning. */
        double cum = 0;
        size_t k = 0;
        for (size_t w = 0; w <= m; w++) {
            cum += counts[w];
            if (cum / all <= 0.025)
                k = w + 1;
            else
                break;
        }
        if (k == 0) {
            assert_true(isnan(s.ci_low) && isnan(s.ci_high));
            assert_true(s.confidence == 0);
        } else {
            assert_true(s.ci_low == walsh[k - 1]);
            assert_true(s.ci_high == walsh[m - k]);
            assert_true(s.confidence >= 0.95);
        }
    }
}

static void test_signrank__textbook_values(void **state)
{
    (void)state;
    ccb_signrank s;
    const double five[] = {0.3, 1.1, 0.2, 2.5, 0.9};
    assert_int_equal(ccb_signrank_test(five, 5, 0.95, &s), 0);
    /* All five positive: W+ = 15, the most extreme of 32 sign vectors on each side. */
    assert_true(fabs(s.p - 0.0625) < 1e-15);
    assert_true(fabs(s.min_p - 0.0625) < 1e-15);
    assert_true(isnan(s.ci_low)); /* n=5: no 95% interval exists */
    /* n=6 reaches 95%: k = 1, coverage 1 - 2/64. */
    const double six[] = {0.3, 1.1, 0.2, 2.5, 0.9, -0.4};
    assert_int_equal(ccb_signrank_test(six, 6, 0.95, &s), 0);
    assert_true(fabs(s.confidence - (1 - 2.0 / 64)) < 1e-15);
    /* NaNs are dropped, nothing else is. */
    const double gaps[] = {NAN, 1, 2, NAN, 3};
    assert_int_equal(ccb_signrank_test(gaps, 5, 0.95, &s), 0);
    assert_int_equal(s.n, 3);
    assert_true(fabs(s.estimate - 2) < 1e-15);
    assert_int_equal(ccb_signrank_test(gaps, 0, 0.95, &s), 0);
    assert_true(s.p == 1 && isnan(s.estimate));
}

/* The test and the interval come from one model: p <= 5% exactly when the 95% interval
 * excludes 0, exact and normal regimes alike (continuous data: no Walsh average is 0). */
static void test_signrank__p_and_interval_agree(void **state)
{
    (void)state;
    ccb_rng rng;
    ccb_stats_rng_seed(&rng, 7);
    double d[120];
    for (int rep = 0; rep < 1000; rep++) {
        size_t n = 6 + (size_t)(rep % 115);
        double shift = 0.05 * (double)(rep % 9) - 0.2;
        for (size_t i = 0; i < n; i++)
            d[i] = shift + 0.6 * gauss(&rng);
        ccb_signrank s;
        assert_int_equal(ccb_signrank_test(d, n, 0.95, &s), 0);
        int excludes = s.ci_low > 0 || s.ci_high < 0;
        if ((s.p <= 0.05) != excludes)
            fail_msg("n=%zu: p %.6f but CI [%.6f, %.6f]", n, s.p, s.ci_low, s.ci_high);
        assert_true(s.ci_low <= s.estimate && s.estimate <= s.ci_high);
    }
}

/* One synthetic ABBA block's statistic: log(geomean B / geomean A) over 2 + 2 processes whose
 * log values carry between-process noise (10% of them from a 6x wider heavy tail) and a
 * disturbance the whole block shares. */
static double block(ccb_rng *r, double shift)
{
    double shared = 0.3 * gauss(r);
    double sum = 0;
    for (int k = 0; k < 4; k++) {
        double sd = uniform(r) < 0.1 ? 0.3 : 0.05;
        double v = shared + sd * gauss(r) + (k >= 2 ? shift : 0);
        sum += k >= 2 ? v : -v;
    }
    return sum / 2;
}

static void test_signrank__interval_covers_the_shift(void **state)
{
    (void)state;
    const size_t ns[] = {6, 15, 50, 200};
    ccb_rng rng;
    ccb_stats_rng_seed(&rng, 2026);
    double d[200];
    for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
        int covered = 0, reps = 1000;
        double shift = log(1.10);
        for (int rep = 0; rep < reps; rep++) {
            for (size_t i = 0; i < ns[t]; i++)
                d[i] = block(&rng, shift);
            ccb_signrank s;
            assert_int_equal(ccb_signrank_test(d, ns[t], 0.95, &s), 0);
            covered += s.ci_low <= shift && shift <= s.ci_high;
        }
        if (covered < reps * 94 / 100)
            fail_msg("n=%zu blocks: the 95%% interval covered the shift %d of %d times", ns[t],
                     covered, reps);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signrank__null_distribution_matches_enumeration),
        cmocka_unit_test(test_signrank__p_estimate_and_interval_against_enumeration),
        cmocka_unit_test(test_signrank__textbook_values),
        cmocka_unit_test(test_signrank__p_and_interval_agree),
        cmocka_unit_test(test_signrank__interval_covers_the_shift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
