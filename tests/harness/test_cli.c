/*
 * The ccbench binary driven the way a user drives it: exit statuses, what it prints, and the
 * files it writes, including in a throw-away git repository the test creates. Every child is
 * waited for with a deadline (pidfd + poll), never with a sleep.
 */
#include <dirent.h>
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

#include <cjson/cJSON.h>
#include <git2.h>

#include "catalog.h"
#include "error.h"
#include "protocol.h"
#include "result.h"

#include "cli_driver.h"
#include "tinyfs.h"

/* ---------------------------------------------------------------------------------------- */
/* Dispatch, help, version */

static void test_cli__version(void **state)
{
    proc p;
    run(&p, *state, ARGS("--version"));
    expect_status(&p, 0);
    expect_contains(p.out, "ccbench 0.");
    proc_free(&p);
}

static void test_cli__help_lists_every_command(void **state)
{
    proc p;
    run(&p, *state, ARGS("help"));
    expect_status(&p, 0);
    const char *commands[] = {"ccbench run ", "ccbench list ", "ccbench show ", "ccbench help "};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        expect_contains(p.out, commands[i]);
    expect_contains(p.out, "--scenario NAME[,NAME]");
    proc_free(&p);

    run(&p, *state, ARGS("--help"));
    expect_status(&p, 0);
    expect_contains(p.out, "ccbench run ");
    proc_free(&p);

    run(&p, *state, ARGS("help", "nosuch"));
    expect_status(&p, 2);
    proc_free(&p);
}

static void test_cli__command_help_is_help_command(void **state)
{
    const char *commands[] = {"run", "list", "show"};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        proc a, b;
        run(&a, *state, ARGS(commands[i], "--help"));
        run(&b, *state, ARGS("help", commands[i]));
        expect_status(&a, 0);
        expect_status(&b, 0);
        assert_string_equal(a.out, b.out);
        expect_contains(a.out, "usage: ccbench ");
        proc_free(&a);
        proc_free(&b);
    }
}

static void test_cli__unknown_command_suggests_nearest(void **state)
{
    proc p;
    run(&p, *state, ARGS("rnu"));
    expect_status(&p, 2);
    expect_contains(p.err, "Did you mean 'run'?");
    proc_free(&p);

    run(&p, *state, ARGS("frobnicate"));
    expect_status(&p, 2);
    expect_contains(p.err, "'frobnicate' is not a ccbench command");
    proc_free(&p);

    run(&p, *state, NO_ENV); /* no arguments at all */
    expect_status(&p, 2);
    expect_contains(p.err, "usage: ccbench");
    proc_free(&p);
}

