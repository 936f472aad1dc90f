/*
 * Tests for tracker/src/cpuload.c and the CPU load x TDP model of reading.c: a fake /proc
 * (stat, self/stat, cpuinfo) under CCT_PROCFS_ROOT and no RAPL.
 *
 * The model needs a 10 ms window of /proc/stat, so a measured run goes: detect (warm-up
 * lifecycle), rewrite /proc/stat, wait until a window has passed, start (a fresh reading
 * closes window 1), rewrite again, wait, stop (a fresh reading closes window 2). The run's
 * power is then exactly window 2's model power. Window 1 and the since-boot figure use other
 * loads, so a model that used the wrong window gives another number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tracker_fixtures.h"

typedef struct stat_line {
    unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
} stat_line;

typedef struct fixture {
    fx_tree tree;
    cct_config cfg;
    stat_line stat;
    unsigned long long utime, stime;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fx_tree_init(&f->tree, "cpuload");
    fx_config(&f->cfg);
    /* Since boot: 50% load (the tree's default /proc/stat), 15 jiffies of this process. */
    f->stat = (stat_line){500, 0, 0, 500, 0, 0, 0, 0};
    f->utime = 10;
    f->stime = 5;
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

static void add_stat(fixture *f, stat_line d)
{
    stat_line *s = &f->stat;
    s->user += d.user;
    s->nice += d.nice;
    s->system += d.system;
    s->idle += d.idle;
    s->iowait += d.iowait;
    s->irq += d.irq;
    s->softirq += d.softirq;
    s->steal += d.steal;
    fx_write_stat(&f->tree, s->user, s->nice, s->system, s->idle, s->iowait, s->irq, s->softirq,
                  s->steal);
}

static void add_self(fixture *f, unsigned long long utime, unsigned long long stime)
{
    f->utime += utime;
    f->stime += stime;
    fx_write_self_stat(&f->tree, f->utime, f->stime);
}

/* Window 1 (before the run): 20% load, process share 30/400. */
static const stat_line window1 = {.user = 80, .idle = 320};
/* Window 2 (the run): busy 40+5+10+3+2 = 60 of total 60+25+10+5 = 100, i.e. 60% load; iowait
 * counts as idle and steal in the total, and the guest column (inside user) is not added. */
static const stat_line window2 = {.user = 40,
                                  .nice = 5,
                                  .system = 10,
                                  .idle = 25,
                                  .iowait = 10,
                                  .irq = 3,
                                  .softirq = 2,
                                  .steal = 5};

static void measured_run(fixture *f, unsigned long long self_w2, cct_emissions *out)
{
    cct_tracker *t = NULL;

    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&f->cfg, NULL); /* detection; same mode, so process share is wanted */
    uint64_t warm = fx_mono_ns();
    add_stat(f, window1);
    add_self(f, 20, 10);
    fx_wait_mono(warm, FX_FRESH_NS);

    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    uint64_t started = fx_mono_ns();
    add_stat(f, window2);
    add_self(f, self_w2 - self_w2 / 4, self_w2 / 4);
    fx_wait_mono(started, FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, out));
    cct_tracker_free(t);
}

static void test_cpuload__stat_parser_fields(void **state)
{
    fixture *f = *state;
    cct_cpu_times times;

    /* Powers of two: any field counted in the wrong place changes the sums. */
    fx_write_stat(&f->tree, 1, 2, 4, 8, 16, 32, 64, 128);
    assert_int_equal(cct_cpuload__read_machine(f->tree.proc, &times), 0);
    assert_int_equal(times.busy, 1 + 2 + 4 + 32 + 64);
    assert_int_equal(times.total, 1 + 2 + 4 + 8 + 16 + 32 + 64 + 128);
    assert_int_equal(times.steal, 128);

    /* Old kernels: only user nice system idle. */
    fx_write_file(f->tree.proc, "stat", "cpu  10 20 30 40\ncpu0 10 20 30 40\n");
    assert_int_equal(cct_cpuload__read_machine(f->tree.proc, &times), 0);
    assert_int_equal(times.busy, 60);
    assert_int_equal(times.total, 100);

    fx_write_file(f->tree.proc, "stat", "intr 1 2 3\n");
    assert_int_equal(cct_cpuload__read_machine(f->tree.proc, &times), -1);
    fx_write_file(f->tree.proc, "stat", "cpu  10 20\n");
    assert_int_equal(cct_cpuload__read_machine(f->tree.proc, &times), -1);
}

