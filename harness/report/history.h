/*
 * A metric's median and CI over several results in time order: the loader behind
 * `ccbench history` and `ccbench plot --kind history`. Results come from files (ordered by
 * created_at) or from git notes (notes.c, in commit order); only results measured on the same
 * machine fingerprint as the newest one are kept, and the ones skipped are listed with why.
 */
#ifndef CCB_HISTORY_H
#define CCB_HISTORY_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "result.h"

typedef struct ccb_history_entry {
    ccb_result *result; /* owned */
    char *source;       /* the file, or "note on <sha>"; owned */
    char commit[13];    /* short sha: of the note's commit, else the result's git commit */
} ccb_history_entry;

typedef struct ccb_history_skip {
    char *source, *reason; /* owned */
} ccb_history_skip;

/* --notes: one commit of the range walked, in commit order (gaps included). */
typedef struct ccb_history_commit {
    char sha[13];  /* abbreviated, as entries' commit */
    char date[11]; /* committer date, UTC, YYYY-MM-DD */
    int has_note;
    int first_bad;              /* --bisect: the first bad commit (or one of its range) */
    char first_bad_subject[96]; /* --bisect: its subject, from the bisect file */
} ccb_history_commit;

typedef struct ccb_history {
    ccb_history_entry *entries; /* oldest first */
    size_t n, cap;
    ccb_history_skip *skipped; /* measured on another machine than the newest */
    size_t nskipped, skip_cap;
    size_t walked, without_note; /* --notes: commits walked, and those without a note */
    ccb_history_commit *commits; /* --notes: the walked commits, oldest first (x of history) */
    size_t ncommits, commits_cap;
    size_t duplicates; /* files holding a result already added (results/latest.json) */
    int bisect_given;  /* --bisect: commits carry first_bad (bisect_read.c) */
} ccb_history;

/* One (scenario, metric) present in a set of results. Strings are borrowed from the results
 * and live as long as they do. */
typedef struct ccb_series {
    const char *scenario, *metric, *unit;
    ccb_direction direction;
} ccb_series;

/* Take R (ownership passes to H, also on failure), read from SOURCE at COMMIT (NULL: the
 * result's own git commit). */
int ccb_history_add(ccb_history *h, ccb_result *r, const char *source, const char *commit);
/* --notes: the next commit of the range (SHA: hex, abbreviated to 12; WHEN: its committer
 * time, seconds since the epoch), with or without a note. */
int ccb_history_add_commit(ccb_history *h, const char *sha, long long when, int has_note);
/* Read each file strictly (the first bad one fails the load, named) and order by created_at;
 * files with the same time keep the order given. */
int ccb_history_load_files(ccb_history *h, char *const *paths, size_t n);
/* Drop every entry whose machine fingerprint (cpu_model, cpus, kernel major version,
 * compiler) differs from the newest entry's, recording each with its reason. */
int ccb_history_filter_machine(ccb_history *h);
void ccb_history_release(ccb_history *h);

/* The series of RS[0..N), the last result's order first, then any others in the order met.
 * FILTER "SCENARIO.METRIC" (or NULL for all) must name a series of one of them, else -1 with
 * a message suggesting the nearest. *out is malloc'd (free() it). */
int ccb_history_series_collect(const ccb_result *const *rs, size_t n, const char *filter,
                               ccb_series **out, size_t *count);
/* The metric of series S in R, or NULL when R does not have it. */
const ccb_metric_result *ccb_history_series_find(const ccb_result *r, const ccb_series *s);

/* One entry's x-axis label: "label @ sha" (or just one of them). */
void ccb_history_entry_label(const ccb_history_entry *e, char *buf, size_t size);

/* The history of every series FILTER selects, as table, markdown or JSON
 * (schema ccbench-history/1). */
int ccb_history_write(FILE *out, const ccb_history *h, const char *filter, ccb_format format);

/* "skipped 2 of 5 results measured on another machine (...)": for stderr, "" when none. */
void ccb_history_skip_summary(const ccb_history *h, char *buf, size_t size);
/* ccb_history_filter_machine, then the summary above on stderr as "ccbench: COMMAND: ...". */
int ccb_history_keep_one_machine(ccb_history *h, const char *command);

#endif
