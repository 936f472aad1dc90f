/*
 * Tests for scenarios/histogram.c, the throughput scenario's per-thread latency histogram:
 * exact below 128 ns, within its stated 0.4% above, nearest-rank quantiles, merging, and
 * values beyond its range clamped instead of overflowing.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "histogram.h"

static ccb_histogram *new_hist(void)
{
    ccb_histogram *h = malloc(sizeof *h);
    assert_non_null(h);
    ccb_hist_init(h);
    return h;
}

static void test_histogram__empty_is_zero(void **state)
{
    ccb_histogram *h = new_hist();

    assert_true(ccb_hist_quantile(h, 0.5) == 0.0);
    free(h);
}

static void test_histogram__exact_below_128(void **state)
{
    ccb_histogram *h = new_hist();

    for (uint64_t v = 0; v < 128; v++)
        ccb_hist_record(h, v);
    /* Nearest rank: p50 of 128 values is the 64th, i.e. 63; p99 the 127th, i.e. 126. */
    assert_true(ccb_hist_quantile(h, 0.5) == 63.0);
    assert_true(ccb_hist_quantile(h, 0.99) == 126.0);
    assert_true(ccb_hist_quantile(h, 1.0) == 127.0);
    assert_true(ccb_hist_quantile(h, 0.0001) == 0.0);
    free(h);
}

static void test_histogram__resolution_above_128(void **state)
{
    /* Every value from 128 ns to ~100 s on a fine geometric grid comes back within 0.4%. */
    for (double x = 128; x < 1e11; x *= 1.0137) {
        ccb_histogram *h = new_hist();
        uint64_t v = (uint64_t)x;
        double got;

        ccb_hist_record(h, v);
        got = ccb_hist_quantile(h, 0.5);
        if (fabs(got - (double)v) > (double)v / 256.0)
            fail_msg("value %llu came back as %.1f", (unsigned long long)v, got);
        free(h);
    }
}

static void test_histogram__quantiles_and_merge(void **state)
{
    ccb_histogram *a = new_hist(), *b = new_hist();

    /* 1..1000 us split between two threads by parity. */
    for (uint64_t i = 1; i <= 1000; i++)
        ccb_hist_record(i % 2 ? a : b, i * 1000);
    ccb_hist_merge(a, b);
    assert_int_equal(a->count, 1000);
    assert_true(fabs(ccb_hist_quantile(a, 0.5) - 500000.0) <= 500000.0 / 256);
    assert_true(fabs(ccb_hist_quantile(a, 0.99) - 990000.0) <= 990000.0 / 256);
    free(a);
    free(b);
}

static void test_histogram__clamps_huge_values(void **state)
{
    ccb_histogram *h = new_hist();

    ccb_hist_record(h, UINT64_MAX);
    ccb_hist_record(h, (uint64_t)1 << 47);
    assert_int_equal(h->buckets[CCB_HIST_BUCKETS - 1], 2);
    assert_true(ccb_hist_quantile(h, 1.0) > 1.4e14);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram__empty_is_zero),
        cmocka_unit_test(test_histogram__exact_below_128),
        cmocka_unit_test(test_histogram__resolution_above_128),
        cmocka_unit_test(test_histogram__quantiles_and_merge),
        cmocka_unit_test(test_histogram__clamps_huge_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
