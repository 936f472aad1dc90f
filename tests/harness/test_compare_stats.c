/*
 * compare's statistics without running anything: per-process reduction and pairing within
 * ABBA blocks, --threshold parsing, verdict assembly (count metrics, higher_is_better),
 * Holm applied across the metrics of one compare, and confirm-before-fail.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "compare.h"
#include "error.h"

static ccb_compare_metric *add(ccb_compare *c, const char *scenario, const char *name,
                               ccb_direction dir, ccb_metric_kind kind)
{
    ccb_compare_metric *m = ccb_compare_metric_get(c, scenario, name, "us", dir, kind);
    assert_non_null(m);
    return m;
}

/* N pairs: base around 100 with a small deterministic wobble, cand = base * factor. */
static void fill_pairs(ccb_compare_metric *m, size_t n, double factor)
{
    for (size_t i = 0; i < n; i++) {
        double b = 100 + (double)((i * 7) % 5) * 0.2;
        double base[2] = {b, b + 0.1};
        double cand[2] = {b * factor, (b + 0.1) * factor};
        assert_int_equal(ccb_compare_add_block(m, base, cand), 2);
    }
}

static void test_compare_stats__reduce_is_the_median(void **state)
{
    (void)state;
    const double x[] = {5, 1, 3, 100};
    assert_true(ccb_compare_reduce(x, 4) == 4.0);
    assert_true(ccb_compare_reduce(x, 3) == 3.0);
    assert_true(isnan(ccb_compare_reduce(x, 0)));
}

static void test_compare_stats__block_pairs_by_order_and_drops_failures(void **state)
{
    (void)state;
    ccb_compare c;
    ccb_compare_init(&c, 1);
    ccb_compare_metric *m =
        add(&c, "warm_lifecycle", "lifecycle_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
    double base[2] = {10, 20}, cand[2] = {11, 21};
    assert_int_equal(ccb_compare_add_block(m, base, cand), 2);
    assert_int_equal(m->nbase, 2);
    assert_true(m->base[0] == 10 && m->cand[0] == 11); /* A1 with B1 */
    assert_true(m->base[1] == 20 && m->cand[1] == 21); /* A2 with B2 */
    double failed[2] = {NAN, 30}, cand2[2] = {12, 31};
    assert_int_equal(ccb_compare_add_block(m, failed, cand2), 1);
    assert_int_equal(m->nbase, 3);
    assert_int_equal(m->ncand, 3);
    assert_true(m->base[2] == 30 && m->cand[2] == 31);
    ccb_compare_release(&c);
}

static void test_compare_stats__threshold_parsing(void **state)
{
    (void)state;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    assert_true(fabs(t.global - 0.05) < 1e-12);
    assert_int_equal(ccb_thresholds_parse(&t, "10"), 0);
    assert_true(fabs(t.global - 0.10) < 1e-12);
    assert_int_equal(ccb_thresholds_parse(&t, "2.5%"), 0);
    assert_true(fabs(t.global - 0.025) < 1e-12);
    assert_int_equal(ccb_thresholds_parse(&t, "warm_lifecycle.lifecycle_us=10%"), 0);
    assert_true(fabs(ccb_thresholds_for(&t, "warm_lifecycle", "lifecycle_us") - 0.10) < 1e-12);
    assert_true(fabs(ccb_thresholds_for(&t, "warm_lifecycle", "lifecycles_per_s") - 0.025) < 1e-12);
    assert_true(fabs(ccb_thresholds_for(&t, "cold_init", "lifecycle_us") - 0.025) < 1e-12);
    /* The later value for the same metric wins. */
    assert_int_equal(ccb_thresholds_parse(&t, "warm_lifecycle.lifecycle_us=20"), 0);
    assert_int_equal(t.n, 1);
    assert_true(fabs(ccb_thresholds_for(&t, "warm_lifecycle", "lifecycle_us") - 0.20) < 1e-12);

    const char *bad[] = {"",
                         "%",
                         "abc",
                         "-5",
                         "0",
                         "5%%",
                         "1e9",
                         "nosuch.metric=5",
                         "warm_lifecycle=5",
                         "warm_lifecycle.nosuch=5",
                         "=5",
                         "cold_init.init_us=x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ccb_error_clear();
        if (ccb_thresholds_parse(&t, bad[i]) != -1)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(ccb_error_message(), "--threshold"));
    }
    ccb_thresholds_release(&t);
}

