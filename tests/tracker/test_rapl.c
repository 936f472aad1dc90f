/*
 * Tests for tracker/src/rapl.c through the public lifecycle: fake powercap trees under
 * CCT_SYSFS_ROOT, energy_uj rewritten between start() and stop(). Each test waits until the
 * reading cache is stale (FX_FRESH_NS after start) so stop() reads the counters afresh; the
 * RAPL energy is then the counter delta itself, so kWh are exact (3.6e9 uJ = 0.001 kWh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tracker_fixtures.h"

#define KWH_TOL 1e-12
/* A realistic max_energy_range_uj (Intel client parts). */
#define MAX_RANGE 262143328850ULL

typedef struct change {
    const char *dir;
    unsigned long long uj;
} change;

typedef struct fixture {
    fx_tree tree;
    fx_log log;
    cct_config cfg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fx_tree_init(&f->tree, "rapl");
    fx_log_init(&f->log);
    fx_config(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fx_tree_free(&f->tree);
    fx_log_free(&f->log);
    free(f);
    return 0;
}

/* Detect from the tree, start, apply `changes`, wait until stop() must re-read, stop. */
static void run(fixture *f, const change *changes, size_t n, cct_emissions *out)
{
    cct_tracker *t = NULL;

    fx_tree_activate(&f->tree, NULL);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    uint64_t started = fx_mono_ns();
    for (size_t i = 0; i < n; i++)
        fx_set_energy(&f->tree, changes[i].dir, changes[i].uj);
    fx_wait_mono(started, FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, out));
    cct_tracker_free(t);
}

