/*
 * throughput: N worker threads doing whole lifecycles against one process-wide tracker
 * state for a sustained duration, as CodeCarbon's multi-threaded use does: total rate,
 * latency percentiles and fairness between threads. The hot path writes only the worker's
 * own memory (count, histogram); the only shared word is the stop flag, which it reads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "histogram.h"
#include "protocol.h"
#include "scenario.h"

typedef struct shared {
    pthread_barrier_t barrier;
    atomic_int stop;
    const cct_config *cfg;
    ccb_expect expect;
} shared;

/* Cache-line aligned so one worker's counters never share a line with another's. */
typedef struct worker {
    _Alignas(64) pthread_t tid;
    shared *sh;
    unsigned int index;
    uint64_t count;
    uint64_t t_begin, t_end; /* this worker's first lifecycle start, last lifecycle end */
    ccb_failure failure;
    ccb_histogram hist;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    cct_emissions em;
    ccb_instants in;
    uint64_t t[5];

    ccb_hist_init(&w->hist); /* first touch here: no page faults once the clock runs */
    pthread_barrier_wait(&sh->barrier);
    w->t_begin = ccb_now_ns();
    w->t_end = w->t_begin;
    /* At least one lifecycle per worker, so fairness is defined; a lifecycle in flight when
     * the flag rises completes and counts (its time is inside t_end). */
    for (;;) {
        if (ccb_lifecycle(sh->cfg, &em, t, &w->failure))
            goto failed;
        w->t_end = t[4];
        ccb_hist_record(&w->hist, t[4] - t[0]);
        w->count++;
        /* Checked per lifecycle (nothing to keep for an unbounded count): after t[4], so
         * outside the latency, inside the rate; it costs ~0.1 us against a lifecycle's
         * several us. */
        in = ccb_lifecycle_instants(t);
        if (ccb_check_emissions(&em, &in, &sh->expect, &w->failure))
            goto failed;
        if (atomic_load_explicit(&sh->stop, memory_order_relaxed))
            break;
    }
    return NULL;
failed:
    ccb_failure_prefix(&w->failure, "thread %u, lifecycle %llu: ", w->index,
                       (unsigned long long)w->count + 1);
    atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
    return NULL;
}

/* Sleep until `ms` after now on the monotonic clock, whatever signals interrupt. */
static void sleep_ms(unsigned long ms)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

int ccb_scenario_throughput(const ccb_params *p, ccb_sample *s)
{
    const unsigned int nthreads = (unsigned int)p->threads;
    ccb_outdir dir = {.owned = 0};
    shared sh;
    cct_config cfg;
    worker *workers = NULL;
    ccb_histogram *all = NULL;
    uint64_t total = 0, min_count = UINT64_MAX, max_count = 0;
    uint64_t t_begin = UINT64_MAX, t_end = 0;
    double v;
    unsigned int started = 0;
    int barrier_ready = 0, ret = -1, rc;

    workers = aligned_alloc(_Alignof(worker), nthreads * sizeof *workers);
    all = malloc(sizeof *all);
    if (!workers || !all) {
        fprintf(stderr, "ccbench-scenario: out of memory for %u workers\n", nthreads);
        goto done;
    }
    memset(workers, 0, nthreads * sizeof *workers);
    if (ccb_outdir_open(&dir, NULL, 0))
        goto done;
    ccb_config_init(&cfg, dir.path, 0);
    sh.cfg = &cfg;
    sh.expect = ccb_config_expect(&cfg);
    atomic_init(&sh.stop, 0);
    /* Workers and this thread meet at the barrier, so the clock starts when all are ready. */
    rc = pthread_barrier_init(&sh.barrier, NULL, nthreads + 1);
    if (rc) {
        fprintf(stderr, "ccbench-scenario: pthread_barrier_init: %s\n", strerror(rc));
        goto done;
    }
    barrier_ready = 1;
    for (started = 0; started < nthreads; started++) {
        worker *w = &workers[started];

        w->sh = &sh;
        w->index = started;
        rc = pthread_create(&w->tid, NULL, worker_main, w);
        if (rc) {
            /* The started workers wait at the barrier for ever, before any lifecycle;
             * returning -1 makes main exit 1, which ends them with the process. Until then
             * their barrier and structs must stay: neither destroyed nor freed. */
            fprintf(stderr, "ccbench-scenario: cannot start worker %u of %u: %s\n", started,
                    nthreads, strerror(rc));
            barrier_ready = 0;
            workers = NULL;
            goto done;
        }
    }
    pthread_barrier_wait(&sh.barrier);
    /* This thread is only the timer; the rate's clock is the workers' own first and last
     * instants, so a late wake-up here cannot stretch or shrink it. */
    sleep_ms(p->duration_ms);
    atomic_store_explicit(&sh.stop, 1, memory_order_relaxed);
    for (unsigned int i = 0; i < nthreads; i++)
        pthread_join(workers[i].tid, NULL);

    ccb_hist_init(all);
    for (unsigned int i = 0; i < nthreads; i++) {
        const worker *w = &workers[i];

        if (w->failure.failed && !s->failure.failed)
            s->failure = w->failure;
        ccb_hist_merge(all, &w->hist);
        total += w->count;
        min_count = w->count < min_count ? w->count : min_count;
        max_count = w->count > max_count ? w->count : max_count;
        t_begin = w->t_begin < t_begin ? w->t_begin : t_begin;
        t_end = w->t_end > t_end ? w->t_end : t_end;
    }
    if (s->failure.failed)
        goto measured;
    if (ccb_outdir_check(&dir, 0, 0, 0, &s->failure))
        goto measured;

    if (ccb_sample_add_one(s, "lifecycles_per_s",
                           (double)total / ((double)(t_end - t_begin) / 1e9)))
        goto done;
    v = ccb_hist_quantile(all, 0.50) / 1e3;
    if (ccb_sample_add(s, "lifecycle_p50_us", &v, 1))
        goto done;
    v = ccb_hist_quantile(all, 0.99) / 1e3;
    if (ccb_sample_add(s, "lifecycle_p99_us", &v, 1))
        goto done;
    /* Every worker did >= 1: in (0, 1]. */
    if (ccb_sample_add_one(s, "thread_fairness", (double)min_count / (double)max_count))
        goto done;
measured:
    ret = 0;
done:
    if (barrier_ready)
        pthread_barrier_destroy(&sh.barrier);
    ccb_outdir_close(&dir);
    free(all);
    free(workers);
    return ret;
}
