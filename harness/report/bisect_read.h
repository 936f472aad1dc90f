/*
 * The strict reader of ccbench-bisect/1 files (bisect_report.c writes them), for marking the
 * first bad commit in `plot --kind history --notes RANGE --bisect FILE` and `history --notes
 * RANGE --bisect FILE`. Only the fields those need are read; fields added later are ignored.
 */
#ifndef CCB_BISECT_READ_H
#define CCB_BISECT_READ_H

#include <stddef.h>

#include "history.h"

#define CCB_BISECT_SCHEMA "ccbench-bisect/1"

typedef struct ccb_bisect_culprit {
    char sha[41];
    char *subject; /* owned */
} ccb_bisect_culprit;

typedef struct ccb_bisect_doc {
    char *path;             /* the file, for messages; owned */
    char *scenario, *name;  /* metric.scenario, metric.name; owned */
    double threshold;       /* a fraction */
    char good[41], bad[41]; /* full shas */
    int regression;
    ccb_bisect_culprit *first_bad; /* the first bad commit, or the range a skip left */
    size_t nfirst_bad;
} ccb_bisect_doc;

/* Read PATH whole or not at all: a missing or mistyped field (schema, metric.scenario,
 * metric.name, threshold, good, bad, regression, first_bad[i].commit, first_bad[i].subject)
 * fails with the file and the field named, class INPUT (exit 2). */
int ccb_bisect_read_file(const char *path, ccb_bisect_doc **out);
void ccb_bisect_read_free(ccb_bisect_doc *d);

/* Mark in H's commits (--notes) the first bad commits of D that lie in the range
 * (first_bad, first_bad_subject) and set h->bisect_given. Returns how many of D's first_bad
 * commits were found. NOTE gets what the user should hear on stderr: a warning naming those
 * outside the range, or that D found no regression; "" when all were marked. */
size_t ccb_bisect_read_mark(const ccb_bisect_doc *d, ccb_history *h, char *note, size_t size);

#endif
