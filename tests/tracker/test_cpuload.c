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
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
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
    assert_within(cct_tdp__lookup("Fake CPU 9000", &found), 0, 0, 0);
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
    return best ? best->tdp_w : 0.0;
}

static void test_cpuload__tdp_lookup_agrees_with_a_scan_of_every_row(void **state)
{
    /* Each name dressed as /proc/cpuinfo writes it, plus names that must not match or must
     * pick the longer of two candidates. */
    static const char *const dressings[][2] = {{"", ""},
                                               {"Intel(R) ", " CPU @ 2.10GHz"},
                                               {"", " 16-Core Processor"},
                                               {"", "x"},
                                               {"x", ""},
                                               {"", " 7302"}};
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
                fail_msg("\"%s\": lookup %g (found %d), a full scan says %g (found %d)", model, got,
                         found, want, want_found);
            matched += (unsigned int)found;
        }
    }
    /* Every row is found at least when it is the whole model name. */
    assert_true(matched >= cct_cpu_tdp_count);
    assert_within(cct_tdp__lookup("", &found), 0, 0, 0);
    assert_int_equal(found, 0);
}

/* The CPUID brand string read here independently of hardware.c: 0, or -1 without one. */
static int cpuid_brand(char out[49])
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned int r[12];
    size_t start = 0, len;

    if (__get_cpuid_max(0x80000000u, NULL) < 0x80000004u)
        return -1;
    for (unsigned int i = 0; i < 3; i++)
        __get_cpuid(0x80000002u + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    memcpy(out, r, 48);
    out[48] = '\0';
    while (out[start] == ' ')
        start++;
    memmove(out, out + start, 49 - start);
    len = strlen(out);
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t'))
        out[--len] = '\0';
    return len > 0 ? 0 : -1;
#else
    (void)out;
    return -1;
#endif
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

    /* Some architectures print no "model name". A VM restored from a snapshot on another host
     * keeps the boot host's cpuinfo text while CPUID answers for the host it runs on (seen
     * here: "AMD EPYC" against "Oxide Virtual Turin-like Processor"): then the tracker must
     * give CPUID's name, the CPU it runs on. */
    if (model[0] && strcmp(hw->cpu_model, model) != 0) {
        char brand[49];
        assert_int_equal(cpuid_brand(brand), 0);
        assert_string_equal(hw->cpu_model, brand);
    }
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

static void test_cpuload__unknown_model_gives_4_w_per_thread(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    /* CodeCarbon's rule for a model it does not know: a TDP of 4 W per thread, 8 W here. */
    fx_write_cpuinfo(&f->tree, "Fake CPU 9000 @ 1.00GHz", 2);
    measured_run(f, 0, &e);
    assert_within(e.cpu_power_w, 4.0 * 2 * (0.1 + 0.9 * 0.216), 0, 1e-9);
    assert_true(e.fallbacks & CCT_FALLBACK_CPU_TDP);
    assert_string_equal(e.cpu_model, "Fake CPU 9000 @ 1.00GHz");
    assert_int_equal(e.cpu_count, 2);
}

/* The RAM model is CodeCarbon 3.x's estimate of the modules (codecarbon/external/ram.py,
 * commit b05965e), figures worked out by hand from its rules: 5 W per module (1.5 W on ARM),
 * 90/80/70% for each module past 4/8/16, at least 10 W (3 W on ARM). */
static void test_cpuload__ram_model_is_codecarbons_module_estimate(void **state)
{
    static const struct {
        double gb;
        int arm;
        double w;
    } cases[] = {
        {0.5, 0, 10},   /* 1 module, the 10 W floor */
        {8, 0, 10},     /* 2 x 4 GiB */
        {16, 0, 10},    /* 2 x 8 GiB */
        {16.5, 0, 20},  /* 4 modules */
        {64, 0, 20},    /* 4 x 16 GiB */
        {128, 0, 38},   /* 8 modules: 4 x 5 + 4 x 4.5 */
        {200, 0, 58},   /* 13 x 16 GiB: 38 + 5 x 4 */
        {256, 0, 38},   /* 8 x 32 GiB: CodeCarbon's step down */
        {1024, 0, 38},  /* 8 x 128 GiB: the 38 W at 1 TB (0.3725 W/GB gave 381 W) */
        {2048, 0, 70},  /* 16 x 128 GiB: 38 + 8 x 4 */
        {8192, 0, 126}, /* capped at 32 modules: 70 + 16 x 3.5 */
        {8, 1, 3},      /* ARM: 2 x 1.5 W */
        {128, 1, 11.4}, /* ARM: 4 x 1.5 + 4 x 1.35 */
    };
    (void)state;

    for (size_t i = 0; i < FX_N_ELEMS(cases); i++) {
        double w = cct_hardware__ram_model_w(cases[i].gb, cases[i].arm);
        if (fabs(w - cases[i].w) > 1e-9)
            fail_msg("%g GiB (arm %d): %.17g W, expected %g W", cases[i].gb, cases[i].arm, w,
                     cases[i].w);
    }
}

/* Through detection: MemTotal of 1 TiB gives the model's 38 W, in ram_power and ram_energy. */
static void test_cpuload__ram_power_from_meminfo(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_write_file(f->tree.proc, "meminfo", "MemTotal:       %llu kB\n", 1024ULL * 1024 * 1024);
    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&f->cfg, &e);
    assert_within(e.ram_total_gb, 1024, 0, 1e-12);
    assert_int_equal(e.ram_source, CCT_SOURCE_CONSTANT);
    assert_within(e.ram_power_w, 38, 0, 1e-9);
    assert_within(e.ram_energy_kwh, 38 * e.duration_s / 3.6e6, 0, 1e-9);
}

