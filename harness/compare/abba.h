/*
 * The interleaved ABBA measurement of two builds that feeds a compare (DESIGN.md
 * "Statistics"): per scenario, blocks of A B B A or B A A B, one process at a time, pairs
 * within each block. Used by compare (baseline against candidate) and noise (a build
 * against itself).
 */
#ifndef CCB_ABBA_H
#define CCB_ABBA_H

#include <stdint.h>

#include "build.h"
#include "compare.h"
#include "guard.h"
#include "measure.h"
#include "selection.h"

/* What the machine-state guard saw while each scenario of a round was measured. */
typedef struct ccb_abba_guard {
    const char *scenario[CCB_SELECTION_MAX]; /* the catalog's names (static) */
    ccb_guard_reading reading[CCB_SELECTION_MAX];
    size_t n;
} ccb_abba_guard;

/* One interleaved round: what to measure, how, and with which builds. SIDE[0] is the
 * baseline (A), SIDE[1] the candidate (B); both borrowed, and the same build for A/A. */
typedef struct ccb_abba_round {
    const ccb_selection *sel;
    ccb_profile profile;
    long cpu;            /* -1: not pinned */
    unsigned int blocks; /* per scenario: exactly this many, or at least this many (budget) */
    /* 0: exactly `blocks` blocks per scenario. Else a time budget (ms) shared equally by the
     * selected scenarios: each runs its `blocks` blocks, then more while its share lasts, at
     * most CCB_ABBA_MAX_BLOCKS; the count each got is recorded (params.abba_blocks). */
    unsigned int budget_ms;
    uint64_t seed; /* of the block order */
    ccb_progress_mode mode;
    const ccb_build_outputs *side[2];
    ccb_abba_guard *guard; /* may be NULL: receives a reading per scenario measured */
    /* May be NULL: no count processes. Else each scenario with count metrics gets them after
     * its blocks, the sides alternating, run by each side's counts runner (issue 13). */
    ccb_counts *counts;
} ccb_abba_round;

/* Plans the items of R->sel (profile, cpu), measures them in R->blocks blocks each, and
 * appends the pairs to CMP and the samples to RESULTS[0] / RESULTS[1] as ordinary scenario
 * results. *scenario_failed receives 1 when a scenario ended without a valid sample on either
 * side. Returns 0 (*outcome says ^C) or -1. */
int ccb_abba_round_run(const ccb_abba_round *r, ccb_result *results[2], ccb_compare *cmp,
                       int *scenario_failed, ccb_measure_outcome *outcome);

/* Blocks per round when --blocks is not given: the least each scenario gets. */
unsigned int ccb_abba_default_blocks(ccb_profile profile);
/* The first round's time budget (ms) when --blocks is not given, 0 for none (full). The
 * confirm round gets a quarter of it. */
unsigned int ccb_abba_budget_ms(ccb_profile profile);
#define CCB_ABBA_MAX_BLOCKS 500
/* The shortest sustained window a budgeted compare gives throughput: 8 threads on 2 CPUs
 * still see ~40 scheduler slices. */
#define CCB_ABBA_MIN_SUSTAINED_MS 200.0
/* A seed for the block order when none is given: from the clock and pid, below 2^53 so JSON
 * readers that use doubles see it exactly (it is printed and recorded: --seed replays it). */
uint64_t ccb_abba_default_seed(void);

#endif