static void test_cpuload__stat_counts_online_cpus(void **state)
{
    static const char text[] = "cpu  10 20 30 40\ncpu0 1 2 3 4\ncpu1 1 2 3 4\ncpu7 1 2 3 4\n"
                               "intr 5 6 7\nctxt 9\n";
    fixture *f = *state;
    cct_cpu_times times;
    char buf[256];
    unsigned int online = 99;

    fx_write_file(f->tree.proc, "stat", "%s", text);
    assert_int_equal(
        cct_cpuload__read_machine_online(f->tree.proc, buf, sizeof(buf), &times, &online), 0);
    assert_int_equal(online, 3); /* lines, not the highest number: CPUs can be offline */
    assert_int_equal(times.busy, 60);

    /* The buffer ends inside the per-CPU lines: the count is unknown, the baseline is not. */
    online = 99;
    assert_int_equal(cct_cpuload__read_machine_online(f->tree.proc, buf, 40, &times, &online), 0);
    assert_int_equal(online, 0);
    assert_int_equal(times.total, 100);

    /* Cut inside the prefix of the next per-CPU line ("\nc", "\ncp", "\ncpu"): unknown,
     * never the CPUs seen so far. "cpu  10 20 30 40\n" is 17 bytes, each cpuN line 13. */
    for (size_t cap = 17 + 13 + 2; cap <= 17 + 13 + 4; cap++) {
        online = 99;
        assert_int_equal(
            cct_cpuload__read_machine_online(f->tree.proc, buf, cap + 1, &times, &online), 0);
        if (online != 0)
            fail_msg("a buffer of %zu bytes counted %u CPUs", cap, online);
    }

    /* A file that ends right after the per-CPU lines proves nothing either. */
    fx_write_file(f->tree.proc, "stat", "cpu  10 20 30 40\ncpu0 1 2 3 4\n");
    assert_int_equal(
        cct_cpuload__read_machine_online(f->tree.proc, buf, sizeof(buf), &times, &online), 0);
    assert_int_equal(online, 0);

    fx_write_file(f->tree.proc, "stat", "intr 1 2 3\n");
    assert_int_equal(
        cct_cpuload__read_machine_online(f->tree.proc, buf, sizeof(buf), &times, &online), -1);
}

static void test_cpuload__self_stat_parser(void **state)
{
    fixture *f = *state;
    uint64_t jiffies = 0;

    /* comm "(fake) (proc) x" holds ") ": fields start after the last ')'. */
    fx_write_self_stat(&f->tree, 1234, 567);
    assert_int_equal(cct_cpuload__read_self(f->tree.proc, &jiffies), 0);
    assert_int_equal(jiffies, 1234 + 567);

    fx_write_file(f->tree.proc, "self/stat", "4242 (short) S 1 2 3\n");
    assert_int_equal(cct_cpuload__read_self(f->tree.proc, &jiffies), -1);
}

static void test_cpuload__machine_power_model(void **state)
{
    (void)state;
    assert_within(cct_cpuload__machine_power(65, 0), 6.5, 0, 1e-15);
    assert_within(cct_cpuload__machine_power(65, 1), 65, 0, 1e-15);
    assert_within(cct_cpuload__machine_power(65, 0.5), 65 * (0.1 + 0.9 * 0.125), 0, 1e-15);
    /* Out-of-range loads are clamped. */
    assert_within(cct_cpuload__machine_power(65, -0.5), 6.5, 0, 1e-15);
    assert_within(cct_cpuload__machine_power(65, 1.5), 65, 0, 1e-15);
}