/* cpuinfo with `cpus` CPUs spread over sockets `ids` (x86's "physical id" lines). */
static void write_cpuinfo_sockets(fixture *f, const char *model, unsigned int cpus,
                                  const unsigned int *ids)
{
    char text[4096];
    size_t len = 0;

    for (unsigned int i = 0; i < cpus; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "processor\t: %u\nmodel name\t: %s\nphysical id\t: %u\n\n", i,
                                model, ids[i]);
    fx_write_file(f->tree.proc, "cpuinfo", "%s", text);
}

/* The table's TDP is per package: a two-socket machine draws it twice, as CodeCarbon's TDP x
 * lscpu's sockets. The 4 W per thread of an unknown model already covers every socket. */
static void test_cpuload__tdp_counts_every_socket(void **state)
{
    static const unsigned int two[] = {0, 0, 3, 3};
    static const unsigned int one[] = {1, 1, 1, 1};
    fixture *f = *state;
    double load = 0.1 + 0.9 * 0.216; /* window 2's 60% */
    cct_emissions e = CCT_EMISSIONS_INIT;

    write_cpuinfo_sockets(f, FX_KNOWN_CPU, 4, two);
    measured_run(f, 0, &e);
    assert_within(e.cpu_power_w, 2 * FX_KNOWN_CPU_TDP_W * load, 0, 1e-9);

    write_cpuinfo_sockets(f, FX_KNOWN_CPU, 4, one);
    measured_run(f, 0, &e);
    assert_within(e.cpu_power_w, FX_KNOWN_CPU_TDP_W * load, 0, 1e-9);

    write_cpuinfo_sockets(f, "Fake CPU 9000", 4, two);
    measured_run(f, 0, &e);
    assert_within(e.cpu_power_w, 4.0 * 4 * load, 0, 1e-9);

    /* A VM's sockets are virtual: one package's TDP. */
    fx_write_file(f->tree.proc, "cpuinfo",
                  "processor\t: 0\nmodel name\t: %s\nphysical id\t: 0\nflags\t\t: fpu "
                  "hypervisor lahf_lm\n\nprocessor\t: 1\nmodel name\t: %s\nphysical id\t: 1\n"
                  "flags\t\t: fpu hypervisor lahf_lm\n\n",
                  FX_KNOWN_CPU, FX_KNOWN_CPU);
    measured_run(f, 0, &e);
    assert_within(e.cpu_power_w, FX_KNOWN_CPU_TDP_W * load, 0, 1e-9);
}

/* On the machine's own CPU, CPUID's logical CPUs per package (the socket count's divisor when
 * the model comes from CPUID) must be what the kernel prints as cpuinfo's "siblings". In a VM
 * CPUID's answer is not used (0), and the test has nothing to compare. */