static void test_cli__bad_run_usage_exits_2(void **state)
{
    const struct {
        const char *const *args;
        const char *want;
    } cases[] = {
        {ARGS("run", "--samle", "3"), "Did you mean '--samples'?"},
        {ARGS("run", "--samples", "0"), "--samples '0'"},
        {ARGS("run", "--samples", "10x"), "--samples '10x'"},
        {ARGS("run", "--profile", "fast"), "--profile 'fast'"},
        {ARGS("run", "--scenario", "cold"), "Did you mean 'cold_init'?"},
        {ARGS("run", "--scenario", "cold_init,"), "--scenario"},
        {ARGS("run", "--api-latency-ms", "abc"), "--api-latency-ms"},
        {ARGS("run", "--format", "xml"), "--format 'xml'"},
        {ARGS("run", "--duration", "-1"), "--duration '-1'"},
        {ARGS("run", "--cpu", "100000"), "--cpu"},
        {ARGS("run", "--out"), "needs a value"},
        {ARGS("run", "--out", "/nonexistent-dir/r.json"), "/nonexistent-dir"},
        {ARGS("run", "stray"), "unexpected argument 'stray'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        proc p;
        run(&p, *state, cases[i].args);
        expect_status(&p, 2);
        expect_contains(p.err, cases[i].want);
        proc_free(&p);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* list, show */

static void test_cli__list_prints_every_metric(void **state)
{
    proc p;
    run(&p, *state, ARGS("list"));
    expect_status(&p, 0);
    size_t count = 0;
    const ccb_scenario_def *all = ccb_catalog_scenarios(&count);
    for (size_t i = 0; i < count; i++) {
        if (all[i].selftest) {
            if (strstr(p.out, all[i].name))
                fail_msg("list shows the test-only scenario %s", all[i].name);
            continue;
        }
        expect_contains(p.out, all[i].name);
        /* Each metric on a line of its own scenario's block, with unit and direction. */
        const char *block = strstr(p.out, all[i].name);
        for (size_t j = 0; j < all[i].metric_count; j++) {
            const ccb_metric_def *m = &all[i].metrics[j];
            char want[128];
            snprintf(want, sizeof(want), "  %s ", m->name);
            const char *line = strstr(block, want);
            if (!line)
                fail_msg("metric %s.%s not listed", all[i].name, m->name);
            size_t len = strcspn(line, "\n");
            char copy[512];
            snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
            char unit[64];
            snprintf(unit, sizeof(unit), " %s ", m->unit);
            expect_contains(copy, unit);
            expect_contains(copy, ccb_direction_name(m->direction));
        }
    }
    proc_free(&p);

    run(&p, *state, ARGS("list", "--format", "json"));
    expect_status(&p, 0);
    cJSON *json = cJSON_Parse(p.out);
    assert_non_null(json);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(json, "schema")->valuestring,
                        "ccbench-list/1");
    const cJSON *scenarios = cJSON_GetObjectItemCaseSensitive(json, "scenarios");
    const cJSON *s = NULL;
    size_t listed = 0;
    cJSON_ArrayForEach(s, scenarios)
    {
        const ccb_scenario_def *def =
            ccb_catalog_find(cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring);
        assert_non_null(def);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "metrics")),
                         def->metric_count);
        listed++;
    }
    assert_true(listed >= 5);
    cJSON_Delete(json);
    proc_free(&p);
}

static void test_cli__show_malformed_file_names_the_field(void **state)
{
    fixture *f = *state;
    char path[400];
    path_in(path, sizeof(path), f, "bad.json");
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"schema\": \"ccbench-result/1\", \"ccbench_version\": \"0.1.0\", "
          "\"created_at\": \"x\", \"label\": \"l\", \"git\": {\"revision\": null, "
          "\"commit\": null, \"tracker_tree\": null, \"dirty\": null}, \"machine\": "
          "{\"hostname\": \"\", \"os\": \"\", \"kernel\": \"\", \"cpu_model\": \"\", "
          "\"cpus\": 1, \"mem_total_kb\": 0, \"compiler\": \"\", \"build_type\": \"\"}, "
          "\"profile\": \"quick\", \"scenarios\": [{\"name\": \"cold_init\", \"params\": {}, "
          "\"samples_ok\": 1, \"samples_failed\": 0, \"failures\": [], \"metrics\": "
          "[{\"name\": \"init_us\", \"unit\": \"us\", \"direction\": \"lower_is_better\", "
          "\"samples\": [1, \"2\"]}]}]}",
          fp);
    fclose(fp);
    proc p;
    run(&p, f, ARGS("show", path));
    expect_status(&p, 2);
    expect_contains(p.err, path);
    expect_contains(p.err, "field scenarios[0].metrics[0].samples");
    assert_string_equal(p.out, "");
    proc_free(&p);

    path_in(path, sizeof(path), f, "missing.json");
    run(&p, f, ARGS("show", path));
    expect_status(&p, 2);
    expect_contains(p.err, path);
    proc_free(&p);

    run(&p, f, ARGS("show"));
    expect_status(&p, 2);
    proc_free(&p);
}

/* ---------------------------------------------------------------------------------------- */
/* run */

