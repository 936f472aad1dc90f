/* The count verdict rules (compare/count_verdict.c, docs/statistics.md "Counts"): an exact
 * +1 is a change, modes are matched across sides so a call with two paths is not a change
 * when the sides hit its paths in different proportions, near-exact floors, and sides whose
 * processes all disagree are not judged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "count_verdict.h"

static ccb_verdict judge_dir(const char *name, ccb_direction dir, const double *base, size_t nb,
                             const double *cand, size_t nc)
{
    ccb_compare_metric m;
    memset(&m, 0, sizeof(m));
    m.name = (char *)name;
    m.kind = CCB_KIND_COUNT;
    m.direction = dir;
    m.base = (double *)base;
    m.cand = (double *)cand;
    m.nbase = nb;
    m.ncand = nc;
    m.base_median = base[nb / 2];
    m.cand_median = cand[nc / 2];
    return ccb_count_verdict_judge(&m);
}

static ccb_verdict judge(const char *name, const double *base, size_t nb, const double *cand,
                         size_t nc)
{
    return judge_dir(name, CCB_LOWER_IS_BETTER, base, nb, cand, nc);
}

#define N(a) (a), (sizeof(a) / sizeof((a)[0]))

static void test_exact_plus_one_is_a_change(void **state)
{
    (void)state;
    const double b[] = {22, 22, 22, 22, 22}, c[] = {23, 23, 23, 23, 23};
    assert_int_equal(judge("start_syscalls", N(b), N(c)), CCB_VERDICT_REGRESSED);
    assert_int_equal(judge("start_syscalls", N(c), N(b)), CCB_VERDICT_IMPROVED);
    assert_int_equal(judge("start_syscalls", N(b), N(b)), CCB_VERDICT_UNCHANGED);
    /* A call that makes 22 or 23 on both sides is not a change, in any proportion. */
    const double x[] = {22, 23, 22, 22, 22}, y[] = {23, 23, 22, 23, 23};
    assert_int_equal(judge("start_syscalls", N(x), N(y)), CCB_VERDICT_UNCHANGED);
    /* +1 on a call whose two paths are 1 apart cannot be told from a change of proportions
     * (23 is a baseline path): not a change. Beyond the other path it is one. */
    const double z[] = {23, 24, 23, 23, 24}, w[] = {24, 25, 24, 24, 25};
    assert_int_equal(judge("start_syscalls", N(x), N(z)), CCB_VERDICT_UNCHANGED);
    assert_int_equal(judge("start_syscalls", N(x), N(w)), CCB_VERDICT_REGRESSED);
}

/* One process a side, either direction: any difference of an exact count is a change. */
static void test_exact_single_values_either_direction(void **state)
{
    (void)state;
    const double ten[] = {10}, eleven[] = {11}, nine[] = {9}, half[] = {10.5};
    assert_int_equal(judge("libs_loaded", N(ten), N(eleven)), CCB_VERDICT_REGRESSED);
    assert_int_equal(judge("libs_loaded", N(ten), N(nine)), CCB_VERDICT_IMPROVED);
    assert_int_equal(judge("libs_loaded", N(ten), N(ten)), CCB_VERDICT_UNCHANGED);
    assert_int_equal(judge("libs_loaded", N(ten), N(half)), CCB_VERDICT_REGRESSED); /* no t */
    assert_int_equal(judge_dir("x", CCB_HIGHER_IS_BETTER, N(ten), N(eleven)), CCB_VERDICT_IMPROVED);
    assert_int_equal(judge_dir("x", CCB_HIGHER_IS_BETTER, N(ten), N(nine)), CCB_VERDICT_REGRESSED);
    assert_int_equal(judge_dir("x", CCB_HIGHER_IS_BETTER, N(ten), N(ten)), CCB_VERDICT_UNCHANGED);
}

static void test_near_exact_modes_are_matched(void **state)
{
    (void)state;
    /* start(): ~21.7k when it reuses the sampler's first reading, ~28.7k when it takes its
     * own. A/A with the paths in different proportions: unchanged. */
    const double b[] = {21716, 21724, 28695}, c[] = {28681, 28689, 21720};
    assert_int_equal(judge("start_instructions", N(b), N(c)), CCB_VERDICT_UNCHANGED);
    const double all_low[] = {21716, 21720, 21724};
    assert_int_equal(judge("start_instructions", N(b), N(all_low)), CCB_VERDICT_UNCHANGED);
    /* +1% on either path, whichever paths the candidate hit: regressed. */
    const double up_low[] = {21933, 21937, 21941}, up_both[] = {21933, 28982, 21941};
    assert_int_equal(judge("start_instructions", N(b), N(up_low)), CCB_VERDICT_REGRESSED);
    assert_int_equal(judge("start_instructions", N(b), N(up_both)), CCB_VERDICT_REGRESSED);
    /* The baseline took only the second path, the candidate also the first: the first has
     * nothing to compare with; the second moved +1%. */
    const double b_high[] = {28599, 28601, 28605}, c_mixed[] = {21980, 28887, 28890};
    assert_int_equal(judge("start_instructions", N(b_high), N(c_mixed)), CCB_VERDICT_REGRESSED);
    const double c_same[] = {21760, 28601, 28603};
    assert_int_equal(judge("start_instructions", N(b_high), N(c_same)), CCB_VERDICT_UNCHANGED);
    /* +0.1%: under the floor. */
    const double tiny[] = {21738, 21740, 21742};
    assert_int_equal(judge("start_instructions", N(b), N(tiny)), CCB_VERDICT_UNCHANGED);
}

