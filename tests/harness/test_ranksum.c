/*
 * The two-sample test, Hodges-Lehmann shift and Moses interval (harness/model/ranksum.c)
 * against values computed here independently: the null distribution of U by integer
 * counting (f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)) and, for small samples, by
 * enumerating every arrangement; R's wilcox.test(conf.int = TRUE) confidences; p and the
 * interval agreeing on random data. Nothing timed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ranksum.h"
#include "stats.h"

/* counts[u] of arrangements with U = u, for m and n <= 20 (integers: exact). */
static void count_u(size_t m, size_t n, uint64_t *counts)
{
    static uint64_t f[21][21][401];
    memset(f, 0, sizeof(f));
    for (size_t i = 0; i <= m; i++)
        for (size_t j = 0; j <= n; j++)
            for (size_t u = 0; u <= i * j; u++) {
                if (i == 0 || j == 0) {
                    f[i][j][u] = u == 0;
                    continue;
                }
                f[i][j][u] = (u >= j ? f[i - 1][j][u - j] : 0) + f[i][j - 1][u];
            }
    memcpy(counts, f[m][n], (m * n + 1) * sizeof(*counts));
}

static void test_ranksum__null_distribution_matches_counting(void **state)
{
    (void)state;
    uint64_t counts[401];
    for (size_t m = 1; m <= 20; m += (m < 8 ? 1 : 4))
        for (size_t n = 1; n <= 20; n += (n < 8 ? 1 : 4)) {
            count_u(m, n, counts);
            double all = 0, cum = 0;
            for (size_t u = 0; u <= m * n; u++)
                all += (double)counts[u];
            for (size_t u = 0; u <= m * n; u++) {
                cum += (double)counts[u];
                double c = ccb_ranksum_cdf(m, n, (double)u);
                if (fabs(c - cum / all) > 1e-12)
                    fail_msg("m=%zu n=%zu u=%zu: %.15g vs %.15g", m, n, u, c, cum / all);
            }
        }
}

/* Small samples by brute force: every way to choose which of m + n ranks are x's. */
static void test_ranksum__small_samples_by_enumeration(void **state)
{
    (void)state;
    for (size_t m = 1; m <= 6; m++)
        for (size_t n = 1; n <= 6; n++) {
            double hist[37] = {0}, all = 0;
            for (unsigned long v = 0; v < (1UL << (m + n)); v++) {
                if ((size_t)__builtin_popcountl(v) != m)
                    continue;
                /* U = pairs (x, y) with y ranked above x. */
                size_t u = 0, xs_below = 0;
                for (size_t r = 0; r < m + n; r++) {
                    if (v & (1UL << r))
                        xs_below++;
                    else
                        u += xs_below;
                }
                hist[u] += 1;
                all += 1;
            }
            double cum = 0;
            for (size_t u = 0; u <= m * n; u++) {
                cum += hist[u];
                assert_true(fabs(ccb_ranksum_cdf(m, n, (double)u) - cum / all) < 1e-12);
            }
        }
}

static double gauss(ccb_rng *r)
{
    double u1 = ((double)(ccb_stats_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(ccb_stats_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Moses' ranks: the interval's exact confidence is what R's wilcox.test reports. */
static void test_ranksum__moses_confidence_matches_r(void **state)
{
    (void)state;
    double x[20], y[20];
    ccb_rng r;
    ccb_stats_rng_seed(&r, 5);
    for (int i = 0; i < 20; i++) {
        x[i] = gauss(&r);
        y[i] = 0.5 + gauss(&r);
    }
    ccb_ranksum s;
    assert_int_equal(ccb_ranksum_test(x, 5, y, 5, 0.95, &s), 0);
    assert_true(fabs(s.confidence - 0.968) < 0.0005); /* R: 0.9682540 */
    assert_int_equal(ccb_ranksum_test(x, 10, y, 10, 0.95, &s), 0);
    assert_true(fabs(s.confidence - 0.957) < 0.0005); /* R: 0.9567276 */
    /* And for every size from 4 to 20: >= 95%, and one rank further would be < 95%. */
    uint64_t counts[401];
    for (size_t m = 4; m <= 20; m++)
        for (size_t n = 4; n <= 20; n += 4) {
            count_u(m, n, counts);
            double all = 0;
            for (size_t u = 0; u <= m * n; u++)
                all += (double)counts[u];
            double cum = 0;
            size_t k = 0;
            for (size_t u = 0; u <= m * n; u++) {
                cum += (double)counts[u];
                if (cum / all > 0.025)
                    break;
                k = u + 1;
            }
            assert_int_equal(ccb_ranksum_test(x, m, y, n, 0.95, &s), 0);
            if (k == 0) {
                assert_true(isnan(s.ci_low));
                continue;
            }
            /* The interval is the k-th smallest and largest of the m n differences. */
            double d[400];
            size_t nd = 0;
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++)
                    d[nd++] = y[j] - x[i];
            for (size_t i = 1; i < nd; i++)
                for (size_t j = i; j > 0 && d[j - 1] > d[j]; j--) {
                    double t = d[j];
                    d[j] = d[j - 1];
                    d[j - 1] = t;
                }
            assert_true(s.ci_low == d[k - 1] && s.ci_high == d[nd - k]);
            assert_true(s.confidence >= 0.95);
        }
}

static void test_ranksum__p_and_interval_agree(void **state)
{
    (void)state;
    ccb_rng r;
    ccb_stats_rng_seed(&r, 8);
    double x[70], y[70];
    for (int rep = 0; rep < 600; rep++) {
        size_t m = 3 + (size_t)(rep % 67), n = 3 + (size_t)((rep * 7) % 67);
        double shift = 0.1 * (double)(rep % 7) - 0.3;
        for (size_t i = 0; i < m; i++)
            x[i] = gauss(&r);
        for (size_t j = 0; j < n; j++)
            y[j] = shift + gauss(&r);
        ccb_ranksum s;
        assert_int_equal(ccb_ranksum_test(x, m, y, n, 0.95, &s), 0);
        if (isnan(s.ci_low))
            continue;
        int excludes = s.ci_low > 0 || s.ci_high < 0;
        if ((s.p <= 0.05) != excludes)
            fail_msg("m=%zu n=%zu: p %.6f, CI [%.6f, %.6f]", m, n, s.p, s.ci_low, s.ci_high);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranksum__null_distribution_matches_counting),
        cmocka_unit_test(test_ranksum__small_samples_by_enumeration),
        cmocka_unit_test(test_ranksum__moses_confidence_matches_r),
        cmocka_unit_test(test_ranksum__p_and_interval_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
