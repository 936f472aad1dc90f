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

/* Bisect (issue 16): are the count values X (of count metric NAME) like BAD's or like
 * GOOD's? Each of X's modes (the modes of the verdict above) is matched to the nearest mode
 * of GOOD's values and of BAD's, and its processes vote for the nearer side (a mode as near
 * to both votes for none). Returns 1 like BAD, 0 like GOOD, -1 neither (no values, or a tie).
 * NAN values (failed processes) are left out. */
int ccb_count_like_bad(const char *name, const double *good, size_t ngood, const double *bad,
                       size_t nbad, const double *x, size_t nx);
/* The value of X's most common mode (the lower on a tie): what a count "is" when a call has
 * two paths. NAN when X has no value. */
double ccb_count_typical(const char *name, const double *x, size_t n);

/* For each instruction metric of C that regressed or improved, the functions whose
 * inclusive cost changed most between BASE's and CAND's profiles (either may be NULL: then
 * nothing). -1 when out of memory. */
int ccb_count_verdict_culprits(ccb_compare *c, const ccb_result *base, const ccb_result *cand);

#endif