static void test_near_exact_floor_follows_the_spread(void **state)
{
    (void)state;
    /* free() that joins a thread: ±0.4% between processes. A 0.4% shift is within it. */
    const double b[] = {6150, 6170, 6175}, c[] = {6147, 6147, 6148};
    assert_int_equal(judge("free_instructions", N(b), N(c)), CCB_VERDICT_UNCHANGED);
    /* Page faults: 7 -> 9 is under the floor of 3; 7 -> 12 is not. */
    const double p7[] = {7, 7, 7, 7, 7}, p9[] = {9, 9, 9, 9, 9}, p12[] = {12, 12, 12, 12, 12};
    assert_int_equal(judge("start_page_faults", N(p7), N(p9)), CCB_VERDICT_UNCHANGED);
    assert_int_equal(judge("start_page_faults", N(p7), N(p12)), CCB_VERDICT_REGRESSED);
}

static void test_unsettled_side_is_not_judged(void **state)
{
    (void)state;
    /* Three processes, three modes: no value repeats, nothing to judge. */
    const double b[] = {24207, 27100, 30435}, c[] = {33000, 36000, 39000};
    assert_int_equal(judge("lifecycle_instructions", N(b), N(c)), CCB_VERDICT_UNCHANGED);
    const double d[] = {2, 3, 4, 5, 6}, e[] = {9, 9, 9, 9, 9};
    assert_int_equal(judge("free_syscalls", N(d), N(e)), CCB_VERDICT_UNCHANGED);
}

static void test_a_count_change_is_confirmed_either_way(void **state)
{
    (void)state;
    ccb_compare c, again;
    ccb_compare_init(&c, 1);
    ccb_compare_init(&again, 1);
    ccb_compare_metric *m = ccb_compare_metric_get(&c, "cold_init", "free_syscalls", "count",
                                                   CCB_LOWER_IS_BETTER, CCB_KIND_COUNT);
    assert_non_null(m);
    m->verdict = m->first_verdict = CCB_VERDICT_IMPROVED;
    const char *names[4];
    /* An improved count is measured again, like a regression. */
    assert_int_equal(ccb_compare_regressed_scenarios(&c, names, 4), 1);
    ccb_compare_metric *m2 = ccb_compare_metric_get(&again, "cold_init", "free_syscalls", "count",
                                                    CCB_LOWER_IS_BETTER, CCB_KIND_COUNT);
    m2->verdict = CCB_VERDICT_UNCHANGED;
    ccb_compare_apply_confirm(&c, &again);
    assert_int_equal(c.metrics[0].verdict, CCB_VERDICT_UNCHANGED);
    /* Improved again: it stands. */
    c.metrics[0].verdict = CCB_VERDICT_IMPROVED;
    again.metrics[0].verdict = CCB_VERDICT_IMPROVED;
    ccb_compare_apply_confirm(&c, &again);
    assert_int_equal(c.metrics[0].verdict, CCB_VERDICT_IMPROVED);
    ccb_compare_release(&c);
    ccb_compare_release(&again);
}

static void test_near_exact_needs_every_process_beyond(void **state)
{
    (void)state;
    /* Two sub-paths 0.55% apart inside one mode (21716-21724, 21836-21844): the candidate's
     * values inside the baseline's range are no change, whatever the medians. */
    const double b[] = {21716, 21844, 21720}, c[] = {21836, 21724, 21844};
    assert_int_equal(judge("start_instructions", N(b), N(c)), CCB_VERDICT_UNCHANGED);
    const double up[] = {21933, 22060, 21937};
    assert_int_equal(judge("start_instructions", N(b), N(up)), CCB_VERDICT_REGRESSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_plus_one_is_a_change),
        cmocka_unit_test(test_exact_single_values_either_direction),
        cmocka_unit_test(test_near_exact_modes_are_matched),
        cmocka_unit_test(test_near_exact_floor_follows_the_spread),
        cmocka_unit_test(test_unsettled_side_is_not_judged),
        cmocka_unit_test(test_a_count_change_is_confirmed_either_way),
        cmocka_unit_test(test_near_exact_needs_every_process_beyond),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
