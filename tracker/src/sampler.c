/*
 * The one process-wide sampler thread. It sleeps until the earliest due measurement of all
 * registered links (one per running tracker), takes one fresh reading for all of them, and
 * calls each link's timer callback; it never names the tracker, which registers itself. Trackers
 * are kept in sharded lists so that start/stop from many threads do not serialise on one lock;
 * stop() only unlinks (it wakes nothing and waits for nothing), and start() wakes the thread only
 * when its first due time is earlier than the thread's alarm.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SHARD_COUNT 16
#define IDLE UINT64_MAX
#define MAX_DEFERRED 4 /* distinct one-off jobs waiting at once (the HTTP module load, geo) */

struct shard {
    pthread_mutex_t lock;
    cct_sampler_link *head;
} __attribute__((aligned(64))); /* one cache line each: no false sharing between shards */

static struct shard shards[SHARD_COUNT];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;

static struct {
    pthread_mutex_t lock; /* guards running, stopping, and the wait on cond */
    pthread_cond_t cond;
    pthread_t thread;
    int running;
    int stopping;
    void (*deferred[MAX_DEFERRED])(void); /* one-off jobs for the thread, each once */
} sampler = {.lock = PTHREAD_MUTEX_INITIALIZER};

static atomic_int sampler_started;
/* When the thread will next wake on its own (IDLE: not until signalled). Read without the
 * lock on start()'s fast path; written under sampler.lock. */
static atomic_uint_fast64_t wake_at = IDLE;
static atomic_uint shard_counter;
static _Thread_local unsigned int my_shard = UINT_MAX;

static void atfork_child(void)
{
    /* Locks held by the parent's threads stay held forever in the child, and the sampler
     * thread does not exist there: re-create both. Links stay, so trackers that were running
     * in the parent keep being sampled by the child's new thread. */
    for (int i = 0; i < SHARD_COUNT; i++)
        pthread_mutex_init(&shards[i].lock, NULL);
    pthread_mutex_init(&sampler.lock, NULL);
    sampler.running = 0;
    sampler.stopping = 0;
    memset(sampler.deferred, 0, sizeof(sampler.deferred));
    atomic_store(&sampler_started, 0);
    atomic_store(&wake_at, IDLE);
}

static void init_shards(void)
{
    for (int i = 0; i < SHARD_COUNT; i++)
        pthread_mutex_init(&shards[i].lock, NULL);
    pthread_atfork(NULL, NULL, atfork_child);
}

static uint64_t measure_due(uint64_t now)
{
    uint64_t min_due = IDLE;
    int have_reading = 0;
    cct_reading reading;

    for (int i = 0; i < SHARD_COUNT; i++) {
        pthread_mutex_lock(&shards[i].lock);
        for (cct_sampler_link *l = shards[i].head; l; l = l->next) {
            if (l->next_due_ns <= now) {
                if (!have_reading) {
                    cct_reading__refresh(&reading);
                    have_reading = 1;
                }
                l->measurements++;
                l->fn(l->ctx, &reading, l->measurements);
                l->next_due_ns += l->interval_ns;
                if (l->next_due_ns <= now) /* fell behind: skip, do not burst */
                    l->next_due_ns = now + l->interval_ns;
            }
            if (l->next_due_ns < min_due)
                min_due = l->next_due_ns;
        }
        pthread_mutex_unlock(&shards[i].lock);
    }
    return min_due;
}

static void *sampler_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sampler.lock);
    while (!sampler.stopping) {
        if (sampler.deferred[0]) {
            void (*job)(void) = sampler.deferred[0];
            memmove(sampler.deferred, sampler.deferred + 1,
                    sizeof(sampler.deferred) - sizeof(sampler.deferred[0]));
            sampler.deferred[MAX_DEFERRED - 1] = NULL;
            pthread_mutex_unlock(&sampler.lock);
            job(); /* may take milliseconds: no lock held, trackers keep starting */
            pthread_mutex_lock(&sampler.lock);
            continue;
        }
        uint64_t now = cct_clock__mono_ns();
        uint64_t wake = atomic_load(&wake_at);
        if (now < wake) {
            if (wake == IDLE) {
                pthread_cond_wait(&sampler.cond, &sampler.lock);
            } else {
                struct timespec ts = {(time_t)(wake / CCT_NS_PER_S), (long)(wake % CCT_NS_PER_S)};
                pthread_cond_timedwait(&sampler.cond, &sampler.lock, &ts);
            }
            continue;
        }
        /* Trackers that start while we scan lower wake_at themselves (see add). */
        atomic_store(&wake_at, IDLE);
        pthread_mutex_unlock(&sampler.lock);
        uint64_t next = measure_due(now);
        pthread_mutex_lock(&sampler.lock);
        if (next < atomic_load(&wake_at))
            atomic_store(&wake_at, next);
    }
    pthread_mutex_unlock(&sampler.lock);
    return NULL;
}

#define EXIT_JOIN_S 1

