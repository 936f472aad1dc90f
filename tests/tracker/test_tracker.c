/*
 * Tests for the lifecycle of tracker/src/tracker.c: every misuse is an error code with a
 * message (never a crash), config validation names the field, cct_strerror covers every
 * code, and 8 threads x 1000 lifecycles run at once (this suite also runs under TSan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "internal.h"
#include "tracker_fixtures.h"

typedef struct fixture {
    fx_tree tree;
    cct_config cfg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fx_tree_init(&f->tree, "tracker");
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

static void test_tracker__full_lifecycle(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    cct_emissions flushed = CCT_EMISSIONS_INIT, e = CCT_EMISSIONS_INIT;

    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_non_null(t);
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_ok(cct_tracker_flush(t, &flushed));
    assert_cct_ok(cct_tracker_flush(t, NULL));
    assert_cct_ok(cct_tracker_stop(t, &e));
    assert_string_equal(flushed.run_id, e.run_id);
    assert_true(e.duration_s >= flushed.duration_s);
    assert_true(e.energy_kwh >= 0 && e.emissions_kg >= 0);
    assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_int_equal(e.ram_source, CCT_SOURCE_CONSTANT);
    assert_int_equal(e.gpu_source, CCT_SOURCE_NONE);
    cct_tracker_free(t);
}

static void test_tracker__stop_before_start(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    cct_emissions e = CCT_EMISSIONS_INIT;

    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_error(cct_tracker_stop(t, &e), CCT_ESTATE, "never started");
    /* Still usable afterwards. */
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_ok(cct_tracker_stop(t, &e));
    cct_tracker_free(t);
}

static void test_tracker__double_start(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;

    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_error(cct_tracker_start(t), CCT_ESTATE, "already started");
    assert_cct_ok(cct_tracker_stop(t, NULL));
    cct_tracker_free(t);
}

static void test_tracker__start_after_stop(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;

    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_ok(cct_tracker_stop(t, NULL));
    assert_cct_error(cct_tracker_start(t), CCT_ESTATE, "stopped");
    assert_cct_error(cct_tracker_stop(t, NULL), CCT_ESTATE, "already stopped");
    cct_tracker_free(t);
}

static void test_tracker__flush_when_not_running(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    cct_emissions e = CCT_EMISSIONS_INIT;

    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_error(cct_tracker_flush(t, &e), CCT_ESTATE, "not running");
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_ok(cct_tracker_stop(t, NULL));
    assert_cct_error(cct_tracker_flush(t, &e), CCT_ESTATE, "not running");
    cct_tracker_free(t);
}

static void test_tracker__null_arguments(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    cct_emissions e = CCT_EMISSIONS_INIT;

    assert_cct_error(cct_tracker_new(NULL, &f->cfg), CCT_EINVALID, "out");
    assert_cct_error(cct_tracker_start(NULL), CCT_EINVALID, "NULL");
    assert_cct_error(cct_tracker_flush(NULL, &e), CCT_EINVALID, "NULL");
    assert_cct_error(cct_tracker_stop(NULL, &e), CCT_EINVALID, "NULL");
    assert_cct_error(cct_tracker_stop(NULL, NULL), CCT_EINVALID, "NULL");
    assert_cct_error(cct_config_init(NULL, CCT_CONFIG_VERSION), CCT_EINVALID, "cfg");
    cct_tracker_free(NULL);
    /* A NULL config means the defaults (new does no I/O, so "." is not touched). */
    assert_cct_ok(cct_tracker_new(&t, NULL));
    assert_non_null(t);
    cct_tracker_free(t);
}

static void test_tracker__free_running_tracker(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL, *u = NULL;

    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    cct_tracker_free(t); /* stops it without output */
    /* The sampler's list is intact: another tracker runs normally. */
    assert_cct_ok(cct_tracker_new(&u, &f->cfg));
    assert_cct_ok(cct_tracker_start(u));
    assert_cct_ok(cct_tracker_stop(u, NULL));
    cct_tracker_free(u);
}

/* cct_tracker_new must refuse `cfg`, name `field`, and leave *out NULL. */
static void expect_invalid(const cct_config *cfg, const char *field)
{
    cct_tracker *t = (cct_tracker *)1; /* must be overwritten */
    int rc = cct_tracker_new(&t, cfg);
    if (rc != CCT_EINVALID)
        fail_msg("field %s: cct_tracker_new returned %d, expected CCT_EINVALID", field, rc);
    if (!strstr(cct_last_error_message(), field))
        fail_msg("field %s: message \"%s\" does not name it", field, cct_last_error_message());
    assert_null(t);
}

