/*
 * Tests of the built runner, driven as the driver drives it: spawn
 * $CCB_TEST_BINARY_DIR/bin/ccbench-scenario with a pipe as result fd, read the one JSON
 * object to EOF, reap the child, and check the sample against the catalog. Every wait is
 * bounded (poll with a deadline, then kill); nothing sleeps to synchronise. The output-dir
 * helpers the scenarios share (scenario_common.c) are also tested in this process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "catalog.h"
#include "check.h"
#include "protocol.h"
#include "scenario.h"

/* Far above any scenario here (the slowest is ~1 s under ASan), far below ctest's limit. */
#define CHILD_DEADLINE_MS 120000
#define MAX_ARGS 32

typedef struct child_run {
    int status;   /* from waitpid */
    char *output; /* everything written to the result fd, NUL-terminated */
    size_t len;
    cJSON *json; /* output parsed, or NULL */
} child_run;

static void child_run_free(child_run *r)
{
    free(r->output);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run ccbench-scenario with `args` (NULL-terminated), adding "--result-fd N" for a pipe
 * unless `no_fd`, with TMPDIR set to `tmpdir` in the child if not NULL. Reads the pipe to EOF
 * within the deadline (else kills the child), then reaps it.
 */
static void run_runner(child_run *r, int no_fd, const char *tmpdir, const char *const *args)
{
    const char *bin_dir = getenv("CCB_TEST_BINARY_DIR");
    char exe[4096], fdtext[16];
    const char *argv[MAX_ARGS + 4];
    int fds[2], argc = 0;
    size_t cap = 4096;
    int64_t deadline;
    pid_t pid;

    memset(r, 0, sizeof *r);
    assert_non_null(bin_dir);
    snprintf(exe, sizeof exe, "%s/bin/ccbench-scenario", bin_dir);
    assert_int_equal(access(exe, X_OK), 0);
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    snprintf(fdtext, sizeof fdtext, "%d", fds[1]);

    argv[argc++] = exe;
    for (size_t i = 0; args[i]; i++) {
        assert_true(argc < MAX_ARGS);
        argv[argc++] = args[i];
    }
    if (!no_fd) {
        argv[argc++] = "--result-fd";
        argv[argc++] = fdtext;
    }
    argv[argc] = NULL;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The write end crosses exec; the read end (CLOEXEC) does not. */
        fcntl(fds[1], F_SETFD, 0);
        if (tmpdir && setenv("TMPDIR", tmpdir, 1) != 0)
            _exit(126);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);

    r->output = malloc(cap);
    assert_non_null(r->output);
    deadline = now_ms() + CHILD_DEADLINE_MS;
    for (;;) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int64_t left = deadline - now_ms();
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &r->status, 0);
            close(fds[0]);
            fail_msg("ccbench-scenario %s did not finish within %d ms", args[0], CHILD_DEADLINE_MS);
        }
        if (r->len + 1024 > cap) {
            cap *= 2;
            r->output = realloc(r->output, cap);
            assert_non_null(r->output);
        }
        n = read(fds[0], r->output + r->len, cap - r->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            break;
        r->len += (size_t)n;
    }
    r->output[r->len] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &r->status, 0), pid);
    r->json = cJSON_ParseWithLength(r->output, r->len);
}

#define RUN(r, ...)                                                                                \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        run_runner((r), 0, NULL, args_);                                                           \
    } while (0)

/* RUN with TMPDIR=tmpdir in the child. */
#define RUN_IN(r, tmpdir, ...)                                                                     \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        run_runner((r), 0, (tmpdir), args_);                                                       \
    } while (0)

static void assert_exit(const child_run *r, int code)
{
    if (!WIFEXITED(r->status))
        fail_msg("child did not exit normally (status 0x%x)", r->status);
    assert_int_equal(WEXITSTATUS(r->status), code);
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        fail_msg("no \"%s\" in the sample", key);
    return v;
}

