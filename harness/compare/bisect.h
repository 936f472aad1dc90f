/*
 * The search behind `ccbench bisect` (issue 16): which commit between GOOD and BAD made a
 * metric worse, as asv find and git bisect run answer it. Each step is one live compare of
 * GOOD against a commit (live.h), so a step says exactly what `compare` would; the command
 * only parses options, calls ccb_bisect_run and writes the report (report/bisect_report.h).
 */
#ifndef CCB_BISECT_H
#define CCB_BISECT_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "stats.h"
#include "thresholds.h"

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
    int by_interval;       /* a later step judged by its whole interval lying nearer BAD's
                              change or nearer no change (interval_side) */
    int by_nearness;       /* its interval across the middle even after measuring again:
                              judged by whether its estimate is nearer BAD's change or none */
    /* A count metric: the step is decided by its values, not a ratio (est is the
     * difference commit - GOOD, low/high NAN). GOOD's and the commit's most common count
     * (ccb_count_typical), and whether its counts are like BAD's (ccb_count_like_bad: 1 like
     * BAD, 0 like GOOD, -1 neither; BAD's own step: -1). */
    int count;
    double good_value, value;
    int like_bad;
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

/* What to bisect and how; every pointer borrowed. */
typedef struct ccb_bisect_options {
    const char *good, *bad; /* revisions as given; GOOD an ancestor of BAD */
    const char *repo;       /* NULL: upward from the cwd */
    const ccb_scenario_def *scenario;
    const ccb_metric_def *metric;
    const ccb_thresholds *thresholds;
    ccb_profile profile;
    unsigned long blocks;   /* per step's first round (see CCB_BISECT_MIN_BLOCKS) */
    unsigned int budget_ms; /* per step's first round; 0: exactly `blocks` */
    uint64_t seed;
    long cpu; /* -1: not pinned */
    int quiet;
} ccb_bisect_options;

/* 12 blocks is the least at which the signed-rank test can reach p < 0.01 after Holm over a
 * scenario's few timing metrics (2 / 2^12); the quick profile's 6 never could. */
#define CCB_BISECT_MIN_BLOCKS 12

/* A count metric's step: the timing blocks only carry the count processes (and runner
 * counts such as libs_loaded, a few values a side): no budget. */
#define CCB_BISECT_COUNT_BLOCKS 3

/* A step's first-round time budget (ms) at PROFILE when --blocks is not given; 0: none. */
unsigned int ccb_bisect_step_budget_ms(ccb_profile profile);

/* TEXT (SCENARIO.METRIC) against the catalog; -1 of class USAGE naming the nearest metric. */
int ccb_bisect_find_metric(const char *text, const ccb_scenario_def **sd,
                           const ccb_metric_def **md);

/* The whole bisect into REP (zeroed by the caller; free with ccb_bisect_report_release):
 * GOOD built, BAD judged against it, then the search when BAD regressed (rep->regression;
 * the answer in rep->first..rep->last). Returns 0, or -1 of class INPUT (bad revisions),
 * BUILD (GOOD or BAD does not build), SCENARIO (no valid sample on GOOD or BAD), INTERRUPTED
 * (^C: the children were stopped) or IO. */
int ccb_bisect_run(const ccb_bisect_options *o, ccb_bisect_report *rep);
void ccb_bisect_report_release(ccb_bisect_report *rep);

#endif