static void test_compare_stats__verdicts_and_count_metrics(void **state)
{
    (void)state;
    ccb_compare c;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(&c, 1);
    fill_pairs(add(&c, "s", "slower", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12, 1.20);
    fill_pairs(add(&c, "s", "faster", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12, 0.80);
    fill_pairs(add(&c, "s", "same", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12, 1.0);
    /* A rate that went down 20% is a regression. */
    fill_pairs(add(&c, "s", "rate", CCB_HIGHER_IS_BETTER, CCB_KIND_TIMING), 12, 0.80);
    /* Below the threshold: significant but too small to count. */
    fill_pairs(add(&c, "s", "tiny", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12, 1.02);
    ccb_compare_metric *libs = add(&c, "s", "libs", CCB_LOWER_IS_BETTER, CCB_KIND_COUNT);
    for (int i = 0; i < 4; i++) {
        double b[2] = {6, 6}, k[2] = {7, 7};
        assert_int_equal(ccb_compare_add_block(libs, b, k), 2);
    }
    ccb_compare_metric *empty = add(&c, "s", "empty", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
    (void)empty;
    assert_int_equal(ccb_compare_analyse(&c, &t), 0);

    assert_int_equal(ccb_compare_find(&c, "s", "slower")->verdict, CCB_VERDICT_REGRESSED);
    assert_true(fabs(ccb_compare_find(&c, "s", "slower")->ratio.ratio - 1.20) < 1e-9);
    assert_int_equal(ccb_compare_find(&c, "s", "faster")->verdict, CCB_VERDICT_IMPROVED);
    assert_int_equal(ccb_compare_find(&c, "s", "same")->verdict, CCB_VERDICT_UNCHANGED);
    assert_int_equal(ccb_compare_find(&c, "s", "rate")->verdict, CCB_VERDICT_REGRESSED);
    assert_int_equal(ccb_compare_find(&c, "s", "tiny")->verdict, CCB_VERDICT_UNCHANGED);
    /* With a 1% threshold the same 2% is a regression. */
    assert_int_equal(ccb_thresholds_parse(&t, "1%"), 0);
    assert_int_equal(ccb_compare_analyse(&c, &t), 0);
    assert_int_equal(ccb_compare_find(&c, "s", "tiny")->verdict, CCB_VERDICT_REGRESSED);

    const ccb_compare_metric *l = ccb_compare_find(&c, "s", "libs");
    assert_int_equal(l->verdict, CCB_VERDICT_REGRESSED); /* exact: 6 -> 7 */
    assert_true(isnan(l->p) && isnan(l->p_holm));        /* not in the Holm family */
    assert_int_equal(ccb_compare_find(&c, "s", "empty")->verdict, CCB_VERDICT_UNCHANGED);
    assert_true(isnan(ccb_compare_find(&c, "s", "empty")->p_holm));
    ccb_compare_release(&c);
    ccb_thresholds_release(&t);
}

static void test_compare_stats__holm_across_metrics(void **state)
{
    (void)state;
    /* The same metric alone and among nine others: its adjusted p grows with the family,
     * and equals ccb_stats_holm over the raw p-values of all timing metrics. */
    ccb_compare one, many;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(&one, 1);
    ccb_compare_init(&many, 1);
    fill_pairs(add(&one, "s", "m0", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 10, 1.10);
    char name[16];
    for (int k = 0; k < 10; k++) {
        snprintf(name, sizeof(name), "m%d", k);
        fill_pairs(add(&many, "s", name, CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 10,
                   k == 0 ? 1.10 : 1.0 + 0.001 * k);
    }
    assert_int_equal(ccb_compare_analyse(&one, &t), 0);
    assert_int_equal(ccb_compare_analyse(&many, &t), 0);
    double p[10], adj[10];
    for (int k = 0; k < 10; k++)
        p[k] = many.metrics[k].p;
    ccb_stats_holm(p, 10, adj);
    for (int k = 0; k < 10; k++)
        assert_true(fabs(many.metrics[k].p_holm - adj[k]) < 1e-15);
    assert_true(fabs(one.metrics[0].p_holm - one.metrics[0].p) < 1e-15);
    assert_true(many.metrics[0].p_holm > one.metrics[0].p_holm);
    /* 10 blocks all slower: the signed-rank p is 2/2^10 ~ 0.002 alone (regressed), x10 in
     * the family (not). The block is the replicate: 3 blocks (6 process pairs) used to pass
     * here as "p ~ 0.004", pairs of one block counted as independent. */
    assert_int_equal(one.metrics[0].verdict, CCB_VERDICT_REGRESSED);
    assert_int_not_equal(many.metrics[0].verdict, CCB_VERDICT_REGRESSED);
    ccb_compare_release(&one);
    ccb_compare_release(&many);
    ccb_thresholds_release(&t);
}

static void test_compare_stats__confirm_before_fail(void **state)
{
    (void)state;
    ccb_compare r1, r2;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(&r1, 1);
    ccb_compare_init(&r2, 1);
    fill_pairs(add(&r1, "warm_lifecycle", "lifecycle_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12,
               1.20);
    fill_pairs(add(&r1, "cold_init", "start_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12, 1.20);
    fill_pairs(add(&r1, "cold_init", "init_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12, 1.0);
    assert_int_equal(ccb_compare_analyse(&r1, &t), 0);
    assert_true(ccb_compare_has_failure(&r1) == 0); /* unconfirmed: no failure yet */

    const char *names[8];
    assert_int_equal(ccb_compare_regressed_scenarios(&r1, names, 8), 2);
    assert_string_equal(names[0], "warm_lifecycle");
    assert_string_equal(names[1], "cold_init");

    /* Round 2: lifecycle_us regresses again, start_us does not. */
    fill_pairs(add(&r2, "warm_lifecycle", "lifecycle_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12,
               1.20);
    fill_pairs(add(&r2, "cold_init", "start_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12, 1.0);
    assert_int_equal(ccb_compare_analyse(&r2, &t), 0);
    ccb_compare_apply_confirm(&r1, &r2);

    const ccb_compare_metric *lc = ccb_compare_find(&r1, "warm_lifecycle", "lifecycle_us");
    const ccb_compare_metric *st = ccb_compare_find(&r1, "cold_init", "start_us");
    const ccb_compare_metric *in = ccb_compare_find(&r1, "cold_init", "init_us");
    assert_int_equal(lc->confirm, CCB_CONFIRM_CONFIRMED);
    assert_int_equal(lc->verdict, CCB_VERDICT_REGRESSED);
    assert_int_equal(st->confirm, CCB_CONFIRM_REJECTED);
    assert_int_equal(st->first_verdict, CCB_VERDICT_REGRESSED);
    assert_int_equal(st->verdict, CCB_VERDICT_UNCHANGED);
    assert_int_equal(in->confirm, CCB_CONFIRM_NONE);
    assert_true(ccb_compare_has_failure(&r1));

    /* Without lifecycle_us regressing again, nothing fails. */
    ccb_compare r3;
    ccb_compare_init(&r3, 1);
    fill_pairs(add(&r3, "warm_lifecycle", "lifecycle_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING), 12,
               1.0);
    assert_int_equal(ccb_compare_analyse(&r3, &t), 0);
    assert_int_equal(ccb_compare_analyse(&r1, &t), 0); /* back to round-1 state */
    ccb_compare_apply_confirm(&r1, &r3);
    assert_false(ccb_compare_has_failure(&r1));
    assert_int_equal(ccb_compare_find(&r1, "warm_lifecycle", "lifecycle_us")->confirm,
                     CCB_CONFIRM_REJECTED);
    /* The derived seed differs from the first and is reproducible. */
    assert_true(ccb_compare_derive_seed(42) != 42);
    assert_true(ccb_compare_derive_seed(42) == ccb_compare_derive_seed(42));
    ccb_compare_release(&r1);
    ccb_compare_release(&r2);
    ccb_compare_release(&r3);
    ccb_thresholds_release(&t);
}

static void test_compare_stats__files_are_unpaired_and_unconfirmable(void **state)
{
    (void)state;
    ccb_result *a = ccb_result_new(), *b = ccb_result_new();
    assert_non_null(a);
    assert_non_null(b);
    const ccb_scenario_def *def = ccb_catalog_find("warm_lifecycle");
    assert_non_null(def);
    ccb_scenario_result *sa = ccb_result_add_scenario(a, "warm_lifecycle");
    assert_non_null(ccb_result_scenario_add_metric(sa, &def->metrics[0]));
    ccb_scenario_result *sb = ccb_result_add_scenario(b, "warm_lifecycle");
    assert_non_null(ccb_result_scenario_add_metric(sb, &def->metrics[0]));
    for (int i = 0; i < 30; i++) {
        assert_int_equal(ccb_result_metric_add_sample(&sa->metrics[0], 10 + 0.01 * i), 0);
        assert_int_equal(ccb_result_metric_add_sample(&sb->metrics[0], 16 + 0.01 * i), 0);
    }
    ccb_compare c;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(&c, 0);
    assert_int_equal(ccb_compare_from_results(&c, a, b, NULL), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(ccb_compare_analyse(&c, &t), 0);
    assert_int_equal(c.metrics[0].verdict, CCB_VERDICT_REGRESSED);
    ccb_compare_mark_unconfirmable(&c);
    assert_int_equal(c.metrics[0].confirm, CCB_CONFIRM_IMPOSSIBLE);
    assert_true(ccb_compare_has_failure(&c));
    ccb_compare_release(&c);

    /* Nothing in common is an error, not an empty success. */
    ccb_result *other = ccb_result_new();
    assert_non_null(ccb_result_add_scenario(other, "cold_init"));
    ccb_compare_init(&c, 0);
    assert_int_equal(ccb_compare_from_results(&c, a, other, NULL), -1);
    assert_non_null(strstr(ccb_error_message(), "in common"));
    ccb_compare_release(&c);

    /* --scenario filters file operands too: selecting only cold_init leaves nothing here. */
    ccb_selection only = {.n = 0};
    assert_int_equal(ccb_selection_add(&only, "compare", "cold_init"), 0);
    ccb_compare_init(&c, 0);
    assert_int_equal(ccb_compare_from_results(&c, a, b, &only), -1);
    ccb_compare_release(&c);
    assert_int_equal(ccb_selection_add(&only, "compare", "warm_lifecycle"), 0);
    ccb_compare_init(&c, 0);
    assert_int_equal(ccb_compare_from_results(&c, a, b, &only), 0);
    assert_int_equal(c.n, 1);
    ccb_compare_release(&c);
    ccb_result_free(other);
    ccb_result_free(a);
    ccb_result_free(b);
    ccb_thresholds_release(&t);
}

static void test_compare_stats__noise_floor_is_widest_bound(void **state)
{
    (void)state;
    ccb_compare_metric m;
    memset(&m, 0, sizeof(m));
    m.ratio.ci_low = 0.97;
    m.ratio.ci_high = 1.02;
    assert_true(fabs(ccb_compare_noise_floor(&m) - (1 / 0.97 - 1)) < 1e-12);
    m.ratio.ci_low = NAN;
    assert_true(isnan(ccb_compare_noise_floor(&m)));
}

/* ---------------------------------------------------------------------------------------- */
/* The paired analysis of ABBA blocks (paired.c): the rules beyond ratios, and simulations. */

static double uniform(ccb_rng *r)
{
    return ((double)(ccb_stats_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(ccb_rng *r)
{
    return sqrt(-2 * log(uniform(r))) * cos(2 * M_PI * uniform(r));
}

/* NB blocks of synthetic processes: value = 100 * exp(shared + noise) (candidate also x
 * FACTOR), `shared` a disturbance the whole block sees (sd 0.2), `noise` per process with sd
 * SD, and one process in ten from a tail 5x wider. */
static void fill_noisy(ccb_rng *r, ccb_compare_metric *m, size_t nb, double factor, double sd)
{
    for (size_t j = 0; j < nb; j++) {
        double shared = 0.2 * gauss(r), v[4];
        for (int k = 0; k < 4; k++) {
            double s = uniform(r) < 0.1 ? 5 * sd : sd;
            v[k] = 100 * exp(shared + s * gauss(r)) * (k >= 2 ? factor : 1);
        }
        double base[2] = {v[0], v[1]}, cand[2] = {v[2], v[3]};
        assert_true(ccb_compare_add_block(m, base, cand) >= 0);
    }
}

static void test_compare_stats__values_at_or_below_zero_compare_as_differences(void **state)
{
    (void)state;
    ccb_compare c;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(&c, 1);
    ccb_compare_metric *m = add(&c, "s", "offset", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
    for (int j = 0; j < 12; j++) {
        double base[2] = {0, 0.1 * j}, cand[2] = {3, 3 + 0.1 * j};
        assert_int_equal(ccb_compare_add_block(m, base, cand), 2);
    }
    assert_int_equal(ccb_compare_analyse(&c, &t), 0);
    assert_true(m->as_difference);
    assert_true(isnan(m->ratio.ratio)); /* no ratio of a value 0 is shown */
    assert_true(fabs(m->diff - 3) < 1e-9);
    assert_true(m->diff_low <= 3 && 3 <= m->diff_high);
    assert_int_equal(m->verdict, CCB_VERDICT_REGRESSED);
    assert_non_null(m->estimate);
    assert_non_null(strstr(m->estimate, "differences"));
    ccb_compare_release(&c);
    ccb_thresholds_release(&t);
}

/* A metric whose own A-vs-A contrasts are wider than its threshold cannot be judged at it:
 * "below noise", unless the change is beyond the floor; a stored floor of this profile
 * counts the same way. */
static void test_compare_stats__a_floor_above_the_threshold_is_below_noise(void **state)
{
    (void)state;
    ccb_rng rng;
    ccb_stats_rng_seed(&rng, 99);
    ccb_compare c;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(&c, 1);
    ccb_compare_metric *same = add(&c, "s", "noisy_same", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
    fill_noisy(&rng, same, 12, 1.0, 0.4);
    ccb_compare_metric *x3 = add(&c, "s", "noisy_x3", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
    fill_noisy(&rng, x3, 30, 3.0, 0.4);
    ccb_compare_metric *tight = add(&c, "s", "tight", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
    fill_noisy(&rng, tight, 30, 1.10, 0.01);
    tight->noise_floor = 0.20; /* as if `ccbench noise` had stored it at this profile */
    assert_int_equal(ccb_compare_analyse(&c, &t), 0);

    assert_true(same->aa_floor > 0.05);
    assert_int_equal(same->verdict, CCB_VERDICT_BELOW_NOISE);
    assert_string_equal(same->floor_source, CCB_FLOOR_CONTRASTS);
    assert_int_equal(x3->verdict, CCB_VERDICT_REGRESSED); /* 3x is beyond any floor here */
    assert_int_equal(tight->verdict, CCB_VERDICT_BELOW_NOISE);
    assert_string_equal(tight->floor_source, CCB_FLOOR_STORED);
    assert_false(ccb_compare_has_failure(&c) && same->verdict != CCB_VERDICT_REGRESSED &&
                 x3->verdict != CCB_VERDICT_REGRESSED);
    ccb_compare_release(&c);
    ccb_thresholds_release(&t);
}

/* With 6 blocks no data can give p < 0.01: honest about it, never "regressed". */
static void test_compare_stats__too_few_blocks_say_so(void **state)
{
    (void)state;
    ccb_compare c;
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(&c, 1);
    ccb_compare_metric *m = add(&c, "s", "m", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
    fill_pairs(m, 6, 1.5);
    assert_int_equal(ccb_compare_analyse(&c, &t), 0);
    assert_int_equal(m->units, 6);
    assert_true(fabs(m->min_p - 2.0 / 64) < 1e-15);
    assert_int_not_equal(m->verdict, CCB_VERDICT_REGRESSED);
    ccb_compare_release(&c);
    ccb_thresholds_release(&t);
}

/* Simulated compares with the noise this machine shows (per-process sd 5%, a disturbance
 * shared by a block, a heavy tail): no verdict in 300 A/A compares of 40 blocks says
 * changed, and +10% is caught at least 95% of the time, more often than the per-process
 * Mann-Whitney this replaced catches it on the same data. */
static void test_compare_stats__simulated_false_alarms_and_power(void **state)
{
    (void)state;
    ccb_rng rng;
    ccb_stats_rng_seed(&rng, 2026);
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    int alarms = 0, caught = 0, caught_u = 0, reps = 300;
    for (int rep = 0; rep < reps; rep++) {
        ccb_compare aa, slow;
        ccb_compare_init(&aa, 1);
        ccb_compare_init(&slow, 1);
        ccb_compare_metric *a = add(&aa, "s", "m", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
        ccb_compare_metric *b = add(&slow, "s", "m", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
        fill_noisy(&rng, a, 40, 1.0, 0.05);
        fill_noisy(&rng, b, 40, 1.10, 0.05);
        assert_int_equal(ccb_compare_analyse(&aa, &t), 0);
        assert_int_equal(ccb_compare_analyse(&slow, &t), 0);
        alarms += a->verdict == CCB_VERDICT_REGRESSED || a->verdict == CCB_VERDICT_IMPROVED;
        caught += b->verdict == CCB_VERDICT_REGRESSED;
        caught_u += ccb_stats_mann_whitney(b->base, b->nbase, b->cand, b->ncand, NULL) < 0.01;
        ccb_compare_release(&aa);
        ccb_compare_release(&slow);
    }
    if (alarms > 0 || caught < reps * 95 / 100 || caught <= caught_u)
        fail_msg("A/A alarms %d of %d; +10%% caught %d (signed-rank on blocks) vs %d (U)", alarms,
                 reps, caught, caught_u);
    print_message("A/A alarms %d of %d; +10%% caught %d (signed-rank on blocks) vs %d (U)\n",
                  alarms, reps, caught, caught_u);
    ccb_thresholds_release(&t);
}

/* Two result files of one build never fail the gate: 300 simulated pairs of runs, 10
 * processes each (per-process sd 5%, one outlier process at 1.5x), with a drift of sd 6% per
 * run (measured here: up to 26% between back-to-back quick runs of one build, once in 12).
 * A drift beyond the file floor (35%) would still be caught: 2x is regressed every time. */
static void test_compare_stats__two_files_of_one_build_never_regress(void **state)
{
    (void)state;
    ccb_rng rng;
    ccb_stats_rng_seed(&rng, 17);
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    int alarms = 0, caught = 0;
    for (int rep = 0; rep < 300; rep++) {
        for (int doubled = 0; doubled < 2; doubled++) {
            ccb_compare c;
            ccb_compare_init(&c, 0);
            ccb_compare_metric *m =
                add(&c, "cold_init", "start_us", CCB_LOWER_IS_BETTER, CCB_KIND_TIMING);
            for (int side = 0; side < 2; side++) {
                double drift = 0.06 * gauss(&rng) + (side && doubled ? log(2.0) : 0);
                for (int k = 0; k < 10; k++) {
                    double v = 200 * exp(drift + 0.05 * gauss(&rng)) * (k == 3 ? 1.5 : 1);
                    assert_int_equal(ccb_compare_add_value(m, side, v), 0);
                }
            }
            assert_int_equal(ccb_compare_analyse(&c, &t), 0);
            if (doubled)
                caught += m->verdict == CCB_VERDICT_REGRESSED;
            else
                alarms += m->verdict == CCB_VERDICT_REGRESSED || m->verdict == CCB_VERDICT_IMPROVED;
            ccb_compare_release(&c);
        }
    }
    if (alarms > 0 || caught < 300)
        fail_msg("same build: %d of 300 changed; 2x: %d of 300 regressed", alarms, caught);
    ccb_thresholds_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_stats__reduce_is_the_median),
        cmocka_unit_test(test_compare_stats__block_pairs_by_order_and_drops_failures),
        cmocka_unit_test(test_compare_stats__threshold_parsing),
        cmocka_unit_test(test_compare_stats__verdicts_and_count_metrics),
        cmocka_unit_test(test_compare_stats__holm_across_metrics),
        cmocka_unit_test(test_compare_stats__confirm_before_fail),
        cmocka_unit_test(test_compare_stats__files_are_unpaired_and_unconfirmable),
        cmocka_unit_test(test_compare_stats__noise_floor_is_widest_bound),
        cmocka_unit_test(test_compare_stats__values_at_or_below_zero_compare_as_differences),
        cmocka_unit_test(test_compare_stats__a_floor_above_the_threshold_is_below_noise),
        cmocka_unit_test(test_compare_stats__too_few_blocks_say_so),
        cmocka_unit_test(test_compare_stats__simulated_false_alarms_and_power),
        cmocka_unit_test(test_compare_stats__two_files_of_one_build_never_regress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
