/*
 * Rendering a compare: an aligned table for terminals (verdict arrows, colour only when the
 * caller decided so), a GitHub markdown table for PR comments and $GITHUB_STEP_SUMMARY, and
 * JSON of schema ccbench-compare/1 for machines. Inconclusive metrics, confirm rounds and
 * noise-floor warnings are always shown, never hidden.
 */
#ifndef CCB_COMPARE_REPORT_H
#define CCB_COMPARE_REPORT_H

#include <stdio.h>

#include "cli.h"
#include "compare.h"

typedef struct ccb_compare_side_info {
    const char *operand; /* as given: "main", "WORKTREE", "old.json" */
    const char *kind;    /* "revision", "worktree", "file" */
    const char *commit, *tracker_tree; /* may be NULL or "" */
    int dirty;
    const char *result_path; /* where its samples were saved; may be NULL */
} ccb_compare_side_info;

typedef struct ccb_compare_report {
    const ccb_compare *cmp;
    ccb_compare_side_info side[2]; /* [0] baseline, [1] candidate */
    const ccb_thresholds *thresholds;
    const char *profile; /* may be NULL (two files) */
    const char *const *warnings;
    size_t nwarnings;
} ccb_compare_report;

int ccb_compare_report_write(FILE *out, const ccb_compare_report *r, ccb_format format,
                             int color);
cJSON *ccb_compare_report_json(const ccb_compare_report *r);

/* "regressed", "unchanged (not confirmed)", ... as the table shows it. */
void ccb_compare_verdict_text(const ccb_compare_metric *m, char *buf, size_t size);

#endif