/* The sample is ok, and holds every runner metric of the catalog as finite numbers. */
static const cJSON *assert_ok_sample(const child_run *r, const char *scenario)
{
    const ccb_scenario_def *def = ccb_catalog_find(scenario);
    const cJSON *metrics;

    assert_exit(r, 0);
    if (!r->json)
        fail_msg("result is not JSON: \"%s\"", r->output);
    assert_string_equal(cJSON_GetStringValue(get(r->json, "schema")), CCB_SAMPLE_SCHEMA);
    assert_string_equal(cJSON_GetStringValue(get(r->json, "scenario")), scenario);
    if (!cJSON_IsTrue(get(r->json, "ok")))
        fail_msg("sample not ok: %s", r->output);
    metrics = get(r->json, "metrics");
    assert_true(cJSON_IsObject(metrics));
    assert_true(cJSON_IsObject(get(r->json, "params")));
    assert_non_null(def);
    for (size_t i = 0; i < def->metric_count; i++) {
        const ccb_metric_def *m = &def->metrics[i];
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(metrics, m->name), *v;

        if (m->origin != CCB_FROM_RUNNER) {
            assert_null(arr); /* the driver's to measure */
            continue;
        }
        if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
            fail_msg("metric %s missing or empty", m->name);
        cJSON_ArrayForEach(v, arr)
        {
            assert_true(cJSON_IsNumber(v));
            assert_true(isfinite(v->valuedouble));
            assert_true(v->valuedouble >= 0);
        }
    }
    /* Nothing the catalog does not know. */
    const cJSON *v;
    cJSON_ArrayForEach(v, metrics) assert_non_null(ccb_catalog_metric(def, v->string));
    return metrics;
}

static double metric1(const cJSON *metrics, const char *name)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(metrics, name);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    return cJSON_GetArrayItem(arr, 0)->valuedouble;
}

