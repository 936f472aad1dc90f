/*
 * Progress of a run on stderr: on a terminal one redrawn line with a bar, the scenario,
 * samples done and an estimate of the time left; otherwise (CI logs, pipes) one plain line
 * when a scenario starts and one when it ends; nothing with --quiet. stdout stays clean for
 * the report.
 */
#ifndef CCB_PROGRESS_H
#define CCB_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h" /* ccb_progress_mode */

typedef struct ccb_progress_step {
    const char *name; /* borrowed */
    size_t samples, done, failed;
    double hint_ms;   /* a lower bound per sample known in advance (throughput's duration) */
    double spent_ms;  /* wall time of the samples done */
    double budget_ms; /* > 0: `samples` is a minimum; the step runs while this lasts */
} ccb_progress_step;

typedef struct ccb_progress {
    ccb_progress_mode mode;
    FILE *out;
    ccb_progress_step *steps;
    size_t nsteps, current;
    double step_started_ms, sample_started_ms;
    int drawn; /* a bar line is on screen and must be erased before other output */
} ccb_progress;

/* BAR when stderr is a terminal (and TERM is not "dumb"), LINES otherwise, QUIET if asked. */
ccb_progress_mode ccb_progress_detect(int quiet);

int ccb_progress_init(ccb_progress *p, ccb_progress_mode mode, FILE *out, size_t nsteps);
void ccb_progress_plan(ccb_progress *p, size_t step, const char *name, size_t samples,
                       double hint_ms);
/* STEP runs at least its planned samples, then more while BUDGET_MS lasts (a compare's time
 * budget): shown as a count and a time, never as "2000/24". */
void ccb_progress_plan_budget(ccb_progress *p, size_t step, double budget_ms);
void ccb_progress_begin(ccb_progress *p, size_t step);
void ccb_progress_sample(ccb_progress *p, int ok);
void ccb_progress_end(ccb_progress *p);
/* One line about the current step's other work (its count processes): printed as a line in
 * both visible modes, the bar erased first; nothing when quiet. */
void ccb_progress_note(ccb_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Erase the bar (call before writing anything else to the terminal). */
void ccb_progress_clear(ccb_progress *p);
void ccb_progress_release(ccb_progress *p);

#endif
