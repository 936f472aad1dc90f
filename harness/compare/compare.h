/*
 * The heart of `ccbench compare` and `ccbench noise`: per-metric paired (or unpaired) samples
 * of a baseline and a candidate, the statistics of DESIGN.md "Statistics" over them (ratio
 * with bootstrap CI, Mann-Whitney U, Holm across the compare, verdicts with thresholds,
 * confirm-before-fail). The ABBA measurement that feeds them is abba.h. Kept apart from
 * cmd_compare.c so the rules are unit-tested without running anything.
 */
#ifndef CCB_COMPARE_H
#define CCB_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "result.h"
#include "selection.h"
#include "stats.h"
#include "thresholds.h"

/* Functions named for a changed instruction count. */
#define CCB_MAX_CULPRITS 5

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
    /* Live compare: per ABBA block the baseline's two process values in the order they ran,
     * then the candidate's (4 per block, NAN for a failed process). The replicate of the
     * paired analysis (paired.c). */
    double *blocks;
    size_t nblocks, cap_blocks;
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
    /* Live compare: the half-width (fraction) the 95% interval has under no change at this
     * compare's blocks, from the A-vs-A contrasts inside each block; NAN unknown. */
    double aa_floor;
    /* The floor the verdict used (the larger of the two above) and where it came from
     * (static text; NULL: none known). */
    double floor_used;
    const char *floor_source;
    int paired; /* copied from the compare by ccb_compare_analyse */
    /* Filled by the estimate functions (paired.c / unpaired.c), read by the report: */
    int as_difference;    /* 1: values <= 0 seen: estimate and CI are cand - base, not a ratio */
    const char *estimate; /* static text naming the estimate the verdict uses; NULL: the ratio */
    /* as_difference: the estimate and its interval in the metric's unit (ratio.* are NAN). */
    double diff, diff_low, diff_high;
    size_t units; /* replicates the test used: ABBA blocks (live) or processes (files) */
    double min_p; /* smallest two-sided p the test could reach at `units`; NAN unknown */
    /* Count metrics (compare/count_verdict.c): the larger relative range of the two sides' values
     * (0: both constant), and, for a changed instruction count, the functions whose
     * inclusive cost changed most (names owned). */
    double count_spread;
    size_t count_modes;  /* the most modes one side's values showed (2: a bimodal call) */
    int count_unsettled; /* a side's processes all disagreed: not judged (unchanged) */
    struct ccb_culprit {
        char *name;
        double base, cand;
    } culprits[CCB_MAX_CULPRITS];
    size_t nculprits;
} ccb_compare_metric;

/* What one scenario of a live round cost: the blocks it got and each side's time, from the
 * first of its processes' spawn to the last one's reap, summed (issue 12: "how long each side
 * took"). */
#define CCB_COMPARE_MAX_ROUNDS 64
typedef struct ccb_compare_round {
    const char *scenario; /* the catalog's name (static) */
    unsigned int blocks;
    double budget_ms; /* 0: none (--blocks) */
    double side_ms[2];
    double counts_ms[2]; /* each side's count processes (issue 13), 0: none */
    int confirm;         /* 1: the confirm round */
} ccb_compare_round;

typedef struct ccb_compare {
    ccb_compare_metric *metrics;
    size_t n, cap;
    int paired; /* 1: samples paired within ABBA blocks; 0: two result files */
    uint64_t seed, confirm_seed;
    unsigned int blocks; /* per round */
    int confirm_ran;
    size_t family; /* timing metrics in the Holm family (set by ccb_compare_analyse) */
    ccb_compare_round rounds[CCB_COMPARE_MAX_ROUNDS]; /* first round, then a confirm round */
    size_t nrounds;
} ccb_compare;

void ccb_compare_init(ccb_compare *c, int paired);
void ccb_compare_release(ccb_compare *c);

/* The metric SCENARIO.NAME, added (empty) if missing. NULL with a message when out of memory.
 * Pointers are valid until the next add. */