static void test_cli__run_quick_then_show(void **state)
{
    fixture *f = *state;
    char out[400];
    path_in(out, sizeof(out), f, "quick.json");
    proc p;
    run(&p, f, ARGS("run", "--profile", "quick", "--out", out, "--label", "e2e"));
    expect_status(&p, 0);
    expect_contains(p.err, out);                        /* where the result went */
    expect_contains(p.err, "cold_init: 10/10 samples"); /* plain progress off a TTY */
    expect_contains(p.out, "scenario");
    proc_free(&p);

    ccb_result *r = read_result(out);
    assert_string_equal(r->profile, "quick");
    assert_string_equal(r->label, "e2e");
    assert_false(r->git.present); /* the temp dir is in no repository */
    assert_true(r->machine.cpus > 0);
    const char *defaults[] = {"spawn_floor",        "cold_init",  "first_sample", "warm_lifecycle",
                              "warm_lifecycle_csv", "throughput", "api_latency"};
    const size_t ndefaults = sizeof defaults / sizeof defaults[0];
    assert_int_equal(r->nscenarios, ndefaults);
    for (size_t i = 0; i < ndefaults; i++) {
        const ccb_scenario_result *s = find_scenario(r, defaults[i]);
        const ccb_scenario_def *def = ccb_catalog_find(defaults[i]);
        unsigned int processes = def->profiles[CCB_PROFILE_QUICK].processes;
        if (s->samples_failed)
            fail_msg("%s: %s: %s", s->name, s->failures[0].reason, s->failures[0].detail);
        assert_int_equal(s->samples_ok, processes);
        assert_int_equal(s->nprocesses, processes);
        /* Every metric, but a count metric only where its counter could run here (in a
         * sanitizer build: not allocations, not instructions), and then with its reason. */
        for (size_t j = 0; j < def->metric_count; j++) {
            const ccb_metric_def *md = &def->metrics[j];
            if (md->origin != CCB_FROM_COUNTS || ccb_result_scenario_find_metric(s, md->name))
                continue;
            const char *counter = strrchr(md->name, '_') + 1;
            if (strcmp(counter, "bytes") == 0 || strcmp(counter, "allocs") == 0)
                counter = "allocs";
            else if (strcmp(counter, "faults") == 0)
                counter = "page_faults";
            if (!s->unavailable || !cJSON_GetObjectItemCaseSensitive(s->unavailable, counter))
                fail_msg("%s.%s is missing and no reason says why", s->name, md->name);
        }
        for (size_t j = 0; j < s->nmetrics; j++) {
            if (ccb_catalog_metric(def, s->metrics[j].name)->origin == CCB_FROM_COUNTS)
                continue; /* counted in count processes, not in the timed ones */
            assert_true(s->metrics[j].n >= processes);
            /* The process is the replicate: stats count processes, samples stay raw. */
            assert_true(s->metrics[j].grouped);
            assert_int_equal(s->metrics[j].ngroups, processes);
            assert_int_equal(s->metrics[j].stats.n, processes);
        }
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(s->params, "processes");
        assert_true(cJSON_IsNumber(n) && n->valuedouble == processes);
    }
    const ccb_scenario_result *tp = find_scenario(r, "throughput");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(tp->params, "threads"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(tp->params, "duration_ms"));
    ccb_result_free(r);

    run(&p, f, ARGS("show", out));
    expect_status(&p, 0);
    for (size_t i = 0; i < ndefaults; i++)
        expect_contains(p.out, defaults[i]);
    expect_contains(p.out, "median");
    /* The parameters that shaped each scenario and the noise its processes saw. */
    expect_contains(p.out, "parameters and noise per scenario:");
    expect_contains(p.out, "throughput: processes=2 threads=8 duration_ms=1000");
    expect_contains(p.out, "involuntary context switches (median)");
    assert_null(strstr(p.out, "\033[")); /* not a TTY: no colour */
    proc_free(&p);

    run(&p, f, ARGS("show", out, "--format", "markdown"));
    expect_status(&p, 0);
    expect_contains(p.out, "| scenario | metric |");
    proc_free(&p);

    run(&p, f, ARGS("show", out, "--format", "json"));
    expect_status(&p, 0);
    cJSON *json = cJSON_Parse(p.out);
    assert_non_null(json);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(json, "schema")->valuestring,
                        CCB_RESULT_SCHEMA);
    cJSON_Delete(json);
    proc_free(&p);

    run(&p, f, ARGS("show", out, "--color", "always"));
    expect_status(&p, 0);
    expect_contains(p.out, "\033[");
    proc_free(&p);
}