static void test_tracker__invalid_config_names_the_field(void **state)
{
    fixture *f = *state;
    cct_config c;

    c = f->cfg, c.pue = 0.99;
    expect_invalid(&c, "pue");
    c = f->cfg, c.pue = NAN;
    expect_invalid(&c, "pue");
    c = f->cfg, c.version = CCT_CONFIG_VERSION + 1;
    expect_invalid(&c, "version");
    c = f->cfg, c.version = 0;
    expect_invalid(&c, "version");
    c = f->cfg, c.version = 1; /* its zeros meant other things: refused, not misread */
    expect_invalid(&c, "version");
    c = f->cfg, c.force_cpu_power_w = -1;
    expect_invalid(&c, "force_cpu_power_w");
    c = f->cfg, c.force_ram_power_w = INFINITY;
    expect_invalid(&c, "force_ram_power_w");
    c = f->cfg, c.tracking_mode = (cct_tracking_mode)7;
    expect_invalid(&c, "tracking_mode");
    c = f->cfg, c.log_level = (cct_log_level)9;
    expect_invalid(&c, "log_level");
    c = f->cfg, c.no_save_to_file = 0, c.output_dir = "";
    expect_invalid(&c, "output_dir");
    c = f->cfg, c.no_save_to_file = 0, c.output_file = "sub/emissions.csv";
    expect_invalid(&c, "output_file");
    c = f->cfg, c.save_to_api = 1, c.api_endpoint = NULL;
    expect_invalid(&c, "api_endpoint");

    /* cct_config_init checks the version too. */
    assert_cct_error(cct_config_init(&c, CCT_CONFIG_VERSION + 1), CCT_EINVALID, "version");
    assert_cct_error(cct_config_init(&c, 1), CCT_EINVALID, "version");
    /* The boundary values are valid. */
    c = f->cfg, c.pue = 1.0, c.measure_interval_ms = 1;
    cct_tracker *t = NULL;
    assert_cct_ok(cct_tracker_new(&t, &c));
    cct_tracker_free(t);
}

/* CCT_CONFIG_INIT sets only the version: every zero field runs as its documented default. */
static void test_tracker__zero_config_fields_mean_their_defaults(void **state)
{
    cct_config zero = CCT_CONFIG_INIT, by_init;
    cct_tracker *t = NULL;
    (void)state;

    assert_int_equal(zero.version, CCT_CONFIG_VERSION);
    assert_cct_ok(cct_config_init(&by_init, CCT_CONFIG_VERSION));
    assert_memory_equal(&zero, &by_init, sizeof(zero));
    assert_cct_ok(cct_tracker_new(&t, &zero));
    const cct_config *c = cct_tracker__config(t);
    assert_string_equal(c->project_name, CCT_DEFAULT_PROJECT_NAME);
    assert_string_equal(c->project_name, "cctracker");
    assert_int_equal(c->measure_interval_ms, 15000);
    assert_int_equal(c->api_call_interval, 8);
    assert_string_equal(c->output_dir, ".");
    assert_string_equal(c->output_file, "emissions.csv");
    assert_false(c->no_save_to_file); /* CodeCarbon's save_to_file=True */
    assert_false(c->save_to_api);
    assert_int_equal(c->api_timeout_ms, 5000);
    assert_false(c->offline);
    assert_null(c->country_iso_code);
    assert_null(c->geo_endpoint); /* CCT_DEFAULT_GEO_ENDPOINT at lookup time */
    assert_int_equal(c->tracking_mode, CCT_TRACKING_MACHINE);
    assert_true(c->pue == 1.0);
    assert_int_equal(c->log_level, CCT_LOG_WARNING);
    cct_tracker_free(t);
    /* NULL is the same as the zero config. */
    assert_cct_ok(cct_tracker_new(&t, NULL));
    assert_int_equal(cct_tracker__config(t)->measure_interval_ms, 15000);
    assert_int_equal(cct_tracker__config(t)->log_level, CCT_LOG_WARNING);
    cct_tracker_free(t);
}

