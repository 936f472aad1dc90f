/* Count metrics (issue 13), run against a build without sanitizers (test_counts.sh): the
 * count runner's counters against known work, each tracker call's counts in a run, what is
 * reported when valgrind or perf_event is missing, and a compare of a revision with an
 * injected function that names it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "cli_driver.h"

static const ccb_metric_result *metric(const ccb_scenario_result *s, const char *name)
{
    const ccb_metric_result *m = ccb_result_scenario_find_metric(s, name);
    if (!m)
        fail_msg("%s has no metric %s", s->name, name);
    return m;
}

/* The per-process values (replicates) of S's metric NAME; *n of them (>= 1). */
static double *replicates(const ccb_scenario_result *s, const char *name, size_t *n)
{
    double *v = NULL;
    assert_int_equal(ccb_result_metric_replicates(metric(s, name), &v, n), 0);
    assert_true(*n >= 1);
    return v;
}

static const char *unavailable(const ccb_scenario_result *s, const char *counter)
{
    const cJSON *why =
        s->unavailable ? cJSON_GetObjectItemCaseSensitive(s->unavailable, counter) : NULL;
    return cJSON_IsString(why) ? why->valuestring : NULL;
}

static void test_counts__known_work_is_counted_exactly(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 32], line[2048] = "";
    snprintf(cmd, sizeof(cmd), "%s/bin/ccbench-counts --known-work", getenv("CCB_TEST_BINARY_DIR"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof(line), p));
    assert_int_equal(pclose(p), 0);
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(o, "syscalls");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(o, "unavailable");
    /* 7 getppid, 3 malloc(100): exactly, with the counters' own cost taken out. */
    if (cJSON_IsNumber(sys))
        assert_int_equal((int)sys->valuedouble, 7);
    else
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(why, "syscalls")));
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(o, "allocs")->valuedouble, 3);
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(o, "alloc_bytes")->valuedouble, 300);
    cJSON_Delete(o);
}

/* Every value of S.NAME within REL of the smallest or of the largest (at most two modes). */
static void expect_near_exact(const ccb_scenario_result *s, const char *name, double rel)
{
    size_t n = 0;
    double *v = replicates(s, name, &n), lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (fabs(v[i] - lo) > rel * lo && fabs(v[i] - hi) > rel * hi)
            fail_msg("%s.%s: %g is in neither mode (%g, %g)", s->name, name, v[i], lo, hi);
    }
    assert_true(lo > 0);
    free(v);
}

static void expect_all(const ccb_scenario_result *s, const char *name, double want)
{
    size_t n = 0;
    double *v = replicates(s, name, &n);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != want)
            fail_msg("%s.%s: process %zu counted %g, the rule is %g", s->name, name, i, v[i], want);
    }
    free(v);
}

