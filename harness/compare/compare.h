/*
 * The heart of `ccbench compare` and `ccbench noise`: per-metric paired (or unpaired) samples
 * of a baseline and a candidate, the statistics of DESIGN.md "Statistics" over them (ratio
 * with bootstrap CI, Mann-Whitney U, Holm across the compare, verdicts with thresholds,
 * confirm-before-fail), and the interleaved ABBA measurement of two builds that feeds them.
 * Kept apart from cmd_compare.c so the rules are unit-tested without running anything.
 */
#ifndef CCB_COMPARE_H
#define CCB_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "measure.h"
#include "result.h"
#include "stats.h"

#define CCB_DEFAULT_THRESHOLD 0.05

/* --threshold: a global fraction and per-metric overrides ("scenario.metric"). */
typedef struct ccb_threshold_override {
    char *key; /* "warm_lifecycle.lifecycle_us", owned */
    double value;
} ccb_threshold_override;

typedef struct ccb_thresholds {
    double global; /* fraction: 0.05 */
    ccb_threshold_override *overrides;
    size_t n;
} ccb_thresholds;

void ccb_thresholds_init(ccb_thresholds *t);
void ccb_thresholds_release(ccb_thresholds *t);
/* "5%", "5", "2.5%" (global) or "SCENARIO.METRIC=PCT[%]" (that metric, checked against the
 * catalog). Percent in (0, 1000). -1 with a message naming ARG and what it accepts. */
int ccb_thresholds_parse(ccb_thresholds *t, const char *arg);
double ccb_thresholds_for(const ccb_thresholds *t, const char *scenario, const char *metric);

/* What the confirm round said of a metric that regressed in the first round. */
typedef enum ccb_confirm {
    CCB_CONFIRM_NONE = 0,       /* not regressed in round 1: nothing to confirm */
    CCB_CONFIRM_CONFIRMED = 1,  /* regressed again in a fresh interleaved round: fails */
    CCB_CONFIRM_REJECTED = 2,   /* did not regress again: a false alarm, does not fail */
    CCB_CONFIRM_IMPOSSIBLE = 3, /* two result files: nothing to re-measure; fails as it is */
} ccb_confirm;

typedef struct ccb_compare_metric {
    char *scenario, *name, *unit; /* owned */
    ccb_direction direction;
    ccb_metric_kind kind;
    double *base, *cand; /* paired: pairs i of base[i], cand[i]; unpaired: two samples */
    size_t nbase, ncand, cap_base, cap_cand;
    /* Filled by ccb_compare_analyse: */
    double base_median, cand_median;
    ccb_ratio ratio;
    double p, p_holm; /* NAN for count metrics and metrics without data */
    double threshold;
    ccb_verdict verdict;       /* final: after the confirm round when there was one */
    ccb_verdict first_verdict; /* round 1 */
    ccb_confirm confirm;
    size_t more_blocks; /* inconclusive: blocks that would likely decide it */
    double noise_floor; /* fraction from a known A/A run of this build, NAN unknown */
    int paired;         /* copied from the compare by ccb_compare_analyse */
} ccb_compare_metric;

typedef struct ccb_compare {
    ccb_compare_metric *metrics;
    size_t n, cap;
    int paired; /* 1: samples paired within ABBA blocks; 0: two result files */
    uint64_t seed, confirm_seed;
    unsigned int blocks; /* per round */
    int confirm_ran;
} ccb_compare;

void ccb_compare_init(ccb_compare *c, int paired);
void ccb_compare_release(ccb_compare *c);

/* The metric SCENARIO.NAME, added (empty) if missing. NULL with a message when out of memory.
 * Pointers are valid until the next add. */
ccb_compare_metric *ccb_compare_metric_get(ccb_compare *c, const char *scenario, const char *name,
                                           const char *unit, ccb_direction direction,
                                           ccb_metric_kind kind);
ccb_compare_metric *ccb_compare_find(const ccb_compare *c, const char *scenario,
                                     const char *name);
int ccb_compare_add_value(ccb_compare_metric *m, int candidate, double v);

/* One process sample's metric values reduced to one number: the median (NAN when none). */
double ccb_compare_reduce(const double *x, size_t n);
/* The pairs of one ABBA block: the baseline's reductions base[0..2) in the order they ran,
 * the candidate's cand[0..2); the first of each pair up, then the second. A NAN (a failed
 * process) drops its pair. Returns the pairs added, or -1. */