/* A caller that sets a field keeps exactly what it set. */
static void test_tracker__set_config_fields_are_kept(void **state)
{
    fixture *f = *state;
    cct_config set = CCT_CONFIG_INIT;
    cct_tracker *t = NULL;

    set.project_name = "p";
    set.measure_interval_ms = 7;
    set.api_call_interval = 3;
    set.output_dir = f->tree.out;
    set.output_file = "x.csv";
    set.no_save_to_file = 1;
    set.api_timeout_ms = 1;
    set.offline = 1;
    set.pue = 1.5;
    set.log_level = CCT_LOG_DEBUG;
    set.tracking_mode = CCT_TRACKING_PROCESS;
    assert_cct_ok(cct_tracker_new(&t, &set));
    const cct_config *c = cct_tracker__config(t);
    assert_string_equal(c->project_name, "p");
    assert_int_equal(c->measure_interval_ms, 7);
    assert_int_equal(c->api_call_interval, 3);
    assert_string_equal(c->output_dir, f->tree.out);
    assert_string_equal(c->output_file, "x.csv");
    assert_true(c->no_save_to_file);
    assert_int_equal(c->api_timeout_ms, 1);
    assert_true(c->pue == 1.5);
    assert_int_equal(c->log_level, CCT_LOG_DEBUG);
    assert_int_equal(c->tracking_mode, CCT_TRACKING_PROCESS);
    cct_tracker_free(t);
}

/* The emissions growth policy: the caller states its version; one the library does not write
 * is refused before anything happens, naming the field. */
static void test_tracker__emissions_version_is_checked(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    cct_emissions e = CCT_EMISSIONS_INIT, bad = CCT_EMISSIONS_INIT;

    assert_int_equal(e.version, CCT_EMISSIONS_VERSION);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    unsigned int refused[] = {0, CCT_EMISSIONS_VERSION + 1};
    for (size_t i = 0; i < FX_N_ELEMS(refused); i++) {
        memset(&bad, 0xa5, sizeof(bad));
        bad.version = refused[i];
        assert_cct_error(cct_tracker_flush(t, &bad), CCT_EINVALID, "out->version");
        assert_cct_error(cct_tracker_stop(t, &bad), CCT_EINVALID, "out->version");
        assert_int_equal(bad.version, refused[i]); /* untouched */
        assert_int_equal(bad.run_id[0], (char)0xa5);
    }
    /* The refused stop() left it running. */
    assert_cct_ok(cct_tracker_flush(t, &e));
    assert_cct_ok(cct_tracker_stop(t, &e));
    assert_int_equal(e.version, CCT_EMISSIONS_VERSION);
    assert_int_equal(strlen(e.run_id), 36);
    assert_string_equal(e.country_iso_code, "FRA");
    cct_tracker_free(t);
}

static void test_tracker__unwritable_output_dir_fails_at_start(void **state)
{
    fixture *f = *state;
    char missing[700], under_file[700];
    cct_tracker *t = NULL;
    cct_config c = f->cfg;

    /* Root may write anywhere it can reach, so use paths that cannot be directories. */
    snprintf(missing, sizeof(missing), "%s/does-not-exist", f->tree.dir);
    fx_write_file(f->tree.dir, "plain-file", "x\n");
    snprintf(under_file, sizeof(under_file), "%s/plain-file/sub", f->tree.dir);
    const char *dirs[] = {missing, under_file};
    for (size_t i = 0; i < FX_N_ELEMS(dirs); i++) {
        c.no_save_to_file = 0;
        c.output_dir = dirs[i];
        assert_cct_ok(cct_tracker_new(&t, &c)); /* new() does no I/O: start() finds out */
        assert_cct_error(cct_tracker_start(t), CCT_EINVALID, "output_dir");
        assert_non_null(strstr(cct_last_error_message(), dirs[i]));
        /* The failed start left it unstarted. */
        assert_cct_error(cct_tracker_stop(t, NULL), CCT_ESTATE, "never started");
        cct_tracker_free(t);
    }
    /* No file appeared anywhere. */
    struct stat st;
    assert_int_equal(stat(missing, &st), -1);
}