static void test_rapl__energy_delta_gives_exact_kwh(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 1000000, MAX_RANGE);
    /* core and uncore are parts of the package: their counters must not be added. */
    fx_write_rapl(&f->tree, "intel-rapl:0:0", "core", 5000, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:0:1", "uncore", 7000, MAX_RANGE);
    const change c[] = {{"intel-rapl:0", 1000000 + 3600000000ULL},
                        {"intel-rapl:0:0", 5000 + 2000000000ULL},
                        {"intel-rapl:0:1", 7000 + 1000000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
    assert_true(e.duration_s > 0);
    assert_within(e.cpu_power_w, 3600.0 / e.duration_s, 0, 1e-9);
    assert_int_equal(e.fallbacks, 0);
    assert_string_equal(cct_source_name(e.cpu_source), "rapl");
}

static void test_rapl__wrap_around_adds_max_energy_range(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    /* 1.8e9 uJ before the wrap and 1.8e9 after it. */
    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", MAX_RANGE - 1800000000ULL, MAX_RANGE);
    const change c[] = {{"intel-rapl:0", 1800000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
}

static void test_rapl__two_packages_summed(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 100, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:1", "package-1", 200, MAX_RANGE);
    const change c[] = {{"intel-rapl:0", 100 + 1800000000ULL},
                        {"intel-rapl:1", 200 + 3600000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_near(e.cpu_energy_kwh, 0.0015, KWH_TOL);
}

static void test_rapl__zones_with_the_same_name_counted_once(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    /* The kernel names a package zone after its physical package: two non-mmio zones named
     * "package-0" read the same socket counter (multi-die AMD), so only the first counts.
     * Different deltas, so a sum or the wrong zone gives another figure. */
    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:1", "package-0", 0, MAX_RANGE);
    const change c[] = {{"intel-rapl:0", 3600000000ULL}, {"intel-rapl:1", 7200000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
}

/* A counter that went down while its max_energy_range_uj is unreadable, or no larger than
 * the last value, cannot be unwrapped: the interval counts 0 for that domain, the other
 * domains still count, and one warning names the file, however many drops follow. */
static void test_rapl__drop_without_a_range_is_left_out_and_logged_once(void **state)
{
    fixture *f = *state;
    char path[1024];
    cct_emissions e = CCT_EMISSIONS_INIT;
    cct_tracker *t = NULL;

    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 5000000000ULL, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:1", "package-1", 0, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:2", "package-2", 2000000000ULL, 1000);
    snprintf(path, sizeof(path), "%s/class/powercap/intel-rapl:0/max_energy_range_uj", f->tree.sys);
    assert_int_equal(unlink(path), 0);
    f->cfg.log_fn = fx_log_fn;
    f->cfg.log_payload = &f->log;
    f->cfg.log_level = CCT_LOG_WARNING;

    /* package-0 and package-2 drop; package-1 adds 3.6e9 uJ (0.001 kWh). Unsigned arithmetic
     * without the guard gives ~5e6 kWh. */
    const change c[] = {
        {"intel-rapl:0", 1000000000ULL}, {"intel-rapl:1", 3600000000ULL}, {"intel-rapl:2", 100}};
    run(f, c, FX_N_ELEMS(c), &e);
    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);

    /* Same process, another drop: still left out, not logged again. Start on a fresh
     * reading so the run is exactly the counters' deltas. */
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    uint64_t started = fx_mono_ns();
    fx_set_energy(&f->tree, "intel-rapl:0", 500000000ULL);
    fx_set_energy(&f->tree, "intel-rapl:1", 3600000000ULL + 1800000000ULL);
    fx_wait_mono(started, FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, &e));
    cct_tracker_free(t);
    assert_near(e.cpu_energy_kwh, 0.0005, KWH_TOL);

    snprintf(path, sizeof(path), "%s/class/powercap/intel-rapl:0/energy_uj", f->tree.sys);
    if (fx_log_count(&f->log, "went down") != 1 || fx_log_count(&f->log, path) != 1)
        fail_msg("expected one log line naming %s, got:\n%s", path,
                 f->log.text ? f->log.text : "(nothing)");
}

static void test_rapl__mmio_duplicate_not_counted_twice(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl-mmio:0", "package-0", 0, MAX_RANGE);
    /* Different deltas, so counting the mirror (alone or as well) gives another figure. */
    const change c[] = {{"intel-rapl:0", 3600000000ULL}, {"intel-rapl-mmio:0", 7200000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
}

static void test_rapl__mmio_package_alone_is_counted(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl-mmio:0", "package-0", 0, MAX_RANGE);
    const change c[] = {{"intel-rapl-mmio:0", 3600000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
}

static void test_rapl__psys_not_added_to_packages(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:1", "psys", 0, MAX_RANGE);
    const change c[] = {{"intel-rapl:0", 3600000000ULL}, {"intel-rapl:1", 36000000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
}

static void test_rapl__psys_alone_measures_the_cpu(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl:1", "psys", 0, MAX_RANGE);
    const change c[] = {{"intel-rapl:1", 3600000000ULL}};
    run(f, c, FX_N_ELEMS(c), &e);

    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
}

static void test_rapl__dram_only_with_rapl_include_dram(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;
    const change c[] = {{"intel-rapl:0", 3600000000ULL}, {"intel-rapl:0:2", 1800000000ULL}};

    /* Without the option: dram is neither CPU nor RAM energy; RAM is the meminfo model
     * (16 GiB: 2 modules x 5 W). */
    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:0:2", "dram", 0, MAX_RANGE);
    run(f, c, FX_N_ELEMS(c), &e);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
    assert_int_equal(e.ram_source, CCT_SOURCE_CONSTANT);
    assert_within(e.ram_power_w, 10, 0, 1e-9);
    assert_within(e.ram_total_gb, 16.0, 0, 1e-12);

    /* With it: RAM energy is the dram counter delta. */
    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:0:2", "dram", 0, MAX_RANGE);
    f->cfg.rapl_include_dram = 1;
    run(f, c, FX_N_ELEMS(c), &e);
    assert_near(e.cpu_energy_kwh, 0.001, KWH_TOL);
    assert_int_equal(e.ram_source, CCT_SOURCE_RAPL);
    assert_near(e.ram_energy_kwh, 0.0005, KWH_TOL);
    assert_within(e.energy_kwh, 0.0015, 0, 1e-12);
}

static void test_rapl__unreadable_energy_uj_falls_back_and_logs_once(void **state)
{
    fixture *f = *state;
    char path[1024], rel[300];
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, MAX_RANGE);
    /* chmod 000 does not stop root: make energy_uj a directory, which read() refuses. */
    snprintf(rel, sizeof(rel), "class/powercap/intel-rapl:0/energy_uj");
    snprintf(path, sizeof(path), "%s/%s", f->tree.sys, rel);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0755), 0);
    f->cfg.log_fn = fx_log_fn;
    f->cfg.log_payload = &f->log;
    f->cfg.log_level = CCT_LOG_WARNING;

    fx_tree_activate(&f->tree, NULL);
    /* Two trackers, one process (one detection): the reason is logged once. */
    for (int i = 0; i < 2; i++) {
        fx_lifecycle(&f->cfg, &e);
        assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
        assert_true(e.fallbacks & CCT_FALLBACK_RAPL);
        assert_false(e.fallbacks & CCT_FALLBACK_CPU_TDP);
        assert_true(e.cpu_energy_kwh > 0);
    }
    if (fx_log_count(&f->log, path) != 1)
        fail_msg("expected one log line naming %s, got:\n%s", path,
                 f->log.text ? f->log.text : "(nothing)");
}

static void test_rapl__dangling_energy_uj_falls_back(void **state)
{
    fixture *f = *state;
    char path[1024];
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, MAX_RANGE);
    fx_write_rapl(&f->tree, "intel-rapl:1", "package-1", 0, MAX_RANGE);
    snprintf(path, sizeof(path), "%s/class/powercap/intel-rapl:1/energy_uj", f->tree.sys);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink("/nonexistent/energy_uj", path), 0);
    f->cfg.log_fn = fx_log_fn;
    f->cfg.log_payload = &f->log;
    f->cfg.log_level = CCT_LOG_WARNING;

    /* One readable package and one unreadable: a partial sum would be wrong, so no RAPL. */
    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&f->cfg, &e);
    assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_true(e.fallbacks & CCT_FALLBACK_RAPL);
    if (fx_log_count(&f->log, path) != 1)
        fail_msg("expected one log line naming %s, got:\n%s", path,
                 f->log.text ? f->log.text : "(nothing)");
}

static void test_rapl__no_powercap_means_cpu_load_without_fallback_flag(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    /* No RAPL at all (this machine's case) is not a fallback from RAPL. */
    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&f->cfg, &e);
    assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_false(e.fallbacks & CCT_FALLBACK_RAPL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rapl__energy_delta_gives_exact_kwh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__wrap_around_adds_max_energy_range, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rapl__two_packages_summed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__zones_with_the_same_name_counted_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rapl__drop_without_a_range_is_left_out_and_logged_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__mmio_duplicate_not_counted_twice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rapl__mmio_package_alone_is_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__psys_not_added_to_packages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__psys_alone_measures_the_cpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__dram_only_with_rapl_include_dram, setup,
                                        teardown),
        /* Not first on purpose: detection notes must be logged again after a cache reset. */
        cmocka_unit_test_setup_teardown(test_rapl__unreadable_energy_uj_falls_back_and_logs_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__dangling_energy_uj_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rapl__no_powercap_means_cpu_load_without_fallback_flag,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
