/*
 * Tests for tracker/src/nvml.c with the fake libnvidia-ml of fake_nvml.c (this folder), loaded
 * through CCT_NVML_LIBRARY (ctest passes its path in FAKE_NVML_LIBRARY). The fake answers from a
 * state file the test rewrites between start() and stop().
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "tracker_fixtures.h"

#define KWH_TOL 1e-12

typedef struct fixture {
    fx_tree tree;
    cct_config cfg;
    const char *library;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    fx_tree_init(&f->tree, "nvml");
    f->library = fx_fake_nvml_begin(&f->tree);
    fx_config(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fx_fake_nvml_end();
    fx_tree_free(&f->tree);
    free(f);
    return 0;
}

#define write_state(f, ...) fx_write_file((f)->tree.dir, "nvml-state", __VA_ARGS__)

/* Detect with the fake, then a run whose start() and stop() both read NVML afresh; the state
 * file is rewritten to `after` in between. */
static void measured_run(fixture *f, const char *after, cct_emissions *out)
{
    cct_tracker *t = NULL;

    fx_tree_activate(&f->tree, f->library);
    fx_lifecycle(&f->cfg, NULL);
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    uint64_t started = fx_mono_ns();
    if (after)
        write_state(f, "%s", after);
    fx_wait_mono(started, FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, out));
    cct_tracker_free(t);
}

static void test_nvml__energy_counter_gives_exact_gpu_kwh(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    write_state(f, "count 2\nname NVIDIA Fake A100\nenergy0 1000\nenergy1 5000\n"
                   "power0 999000\npower1 999000\n");
    /* 3.6e6 mJ + 1.8e6 mJ = 5400 J = 0.0015 kWh; the power figures must be ignored. */
    measured_run(f,
                 "count 2\nname NVIDIA Fake A100\nenergy0 3601000\nenergy1 1805000\n"
                 "power0 999000\npower1 999000\n",
                 &e);
    assert_int_equal(e.gpu_count, 2);
    assert_string_equal(e.gpu_model, "2 x NVIDIA Fake A100");
    assert_int_equal(e.gpu_source, CCT_SOURCE_NVML);
    assert_near(e.gpu_energy_kwh, 0.0015, KWH_TOL);
    assert_within(e.gpu_power_w, 5400.0 / e.duration_s, 0, 1e-9);
    assert_string_equal(cct_source_name(e.gpu_source), "nvml");
}

static void test_nvml__power_times_time_without_energy_counter(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    write_state(f, "count 1\nenergy_ok 0\npower0 250000\n");
    measured_run(f, NULL, &e);
    assert_int_equal(e.gpu_count, 1);
    assert_int_equal(e.gpu_source, CCT_SOURCE_NVML);
    assert_within(e.gpu_power_w, 250.0, 0, 1e-9);
    assert_within(e.gpu_energy_kwh, 250.0 * e.duration_s / 3.6e6, 0, 1e-9);
}

static void test_nvml__counter_reset_counts_the_energy_since_the_reset(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    /* The counter restarts from 0 at a driver reset: its new value, 3.6e6 mJ, is the energy
     * since then. Not 0 (energy lost), not negative (new - old), not new + old. */
    write_state(f, "count 1\nenergy0 900000000\n");
    measured_run(f, "count 1\nenergy0 3600000\n", &e);
    assert_int_equal(e.gpu_count, 1);
    assert_near(e.gpu_energy_kwh, 0.001, KWH_TOL);
}

static void test_nvml__model_counts_devices_per_name(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    /* One device: "1 x name", as CodeCarbon writes it. */
    write_state(f, "count 1\nname NVIDIA Fake H100\nenergy0 5\n");
    fx_tree_activate(&f->tree, f->library);
    fx_lifecycle(&f->cfg, &e);
    assert_string_equal(e.gpu_model, "1 x NVIDIA Fake H100");

    /* Mixed: counts per distinct name in device order, whatever order the devices come in. */
    write_state(f, "count 4\nname NVIDIA Fake A100\nname1 NVIDIA Fake T4\nname3 NVIDIA Fake T4\n");
    fx_tree_activate(&f->tree, f->library);
    fx_lifecycle(&f->cfg, &e);
    assert_int_equal(e.gpu_count, 4);
    assert_string_equal(e.gpu_model, "2 x NVIDIA Fake A100, 2 x NVIDIA Fake T4");
}

static void test_nvml__absent_library_means_no_gpu_and_no_error(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_tree_activate(&f->tree, NULL); /* a path that does not exist */
    fx_lifecycle(&f->cfg, &e);
    assert_int_equal(e.gpu_count, 0);
    assert_int_equal(e.gpu_source, CCT_SOURCE_NONE);
    assert_string_equal(e.gpu_model, "");
    assert_true(e.gpu_energy_kwh == 0 && e.gpu_power_w == 0);
}

static void test_nvml__no_device_or_failed_init_means_no_gpu(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    write_state(f, "count 0\n");
    fx_tree_activate(&f->tree, f->library);
    fx_lifecycle(&f->cfg, &e);
    assert_int_equal(e.gpu_count, 0);
    assert_int_equal(e.gpu_source, CCT_SOURCE_NONE);

    write_state(f, "count 1\ninit_ok 0\nenergy0 5\n");
    fx_tree_activate(&f->tree, f->library);
    fx_lifecycle(&f->cfg, &e);
    assert_int_equal(e.gpu_count, 0);
    assert_int_equal(e.gpu_source, CCT_SOURCE_NONE);

    /* The same fake with a device: the control that proves the library itself loads. */
    write_state(f, "count 1\nenergy0 5\n");
    fx_tree_activate(&f->tree, f->library);
    fx_lifecycle(&f->cfg, &e);
    assert_int_equal(e.gpu_count, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nvml__energy_counter_gives_exact_gpu_kwh, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nvml__power_times_time_without_energy_counter, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nvml__counter_reset_counts_the_energy_since_the_reset,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nvml__model_counts_devices_per_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nvml__absent_library_means_no_gpu_and_no_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nvml__no_device_or_failed_init_means_no_gpu, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
