/*
 * The in-memory form of a result file (schema ccbench-result/1, DESIGN.md "Result file"),
 * its JSON writer (atomic: temp file + rename) and its strict reader. The reader rejects a
 * wrong schema, truncated JSON, or a missing/mistyped field with the file and field named.
 * Every pointer inside a ccb_result is owned by it and released by ccb_result_free().
 * Additions to DESIGN.md's schema (optional for the reader): per metric "kind"
 * ("timing"/"count"), per scenario "processes" (see harness/result-schema.md).
 */
#ifndef CCB_RESULT_H
#define CCB_RESULT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "stats.h"

typedef struct ccb_failure {
    char *reason; /* CCB_REASON_* (protocol.h) */
    char *detail; /* e.g. the tail of the child's log */
} ccb_failure;

typedef struct ccb_metric_result {
    char *name;
    char *unit;
    ccb_direction direction;
    ccb_metric_kind kind;
    double *samples;
    size_t n, cap;
    /* Which process each sample came from: groups[k] samples of process k, in order
     * (processes that gave none are not listed). grouped = 0 for a file written before
     * grouping was recorded: each sample then counts as its own process. */
    size_t *groups;
    size_t ngroups, cap_groups;
    int grouped;
    /* Filled by ccb_result_compute_stats() or read from the file. Over the per-process
     * medians (the replicates) when grouped, else over the samples; stats.n counts them. */
    ccb_summary stats;
} ccb_metric_result;

/* Noise diagnostics of one measured process (DESIGN.md "Statistics", last bullet). */
typedef struct ccb_process_meta {
    int ok;
    double wall_ms, cpu_ms, maxrss_kb, steal_ms;
    long nvcsw, nivcsw;
} ccb_process_meta;

typedef struct ccb_scenario_result {
    char *name;
    cJSON *params; /* object, owned */
    size_t samples_ok, samples_failed;
    ccb_failure *failures;
    size_t nfailures;
    ccb_metric_result *metrics;
    size_t nmetrics;
    ccb_process_meta *processes;
    size_t nprocesses;
    /* Count metrics (issue 13): counter -> why it could not be taken (object of strings;
     * NULL: none), and the instruction profile: call -> {"total", "functions": [[name,
     * inclusive], ...]} (NULL: none). Owned. */
    cJSON *unavailable;
    cJSON *profile;
} ccb_scenario_result;

typedef struct ccb_git_info {
    int present; /* 0: not run inside a repository -> JSON nulls */
    char *revision, *commit, *tracker_tree;
    /* Uncommitted changes in what is measured (tracker/, scenarios/, common/, the build
     * files): a README or a plot beside them does not make a result dirty. */
    int dirty;
    char **changed; /* those paths (at most CCB_GIT_MAX_CHANGED), owned */
    size_t nchanged;
} ccb_git_info;
#define CCB_GIT_MAX_CHANGED 32
/* Free what G owns and zero it. */
void ccb_result_git_info_release(ccb_git_info *g);

typedef struct ccb_machine_info {
    char *hostname, *os, *kernel, *cpu_model, *compiler, *build_type;
    int cpus;
    long mem_total_kb;
} ccb_machine_info;

typedef struct ccb_result {
    char *ccbench_version, *created_at, *label, *profile;
    ccb_git_info git;
    ccb_machine_info machine;
    ccb_scenario_result *scenarios;
    size_t nscenarios;
} ccb_result;

ccb_result *ccb_result_new(void);
void ccb_result_free(ccb_result *r);

/* Append helpers; each returns the new element (zeroed, owned by the parent) or NULL with
 * ccb_error_message() set. Elements live in arrays that grow by realloc: a returned pointer
 * is valid until the next add to the same parent (fill a scenario's metrics before holding
 * pointers to them). samples_ok/samples_failed are the caller's to count. */
ccb_scenario_result *ccb_result_add_scenario(ccb_result *r, const char *name);
ccb_metric_result *ccb_result_scenario_add_metric(ccb_scenario_result *s,
                                                  const ccb_metric_def *def);
ccb_metric_result *ccb_result_scenario_find_metric(const ccb_scenario_result *s, const char *name);
int ccb_result_metric_add_sample(ccb_metric_result *m, double value);
/* The last COUNT samples added came from one process (COUNT 0: nothing recorded). */
int ccb_result_metric_close_group(ccb_metric_result *m, size_t count);
/* The replicate values of M: per-process medians when grouped, else the samples. *out is
 * malloc'd (NULL with n 0 when there are none); -1 when out of memory. */
int ccb_result_metric_replicates(const ccb_metric_result *m, double **out, size_t *n);
int ccb_result_scenario_add_failure(ccb_scenario_result *s, const char *reason, const char *detail);
int ccb_result_scenario_add_process(ccb_scenario_result *s, const ccb_process_meta *meta);

/* Fill every metric's stats from its samples (fixed seed). */
int ccb_result_compute_stats(ccb_result *r);

cJSON *ccb_result_to_json(const ccb_result *r);
/* The file's text: like cJSON_Print(ccb_result_to_json(r)), but every number printed so it
 * reads back as exactly the same double. malloc'd; NULL with a message when out of memory. */
char *ccb_result_to_text(const ccb_result *r);
/* Atomic write: PATH.tmp.<pid> then rename(). Names the path on error. */
int ccb_result_write_file(const ccb_result *r, const char *path);
/* Strict read. On error: -1, ccb_error_message() names the file and the field. */
int ccb_result_read_file(const char *path, ccb_result **out);
int ccb_result_from_json(const cJSON *json, const char *origin, ccb_result **out);
/* PATH parsed as one JSON value (nothing after it). On error: -1 and a message naming the
 * file, saying whether it is empty, truncated or malformed (and where); WHAT is what the file
 * should be ("a ccbench result file"). *out is the caller's (cJSON_Delete). */
int ccb_result_read_json(const char *path, const char *what, cJSON **out);

/* Before a result read from a file or a git note is printed for a terminal (table,
 * markdown): its control characters (ESC sequences, C1 controls) become '?', so a crafted
 * file cannot drive the terminal. JSON output needs none of this (cJSON escapes them). */
void ccb_result_neutralize_controls(ccb_result *r);

const ccb_scenario_result *ccb_result_find_scenario(const ccb_result *r, const char *name);

#endif
