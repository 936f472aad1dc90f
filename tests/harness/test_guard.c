/*
 * The machine-state guard's rule (guard.h): what counts as a disturbed window, and that a
 * snapshot sees CPU time this process spends. The end-to-end refusal (`compare --strict` with
 * CPU burners running) is in test_compare.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"

static ccb_guard_reading window(double ms, long ncpu)
{
    ccb_guard_reading r;
    memset(&r, 0, sizeof(r));
    r.window_ms = ms;
    r.ncpu = ncpu;
    r.load1 = -1;
    return r;
}

static void test_guard__foreign_cpu_above_a_quarter_is_disturbed(void **state)
{
    (void)state;
    ccb_guard_reading r = window(2000, 2);
    /* The machine was busy 2.6 s of CPU, we used 2.0 s: 0.3 CPU of other work. */
    ccb_guard_judge(&r, 2600, 2000, 0);
    assert_true(r.judged);
    assert_true(r.disturbed);
    assert_true(r.foreign_cpus > 0.29 && r.foreign_cpus < 0.31);

    r = window(2000, 2);
    ccb_guard_judge(&r, 2400, 2000, 0); /* 0.2 CPU: quiet enough */
    assert_true(r.judged);
    assert_false(r.disturbed);
}

static void test_guard__own_work_is_not_foreign(void **state)
{
    (void)state;
    ccb_guard_reading r = window(4000, 2);
    /* Both CPUs busy the whole window, all of it ccbench and its children. */
    ccb_guard_judge(&r, 8000, 8000, 0);
    assert_false(r.disturbed);
    assert_true(r.foreign_cpus == 0);
    /* Tick rounding can make our own time exceed the machine's: never negative. */
    ccb_guard_judge(&r, 7990, 8000, 0);
    assert_true(r.foreign_cpus == 0);
}

static void test_guard__steal_above_two_percent_is_disturbed(void **state)
{
    (void)state;
    ccb_guard_reading r = window(1000, 2);
    ccb_guard_judge(&r, 500, 500, 60); /* 60 ms of 2000 ms CPU time: 3% */
    assert_true(r.disturbed);
    r = window(1000, 2);
    ccb_guard_judge(&r, 500, 500, 20); /* 1% */
    assert_false(r.disturbed);
}

static void test_guard__short_window_is_not_judged(void **state)
{
    (void)state;
    ccb_guard_reading r = window(CCB_GUARD_MIN_WINDOW_MS / 2, 2);
    ccb_guard_judge(&r, 1e6, 0, 1e6);
    assert_false(r.judged);
    assert_false(r.disturbed);
}

static void test_guard__snapshot_sees_this_process_spend_cpu(void **state)
{
    (void)state;
    ccb_guard_snapshot a, b;
    ccb_guard_snapshot_take(&a, 0);
    assert_true(a.ok); /* Linux: /proc/stat is readable */
    volatile double x = 0;
    ccb_guard_snapshot_take(&b, 0);
    while (b.own_ms - a.own_ms < 50) {
        for (int i = 0; i < 1000000; i++)
            x += i;
        ccb_guard_snapshot_take(&b, 0);
    }
    assert_true(b.busy_ms >= a.busy_ms);
    assert_true(b.wall_ms > a.wall_ms);
    ccb_guard_reading r;
    ccb_guard_read(&a, &b, &r);
    assert_true(r.ncpu >= 1);
    char text[256];
    ccb_guard_describe(&r, text, sizeof(text));
    assert_non_null(strstr(text, "other processes used"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard__foreign_cpu_above_a_quarter_is_disturbed),
        cmocka_unit_test(test_guard__own_work_is_not_foreign),
        cmocka_unit_test(test_guard__steal_above_two_percent_is_disturbed),
        cmocka_unit_test(test_guard__short_window_is_not_judged),
        cmocka_unit_test(test_guard__snapshot_sees_this_process_spend_cpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
