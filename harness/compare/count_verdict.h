/*
 * How a compare judges count metrics (issue 13; docs/statistics.md "Counts"). A count is not
 * a noisy timing: it needs no test, only a rule for the little nondeterminism it has.
 *
 *   Each side's values are grouped into modes: equal values (exact counts), or values within
 *   2% of each other (near-exact: instructions and page faults, which move a little with the
 *   environment and take another path when the tracker reuses a reading younger than 1 ms).
 *   Every candidate mode is set against the nearest baseline mode; the metric regressed when
 *   every candidate mode is above its match: by any amount for an exact count (so a
 *   deterministic +1 system call is regressed), for a near-exact one with each of its
 *   processes above each of the match's and the medians apart by more than the metric's floor
 *   (instructions 0.5%; page faults 10% and at least 3); improved the other way round. A side
 *   whose processes all disagree is not judged.
 *
 * Thresholds (--threshold) are for timings and do not apply. A regressed count, like any
 * regression of a live compare, is measured again in the confirm round before it fails.
 * When an instruction count changed, the functions whose inclusive cost changed most are
 * named from each side's profile (callgrind).
 */
#ifndef CCB_COUNT_VERDICT_H
#define CCB_COUNT_VERDICT_H

#include "compare.h"
#include "result.h"

/* The smallest relative change a near-exact count metric NAME can be judged on; 0 for an
 * exact one. *absolute receives its floor in the metric's unit (0: none). */
double ccb_count_verdict_floor(const char *name, double *absolute);

/* The verdict of count metric M from its per-process values (m->base / m->cand); fills
 * m->count_spread (the larger relative range of one side) and m->count_modes. */
ccb_verdict ccb_count_verdict_judge(ccb_compare_metric *m);

/* For each instruction metric of C that regressed or improved, the functions whose
 * inclusive cost changed most between BASE's and CAND's profiles (either may be NULL: then
 * nothing). -1 when out of memory. */
int ccb_count_verdict_culprits(ccb_compare *c, const ccb_result *base, const ccb_result *cand);

#endif
