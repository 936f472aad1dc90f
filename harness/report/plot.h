/*
 * gnuplot scripts of results, and running gnuplot on them (DESIGN.md "Plots"). Each kind is
 * one function that writes a complete script (small data inline as heredoc datablocks, raw
 * samples in a .dat file beside it) so a user can tweak and rerun it; the image is rendered by
 * the external `gnuplot`, which ccbench never links. Adding a kind = one ccb_plot_<kind>() here.
 */
#ifndef CCB_PLOT_H
#define CCB_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "compare_report.h"
#include "history.h"
#include "result.h"

typedef enum ccb_plot_kind {
    CCB_PLOT_DISTRIBUTION = 0,
    CCB_PLOT_HISTORY = 1,
    CCB_PLOT_COMPARE = 2,
} ccb_plot_kind;

/* Where a plot goes: the image, its script (the image path with ".gp") and its data (".dat"). */
typedef struct ccb_plot_target {
    char *image;  /* absolute, owned */
    char *script; /* absolute, owned */
    char *data;   /* absolute, owned; written only by kinds with a data file (distribution) */
    int svg;      /* 1: svg terminal, 0: pngcairo */
} ccb_plot_target;

/* "history" | "distribution" | "compare". */
int ccb_plot_kind_parse(const char *text, ccb_plot_kind *out);
/* The same as an option table's CCB_OPT_CALL (options.h): FIELD is a ccb_plot_kind. */
int ccb_plot_kind_option(void *field, const char *command, const char *arg);
/* From --out PATH: ".png" or ".svg" (case-insensitive), else -1 with a message. */
int ccb_plot_target_init(ccb_plot_target *t, const char *path);
void ccb_plot_target_release(ccb_plot_target *t);

/* The raw samples of each result of H (in its order, the first the baseline) for every
 * metric FILTER selects, one panel per metric: box plots; each sample as a dot when there are
 * too few for a box; an ECDF (log axis beyond 10x) when many samples have a heavy tail. The
 * samples go to DAT (t->data), the script to GP. */
int ccb_plot_distribution(FILE *gp, FILE *dat, const ccb_plot_target *t, const ccb_history *h,
                          const char *filter);
/* Each selected metric's median over H's entries with its 95% CI band, one panel each. With
 * commits (--notes), x is the commit order with gaps kept, y starts at 0 with a
 * ±THRESHOLD band around the first commit's median, and a first bad commit is marked. */
int ccb_plot_history(FILE *gp, const ccb_plot_target *t, const ccb_history *h, const char *filter,
                     double threshold);

/* A compare (ccbench-compare/1, read back): one row per metric, its ratio as a bar from 1 with
 * the 95% CI as whiskers over its own ±threshold band, coloured by verdict; counts as points. */
int ccb_plot_compare(FILE *gp, const ccb_plot_target *t, const ccb_compare_doc *d);

/* Write the script text atomically (temp file + rename) to t->script. */
int ccb_plot_write_script(const ccb_plot_target *t, const char *text, size_t len);
/* The same for the data file, t->data. */
int ccb_plot_write_data(const ccb_plot_target *t, const char *text, size_t len);
/* Run `gnuplot SCRIPT` (PATH lookup, output captured, at most 120 s), rendering into a temp
 * file renamed to t->image on success. Returns 0, or -1 of class INPUT when gnuplot is not
 * on PATH (the message has the install line), INTERRUPTED on ^C, IO when it failed (its last
 * output lines in the message). */
int ccb_plot_run_gnuplot(const ccb_plot_target *t);

#endif
