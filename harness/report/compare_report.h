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
#include "result.h"

typedef struct ccb_compare_side_info {
    const char *operand;               /* as given: "main", "WORKTREE", "old.json" */
    const char *kind;                  /* "revision", "worktree", "file" */
    const char *commit, *tracker_tree; /* may be NULL or "" */
    int dirty;
    const char *result_path;         /* where its samples were saved; may be NULL */
    const ccb_machine_info *machine; /* where it was measured; NULL: unknown */
} ccb_compare_side_info;

typedef struct ccb_compare_report {
    const ccb_compare *cmp;
    ccb_compare_side_info side[2]; /* [0] baseline, [1] candidate */
    const ccb_thresholds *thresholds;
    const char *profile; /* may be NULL (two files) */
    const char *const *warnings;
    size_t nwarnings;
} ccb_compare_report;

int ccb_compare_report_write(FILE *out, const ccb_compare_report *r, ccb_format format, int color);
cJSON *ccb_compare_report_json(const ccb_compare_report *r);

/* "regressed", "unchanged (not confirmed)", ... as the table shows it. */
void ccb_compare_report_verdict_text(const ccb_compare_metric *m, char *buf, size_t size);

/* A ccbench-compare/1 file read back (compare_read.c), for `ccbench plot --kind compare`:
 * what a picture of the compare needs. Every string is owned by the doc. */
#define CCB_COMPARE_SCHEMA "ccbench-compare/1"

typedef struct ccb_compare_doc_metric {
    char *scenario, *name, *unit;
    ccb_direction direction;
    ccb_metric_kind kind;
    double base_median, cand_median; /* NAN where the file has null (no data) */
    double ratio, ci_low, ci_high;   /* NAN where null: no data, or 0 → x for a count */
    size_t nbase, ncand;
    double threshold; /* this metric's own (fraction) */
    double p_holm;    /* NAN where null */
    double floor;     /* the noise floor the verdict used; NAN where null or absent */
    ccb_verdict verdict, first_verdict;
    ccb_confirm confirm;
} ccb_compare_doc_metric;

typedef struct ccb_compare_doc {
    char *operand[2];   /* [0] baseline, [1] candidate, as given to compare */
    char *side_kind[2]; /* "revision", "worktree", "file" */
    char *commit[2];    /* the side's commit; NULL where the file has null */
    char *machine[2];   /* "CPU, N CPUs, Linux K, compiler, T build"; NULL: not in the file */
    int paired;         /* mode "interleaved" (1) or "files" (0) */
    char *profile;      /* NULL when the file has null (two files) */
    char *seed;         /* decimal, as written (64 bits do not fit a JSON number) */
    unsigned int blocks;
    int confirm_ran, failed;
    double threshold; /* the default --threshold (fraction) */
    ccb_compare_doc_metric *metrics;
    size_t n;
} ccb_compare_doc;

/* Strict read: the schema id, every field's presence and type (also those a plot does not
 * use), and the enumerations. -1 with a message naming the file and the field. */
int ccb_compare_read_file(const char *path, ccb_compare_doc **out);
void ccb_compare_read_free(ccb_compare_doc *d);
/* Is PATH a compare file (its schema field says so)? Reads only what it needs to tell. */
int ccb_compare_show_accepts(const char *path);
/* `ccbench show` of a compare file: D rendered as the compare command printed it (the
 * statistics it holds; per-metric p-values before Holm and raw samples are not in it). */
int ccb_compare_show_write(FILE *out, const ccb_compare_doc *d, ccb_format format, int color);

#endif