static void test_cpuload__tdp_table_lookup(void **state)
{
    int found = -1;
    (void)state;

    assert_within(cct_tdp__lookup(FX_KNOWN_CPU, &found), FX_KNOWN_CPU_TDP_W, 0, 0);
    assert_int_equal(found, 1);
    assert_within(cct_tdp__lookup("AMD Ryzen 9 5950X 16-Core Processor", &found), 105, 0, 0);
    assert_int_equal(found, 1);
    /* Whole words only: the i7-8700K is not the i7-8700. */
    assert_within(cct_tdp__lookup("Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz", &found), 95, 0, 0);
    assert_int_equal(found, 1);
    assert_within(cct_tdp__lookup("Fake CPU 9000", &found), 85, 0, 0);
    assert_int_equal(found, 0);
}

/* The lookup's definition, written the slow obvious way: the longest table name found as
 * whole words in the normalised model, the first in table order among equally long ones. */
static double reference_tdp(const char *model, int *found)
{
    char norm[256];
    const cct_cpu_tdp *best = NULL;
    size_t best_len = 0;

    cct_tdp__normalise(model, norm, sizeof(norm));
    for (unsigned int i = 0; i < cct_cpu_tdp_count; i++) {
        const char *key = cct_cpu_tdp_table[i].model;
        size_t kl = strlen(key);
        for (const char *p = strstr(norm, key); p; p = strstr(p + 1, key)) {
            if ((p == norm || p[-1] == ' ') && (p[kl] == '\0' || p[kl] == ' ') && kl > best_len) {
                best = &cct_cpu_tdp_table[i];
                best_len = kl;
                break;
            }
        }
    }
    *found = best != NULL;
    return best ? best->tdp_w : 85.0;
}

static void test_cpuload__tdp_lookup_agrees_with_a_scan_of_every_row(void **state)
{
    /* Each name dressed as /proc/cpuinfo writes it, plus names that must not match or must
     * pick the longer of two candidates. */
    static const char *const dressings[][2] = {
        {"", ""},  {"Intel(R) ", " CPU @ 2.10GHz"}, {"", " 16-Core Processor"},
        {"", "x"}, {"x", ""},                       {"", " 7302"}};
    char model[400];
    int found, want_found;
    unsigned int matched = 0;
    (void)state;

    for (unsigned int i = 0; i < cct_cpu_tdp_count; i++) {
        for (size_t d = 0; d < sizeof(dressings) / sizeof(dressings[0]); d++) {
            snprintf(model, sizeof(model), "%s%s%s", dressings[d][0], cct_cpu_tdp_table[i].model,
                     dressings[d][1]);
            double want = reference_tdp(model, &want_found);
            double got = cct_tdp__lookup(model, &found);
            if (got != want || found != want_found)
                fail_msg("\"%s\": lookup %g (found %d), a full scan says %g (found %d)", model,
                         got, found, want, want_found);
            matched += (unsigned int)found;
        }
    }
    /* Every row is found at least when it is the whole model name. */
    assert_true(matched >= cct_cpu_tdp_count);
    assert_within(cct_tdp__lookup("", &found), 85, 0, 0);
    assert_int_equal(found, 0);
}

/* On the machine's own /proc the tracker takes the CPU model from CPUID (x86), the CPU count
 * from sysconf and MemTotal from sysinfo(): each must say what the files say. */