int ccb_compare_add_block(ccb_compare_metric *m, const double base[2], const double cand[2]);

typedef struct ccb_selection ccb_selection;
/* Two result files: every metric the two have in common (of the scenarios in ONLY, or all
 * when ONLY is NULL), all samples, unpaired. -1 with a message when they share no metric. */
int ccb_compare_from_results(ccb_compare *c, const ccb_result *base, const ccb_result *cand,
                             const ccb_selection *only);

/* Medians, ratio + CI (fixed seed), Mann-Whitney p, Holm over the timing metrics that have
 * data, thresholds, verdicts and the blocks an inconclusive one needs. */
int ccb_compare_analyse(ccb_compare *c, const ccb_thresholds *t);

/* Fold the confirm round ROUND2 (the regressed metrics' scenarios re-measured) into C: a
 * metric regressed in C is confirmed only if ROUND2 says regressed again; otherwise its
 * final verdict becomes ROUND2's (or unchanged) and it is marked not confirmed. */
void ccb_compare_apply_confirm(ccb_compare *c, const ccb_compare *round2);
/* Without a round to run (two files): every regression stands, marked so. */
void ccb_compare_mark_unconfirmable(ccb_compare *c);
/* 1 if a metric regressed and was confirmed (or could not be re-measured). */
int ccb_compare_has_failure(const ccb_compare *c);
/* The scenarios of the metrics that regressed in round 1, each once, in order. */
size_t ccb_compare_regressed_scenarios(const ccb_compare *c, const char **out, size_t cap);

/* The confirm round's seed, derived from the first so a run is reproduced by --seed alone. */
uint64_t ccb_compare_derive_seed(uint64_t seed);

/* A/A: the widest |log| of a metric's CI bounds as a fraction (0.031 = ±3.1%); NAN if none. */
double ccb_compare_noise_floor(const ccb_compare_metric *m);

/* Interleaved measurement: for each item, BLOCKS blocks of A B B A or B A A B (chosen by a
 * ccb_rng seeded with SEED), one process at a time, A = baseline built at EXE[0], B =
 * candidate at EXE[1] (each [0] the scenario runner, [1] the floor). Samples also go into
 * RESULTS[0] / RESULTS[1] as ordinary scenario results. Item samples must be 4 * BLOCKS. */
int ccb_compare_measure(ccb_plan_item *items, size_t count, const char *const exe[2][2],
                        unsigned int blocks, uint64_t seed, int cpu, ccb_progress_mode mode,
                        ccb_result *results[2], ccb_compare *cmp, ccb_measure_outcome *outcome);

/* Scenario selection shared by compare and noise (COMMAND names the command in messages). */
#define CCB_COMPARE_MAX_SCENARIOS 32
typedef struct ccb_selection {
    const ccb_scenario_def *defs[CCB_COMPARE_MAX_SCENARIOS];
    size_t n;
} ccb_selection;
/* --scenario a,b (repeatable): validated, in order, each once. */
int ccb_selection_add(ccb_selection *s, const char *command, const char *arg);
/* Nothing selected: every non-selftest scenario this build can serve (spawn_floor included:
 * it is the floor cold_init is read against). */
void ccb_selection_default(ccb_selection *s);

/* Blocks per round when --blocks is not given. */
unsigned int ccb_compare_default_blocks(ccb_profile profile);
/* A seed for the block order when none is given: from the clock and pid, below 2^53 so JSON
 * readers that use doubles see it exactly (it is printed and recorded: --seed replays it). */
uint64_t ccb_compare_default_seed(void);

/* One interleaved round over SEL: plans the items (PROFILE, CPU), measures, and appends the
 * pairs to CMP and the samples to RESULTS. *scenario_failed receives 1 when a scenario ended
 * without a valid sample on either side. Returns 0 (*outcome says ^C) or -1. */
int ccb_compare_round(const ccb_selection *sel, ccb_profile profile, long cpu,
                      unsigned int blocks, uint64_t seed, const char *const exe[2][2],
                      ccb_progress_mode mode, ccb_result *results[2], ccb_compare *cmp,
                      int *scenario_failed, ccb_measure_outcome *outcome);

#endif