static void test_counts__each_tracker_call_is_counted(void **state)
{
    fixture *f = *state;
    char out[400], kept[400];
    path_in(out, sizeof(out), f, "a.json");
    proc p;
    run(&p, f,
        ARGS("run", "--scenario", "cold_init,warm_lifecycle", "--profile", "quick", "--out", out,
             "--counts"));
    expect_status(&p, 0);
    expect_contains(p.err, "raw callgrind output in");
    proc_free(&p);
    ccb_result *r = read_result(out);
    const ccb_scenario_result *cold = find_scenario(r, "cold_init");
    const ccb_scenario_result *warm = find_scenario(r, "warm_lifecycle");
    const char *calls[] = {"new", "start", "stop", "free"};
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s_instructions", calls[i]);
        /* Stable across the processes: within the documented 0.3%, per mode. */
        expect_near_exact(cold, name, 0.003);
        size_t n = 0;
        free(replicates(cold, name, &n));
        assert_true(n >= 3);
        snprintf(name, sizeof(name), "%s_allocs", calls[i]);
        metric(cold, name);
    }
    /* The tracker's rules (docs/PERFORMANCE.md): new() makes no system call, a warm lifecycle
     * none either, and allocates the same every time. */
    if (!unavailable(cold, "syscalls")) {
        expect_all(cold, "new_syscalls", 0);
        expect_all(warm, "lifecycle_syscalls", 0);
    }
    size_t n = 0;
    double *allocs = replicates(warm, "lifecycle_allocs", &n);
    expect_all(warm, "lifecycle_allocs", allocs[0]);
    free(allocs);
    /* The profile of start() names the tracker's function, and the dumps are kept. */
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(cold->profile, "start");
    assert_non_null(start);
    const cJSON *fn = NULL;
    int found = 0;
    cJSON_ArrayForEach(fn, cJSON_GetObjectItemCaseSensitive(start, "functions"))
    {
        found |= strcmp(cJSON_GetArrayItem(fn, 0)->valuestring, "cct_tracker_start") == 0;
    }
    assert_true(found);
    path_in(kept, sizeof(kept), f, "a.callgrind");
    struct stat st;
    assert_int_equal(stat(kept, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    ccb_result_free(r);
}

static void test_counts__without_valgrind_instructions_are_unavailable(void **state)
{
    fixture *f = *state;
    char out[400], path_env[500];
    path_in(out, sizeof(out), f, "nov.json");
    snprintf(path_env, sizeof(path_env), "PATH=%s/no-valgrind-here", f->dir);
    proc p;
    run_in(&p, f, NULL, ENV(path_env),
           ARGS("run", "--scenario", "cold_init", "--samples", "2", "--out", out));
    expect_status(&p, 0);
    expect_contains(p.err, "instruction counts unavailable: valgrind is not installed");
    proc_free(&p);
    ccb_result *r = read_result(out);
    const ccb_scenario_result *s = find_scenario(r, "cold_init");
    assert_non_null(unavailable(s, "instructions"));
    assert_null(ccb_result_scenario_find_metric(s, "start_instructions"));
    metric(s, "start_us");     /* the timings are intact */
    metric(s, "start_allocs"); /* and the other counts */
    ccb_result_free(r);

    /* Asked for explicitly, a missing valgrind is bad usage, found before measuring. */
    run_in(&p, f, NULL, ENV(path_env),
           ARGS("run", "--scenario", "cold_init", "--samples", "2", "--out", out, "--counts"));
    expect_status(&p, 2);
    expect_contains(p.err, "--counts: instruction counts are unavailable");
    expect_contains(p.err, "apt-get install valgrind");
    proc_free(&p);
}

static void test_counts__refused_perf_event_is_unavailable(void **state)
{
    fixture *f = *state;
    char out[400];
    path_in(out, sizeof(out), f, "noperf.json");
    proc p;
    run_in(&p, f, NULL, ENV("CCB_COUNTS_REFUSE_PERF=1"),
           ARGS("run", "--scenario", "cold_init", "--samples", "2", "--out", out));
    expect_status(&p, 0);
    proc_free(&p);
    ccb_result *r = read_result(out);
    const ccb_scenario_result *s = find_scenario(r, "cold_init");
    const char *why = unavailable(s, "syscalls");
    assert_non_null(why);
    expect_contains(why, "refused");
    assert_null(ccb_result_scenario_find_metric(s, "start_syscalls")); /* never a fake 0 */
    assert_null(ccb_result_scenario_find_metric(s, "start_page_faults"));
    metric(s, "start_allocs");
    metric(s, "start_instructions");
    metric(s, "start_us");
    ccb_result_free(r);
}

/* A throw-away repository holding this project, then a commit whose start() calls an extra
 * function: compare names it among the functions whose instructions changed. */
static void test_counts__compare_names_the_injected_function(void **state)
{
    fixture *f = *state;
    const char *src = getenv("CCB_TEST_SOURCE_DIR");
    char repo[400], script[4096], env_cache[500], env_source[500];
    path_in(repo, sizeof(repo), f, "repo");
    snprintf(
        script, sizeof(script),
        "set -e; mkdir -p '%s'; cd '%s'; "
        "for p in CMakeLists.txt CMakePresets.json cmake common tracker scenarios; do "
        "  [ -e '%s'/$p ] && cp -r '%s'/$p .; done; "
        "printf '/build/\\n/.ccbench/\\n/results/\\n' > .gitignore; "
        "git init -q .; git add -A; "
        "git -c user.name=t -c user.email=t@t commit -qm base; "
        "grep -q '^CCT_EXTERN(int) cct_tracker_start(cct_tracker \\*t)$' tracker/src/tracker.c; "
        "sed -i 's/^CCT_EXTERN(int) cct_tracker_start(cct_tracker \\*t)$/"
        "__attribute__((noinline)) void cct__injected_cost(void);\\n"
        "__attribute__((noinline)) void cct__injected_cost(void) { volatile unsigned long a = 0; "
        "for (int i = 0; i < 200; i++) a += (unsigned long)i; }\\n&/' tracker/src/tracker.c; "
        "sed -i '/^CCT_EXTERN(int) cct_tracker_start(cct_tracker \\*t)$/{n;s/$/ "
        "cct__injected_cost();/}' "
        "tracker/src/tracker.c; "
        "grep -q 'cct__injected_cost();' tracker/src/tracker.c; "
        "git -c user.name=t -c user.email=t@t commit -qam inject",
        repo, repo, src, src);
    if (system(script) != 0)
        fail_msg("could not set up the repository with an injected function (update the "
                 "anchor in test_counts.c if cct_tracker_start's signature line changed)");
    snprintf(env_cache, sizeof(env_cache), "CCBENCH_CACHE_DIR=%s/cache", f->dir);
    snprintf(env_source, sizeof(env_source), "CCBENCH_SOURCE_DIR=%s", repo);
    cli_deadline_s = 900;
    proc p;
    run_in(&p, f, repo, ENV(env_cache, env_source),
           ARGS("compare", "HEAD~1", "HEAD", "--profile", "quick", "--scenario", "cold_init",
                "--blocks", "2", "--format", "json", "--no-fail", "--quiet"));
    expect_status(&p, 0);
    cJSON *o = cJSON_Parse(p.out);
    assert_non_null(o);
    const cJSON *m = NULL, *found = NULL;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(o, "metrics"))
    {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring,
                   "start_instructions") == 0)
            found = m;
    }
    assert_non_null(found);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(found, "verdict")->valuestring,
                        "regressed");
    int named = 0;
    const cJSON *fn = NULL;
    cJSON_ArrayForEach(fn, cJSON_GetObjectItemCaseSensitive(found, "functions"))
    {
        named |= strcmp(cJSON_GetObjectItemCaseSensitive(fn, "name")->valuestring,
                        "cct__injected_cost") == 0;
    }
    if (!named)
        fail_msg("the injected function is not named: %s", p.out);
    cJSON_Delete(o);
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts__known_work_is_counted_exactly),
        cmocka_unit_test_setup_teardown(test_counts__each_tracker_call_is_counted, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_counts__without_valgrind_instructions_are_unavailable,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_counts__refused_perf_event_is_unavailable, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_counts__compare_names_the_injected_function, cli_setup,
                                        cli_teardown),
    };
    return cmocka_run_group_tests(tests, cli_group_setup, cli_group_teardown);
}