/* At exit the sampler thread is stopped and joined, so that nothing of it (its stack and
 * TLS) is left for a leak checker to report. Bounded: a measure callback blocked on a lock
 * the exiting thread holds, or an upload blocked behind the HTTP module's own exit handler,
 * must not hang exit(); the thread is then left to die with the process. Not from the
 * sampler thread itself (exit() in a measure callback). */
static void stop_at_exit(void)
{
    struct timespec deadline;

    pthread_mutex_lock(&sampler.lock);
    if (!sampler.running || pthread_equal(pthread_self(), sampler.thread)) {
        pthread_mutex_unlock(&sampler.lock);
        return;
    }
    sampler.stopping = 1;
    pthread_cond_signal(&sampler.cond);
    pthread_mutex_unlock(&sampler.lock);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += EXIT_JOIN_S;
    if (pthread_timedjoin_np(sampler.thread, NULL, &deadline) == 0) {
        pthread_mutex_lock(&sampler.lock);
        sampler.running = 0;
        atomic_store(&sampler_started, 0);
        pthread_mutex_unlock(&sampler.lock);
    }
}

static int ensure_started(void)
{
    static int exit_hook; /* under sampler.lock */
    int rc = 0;

    if (atomic_load_explicit(&sampler_started, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&sampler.lock);
    if (!sampler.running) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&sampler.cond, &attr);
        pthread_condattr_destroy(&attr);
        sampler.stopping = 0;
        if (pthread_create(&sampler.thread, NULL, sampler_main, NULL) != 0) {
            rc = cct_error__set(CCT_ENOMEM, "cannot start the sampler thread");
        } else {
            sampler.running = 1;
            atomic_store_explicit(&sampler_started, 1, memory_order_release);
            if (!exit_hook)
                exit_hook = atexit(stop_at_exit) == 0;
        }
    }
    pthread_mutex_unlock(&sampler.lock);
    return rc;
}

int cct_sampler__add(cct_sampler_link *link)
{
    int rc;
    struct shard *sh;
    /* Read before the link is published: once it is in the list, the sampler thread may
     * advance next_due_ns under the shard lock. */
    uint64_t first_due = link->next_due_ns;

    pthread_once(&shards_once, init_shards);
    rc = ensure_started();
    if (rc != 0)
        return rc;
    if (my_shard == UINT_MAX)
        my_shard = atomic_fetch_add(&shard_counter, 1) % SHARD_COUNT;
    link->shard = my_shard;
    link->prev = NULL;
    sh = &shards[link->shard];
    pthread_mutex_lock(&sh->lock);
    link->next = sh->head;
    if (sh->head)
        sh->head->prev = link;
    sh->head = link;
    pthread_mutex_unlock(&sh->lock);

    /* Wake the thread only if it would otherwise sleep past this tracker's first due time:
     * in a loop of short lifecycles that is once per measure interval, not once per start. */
    if (first_due < atomic_load_explicit(&wake_at, memory_order_relaxed)) {
        pthread_mutex_lock(&sampler.lock);
        if (first_due < atomic_load(&wake_at)) {
            atomic_store(&wake_at, first_due);
            pthread_cond_signal(&sampler.cond);
        }
        pthread_mutex_unlock(&sampler.lock);
    }
    return 0;
}

int cct_sampler__defer(void (*fn)(void))
{
    int rc = -1;

    pthread_once(&shards_once, init_shards);
    if (ensure_started() != 0)
        return -1;
    pthread_mutex_lock(&sampler.lock);
    for (int i = 0; i < MAX_DEFERRED && rc != 0; i++) {
        if (sampler.deferred[i] == fn) {
            rc = 0; /* already waiting: once is enough */
        } else if (!sampler.deferred[i]) {
            sampler.deferred[i] = fn;
            rc = 0;
        }
    }
    pthread_cond_signal(&sampler.cond);
    pthread_mutex_unlock(&sampler.lock);
    return rc;
}

void cct_sampler__remove(cct_sampler_link *link)
{
    struct shard *sh = &shards[link->shard];

    pthread_mutex_lock(&sh->lock);
    if (link->prev)
        link->prev->next = link->next;
    else
        sh->head = link->next;
    if (link->next)
        link->next->prev = link->prev;
    link->prev = link->next = NULL;
    pthread_mutex_unlock(&sh->lock);
}

void cct_sampler__shutdown(void)
{
    pthread_mutex_lock(&sampler.lock);
    if (!sampler.running) {
        pthread_mutex_unlock(&sampler.lock);
        return;
    }
    sampler.stopping = 1;
    pthread_cond_signal(&sampler.cond);
    pthread_mutex_unlock(&sampler.lock);
    pthread_join(sampler.thread, NULL);
    pthread_mutex_lock(&sampler.lock);
    sampler.running = 0;
    sampler.stopping = 0;
    memset(sampler.deferred, 0, sizeof(sampler.deferred)); /* unrun jobs stay claimable */
    pthread_cond_destroy(&sampler.cond);
    atomic_store(&sampler_started, 0);
    atomic_store(&wake_at, IDLE);
    pthread_mutex_unlock(&sampler.lock);
}