static void test_cpuload__real_machine_detection_matches_proc_files(void **state)
{
    static char text[1 << 16];
    char model[128] = "";
    unsigned int processors = 0;
    unsigned long long mem_kb = 0;
    const cct_hardware *hw;
    FILE *f;
    (void)state;

    unsetenv("CCT_PROCFS_ROOT");
    unsetenv("CCT_SYSFS_ROOT");
    cct__reset_process_cache();
    hw = cct_hardware__get();
    assert_non_null(hw);

    f = fopen("/proc/cpuinfo", "r");
    assert_non_null(f);
    while (fgets(text, sizeof(text), f)) {
        char *colon = strchr(text, ':');
        if (strncmp(text, "processor", 9) == 0)
            processors++;
        if (!model[0] && colon && strncmp(text, "model name", 10) == 0) {
            colon += 1 + strspn(colon + 1, " \t");
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(model, sizeof(model), "%s", colon);
        }
    }
    fclose(f);
    f = fopen("/proc/meminfo", "r");
    assert_non_null(f);
    while (fgets(text, sizeof(text), f))
        if (sscanf(text, "MemTotal: %llu kB", &mem_kb) == 1)
            break;
    fclose(f);

    if (model[0]) /* some architectures print no "model name" */
        assert_string_equal(hw->cpu_model, model);
    assert_int_equal(hw->cpu_count, processors);
    assert_true(mem_kb > 0);
    assert_int_equal(hw->mem_total_kb, mem_kb);
    cct__reset_process_cache();
}

static void test_cpuload__machine_mode_power_from_stat_delta(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;
    double expect = FX_KNOWN_CPU_TDP_W * (0.1 + 0.9 * 0.6 * 0.6 * 0.6); /* 19.136 W */

    measured_run(f, 0, &e);
    assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_int_equal(e.tracking_mode, CCT_TRACKING_MACHINE);
    assert_within(e.cpu_power_w, expect, 0, 1e-9);
    assert_within(e.cpu_energy_kwh, expect * e.duration_s / 3.6e6, 0, 1e-9);
    assert_int_equal(e.fallbacks & (CCT_FALLBACK_CPU_TDP | CCT_FALLBACK_RAPL), 0);
    assert_string_equal(e.cpu_model, FX_KNOWN_CPU);
    assert_int_equal(e.cpu_count, FX_CPU_COUNT);
}

static void test_cpuload__unknown_model_gives_85_w_and_fallback(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_cpuinfo(&f->tree, "Fake CPU 9000 @ 1.00GHz", 2);
    measured_run(f, 0, &e);
    assert_within(e.cpu_power_w, 85.0 * (0.1 + 0.9 * 0.216), 0, 1e-9);
    assert_true(e.fallbacks & CCT_FALLBACK_CPU_TDP);
    assert_string_equal(e.cpu_model, "Fake CPU 9000 @ 1.00GHz");
    assert_int_equal(e.cpu_count, 2);
}

static void test_cpuload__process_mode_power_is_tdp_times_share(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    f->cfg.tracking_mode = CCT_TRACKING_PROCESS;
    /* 25 of the window's 100 jiffies (all CPUs) were this process's. */
    measured_run(f, 25, &e);
    assert_int_equal(e.tracking_mode, CCT_TRACKING_PROCESS);
    assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_within(e.cpu_power_w, FX_KNOWN_CPU_TDP_W * 0.25, 0, 1e-9);
    assert_within(e.cpu_energy_kwh, FX_KNOWN_CPU_TDP_W * 0.25 * e.duration_s / 3.6e6, 0, 1e-9);
}

static void test_cpuload__process_mode_idle_process_draws_nothing(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    f->cfg.tracking_mode = CCT_TRACKING_PROCESS;
    measured_run(f, 0, &e);
    assert_within(e.cpu_power_w, 0, 1e-12, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cpuload__stat_parser_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpuload__self_stat_parser, setup, teardown),
        cmocka_unit_test(test_cpuload__machine_power_model),
        cmocka_unit_test(test_cpuload__tdp_table_lookup),
        cmocka_unit_test_setup_teardown(test_cpuload__machine_mode_power_from_stat_delta, setup,
                                        teardown),
        cmocka_unit_test(test_cpuload__tdp_lookup_agrees_with_a_scan_of_every_row),
        cmocka_unit_test_setup_teardown(test_cpuload__stat_counts_online_cpus, setup, teardown),
        cmocka_unit_test(test_cpuload__real_machine_detection_matches_proc_files),
        cmocka_unit_test_setup_teardown(test_cpuload__unknown_model_gives_85_w_and_fallback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cpuload__process_mode_power_is_tdp_times_share, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cpuload__process_mode_idle_process_draws_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
