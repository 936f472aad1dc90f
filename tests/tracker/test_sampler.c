/*
 * Tests for tracker/src/sampler.c: the process-wide sampler thread calls each running
 * tracker's measure callback every measure_interval_ms, wakes early for a tracker due sooner
 * than its alarm, and never calls a stopped tracker. Waits are condition variables with a
 * bounded timed wait, never sleeps. Also run under TSan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"
#include "tracker_fixtures.h"

#define WAIT_LIMIT_S 20

typedef struct ticks {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned int count;
    double last_duration;
    int went_backwards;
    char run_id[37];
} ticks;

typedef struct fixture {
    fx_tree tree;
    cct_config cfg;
} fixture;

static void ticks_init(ticks *k)
{
    pthread_condattr_t attr;

    memset(k, 0, sizeof(*k));
    pthread_mutex_init(&k->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cond, &attr);
    pthread_condattr_destroy(&attr);
}

static void ticks_destroy(ticks *k)
{
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
}

static void on_measure(const cct_emissions *sofar, void *payload)
{
    ticks *k = payload;

    pthread_mutex_lock(&k->lock);
    if (sofar->duration_s < k->last_duration)
        k->went_backwards = 1;
    k->last_duration = sofar->duration_s;
    memcpy(k->run_id, sofar->run_id, sizeof(k->run_id));
    k->count++;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
}

static unsigned int ticks_count(ticks *k)
{
    pthread_mutex_lock(&k->lock);
    unsigned int n = k->count;
    pthread_mutex_unlock(&k->lock);
    return n;
}

/* Wait until `k` has counted at least `n`, at most WAIT_LIMIT_S; fails the test on timeout. */
static void wait_ticks(ticks *k, unsigned int n)
{
    struct timespec deadline;
    int rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += WAIT_LIMIT_S;
    pthread_mutex_lock(&k->lock);
    while (k->count < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&k->cond, &k->lock, &deadline);
    unsigned int got = k->count;
    pthread_mutex_unlock(&k->lock);
    if (got < n)
        fail_msg("measure callback called %u times in %d s, expected %u", got, WAIT_LIMIT_S, n);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fx_tree_init(&f->tree, "sampler");
    fx_config(&f->cfg);
    fx_tree_activate(&f->tree, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fx_tree_free(&f->tree);
    free(f);
    return 0;
}

static cct_tracker *start_ticking(const fixture *f, unsigned int interval_ms, ticks *k)
{
    cct_config c = f->cfg;
    cct_tracker *t = NULL;

    c.measure_interval_ms = interval_ms;
    c.measure_fn = on_measure;
    c.measure_payload = k;
    assert_cct_ok(cct_tracker_new(&t, &c));
    assert_cct_ok(cct_tracker_start(t));
    return t;
}

static void test_sampler__calls_the_measure_callback(void **state)
{
    fixture *f = *state;
    ticks k;
    cct_emissions e = CCT_EMISSIONS_INIT;

    ticks_init(&k);
    cct_tracker *t = start_ticking(f, 5, &k);
    wait_ticks(&k, 3);
    assert_cct_ok(cct_tracker_stop(t, &e));
    cct_tracker_free(t);

    pthread_mutex_lock(&k.lock);
    assert_string_equal(k.run_id, e.run_id);
    assert_false(k.went_backwards);
    assert_true(k.last_duration > 0 && k.last_duration <= e.duration_s);
    pthread_mutex_unlock(&k.lock);
    ticks_destroy(&k);
}

static void test_sampler__wakes_early_for_a_shorter_interval(void **state)
{
    fixture *f = *state;
    ticks slow, fast;

    ticks_init(&slow);
    ticks_init(&fast);
    /* The sampler's alarm is a minute away when the 5 ms tracker starts. The wait only lets
     * the sampler thread fall asleep on that alarm, so that a start() that forgot to wake it
     * is caught; a correct sampler passes whatever the timing. */
    cct_tracker *s = start_ticking(f, 60000, &slow);
    fx_wait_mono(fx_mono_ns(), 50000000);
    cct_tracker *t = start_ticking(f, 5, &fast);
    wait_ticks(&fast, 3);
    assert_int_equal(ticks_count(&slow), 0);
    assert_cct_ok(cct_tracker_stop(t, NULL));
    assert_cct_ok(cct_tracker_stop(s, NULL));
    cct_tracker_free(t);
    cct_tracker_free(s);
    ticks_destroy(&slow);
    ticks_destroy(&fast);
}

static void test_sampler__stopped_tracker_is_never_called_again(void **state)
{
    fixture *f = *state;
    ticks a, b;

    ticks_init(&a);
    ticks_init(&b);
    cct_tracker *ta = start_ticking(f, 5, &a);
    cct_tracker *tb = start_ticking(f, 5, &b);
    wait_ticks(&a, 2);
    assert_cct_ok(cct_tracker_stop(ta, NULL));
    /* Callbacks run with the tracker linked; stop() unlinks it, so this count is final. */
    unsigned int final_a = ticks_count(&a);
    cct_tracker_free(ta); /* a late callback would now be a use after free (ASan) */
    unsigned int b_now = ticks_count(&b);
    wait_ticks(&b, b_now + 3);
    assert_int_equal(ticks_count(&a), final_a);
    assert_cct_ok(cct_tracker_stop(tb, NULL));
    cct_tracker_free(tb);
    ticks_destroy(&a);
    ticks_destroy(&b);
}

static void test_sampler__many_trackers_each_called(void **state)
{
    fixture *f = *state;
    enum { N = 20 };
    ticks k[N];
    cct_tracker *t[N];

    for (int i = 0; i < N; i++) {
        ticks_init(&k[i]);
        t[i] = start_ticking(f, 3 + (unsigned int)i % 4, &k[i]);
    }
    for (int i = 0; i < N; i++)
        wait_ticks(&k[i], 2);
    for (int i = 0; i < N; i++) {
        assert_cct_ok(cct_tracker_stop(t[i], NULL));
        cct_tracker_free(t[i]);
        ticks_destroy(&k[i]);
    }
}

/* The sampler calls whatever callback a link registers, with its context: it does not need
 * (or know) a tracker. measurements counts this link's calls from 1. */
typedef struct raw_link {
    ticks k;
    unsigned long last_measurement;
    int out_of_order;
    uint64_t last_reading_ns;
} raw_link;

static void on_raw_link(void *ctx, const cct_reading *now, unsigned long measurements)
{
    raw_link *r = ctx;

    pthread_mutex_lock(&r->k.lock);
    if (measurements != r->last_measurement + 1)
        r->out_of_order = 1;
    r->last_measurement = measurements;
    r->last_reading_ns = now->mono_ns;
    r->k.count++;
    pthread_cond_broadcast(&r->k.cond);
    pthread_mutex_unlock(&r->k.lock);
}

static void test_sampler__calls_a_registered_link_without_a_tracker(void **state)
{
    raw_link r = {0};
    cct_sampler_link link = {0};
    (void)state;

    ticks_init(&r.k);
    assert_non_null(cct_hardware__get()); /* the readings the sampler takes */
    link.fn = on_raw_link;
    link.ctx = &r;
    link.interval_ns = 5000000ULL;
    link.next_due_ns = fx_mono_ns() + link.interval_ns;
    assert_int_equal(cct_sampler__add(&link), 0);
    wait_ticks(&r.k, 3);
    cct_sampler__remove(&link);
    pthread_mutex_lock(&r.k.lock);
    assert_false(r.out_of_order);
    assert_int_equal(r.last_measurement, r.k.count);
    assert_true(r.last_reading_ns > 0);
    pthread_mutex_unlock(&r.k.lock);
    ticks_destroy(&r.k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sampler__calls_the_measure_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sampler__wakes_early_for_a_shorter_interval, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sampler__stopped_tracker_is_never_called_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sampler__many_trackers_each_called, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sampler__calls_a_registered_link_without_a_tracker,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