static void test_cli__overrides_are_recorded(void **state)
{
    fixture *f = *state;
    char out[400];
    path_in(out, sizeof(out), f, "o.json");
    proc p;
    run(&p, f,
        ARGS("run", "--scenario", "spawn_floor,throughput", "--samples", "1", "--threads", "2",
             "--duration", "0.2", "--cpu", "0", "--out", out, "--quiet", "--format", "json"));
    expect_status(&p, 0);
    assert_string_equal(p.err, "");   /* --quiet */
    cJSON *json = cJSON_Parse(p.out); /* --format json: the result itself on stdout */
    assert_non_null(json);
    cJSON_Delete(json);
    proc_free(&p);

    ccb_result *r = read_result(out);
    assert_int_equal(r->nscenarios, 2);
    assert_string_equal(r->scenarios[0].name, "spawn_floor"); /* the order given */
    const cJSON *params = find_scenario(r, "throughput")->params;
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(params, "threads")->valuedouble, 2);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(params, "duration_ms")->valuedouble, 200);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(params, "processes")->valuedouble, 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(params, "cpu")->valuedouble, 0);
    assert_int_equal(find_scenario(r, "throughput")->samples_ok, 1);
    ccb_result_free(r);
}

static void test_cli__results_dir_and_latest(void **state)
{
    fixture *f = *state;
    char env[400], latest[400];
    snprintf(env, sizeof(env), "CCBENCH_RESULTS_DIR=%s/res", f->dir);
    snprintf(latest, sizeof(latest), "%s/res/latest.json", f->dir);
    proc p;
    run_in(&p, f, NULL, ENV(env),
           ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--label", "my label/x"));
    expect_status(&p, 0);
    expect_contains(p.err, latest);
    expect_contains(p.err, "Z-my-label-x.json");
    proc_free(&p);
    ccb_result *r = read_result(latest);
    assert_string_equal(r->label, "my label/x");
    ccb_result_free(r);
}

/* The disk fills up: the run says so, with what to do, and the result already at --out is
 * left exactly as it was (the new one goes to a temp file renamed over it only when whole). */
static void test_cli__full_disk_keeps_the_previous_result(void **state)
{
    fixture *f = *state;
    char dir[300], why[300], out[400], listing[1024] = "";
    proc p;
    (void)f;

    if (tinyfs_mount(dir, sizeof(dir), 64, why, sizeof(why)) != 0)
        skip(); /* not root: no way to make a full file system here */
    snprintf(out, sizeof(out), "%s/r.json", dir);
    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", out));
    expect_status(&p, 0);
    proc_free(&p);
    char *before = read_file(out);
    assert_int_equal(tinyfs_fill(dir), 0);

    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "3", "--out", out));
    expect_status(&p, 2);
    expect_contains(p.err, out);
    expect_contains(p.err, "No space left on device");
    expect_contains(p.err, "Free some space or pass --out");
    proc_free(&p);

    char *after = read_file(out);
    assert_string_equal(after, before);
    DIR *dp = opendir(dir);
    struct dirent *de;
    assert_non_null(dp);
    while ((de = readdir(dp)) != NULL) {
        strncat(listing, de->d_name, sizeof(listing) - strlen(listing) - 2);
        strcat(listing, " ");
    }
    closedir(dp);
    if (strstr(listing, ".tmp"))
        fail_msg("a temp file was left behind: %s", listing);
    free(before);
    free(after);
    tinyfs_unmount(dir);
}

static void test_cli__missing_runner_exits_3(void **state)
{
    proc p;
    run_in(&p, *state, NULL, ENV("CCBENCH_SCENARIO_DIR=/nonexistent"),
           ARGS("run", "--scenario", "cold_init", "--samples", "1", "--quiet"));
    expect_status(&p, 3);
    expect_contains(p.err, "/nonexistent/ccbench-scenario");
    expect_contains(p.err, "CCBENCH_SCENARIO_DIR");
    proc_free(&p);
}