static void test_cpuload__cpuid_package_size_matches_cpuinfo_siblings(void **state)
{
    char line[512];
    unsigned int siblings = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    (void)state;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "siblings : %u", &siblings) == 1)
            break;
    fclose(f);
    unsigned int cpuid = cct_hardware__cpuid_logical_per_package();
    if (siblings == 0 || cpuid == 0)
        skip(); /* not x86, or a CPU that tells neither */
    assert_int_equal(cpuid, siblings);
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

/* One tracker from start() to stop() with `window` added to /proc/stat and `self` jiffies
 * to this process in between; the stop reading closes a window that began at start(). */
static void window_run(fixture *f, const cct_config *cfg, stat_line window, unsigned long long self,
                       cct_emissions *out)
{
    cct_tracker *t = NULL;

    assert_cct_ok(cct_tracker_new(&t, cfg));
    assert_cct_ok(cct_tracker_start(t));
    uint64_t started = fx_mono_ns();
    add_stat(f, window);
    add_self(f, self, 0);
    fx_wait_mono(started, FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, out));
    cct_tracker_free(t);
}

/* The first process-mode tracker of a process has its baseline from start(): its first
 * window counts, whether its start() is also the process's first (detection) or comes
 * after machine-mode trackers. Without the baseline the first window reads 0 W. */
static void test_cpuload__process_mode_first_tracker_counts_from_start(void **state)
{
    fixture *f = *state;
    cct_config machine = f->cfg;
    cct_emissions e = CCT_EMISSIONS_INIT;

    f->cfg.tracking_mode = CCT_TRACKING_PROCESS;
    fx_tree_activate(&f->tree, NULL);
    window_run(f, &f->cfg, window2, 25, &e);
    assert_int_equal(e.tracking_mode, CCT_TRACKING_PROCESS);
    assert_within(e.cpu_power_w, FX_KNOWN_CPU_TDP_W * 0.25, 0, 1e-9);

    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&machine, NULL);
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    window_run(f, &f->cfg, window2, 40, &e);
    assert_within(e.cpu_power_w, FX_KNOWN_CPU_TDP_W * 0.40, 0, 1e-9);
}

/* force_cpu_power_w is the TDP of the load model, as CodeCarbon's force_cpu_power: 100 W at
 * 20% load is 100 x (0.1 + 0.9 x 0.2^3) = 10.72 W, not 100 W. It replaces RAPL as well, and
 * in process mode it is 100 W x the process share. */
static void test_cpuload__forced_power_is_the_tdp_of_the_load_model(void **state)
{
    static const stat_line load20 = {.user = 20, .idle = 80};
    fixture *f = *state;
    cct_config plain = f->cfg;
    cct_emissions e = CCT_EMISSIONS_INIT;

    f->cfg.force_cpu_power_w = 100;
    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&f->cfg, NULL);
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    window_run(f, &f->cfg, load20, 0, &e);
    assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_within(e.cpu_power_w, 10.72, 0, 1e-9);
    assert_int_equal(e.fallbacks & CCT_FALLBACK_CPU_TDP, 0);

    /* A RAPL machine: the forced tracker still uses the load model, from its own start,
     * while a plain tracker of the same process keeps RAPL. */
    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 0, 262143328850ULL);
    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&plain, &e);
    assert_int_equal(e.cpu_source, CCT_SOURCE_RAPL);
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    window_run(f, &f->cfg, load20, 0, &e);
    assert_int_equal(e.cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_within(e.cpu_power_w, 10.72, 0, 1e-9);

    /* Process mode: the forced TDP times the share, 100 W x 30/100. */
    f->cfg.tracking_mode = CCT_TRACKING_PROCESS;
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    window_run(f, &f->cfg, load20, 30, &e);
    assert_within(e.cpu_power_w, 30.0, 0, 1e-9);
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
        cmocka_unit_test_setup_teardown(test_cpuload__unknown_model_gives_4_w_per_thread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cpuload__tdp_counts_every_socket, setup, teardown),
        cmocka_unit_test(test_cpuload__ram_model_is_codecarbons_module_estimate),
        cmocka_unit_test_setup_teardown(test_cpuload__ram_power_from_meminfo, setup, teardown),
        cmocka_unit_test(test_cpuload__cpuid_package_size_matches_cpuinfo_siblings),
        cmocka_unit_test_setup_teardown(test_cpuload__process_mode_power_is_tdp_times_share, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cpuload__process_mode_idle_process_draws_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpuload__process_mode_first_tracker_counts_from_start,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpuload__forced_power_is_the_tdp_of_the_load_model,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
