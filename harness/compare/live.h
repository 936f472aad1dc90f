/*
 * One live compare of two builds, from measurement to verdict: the interleaved ABBA round,
 * the stored noise floors, the analysis, and the confirm round that re-measures what
 * regressed before it may count. `compare` runs it once; `bisect` once per step, so a step's
 * verdict is exactly compare's.
 */
#ifndef CCB_LIVE_H
#define CCB_LIVE_H

#include "abba.h"
#include "build.h"
#include "compare.h"
#include "thresholds.h"

typedef struct ccb_live {
    /* In: the first round (its sides are OP[0] and OP[1]'s builds); the confirm round takes
     * its scenarios from the regressions, a seed derived from the first, a quarter of the
     * budget and CONFIRM_GUARD (may be NULL). */
    ccb_abba_round round;
    const ccb_operand *op[2]; /* for their stored noise floors (ccbench noise) */
    const ccb_thresholds *thresholds;
    ccb_abba_guard *confirm_guard;
    unsigned int confirm_budget_ms; /* 0: a quarter of the first round's (compare's rule) */
    int quiet;
    /* Out: the analysed compare (initialised by the caller, paired), each side's samples as
     * results (created by the caller), a scenario without a valid sample on a side, ^C, and a
     * stored floor of another profile (malloc'd) that was not applied. */
    ccb_compare *cmp;
    ccb_result *results[2];
    int scenario_failed;
    ccb_measure_outcome outcome;
    char *floor_profile;
} ccb_live;

/* Measure, analyse and confirm. Returns 0 (L->outcome says ^C; then the verdicts are not
 * set) or -1 with a message. */
int ccb_live_run(ccb_live *l);

#endif