ccb_compare_metric *ccb_compare_metric_get(ccb_compare *c, const char *scenario, const char *name,
                                           const char *unit, ccb_direction direction,
                                           ccb_metric_kind kind);
ccb_compare_metric *ccb_compare_find(const ccb_compare *c, const char *scenario, const char *name);
int ccb_compare_add_value(ccb_compare_metric *m, int candidate, double v);
/* R's replicates (its per-process values, ccb_result_metric_replicates) added to one side of M. */
int ccb_compare_add_replicates(ccb_compare_metric *m, int candidate, const ccb_metric_result *r);

/* One process sample's metric values reduced to one number: the median (NAN when none). */
double ccb_compare_reduce(const double *x, size_t n);
/* The pairs of one ABBA block: the baseline's reductions base[0..2) in the order they ran,
 * the candidate's cand[0..2); the first of each pair up, then the second. A NAN (a failed
 * process) drops its pair. Returns the pairs added, or -1. */
int ccb_compare_add_block(ccb_compare_metric *m, const double base[2], const double cand[2]);

/* Two result files: every metric the two have in common (of the scenarios in ONLY, or all
 * when ONLY is NULL), all samples, unpaired. -1 with a message when they share no metric. */
int ccb_compare_from_results(ccb_compare *c, const ccb_result *base, const ccb_result *cand,
                             const ccb_selection *only);

/* The noise-floor source names ccb_compare_analyse and noise.c record in floor_source. */
#define CCB_FLOOR_STORED "ccbench noise (stored A/A of this build at this profile)"
#define CCB_FLOOR_CONTRASTS "this compare's A-vs-A contrasts"
#define CCB_FLOOR_FILES "between-run drift of two result files"
/* Two result files cannot tell a change from the drift between two runs: never judged below
 * this (measured: docs/statistics.md, "Two result files"). */
#define CCB_FILE_DRIFT_FLOOR 0.35

/* Medians, ratio + CI (fixed seed), Mann-Whitney p, Holm over the timing metrics that have
 * data, thresholds, verdicts and the blocks an inconclusive one needs. */
int ccb_compare_analyse(ccb_compare *c, const ccb_thresholds *t);

/* One timing metric's estimate (m->ratio) and p-value (m->p) before Holm: the live compare's
 * paired ABBA blocks (paired.c) or two result files' independent samples (unpaired.c).
 * -1 with a message on failure. */
int ccb_compare_estimate_paired(ccb_compare_metric *m);
int ccb_compare_estimate_unpaired(ccb_compare_metric *m);
/* What both estimate functions record: the estimate EST and interval [LO, HI] in log space,
 * or in the metric's unit when DIFF (then the ratio fields are NAN), with the test's p, the
 * smallest p it could reach, its replicates and the estimate's name. */
void ccb_compare_set_estimate(ccb_compare_metric *m, int diff, const char *name, double est,
                              double lo, double hi, double p, double min_p, size_t units);

/* Fold the confirm round ROUND2 (the regressed metrics' scenarios re-measured) into C: a
 * metric regressed in C is confirmed only if ROUND2 says regressed again; otherwise its
 * final verdict becomes ROUND2's (or unchanged) and it is marked not confirmed. */
void ccb_compare_apply_confirm(ccb_compare *c, const ccb_compare *round2);
/* Without a round to run (two files): every regression stands, marked so. */
void ccb_compare_mark_unconfirmable(ccb_compare *c);
/* 1 if a metric regressed and was confirmed (or could not be re-measured). */
int ccb_compare_has_failure(const ccb_compare *c);
/* The scenarios of the metrics that regressed in round 1 (and of the count metrics that
 * changed either way), each once, in order: what the confirm round measures again. */
size_t ccb_compare_regressed_scenarios(const ccb_compare *c, const char **out, size_t cap);

/* The confirm round's seed, derived from the first so a run is reproduced by --seed alone. */
uint64_t ccb_compare_derive_seed(uint64_t seed);

/* A/A: the widest |log| of a metric's CI bounds as a fraction (0.031 = ±3.1%); NAN if none. */
double ccb_compare_noise_floor(const ccb_compare_metric *m);

#endif