static double param(const child_run *r, const char *name)
{
    const cJSON *v = get(get(r->json, "params"), name);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void test_scenarios__cold_init(void **state)
{
    child_run r;
    const cJSON *m;

    RUN(&r, "cold_init");
    m = assert_ok_sample(&r, "cold_init");
    assert_true(metric1(m, "libs_loaded") >= 1);
    assert_true(metric1(m, "curl_loaded") == 0); /* offline: no libcurl mapped */
    /* The wait for a periodic measurement is first_sample's, not cold_init's. */
    assert_null(ccb_catalog_metric(ccb_catalog_find("cold_init"), "first_sample_us"));
    assert_null(cJSON_GetObjectItemCaseSensitive(m, "first_sample_us"));
    assert_true(param(&r, "measure_interval_ms") == 1);
    assert_true(param(&r, "save_to_file") == 0);
    child_run_free(&r);
}

static void test_scenarios__first_sample(void **state)
{
    child_run r;
    const cJSON *m;

    RUN(&r, "first_sample");
    m = assert_ok_sample(&r, "first_sample");
    /* start -> delivery of the first measurement: after start, within the runner's 5 s wait. */
    assert_true(metric1(m, "first_sample_us") > 0);
    assert_true(metric1(m, "first_sample_us") < 5e6);
    assert_true(param(&r, "measure_interval_ms") == 1);
    assert_true(param(&r, "save_to_file") == 0);
    child_run_free(&r);

    RUN(&r, "first_sample", "--param", "measure_interval_ms=3");
    m = assert_ok_sample(&r, "first_sample");
    assert_true(metric1(m, "first_sample_us") > 0);
    assert_true(param(&r, "measure_interval_ms") == 3);
    child_run_free(&r);
}

/* The data rows of DIR/emissions.csv, which must be a well-formed CodeCarbon CSV. */
static size_t csv_rows_in(const char *dir, const char *what)
{
    char path[256];
    ccb_failure f;
    size_t rows = 0;

    snprintf(path, sizeof path, "%s/emissions.csv", dir);
    memset(&f, 0, sizeof f);
    if (ccb_check_csv_file(path, &rows, &f))
        fail_msg("%s: %s", what, f.detail);
    return rows;
}

/* Both one-lifecycle scenarios write exactly one well-formed row when told to. */
static void test_scenarios__one_lifecycle_writes_a_good_csv(void **state)
{
    static const char *const names[] = {"cold_init", "first_sample"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char dir[] = "/tmp/ccb-test-scen-XXXXXX", path[64], arg[80];
        child_run r;

        assert_non_null(mkdtemp(dir));
        snprintf(arg, sizeof arg, "output_dir=%s", dir);
        RUN(&r, names[i], "--param", "save_to_file=1", "--param", arg, "--param",
            "measure_interval_ms=2");
        assert_ok_sample(&r, names[i]);
        assert_true(param(&r, "measure_interval_ms") == 2);
        assert_string_equal(cJSON_GetStringValue(get(get(r.json, "params"), "output_dir")), dir);
        assert_int_equal(csv_rows_in(dir, names[i]), 1);
        snprintf(path, sizeof path, "%s/emissions.csv", dir);
        unlink(path);
        rmdir(dir);
        child_run_free(&r);
    }
}

/* A fresh directory to point TMPDIR at, its mtime set far in the past: creating or removing
 * any entry in it moves the mtime to now, so "nothing was created" is checkable after the
 * fact (emptiness alone would not catch a directory made and removed again). */
static void make_watched_dir(char *dir)
{
    const struct timespec times[2] = {{0, UTIME_OMIT}, {1, 0}};

    assert_non_null(mkdtemp(dir));
    assert_int_equal(utimensat(AT_FDCWD, dir, times, 0), 0);
}

/* Under TSan the sanitizer's runtime creates and unlinks tsan.rodata.PID in TMPDIR at the
 * start of every process: there only emptiness can be checked, not the mtime. */
#if defined(__SANITIZE_THREAD__)
#define CCB_RUNTIME_WRITES_TMPDIR 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CCB_RUNTIME_WRITES_TMPDIR 1
#endif
#endif

static void assert_untouched(const char *dir, const char *what)
{
    struct stat st;

    assert_int_equal(stat(dir, &st), 0);
#ifdef CCB_RUNTIME_WRITES_TMPDIR
    DIR *dp = opendir(dir);
    struct dirent *de;
    assert_non_null(dp);
    while ((de = readdir(dp)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            fail_msg("%s left %s in TMPDIR=%s", what, de->d_name, dir);
    closedir(dp);
#else
    if (st.st_mtim.tv_sec != 1 || st.st_mtim.tv_nsec != 0)
        fail_msg("%s created or removed an entry in TMPDIR=%s", what, dir);
#endif
}

/* save_to_file=0 and no output_dir: the runner creates nothing at all under TMPDIR (the
 * measured process pays for no directory I/O of the instrument) and leaves nothing behind. */
static void test_scenarios__no_output_creates_nothing(void **state)
{
    static const char *const names[] = {"cold_init", "first_sample"};
    char dir[] = "/tmp/ccb-test-tmpdir-XXXXXX";
    child_run r;

    make_watched_dir(dir);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        RUN_IN(&r, dir, names[i]);
        assert_ok_sample(&r, names[i]);
        child_run_free(&r);
        assert_untouched(dir, names[i]);
    }
    /* With save_to_file=1 the runner does make a directory there, and removes it again. */
    RUN_IN(&r, dir, "cold_init", "--param", "save_to_file=1");
    assert_ok_sample(&r, "cold_init");
    child_run_free(&r);
    assert_int_equal(rmdir(dir), 0); /* fails (ENOTEMPTY) if anything was left behind */
}

typedef struct tmpdir_fixture {
    char dir[64];
    char *saved; /* TMPDIR before the test, or NULL */
    int had;
} tmpdir_fixture;

static int tmpdir_setup(void **state)
{
    tmpdir_fixture *fx = calloc(1, sizeof *fx);
    const char *old = getenv("TMPDIR");

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ccb-test-absent-XXXXXX");
    fx->had = old != NULL;
    fx->saved = old ? strdup(old) : NULL;
    if (!mkdtemp(fx->dir) || (old && !fx->saved) || setenv("TMPDIR", fx->dir, 1) != 0) {
        free(fx->saved);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int tmpdir_teardown(void **state)
{
    tmpdir_fixture *fx = *state;

    if (fx->had)
        setenv("TMPDIR", fx->saved, 1);
    else
        unsetenv("TMPDIR");
    rmdir(fx->dir); /* best effort: the test asserts it empty */
    free(fx->saved);
    free(fx);
    return 0;
}

/* Whatever a tracker told save_to_file=0 created at the absent path fails the sample with
 * the path named, and is cleaned up; untouched, the check passes. A directory with a file in
 * it, then a plain file, stand for the tracker's doing. */
static void test_scenarios__absent_output_dir_is_checked(void **state)
{
    const tmpdir_fixture *fx = *state;
    const size_t dirlen = strlen(fx->dir);
    ccb_outdir d;
    char file[sizeof d.path + 32], expected[sizeof file + 64];
    struct stat st;
    ccb_failure f;
    int fd;

    for (int as_dir = 1; as_dir >= 0; as_dir--) {
        assert_int_equal(ccb_outdir_open(&d, NULL, 0), 0);
        assert_true(d.absent);
        assert_false(d.owned);
        assert_int_equal(strncmp(d.path, fx->dir, dirlen), 0);
        assert_int_equal(d.path[dirlen], '/');
        assert_int_equal(lstat(d.path, &st), -1);
        assert_int_equal(errno, ENOENT);
        memset(&f, 0, sizeof f);
        assert_int_equal(ccb_outdir_check(&d, 0, 0, 0, &f), 0);
        assert_false(f.failed);

        if (as_dir) {
            assert_int_equal(mkdir(d.path, 0700), 0);
            snprintf(file, sizeof file, "%s/emissions.csv", d.path);
        } else {
            snprintf(file, sizeof file, "%s", d.path);
        }
        fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);

        assert_int_equal(ccb_outdir_check(&d, 0, 0, 0, &f), -1);
        assert_true(f.failed);
        assert_string_equal(f.reason, CCB_REASON_WRONG_ANSWER);
        snprintf(expected, sizeof expected, "save_to_file is 0 but the tracker created %s", d.path);
        assert_string_equal(f.detail, expected);

        ccb_outdir_close(&d);
        assert_int_equal(lstat(file, &st), -1);
        assert_int_equal(lstat(d.path, &st), -1);
        assert_int_equal(errno, ENOENT);
    }
    /* Given a directory, nothing is checked for absence (the caller owns it). */
    assert_int_equal(ccb_outdir_open(&d, fx->dir, 0), 0);
    assert_false(d.absent);
    assert_false(d.owned);
    assert_string_equal(d.path, fx->dir);
    ccb_outdir_close(&d);
    assert_int_equal(stat(fx->dir, &st), 0); /* a given directory is never removed */
    assert_int_equal(rmdir(fx->dir), 0);     /* and nothing was left in TMPDIR */
}

static void test_scenarios__warm_lifecycle(void **state)
{
    child_run r;
    const cJSON *m;

    RUN(&r, "warm_lifecycle", "--param", "iterations=50", "--param", "warmup=5");
    m = assert_ok_sample(&r, "warm_lifecycle");
    assert_int_equal(cJSON_GetArraySize(get(m, "lifecycle_us")), 50);
    assert_true(metric1(m, "lifecycles_per_s") > 0);
    assert_true(param(&r, "iterations") == 50);
    assert_true(param(&r, "warmup") == 5);
    child_run_free(&r);
}

static void test_scenarios__warm_lifecycle_csv_rows(void **state)
{
    char dir[] = "/tmp/ccb-test-scen-XXXXXX", path[64], arg[80];
    child_run r;

    assert_non_null(mkdtemp(dir));
    snprintf(arg, sizeof arg, "output_dir=%s", dir);
    RUN(&r, "warm_lifecycle", "--param", "iterations=20", "--param", "warmup=3", "--param",
        "save_to_file=1", "--param", arg);
    assert_ok_sample(&r, "warm_lifecycle");
    /* warm-up rows too: every stop() writes one */
    assert_int_equal(csv_rows_in(dir, "warm_lifecycle"), 23);
    child_run_free(&r);

    /* A second process appends to the same file: the runner counts only its own rows. */
    RUN(&r, "warm_lifecycle", "--param", "iterations=4", "--param", "warmup=0", "--param",
        "save_to_file=1", "--param", arg);
    assert_ok_sample(&r, "warm_lifecycle");
    assert_int_equal(csv_rows_in(dir, "warm_lifecycle, second process"), 27);
    snprintf(path, sizeof path, "%s/emissions.csv", dir);
    unlink(path);
    rmdir(dir);
    child_run_free(&r);
}

static void test_scenarios__throughput(void **state)
{
    child_run r;
    const cJSON *m;
    double fairness;

    RUN(&r, "throughput", "--param", "threads=2", "--param", "duration_ms=200");
    m = assert_ok_sample(&r, "throughput");
    fairness = metric1(m, "thread_fairness");
    assert_true(fairness > 0 && fairness <= 1);
    assert_true(metric1(m, "lifecycles_per_s") > 0);
    assert_true(metric1(m, "lifecycle_p50_us") > 0);
    assert_true(metric1(m, "lifecycle_p50_us") <= metric1(m, "lifecycle_p99_us"));
    assert_true(param(&r, "threads") == 2);
    assert_true(param(&r, "duration_ms") == 200);
    child_run_free(&r);
}

static void test_scenarios__bad_usage_exits_2(void **state)
{
    static const char *const cases[][6] = {
        {"no_such_scenario", NULL},
        {"cold_init", "--param", "no_such_param=1", NULL},
        {"cold_init", "--param", "measure_interval_ms=abc", NULL},
        {"cold_init", "--param", "measure_interval_ms=0", NULL},
        {"cold_init", "--param", "measure_interval_ms=-1", NULL},
        {"first_sample", "--param", "measure_interval_ms=0", NULL},
        {"first_sample", "--param", "measure_interval_ms=4001", NULL}, /* past its 5 s wait */
        {"first_sample", "--param", "iterations=5", NULL},
        {"warm_lifecycle", "--param", "threads=2", NULL}, /* another scenario's parameter */
        {"throughput", "--param", "threads=2", "--param", "threads=3", NULL},
        {"cold_init", "--bogus", NULL},
        {"api_latency", "--param", "iterations=5", NULL}, /* not one of its parameters */
    };
    child_run r;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_runner(&r, 0, NULL, cases[i]);
        assert_exit(&r, 2);
        assert_int_equal(r.len, 0); /* no result written */
        child_run_free(&r);
    }
    /* No result fd at all. */
    const char *const no_fd[] = {"cold_init", NULL};
    run_runner(&r, 1, NULL, no_fd);
    assert_exit(&r, 2);
    child_run_free(&r);
}

#ifdef CCBENCH_SELFTEST_SCENARIOS
static void test_scenarios__selftest_wrong_is_rejected(void **state)
{
    child_run r;

    RUN(&r, "selftest_wrong");
    assert_exit(&r, 0);
    assert_non_null(r.json);
    assert_true(cJSON_IsFalse(get(r.json, "ok")));
    assert_string_equal(cJSON_GetStringValue(get(r.json, "reason")), CCB_REASON_WRONG_ANSWER);
    assert_non_null(strstr(cJSON_GetStringValue(get(r.json, "detail")), "energy_kwh is -1"));
    assert_null(cJSON_GetObjectItemCaseSensitive(r.json, "metrics"));
    child_run_free(&r);
}

static void test_scenarios__selftest_garbage_and_crash(void **state)
{
    child_run r;

    RUN(&r, "selftest_garbage");
    assert_exit(&r, 0);
    assert_string_equal(r.output, "{not json");
    assert_null(r.json);
    child_run_free(&r);

    RUN(&r, "selftest_crash");
    assert_true(WIFSIGNALED(r.status));
    assert_int_equal(WTERMSIG(r.status), SIGSEGV);
    assert_int_equal(r.len, 0);
    child_run_free(&r);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios__cold_init),
        cmocka_unit_test(test_scenarios__first_sample),
        cmocka_unit_test(test_scenarios__one_lifecycle_writes_a_good_csv),
        cmocka_unit_test(test_scenarios__no_output_creates_nothing),
        cmocka_unit_test_setup_teardown(test_scenarios__absent_output_dir_is_checked, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test(test_scenarios__warm_lifecycle),
        cmocka_unit_test(test_scenarios__warm_lifecycle_csv_rows),
        cmocka_unit_test(test_scenarios__throughput),
        cmocka_unit_test(test_scenarios__bad_usage_exits_2),
#ifdef CCBENCH_SELFTEST_SCENARIOS
        cmocka_unit_test(test_scenarios__selftest_wrong_is_rejected),
        cmocka_unit_test(test_scenarios__selftest_garbage_and_crash),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