/* A fake runner (CCBENCH_SCENARIO_DIR) whose answers the driver must refuse. */
static void test_cli__runner_output_is_checked_strictly(void **state)
{
    fixture *f = *state;
    char dir[400], script[450], out[400], env[450];
    path_in(dir, sizeof(dir), f, "fake");
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(script, sizeof(script), "%s/ccbench-scenario", dir);
    FILE *fp = fopen(script, "w");
    assert_non_null(fp);
    fputs("#!/bin/sh\n"
          "case \"$FAKE\" in\n"
          "missing) echo '{\"schema\":\"ccbench-sample/1\",\"scenario\":\"cold_init\","
          "\"ok\":true,\"metrics\":{}}' >&3 ;;\n"
          "string) echo '{\"schema\":\"ccbench-sample/1\",\"scenario\":\"cold_init\","
          "\"ok\":true,\"metrics\":{\"init_us\":[\"fast\"]}}' >&3 ;;\n"
          "schema) echo '{\"schema\":\"other/9\",\"scenario\":\"cold_init\",\"ok\":true}' >&3 ;;\n"
          "status) echo 'runner says goodbye' >&2; exit 7 ;;\n"
          "esac\n",
          fp);
    fclose(fp);
    chmod(script, 0755);
    snprintf(env, sizeof(env), "CCBENCH_SCENARIO_DIR=%s", dir);
    path_in(out, sizeof(out), f, "fake.json");

    const struct {
        const char *fake, *reason, *detail;
    } cases[] = {
        {"FAKE=missing", CCB_REASON_BAD_OUTPUT, "metrics.init_us: missing"},
        {"FAKE=string", CCB_REASON_BAD_OUTPUT, "metrics.init_us[0]: expected a finite number"},
        {"FAKE=schema", CCB_REASON_BAD_OUTPUT, "field schema"},
        {"FAKE=status", CCB_REASON_EXIT_STATUS, "runner says goodbye"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        proc p;
        run_in(&p, f, NULL, ENV(env, cases[i].fake),
               ARGS("run", "--scenario", "cold_init", "--samples", "1", "--out", out));
        expect_status(&p, 3);
        proc_free(&p);
        ccb_result *r = read_result(out);
        const ccb_scenario_result *s = find_scenario(r, "cold_init");
        assert_int_equal(s->samples_ok, 0);
        assert_int_equal(s->nfailures, 1);
        assert_string_equal(s->failures[0].reason, cases[i].reason);
        expect_contains(s->failures[0].detail, cases[i].detail);
        for (size_t j = 0; j < s->nmetrics; j++)
            assert_int_equal(s->metrics[j].n, 0); /* a failed sample is never a fast one */
        ccb_result_free(r);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Failure injection (test builds only) */

#ifdef CCBENCH_SELFTEST_SCENARIOS
static void test_cli__each_failure_is_recorded(void **state)
{
    fixture *f = *state;
    const struct {
        const char *scenario, *reason, *detail;
    } cases[] = {
        {"selftest_crash", CCB_REASON_CRASH, "SIGSEGV"},
        {"selftest_hang", CCB_REASON_TIMEOUT, "killed"},
        {"selftest_garbage", CCB_REASON_BAD_OUTPUT, "not one JSON object"},
        {"selftest_wrong", CCB_REASON_WRONG_ANSWER, "energy"},
    };
    char out[400];
    path_in(out, sizeof(out), f, "fail.json");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        proc p;
        run(&p, f, ARGS("run", "--scenario", cases[i].scenario, "--out", out));
        expect_status(&p, 3);
        expect_contains(p.err, "no valid sample");
        expect_contains(p.out, cases[i].reason); /* shown under the table */
        proc_free(&p);
        ccb_result *r = read_result(out);
        const ccb_scenario_result *s = find_scenario(r, cases[i].scenario);
        assert_int_equal(s->samples_ok, 0);
        assert_true(s->samples_failed > 0);
        assert_int_equal(s->nfailures, s->samples_failed);
        for (size_t j = 0; j < s->nfailures; j++) {
            assert_string_equal(s->failures[j].reason, cases[i].reason);
            expect_contains(s->failures[j].detail, cases[i].detail);
        }
        ccb_result_free(r);
    }
}

static void test_cli__failures_do_not_stop_the_run(void **state)
{
    fixture *f = *state;
    char out[400];
    path_in(out, sizeof(out), f, "mix.json");
    proc p;
    run(&p, f,
        ARGS("run", "--scenario", "cold_init,selftest_crash", "--samples", "2", "--out", out));
    expect_status(&p, 3);
    proc_free(&p);
    ccb_result *r = read_result(out);
    const ccb_scenario_result *cold = find_scenario(r, "cold_init");
    assert_int_equal(cold->samples_ok, 2);
    assert_int_equal(cold->samples_failed, 0);
    for (size_t j = 0; j < cold->nmetrics; j++)
        assert_true(cold->metrics[j].n >= 2);
    const ccb_scenario_result *crash = find_scenario(r, "selftest_crash");
    assert_int_equal(crash->samples_ok, 0);
    assert_string_equal(crash->failures[0].reason, CCB_REASON_CRASH);
    ccb_result_free(r);
}

static int dir_is_empty(const char *path)
{
    int empty = 1;
    DIR *d = opendir(path);
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        empty &= strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

static void test_cli__interrupt_writes_nothing(void **state)
{
    fixture *f = *state;
    char tmp[400], env[450], out[400];
    path_in(tmp, sizeof(tmp), f, "tmp");
    assert_int_equal(mkdir(tmp, 0755), 0);
    snprintf(env, sizeof(env), "TMPDIR=%s", tmp);
    path_in(out, sizeof(out), f, "int.json");

    int err_fd = -1;
    pid_t pid = spawn_ccbench(
        f, f->dir, ENV(env),
        ARGS("run", "--scenario", "selftest_hang", "--samples", "20", "--out", out), &err_fd);
    /* Wait, bounded, for the run to be under way: the plain progress line says so. */
    char buf[4096];
    read_stderr_until(pid, err_fd, "selftest_hang: running", buf, sizeof(buf));
    assert_int_equal(kill(pid, SIGINT), 0);
    /* 20 samples of 1 s each would take 20 s: well within 10 s means it stopped. */
    int status = wait_bounded(pid, 10);
    close(err_fd);
    assert_int_equal(status, 130);
    assert_int_equal(access(out, F_OK), -1); /* no result file, partial or whole */
    assert_true(dir_is_empty(tmp));          /* the run's temp dir is gone */
}
#endif

/* `ccbench mockapi` serves until ^C, says where on stderr, and reports what it saw. */
static void test_cli__mockapi_serves_until_interrupted(void **state)
{
    fixture *f = *state;
    int err_fd = -1;
    pid_t pid = spawn_ccbench(f, f->dir, NO_ENV, ARGS("mockapi", "--latency-ms", "1"), &err_fd);
    char buf[4096];
    read_stderr_until(pid, err_fd, "^C stops", buf, sizeof(buf));
    expect_contains(buf, "http://127.0.0.1:"); /* loopback only, with its port */
    assert_int_equal(kill(pid, SIGINT), 0);
    int status = wait_bounded(pid, 10);
    close(err_fd);
    assert_int_equal(status, 0);

    proc p;
    run(&p, f, ARGS("mockapi", "--port", "abc"));
    expect_status(&p, 2);
    expect_contains(p.err, "--port");
    proc_free(&p);
}

/* ---------------------------------------------------------------------------------------- */
/* git */

static void test_cli__records_git_commit_tree_and_dirty(void **state)
{
    fixture *f = *state;
    char repo_dir[400], path[500], sub[500];
    path_in(repo_dir, sizeof(repo_dir), f, "repo");
    git_repository *repo = NULL;
    assert_int_equal(git_repository_init(&repo, repo_dir, 0), 0);
    snprintf(sub, sizeof(sub), "%s/tracker", repo_dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof(path), "%s/tracker/a.c", repo_dir);
    write_text(path, "int a;\n");
    snprintf(path, sizeof(path), "%s/.gitignore", repo_dir);
    write_text(path, "/results/\n");

    git_index *index = NULL;
    git_oid tree_oid, commit_oid;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    git_tree_entry *entry = NULL;
    git_reference *head = NULL;
    assert_int_equal(git_repository_index(&index, repo), 0);
    assert_int_equal(git_index_add_bypath(index, "tracker/a.c"), 0);
    assert_int_equal(git_index_add_bypath(index, ".gitignore"), 0);
    assert_int_equal(git_index_write(index), 0);
    assert_int_equal(git_index_write_tree(&tree_oid, index), 0);
    assert_int_equal(git_tree_lookup(&tree, repo, &tree_oid), 0);
    assert_int_equal(git_signature_now(&sig, "test", "test@example.com"), 0);
    assert_int_equal(
        git_commit_create_v(&commit_oid, repo, "HEAD", sig, sig, NULL, "init", tree, 0), 0);
    assert_int_equal(git_tree_entry_bypath(&entry, tree, "tracker"), 0);
    char commit_hex[GIT_OID_HEXSZ + 1], tracker_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(commit_hex, sizeof(commit_hex), &commit_oid);
    git_oid_tostr(tracker_hex, sizeof(tracker_hex), git_tree_entry_id(entry));
    assert_int_equal(git_repository_head(&head, repo), 0);
    char branch[100];
    snprintf(branch, sizeof(branch), "%s", git_reference_shorthand(head));

    char latest[500];
    snprintf(latest, sizeof(latest), "%s/results/latest.json", repo_dir);
    /* Twice from a subdirectory: results land at the work tree root, and the results of
     * the first run (ignored) do not make the second one dirty. */
    for (int i = 0; i < 2; i++) {
        proc p;
        run_in(&p, f, sub, ENV("CCBENCH_RESULTS_DIR"),
               ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--quiet"));
        expect_status(&p, 0);
        proc_free(&p);
        ccb_result *r = read_result(latest);
        assert_true(r->git.present);
        assert_string_equal(r->git.commit, commit_hex);
        assert_string_equal(r->git.tracker_tree, tracker_hex);
        assert_string_equal(r->git.revision, branch);
        assert_string_equal(r->label, branch);
        assert_false(r->git.dirty);
        ccb_result_free(r);
        /* A new file outside what is measured (a README, a plot by the book) does not make
         * the next result dirty either. */
        snprintf(path, sizeof(path), "%s/README-%d.md", repo_dir, i);
        write_text(path, "notes\n");
    }

    snprintf(path, sizeof(path), "%s/tracker/a.c", repo_dir);
    write_text(path, "int a = 1;\n");
    proc p;
    run_in(&p, f, repo_dir, ENV("CCBENCH_RESULTS_DIR"),
           ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--quiet"));
    expect_status(&p, 0);
    proc_free(&p);
    ccb_result *r = read_result(latest);
    assert_true(r->git.dirty);
    /* ... and the result names what changed, nothing else. */
    assert_int_equal(r->git.nchanged, 1);
    assert_string_equal(r->git.changed[0], "tracker/a.c");
    ccb_result_free(r);

    git_reference_free(head);
    git_tree_entry_free(entry);
    git_signature_free(sig);
    git_tree_free(tree);
    git_index_free(index);
    git_repository_free(repo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cli__version, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__help_lists_every_command, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__command_help_is_help_command, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__unknown_command_suggests_nearest, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__bad_run_usage_exits_2, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__list_prints_every_metric, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__show_malformed_file_names_the_field, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__run_quick_then_show, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__overrides_are_recorded, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__results_dir_and_latest, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__full_disk_keeps_the_previous_result, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__missing_runner_exits_3, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__runner_output_is_checked_strictly, cli_setup,
                                        cli_teardown),
#ifdef CCBENCH_SELFTEST_SCENARIOS
        cmocka_unit_test_setup_teardown(test_cli__each_failure_is_recorded, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__failures_do_not_stop_the_run, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__interrupt_writes_nothing, cli_setup,
                                        cli_teardown),
#endif
        cmocka_unit_test_setup_teardown(test_cli__mockapi_serves_until_interrupted, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli__records_git_commit_tree_and_dirty, cli_setup,
                                        cli_teardown),
    };
    return cmocka_run_group_tests(tests, cli_group_setup, cli_group_teardown);
}