static void test_tracker__strerror_has_a_message_for_every_code(void **state)
{
    static const int codes[] = {CCT_OK,  CCT_EINVALID,  CCT_ENOMEM,      CCT_ESTATE,
                                CCT_EIO, CCT_ENOSOURCE, CCT_EUNAVAILABLE};
    const char *unknown = cct_strerror(-1000);
    (void)state;

    assert_non_null(unknown);
    for (size_t i = 0; i < FX_N_ELEMS(codes); i++) {
        const char *m = cct_strerror(codes[i]);
        assert_non_null(m);
        assert_true(strlen(m) > 0);
        assert_string_not_equal(m, unknown);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(m, cct_strerror(codes[j]));
    }
    assert_non_null(cct_strerror(1));
    /* Every source has a name too. */
    static const char *const names[] = {"none", "rapl", "cpu_load", "constant", "nvml"};
    for (int s = CCT_SOURCE_NONE; s <= CCT_SOURCE_NVML; s++)
        assert_string_equal(cct_source_name((cct_source)s), names[s]);
    assert_string_equal(cct_version(), CCT_VERSION);
}

static void *error_in_other_thread(void *arg)
{
    (void)arg;
    cct_tracker_start(NULL); /* sets this thread's message only */
    return NULL;
}

static void test_tracker__error_message_is_per_thread(void **state)
{
    fixture *f = *state;
    pthread_t th;
    cct_config c = f->cfg;
    cct_tracker *t = NULL;

    c.pue = 0.5;
    assert_int_equal(cct_tracker_new(&t, &c), CCT_EINVALID);
    assert_int_equal(pthread_create(&th, NULL, error_in_other_thread, NULL), 0);
    pthread_join(th, NULL);
    assert_non_null(strstr(cct_last_error_message(), "pue"));
}

/* ---- 8 threads x 1000 lifecycles ---- */

#define THREADS 8
#define LIFECYCLES 1000

typedef struct worker {
    const cct_config *cfg;
    int bad;
    char error[512];
    char (*run_ids)[37];
} worker;

static void *lifecycles(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < LIFECYCLES && !w->bad; i++) {
        cct_tracker *t = NULL;
        cct_emissions e = CCT_EMISSIONS_INIT;
        int rc = cct_tracker_new(&t, w->cfg);
        if (rc == 0)
            rc = cct_tracker_start(t);
        if (rc == 0 && i % 10 == 0)
            rc = cct_tracker_flush(t, NULL);
        if (rc == 0)
            rc = cct_tracker_stop(t, &e);
        cct_tracker_free(t);
        if (rc != 0) {
            snprintf(w->error, sizeof(w->error), "lifecycle %d: %s: %s", i, cct_strerror(rc),
                     cct_last_error_message());
            w->bad = 1;
        } else if (!(e.duration_s >= 0 && e.energy_kwh >= 0 && e.emissions_kg >= 0 &&
                     e.cpu_energy_kwh >= 0 && strcmp(e.country_iso_code, "FRA") == 0)) {
            snprintf(w->error, sizeof(w->error),
                     "lifecycle %d: implausible result (duration %g, energy %g)", i, e.duration_s,
                     e.energy_kwh);
            w->bad = 1;
        } else {
            memcpy(w->run_ids[i], e.run_id, sizeof(e.run_id));
        }
    }
    return NULL;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_tracker__eight_threads_thousand_lifecycles(void **state)
{
    fixture *f = *state;
    pthread_t th[THREADS];
    worker w[THREADS];
    char(*ids)[37] = calloc(THREADS * LIFECYCLES, sizeof(*ids));
    cct_config c = f->cfg;

    /* A short interval so the sampler thread ticks among the lifecycles. */
    c.measure_interval_ms = 1;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.cfg = &c, .run_ids = ids + i * LIFECYCLES};
        assert_int_equal(pthread_create(&th[i], NULL, lifecycles, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (w[i].bad)
            fail_msg("thread %d: %s", i, w[i].error);
    qsort(ids, THREADS * LIFECYCLES, sizeof(*ids), compare_ids);
    for (int i = 1; i < THREADS * LIFECYCLES; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("run_id %s given twice", ids[i]);
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tracker__full_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__stop_before_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__double_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__start_after_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__flush_when_not_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__null_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__free_running_tracker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__invalid_config_names_the_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tracker__zero_config_fields_mean_their_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tracker__set_config_fields_are_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__emissions_version_is_checked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tracker__unwritable_output_dir_fails_at_start, setup,
                                        teardown),
        cmocka_unit_test(test_tracker__strerror_has_a_message_for_every_code),
        cmocka_unit_test_setup_teardown(test_tracker__error_message_is_per_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker__eight_threads_thousand_lifecycles, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
