/*
 * scripts/ci-gate driven as CI runs it, on two result files (no build, no measurement: fast):
 * CCBENCH_BIN points at the built ccbench. Its contract: compare's exit status passed through
 * (0 pass, 1 confirmed regression, 2 bad input: never read as a regression), the markdown
 * report on stdout, and appended to $GITHUB_STEP_SUMMARY when that is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "cli_driver.h"
#include "error.h"
#include "result.h"

#define DEADLINE_S 60

/* This suite's own fixture: three result files in a temp dir. */
typedef struct gate_fixture {
    char dir[256];
    char base[320], same[320], slower[320];
} gate_fixture;

static char gate[PATH_MAX], bin_env[PATH_MAX + 16];

static int group_setup(void **state)
{
    (void)state;
    const char *build = getenv("CCB_TEST_BINARY_DIR");
    const char *source = getenv("CCB_TEST_SOURCE_DIR");
    if (!build || !source) {
        fprintf(stderr, "CCB_TEST_BINARY_DIR/CCB_TEST_SOURCE_DIR unset: run through ctest\n");
        return -1;
    }
    if (snprintf(gate, sizeof(gate), "%s/scripts/ci-gate", source) >= (int)sizeof(gate) ||
        snprintf(bin_env, sizeof(bin_env), "CCBENCH_BIN=%s/bin/ccbench", build) >=
            (int)sizeof(bin_env))
        return -1;
    return 0;
}

/* A result whose warm_lifecycle.lifecycle_us samples are scaled by SCALE (lifecycles_per_s
 * stays put). 20 samples each, 1% apart: enough for the statistics to decide 1.5x. */
