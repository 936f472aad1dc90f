/*
 * first_sample: how long a fresh process's tracker takes to deliver its first periodic
 * measurement: new, start, wait (bounded) for the measure_fn callback, stop, free. Kept apart
 * from cold_init so that cold_init's process cost is the tracker's, not this wait's.
 * One process = one sample.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol.h"
#include "scenario.h"

/* The first measurement should come after ~measure_interval_ms; 5 s means it never will. */
#define FIRST_SAMPLE_TIMEOUT_S 5

/* Filled by the sampler thread at the first periodic measurement, read by the main thread
 * once `got` is seen under the mutex. */
typedef struct first_sample {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int got;
    uint64_t at_ns;
    cct_emissions sofar;
} first_sample;

static void on_measure(const cct_emissions *sofar, void *payload)
{
    first_sample *fs = payload;
    uint64_t now = ccb_now_ns(); /* the delivery instant, before any locking of ours */

    pthread_mutex_lock(&fs->mu);
    if (!fs->got) {
        fs->got = 1;
        fs->at_ns = now;
        fs->sofar = *sofar;
        pthread_cond_signal(&fs->cv);
    }
    pthread_mutex_unlock(&fs->mu);
}

/* Waits for the first measurement at most FIRST_SAMPLE_TIMEOUT_S; returns fs->got. */
static int wait_first(first_sample *fs)
{
    struct timespec deadline;
    int got, rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += FIRST_SAMPLE_TIMEOUT_S;
    pthread_mutex_lock(&fs->mu);
    while (!fs->got && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&fs->cv, &fs->mu, &deadline);
    got = fs->got;
    pthread_mutex_unlock(&fs->mu);
    return got;
}

int ccb_scenario_first_sample(const ccb_params *p, ccb_sample *s)
{
    ccb_outdir dir = {.owned = 0};
    first_sample fs;
    pthread_condattr_t ca;
    cct_config cfg;
    cct_tracker *tr = NULL;
    cct_emissions em;
    ccb_expect expect;
    ccb_instants in;
    uint64_t t_new[2], t_start[2], t_stop[2];
    size_t rows_before = 0;
    int sync_ready = 0, ret = -1;

    memset(&fs, 0, sizeof fs);
    memset(&em, 0, sizeof em);
    /* The wait is bounded on the monotonic clock: a clock step must not shorten it. */
    if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
        pthread_cond_init(&fs.cv, &ca) || pthread_mutex_init(&fs.mu, NULL)) {
        fprintf(stderr, "ccbench-scenario: cannot set up the first-sample wait\n");
        goto done;
    }
    pthread_condattr_destroy(&ca);
    sync_ready = 1;
    if (ccb_outdir_open(&dir, p->output_dir, (int)p->save_to_file))
        goto done;
    ccb_config_init(&cfg, dir.path, (int)p->save_to_file);
    cfg.measure_interval_ms = (unsigned int)p->measure_interval_ms;
    cfg.measure_fn = on_measure;
    cfg.measure_payload = &fs;
    expect = ccb_config_expect(&cfg);
    if (p->save_to_file && ccb_outdir_rows(&dir, &rows_before, &s->failure))
        goto measured;

    if (ccb_new_and_start(&cfg, &tr, t_new, t_start, &s->failure))
        goto measured;
    if (!wait_first(&fs)) {
        ccb_failure_set(&s->failure, CCB_REASON_TRACKER_ERROR,
                        "no periodic measurement within %d s (measure_interval_ms=%lu)",
                        FIRST_SAMPLE_TIMEOUT_S, p->measure_interval_ms);
        goto measured;
    }
    /* stop() is timed only to bound the check of its answer's duration. The answers come
     * after every timed region: the final one, then the first periodic one (taken between
     * start and its delivery), which must belong to the same run. */
    if (ccb_stop_and_check(&tr, t_start, t_stop, &expect, &em, &s->failure))
        goto measured;
    in = (ccb_instants){t_start[0], t_start[0], t_start[0], fs.at_ns};
    if (ccb_check_emissions(&fs.sofar, &in, &expect, &s->failure)) {
        ccb_failure_prefix(&s->failure, "first measurement: ");
        goto measured;
    }
    if (strcmp(fs.sofar.run_id, em.run_id) != 0) {
        ccb_failure_set(&s->failure, CCB_REASON_WRONG_ANSWER,
                        "first measurement's run_id %s differs from stop()'s %s", fs.sofar.run_id,
                        em.run_id);
        goto measured;
    }
    if (ccb_outdir_check(&dir, (int)p->save_to_file, rows_before, 1, &s->failure))
        goto measured;

    if (ccb_sample_add_one(s, "first_sample_us", (double)(fs.at_ns - t_start[0]) / 1e3))
        goto done;
measured:
    ret = 0; /* a sample was produced, ok or failed */
done:
    /* free() stops a still-running tracker, so no callback can reach `fs` afterwards. */
    cct_tracker_free(tr);
    ccb_outdir_close(&dir);
    if (sync_ready) {
        pthread_cond_destroy(&fs.cv);
        pthread_mutex_destroy(&fs.mu);
    }
    return ret;
}
