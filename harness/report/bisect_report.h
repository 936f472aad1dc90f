/*
 * What `ccbench bisect` found and how: the commits walked, every step (which commit, built
 * or shared, what it measured against GOOD), and the first bad commit or the range it lies
 * in. Written as a table, markdown or ccbench-bisect/1 JSON.
 */
#ifndef CCB_BISECT_REPORT_H
#define CCB_BISECT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "catalog.h"
#include "cli.h"
#include "stats.h"

typedef enum ccb_bisect_state {
    CCB_BISECT_UNKNOWN = 0,
    CCB_BISECT_GOOD = 1,      /* not worse than GOOD */
    CCB_BISECT_BAD = 2,       /* regressed against GOOD beyond the threshold, confirmed */
    CCB_BISECT_NO_BUILD = 3,  /* does not build: skipped, as git bisect skip */
    CCB_BISECT_UNDECIDED = 4, /* inconclusive even with more blocks, or no valid sample */
} ccb_bisect_state;

typedef struct ccb_bisect_commit {
    char sha[41], tree[41], subject[96], author[64];
    ccb_bisect_state state;
} ccb_bisect_commit;

/* One step: a commit judged, by measuring or by sharing another commit's tracker/ tree. */
typedef struct ccb_bisect_step {
    size_t commit;       /* index into the report's commits */
    const char *build;   /* static: "built", "cached", "shared", "failed" */
    size_t shared_with;  /* build "shared": the commit whose verdict it takes */
    ccb_verdict verdict; /* of the metric against GOOD (measured steps) */
    int measured;
    int as_difference;     /* the estimate is cand - base in the metric's unit, not a ratio */
    double est, low, high; /* ratio (or difference) and its 95% interval */
    unsigned int blocks;   /* ABBA blocks of the last round that decided it */
    int remeasured;        /* the first round was inconclusive: measured again */
    int confirmed;         /* a regression re-measured in the confirm round */
    int rejected;          /* a regression the confirm round did not repeat */
    int by_nearness;       /* inconclusive or below noise: judged by whether its estimate is
                              nearer BAD's change or no change */
} ccb_bisect_step;

typedef struct ccb_bisect_report {
    const ccb_scenario_def *scenario;
    const ccb_metric_def *metric;
    const char *good_text, *bad_text, *profile;
    double threshold; /* fraction */
    unsigned long long seed;
    ccb_bisect_commit *commits; /* [0] GOOD, then first parents up to BAD, oldest first */
    size_t ncommits;
    ccb_bisect_step *steps;
    size_t nsteps;
    int regression;     /* BAD is worse than GOOD */
    size_t first, last; /* the first bad commit lies in commits[first..last] (first == last:
                           found exactly) */
    size_t builds, cached, shared; /* runner builds made, reused from the cache, and steps
                                      that took another commit's verdict (equal trees) */
} ccb_bisect_report;

int ccb_bisect_report_write(FILE *out, const ccb_bisect_report *r, ccb_format format);

#endif