static void write_result_as(const char *path, double scale, const char *profile, int extra)
{
    static const ccb_metric_def defs[] = {
        {"lifecycle_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING, ""},
        {"lifecycles_per_s", "1/s", CCB_HIGHER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING, ""},
    };
    ccb_result *r = fixture_result("gate", "2026-11-21T10:00:00Z", profile, "Test CPU");
    ccb_scenario_result *s = ccb_result_add_scenario(r, "warm_lifecycle");
    assert_non_null(s);
    for (int k = 0; k < 2; k++) {
        ccb_metric_result *m = ccb_result_scenario_add_metric(s, &defs[k]);
        assert_non_null(m);
        for (int i = 0; i < 20; i++)
            assert_int_equal(
                ccb_result_metric_add_sample(m, (k ? 1.6e6 : 0.6 * scale) * (1 + i * 0.01)), 0);
    }
    if (extra) {
        static const ccb_metric_def more = {
            "extra_us", "us", CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING, ""};
        ccb_metric_result *m = ccb_result_scenario_add_metric(s, &more);
        assert_non_null(m);
        assert_int_equal(ccb_result_metric_add_sample(m, 1.0), 0);
    }
    s->samples_ok = 20;
    assert_int_equal(ccb_result_compute_stats(r), 0);
    if (ccb_result_write_file(r, path) != 0)
        fail_msg("%s", ccb_error_message());
    ccb_result_free(r);
}

static void write_result(const char *path, double scale)
{
    write_result_as(path, scale, "quick", 0);
}

static int setup(void **state)
{
    gate_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/test_ci_gate-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->base, sizeof(f->base), "%s/base.json", f->dir);
    snprintf(f->same, sizeof(f->same), "%s/same.json", f->dir);
    snprintf(f->slower, sizeof(f->slower), "%s/slower.json", f->dir);
    write_result(f->base, 1.0);
    write_result(f->same, 1.0);
    write_result(f->slower, 1.5);
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int teardown(void **state)
{
    gate_fixture *f = *state;
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Run `scripts/ci-gate BASE CANDIDATE` with CCBENCH_BIN and ENV overrides; its stdout and
 * stderr into P. */
static void run_argv(proc *p, const gate_fixture *f, const char *const *env, char *const *argv);

static void run_gate(proc *p, const gate_fixture *f, const char *const *env, const char *base,
                     const char *candidate)
{
    char *argv[] = {gate, (char *)base, (char *)candidate, NULL};
    run_argv(p, f, env, argv);
}

/* Run ARGV (argv[0] the program's path) with CCBENCH_BIN and ENV overrides; its stdout and
 * stderr into P. */
static void run_argv(proc *p, const gate_fixture *f, const char *const *env, char *const *argv)
{
    size_t m = 0;
    while (env[m])
        m++;
    const char **overrides = calloc(m + 3, sizeof(char *));
    assert_non_null(overrides);
    overrides[0] = bin_env;
    /* The runner's own summary file must not receive the test's reports. */
    overrides[1] = "GITHUB_STEP_SUMMARY";
    for (size_t i = 0; i < m; i++)
        overrides[i + 2] = env[i];
    char **envp = make_env(overrides);
    free(overrides);

    char out[400], err[400];
    snprintf(out, sizeof(out), "%s/.stdout", f->dir);
    snprintf(err, sizeof(err), "%s/.stderr", f->dir);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP); /* own group: killable as one */
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(envp);
    if (rc != 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(rc));
    p->status = wait_bounded(pid, DEADLINE_S);
    p->out = read_file(out);
    p->err = read_file(err);
    assert_non_null(p->out);
    assert_non_null(p->err);
}

static void test_ci_gate__identical_results_pass(void **state)
{
    gate_fixture *f = *state;
    proc p;
    run_gate(&p, f, NO_ENV, f->base, f->same);
    expect_status(&p, 0);
    expect_contains(p.out, "### ccbench compare: ");
    expect_contains(p.out, "**0 regressed**");
    expect_contains(p.out, "| `warm_lifecycle.lifecycle_us` |");
    expect_contains(p.err, "ci-gate: no confirmed regression");
    proc_free(&p);
}

static void test_ci_gate__regression_exits_1(void **state)
{
    gate_fixture *f = *state;
    proc p;
    run_gate(&p, f, NO_ENV, f->base, f->slower);
    expect_status(&p, 1);
    expect_contains(p.out, "**1 regressed**");
    expect_contains(p.out, "+50.0%");
    expect_contains(p.out, "**regressed");
    expect_contains(p.err, "a regression was confirmed");
    proc_free(&p);
}

static void test_ci_gate__harness_error_is_2_not_1(void **state)
{
    gate_fixture *f = *state;
    char missing[400];
    snprintf(missing, sizeof(missing), "%s/no-such-result.json", f->dir);
    proc p;
    run_gate(&p, f, NO_ENV, missing, f->slower);
    expect_status(&p, 2);
    expect_contains(p.err, "no-such-result.json");
    expect_contains(p.err, "a harness error, not a regression");
    assert_null(strstr(p.out, "regressed"));
    proc_free(&p);

    /* A malformed result file is bad input too: 2, whatever the other side holds. */
    FILE *fp = fopen(f->same, "w");
    assert_non_null(fp);
    fputs("{\"schema\": \"ccbench-result/1\"", fp);
    assert_int_equal(fclose(fp), 0);
    run_gate(&p, f, NO_ENV, f->same, f->slower);
    expect_status(&p, 2);
    expect_contains(p.err, "same.json");
    proc_free(&p);
}

static void test_ci_gate__appends_to_github_step_summary(void **state)
{
    gate_fixture *f = *state;
    char summary[400], env[450];
    snprintf(summary, sizeof(summary), "%s/step-summary.md", f->dir);
    FILE *fp = fopen(summary, "w");
    assert_non_null(fp);
    fputs("# an earlier step's summary\n", fp);
    assert_int_equal(fclose(fp), 0);
    snprintf(env, sizeof(env), "GITHUB_STEP_SUMMARY=%s", summary);

    proc p;
    run_gate(&p, f, (const char *const[]){env, NULL}, f->base, f->slower);
    expect_status(&p, 1);
    char *text = read_file(summary);
    assert_non_null(text);
    /* Appended, not overwritten, and the same report as on stdout. */
    assert_int_equal(strncmp(text, "# an earlier step's summary\n", 28), 0);
    expect_contains(text, "## ccbench: ");
    expect_contains(text, "**1 regressed**");
    expect_contains(text, "| `warm_lifecycle.lifecycle_us` |");
    const char *report = strstr(p.out, "### ccbench compare:");
    assert_non_null(report);
    expect_contains(text, report);
    free(text);
    proc_free(&p);
}

/* Two result files of another profile are refused (exit 2, naming the difference and the
 * way out); --allow-mismatch compares them with the difference as a warning; a metric on
 * one side only is a warning, never silently dropped. */
static void test_ci_gate__mismatched_files_are_refused_or_warned(void **state)
{
    gate_fixture *f = *state;
    char other[PATH_MAX], bin[PATH_MAX + 8];
    snprintf(other, sizeof(other), "%s/default.json", f->dir);
    write_result_as(other, 1.0, "default", 1);
    snprintf(bin, sizeof(bin), "%s", bin_env + strlen("CCBENCH_BIN="));
    proc p;
    char *refused[] = {bin, "compare", f->base, other, "--format", "json", NULL};
    run_argv(&p, f, NO_ENV, refused);
    expect_status(&p, 2);
    expect_contains(p.err, "different profiles (quick, default)");
    expect_contains(p.err, "--allow-mismatch");
    proc_free(&p);

    char *allowed[] = {bin,    "compare",          f->base, other, "--format",
                       "json", "--allow-mismatch", NULL};
    run_argv(&p, f, NO_ENV, allowed);
    expect_status(&p, 0);
    expect_contains(p.out, "different profiles (quick, default)");
    expect_contains(p.out, "warm_lifecycle.extra_us is only in the candidate file");
    proc_free(&p);
}

/* `show` recognises a compare file and renders it as compare printed it. */
static void test_ci_gate__show_renders_a_compare_file(void **state)
{
    gate_fixture *f = *state;
    char bin[PATH_MAX + 8], cmp[PATH_MAX];
    snprintf(bin, sizeof(bin), "%s", bin_env + strlen("CCBENCH_BIN="));
    snprintf(cmp, sizeof(cmp), "%s/cmp.json", f->dir);
    proc p;
    char *compare_argv[] = {bin, "compare", f->base, f->slower, "--format", "json", NULL};
    run_argv(&p, f, NO_ENV, compare_argv);
    expect_status(&p, 1);
    write_text(cmp, p.out);
    proc_free(&p);
    char *show_argv[] = {bin, "show", cmp, NULL};
    run_argv(&p, f, NO_ENV, show_argv);
    expect_status(&p, 0);
    expect_contains(p.out, "two result files");
    expect_contains(p.out, "warm_lifecycle.lifecycle_us");
    expect_contains(p.out, "regressed");
    assert_null(strstr(p.err, "another version"));
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ci_gate__identical_results_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ci_gate__mismatched_files_are_refused_or_warned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ci_gate__show_renders_a_compare_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ci_gate__regression_exits_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ci_gate__harness_error_is_2_not_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ci_gate__appends_to_github_step_summary, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
