/*
 * `ccbench compare` driven as a user would, against a throw-away git repository made from
 * this project's tracker/, scenarios/ and build files: A/A, a branch whose start() burns
 * ~100 us (regressed and confirmed; the reverse improved), the user's repository left
 * byte-identical, the error exits, and the build cache. Every revision is built once into a
 * cache shared by the whole suite. Every child is waited for with a deadline, never a sleep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "cli_driver.h"
#include "test_repo.h"

/* ---------------------------------------------------------------------------------------- */
/* The suite's repository: main, slow (start() burns ~100 us), broken (does not compile),
 * notracker (tracker/ deleted). One cache for every test. */

static fixture suite;
static char repo_dir[400], env_cache[500], env_source[500], env_results[500];

static int group_setup(void **state)
{
    const char *source =
        test_repo_suite_setup(&suite, "test_compare", repo_dir, env_cache, env_source, env_results);
    if (!source)
        return -1;
    cli_deadline_s = 240; /* a compare may build two revisions */
    git_repository *repo = NULL;
    git_oid main_oid = test_repo_create(repo_dir, source, &repo);
    char path[600];
    snprintf(path, sizeof(path), "%s/tracker/src/tracker.c", repo_dir);
    char *orig = read_file(path);
    char *slow = test_repo_tracker_variant(orig, 100000);
    char *broken = test_repo_tracker_variant(orig, -1);
    if (!slow || !broken)
        return -1;
    test_repo_commit_file(repo, repo_dir, &main_oid, 1, "refs/heads/slow", "tracker/src/tracker.c",
                          slow, "slow");
    test_repo_commit_file(repo, repo_dir, &main_oid, 1, "refs/heads/broken",
                          "tracker/src/tracker.c", broken, "broken");
    free(slow);
    free(broken);
    free(orig);
    test_repo_index_update(repo, "tracker", 1);
    test_repo_commit_index(repo, "refs/heads/notracker", &main_oid, 1, "notracker");
    /* Back to main's index. */
    git_object *head = NULL;
    assert_int_equal(git_revparse_single(&head, repo, "HEAD"), 0);
    assert_int_equal(git_reset(repo, head, GIT_RESET_MIXED, NULL), 0);
    git_object_free(head);
    git_repository_free(repo);
    *state = &suite;
    return 0;
}

static int group_teardown(void **state)
{
    return test_repo_suite_teardown(&suite);
}

/* Every compare here leaves the count processes out (--no-counts): they are test_counts'
 * subject, and here they would only add ~2 s of valgrind to each of these compares. */
static void compare(proc *p, const char *const *args)
{
    size_t n = 0;
    while (args[n])
        n++;
    const char **with = calloc(n + 2, sizeof(*with));
    assert_non_null(with);
    memcpy(with, args, n * sizeof(*with));
    with[n] = "--no-counts";
    run_in(p, &suite, repo_dir, ENV(env_cache, env_source, env_results), with);
    free(with);
}

/* The verdict of SCENARIO.METRIC in a ccbench-compare/1 document. */
/* The compare JSON parsed (schema checked) and its entry for SCENARIO.METRIC; the caller
 * frees *root. Fails the test when either is missing. */
static const cJSON *compare_metric(const char *json_text, const char *scenario, const char *metric,
                                   cJSON **root)
{
    *root = cJSON_Parse(json_text);
    if (!*root)
        fail_msg("not JSON:\n%s", json_text);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(*root, "schema");
    assert_true(cJSON_IsString(schema));
    assert_string_equal(schema->valuestring, "ccbench-compare/1");
    const cJSON *m, *found = NULL;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(*root, "metrics"))
    {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(m, "scenario")->valuestring, scenario) == 0 &&
            strcmp(cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring, metric) == 0)
            found = m;
    }
    if (!found)
        fail_msg("%s.%s missing:\n%s", scenario, metric, json_text);
    return found;
}

static void expect_verdict(const char *json_text, const char *scenario, const char *metric,
                           const char *verdict, int confirmed)
{
    cJSON *root;
    const cJSON *found = compare_metric(json_text, scenario, metric, &root);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(found, "verdict");
    if (strcmp(v->valuestring, verdict) != 0)
        fail_msg("%s.%s: verdict %s, expected %s\n%s", scenario, metric, v->valuestring, verdict,
                 json_text);
    if (confirmed >= 0)
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(found, "confirmed")) ==
                    (confirmed == 1));
    cJSON_Delete(root);
}

#define QUICK "--profile", "quick", "--scenario", "warm_lifecycle", "--format", "json"

static void test_compare__a_a_has_no_regression(void **state)
{
    proc p;
    compare(&p, ARGS("compare", "main", "main", QUICK, "--blocks", "4"));
    expect_status(&p, 0);
    assert_null(strstr(p.out, "\"regressed\""));
    expect_contains(p.err, "seed ");
    proc_free(&p);
}

static void test_compare__slow_start_regresses_and_reverse_improves(void **state)
{
    proc p;
    compare(&p, ARGS("compare", "main", "slow", QUICK, "--blocks", "10"));
    expect_status(&p, 1);
    expect_verdict(p.out, "warm_lifecycle", "lifecycle_us", "regressed", 1);
    expect_contains(p.err, "confirming");
    proc_free(&p);

    compare(&p, ARGS("compare", "slow", "main", QUICK, "--blocks", "10"));
    expect_status(&p, 0);
    expect_verdict(p.out, "warm_lifecycle", "lifecycle_us", "improved", -1);
    proc_free(&p);
}

/* Every .complete under the cache, with its mtime, into BUF. */
static void stamps(char *buf, size_t cap)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/cache/build", suite.dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t len = 0;
    buf[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[900];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s/.complete", dir, e->d_name);
        if (stat(path, &st) == 0)
            len += (size_t)snprintf(buf + len, cap - len, "%s %ld.%09ld\n", e->d_name,
                                    (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
    closedir(d);
}

static void test_compare__second_compare_builds_nothing(void **state)
{
    char before[4096], after[4096];
    stamps(before, sizeof(before));
    assert_true(strlen(before) > 0);
    proc p;
    compare(&p, ARGS("compare", "main", "slow", QUICK, "--blocks", "2", "--no-fail"));
    expect_status(&p, 0);
    expect_contains(p.err, "main: cached");
    expect_contains(p.err, "slow: cached");
    assert_null(strstr(p.err, "configuring"));
    proc_free(&p);
    stamps(after, sizeof(after));
    assert_string_equal(before, after);
}

static void test_compare__user_repository_is_untouched(void **state)
{
    char path[600];
    git_repository *repo = NULL;
    git_signature *sig = NULL;
    git_oid stash;
    assert_int_equal(git_repository_open(&repo, repo_dir), 0);
    assert_int_equal(git_signature_now(&sig, "test", "test@example.com"), 0);
    /* A stash entry, then staged, unstaged and untracked changes. */
    snprintf(path, sizeof(path), "%s/CMakePresets.json", repo_dir);
    char *presets = read_file(path);
    write_text(path, "{\"stashed\": true}\n");
    assert_int_equal(git_stash_save(&stash, repo, sig, "test stash", GIT_STASH_DEFAULT), 0);
    free(presets);
    snprintf(path, sizeof(path), "%s/.gitignore", repo_dir);
    write_text(path, "/build/\n/.ccbench/\n/results/\n# staged\n");
    test_repo_index_update(repo, ".gitignore", 0);
    snprintf(path, sizeof(path), "%s/tracker/src/tracker.c", repo_dir);
    char *tracker = read_file(path);
    char *changed = malloc(strlen(tracker) + 32);
    sprintf(changed, "%s/* unstaged */\n", tracker);
    write_text(path, changed);
    snprintf(path, sizeof(path), "%s/tracker/untracked.txt", repo_dir);
    write_text(path, "untracked\n");

    for (int detached = 0; detached < 2; detached++) {
        if (detached) {
            git_oid head;
            assert_int_equal(git_reference_name_to_id(&head, repo, "HEAD"), 0);
            assert_int_equal(git_repository_set_head_detached(repo, &head), 0);
        }
        char *before = test_repo_snapshot(repo_dir);
        if (detached)
            expect_contains(before, "HEAD ");
        proc p;
        compare(&p, ARGS("compare", "main", "slow", QUICK, "--blocks", "2", "--no-fail"));
        expect_status(&p, 0);
        proc_free(&p);
        char *after = test_repo_snapshot(repo_dir);
        assert_string_equal(before, after);
        free(before);
        free(after);
    }
    free(tracker);
    free(changed);
    git_signature_free(sig);
    git_repository_free(repo);
}

static void test_compare__bad_operands(void **state)
{
    proc p;
    compare(&p, ARGS("compare", "no-such-branch", "main", QUICK));
    expect_status(&p, 2);
    expect_contains(p.err, "no-such-branch");
    proc_free(&p);

    compare(&p, ARGS("compare", "main", "notracker", QUICK));
    expect_status(&p, 3);
    expect_contains(p.err, "no tracker/");
    proc_free(&p);

    compare(&p, ARGS("compare", "main", "broken", QUICK));
    expect_status(&p, 3);
    expect_contains(p.err, "last lines of");
    expect_contains(p.err, "build.log");
    expect_contains(p.err, "this is not C");
    proc_free(&p);

    char bad[600];
    snprintf(bad, sizeof(bad), "%s/bad.json", suite.dir);
    write_text(bad, "{\"schema\": \"ccbench-result/1\", \"label\": ");
    compare(&p, ARGS("compare", bad, "main", QUICK));
    expect_status(&p, 2);
    expect_contains(p.err, "bad.json");
    proc_free(&p);
}

/* Whether PID is gone: no such process, or a zombie nobody has reaped yet (it is dead). */
static int process_gone(long pid)
{
    char path[64], state = '?';
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 1;
    int n = fscanf(fp, "%*d (%*[^)]) %c", &state);
    fclose(fp);
    return n == 1 && (state == 'Z' || state == 'X');
}

/* A build that hangs (a cmake that never returns) is killed at CCBENCH_BUILD_TIMEOUT_S with
 * its whole process group, and compare fails with exit 3 naming the limit and the log. */
static void test_compare__hung_build_is_killed_at_the_time_limit(void **state)
{
    char fake_dir[600], script[700], pid_file[700], env_path[5000], env_cache_hung[700];
    char text[900];
    proc p;
    long pid = 0;
    (void)state;

    snprintf(fake_dir, sizeof(fake_dir), "%s/fake-cmake", suite.dir);
    assert_int_equal(mkdir(fake_dir, 0755), 0);
    snprintf(script, sizeof(script), "%s/cmake", fake_dir);
    snprintf(pid_file, sizeof(pid_file), "%s/pid", fake_dir);
    snprintf(text, sizeof(text), "#!/bin/sh\necho $$ > '%s'\nexec sleep 600\n", pid_file);
    write_text(script, text);
    assert_int_equal(chmod(script, 0755), 0);
    snprintf(env_path, sizeof(env_path), "PATH=%s:%s", fake_dir, getenv("PATH"));
    /* A cache of its own: the suite's cache already holds finished builds of main. */
    snprintf(env_cache_hung, sizeof(env_cache_hung), "CCBENCH_CACHE_DIR=%s/cache-hung", suite.dir);

    run_in(&p, &suite, repo_dir,
           ENV(env_path, "CCBENCH_BUILD_TIMEOUT_S=2", env_cache_hung, env_source, env_results),
           ARGS("compare", "main", "slow", QUICK));
    expect_status(&p, 3);
    expect_contains(p.err, "did not finish within 2 s");
    expect_contains(p.err, "CCBENCH_BUILD_TIMEOUT_S");
    expect_contains(p.err, "build.log");
    proc_free(&p);

    FILE *fp = fopen(pid_file, "r");
    assert_non_null(fp); /* the fake cmake did run */
    assert_int_equal(fscanf(fp, "%ld", &pid), 1);
    fclose(fp);
    if (!process_gone(pid))
        fail_msg("the hung build (pid %ld) is still running after compare returned", pid);

    run_in(&p, &suite, repo_dir, ENV("CCBENCH_BUILD_TIMEOUT_S=soon", env_cache, env_source),
           ARGS("compare", "main", "slow", QUICK));
    expect_status(&p, 2);
    expect_contains(p.err, "CCBENCH_BUILD_TIMEOUT_S=soon");
    proc_free(&p);
}

/* Without --blocks a profile is a time budget: a cheap scenario gets more than the profile's
 * minimum of 6 blocks (as many as its share buys, at most 500); with --blocks it gets exactly
 * that many. */
static void test_compare__quick_budget_buys_more_blocks_than_the_minimum(void **state)
{
    proc p;
    cJSON *root;
    (void)state;

    compare(&p, ARGS("compare", "main", "main", "--profile", "quick", "--scenario", "spawn_floor",
                     "--format", "json", "--no-fail"));
    expect_status(&p, 0);
    expect_contains(p.err, "budget");
    /* Progress says what a budget does, not "2000/24 samples". */
    expect_contains(p.err, "spawn_floor: running at least 24 samples, then more for up to");
    root = cJSON_Parse(p.out);
    assert_non_null(root);
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(root, "blocks");
    assert_true(cJSON_IsNumber(blocks));
    assert_true(blocks->valuedouble > 6);
    assert_true(blocks->valuedouble <= 500);
    /* What the budget bought is recorded: the blocks, the share, each side's time. */
    const cJSON *round = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "rounds"), 0);
    assert_non_null(round);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(round, "scenario")->valuestring,
                        "spawn_floor");
    assert_true(cJSON_GetObjectItemCaseSensitive(round, "blocks")->valuedouble ==
                blocks->valuedouble);
    assert_true(cJSON_GetObjectItemCaseSensitive(round, "budget_ms")->valuedouble > 0);
    assert_true(cJSON_GetObjectItemCaseSensitive(round, "baseline_ms")->valuedouble > 0);
    assert_true(cJSON_GetObjectItemCaseSensitive(round, "candidate_ms")->valuedouble > 0);
    cJSON_Delete(root);
    proc_free(&p);

    compare(&p, ARGS("compare", "main", "main", "--profile", "quick", "--scenario", "spawn_floor",
                     "--format", "json", "--no-fail", "--blocks", "3"));
    expect_status(&p, 0);
    root = cJSON_Parse(p.out);
    assert_non_null(root);
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(root, "blocks")->valuedouble, 3);
    cJSON_Delete(root);
    proc_free(&p);
}

/* CPU burners, one per online CPU: other work the guard must see. */
static void burners_start(pid_t *pids, long n)
{
    for (long i = 0; i < n; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            volatile unsigned long x = 0;
            for (;;)
                x++;
        }
    }
}

static void burners_stop(const pid_t *pids, long n)
{
    for (long i = 0; i < n; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
}

/* The machine-state guard: with every CPU busy with other work, --strict refuses before
 * measuring (exit 3, never 1, naming what it saw); without --strict the compare runs and its
 * report carries the warning in every format (JSON here). */
static void test_compare__strict_refuses_a_busy_machine(void **state)
{
    proc p;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    pid_t pids[64];
    (void)state;
    if (ncpu > 64)
        ncpu = 64;
    burners_start(pids, ncpu);
    compare(&p, ARGS("compare", "main", "main", "--profile", "quick", "--scenario", "spawn_floor",
                     "--format", "json", "--blocks", "2", "--strict"));
    int strict_status = p.status;
    char *strict_err = strdup(p.err);
    proc_free(&p);
    compare(&p, ARGS("compare", "main", "main", "--profile", "quick", "--scenario", "spawn_floor",
                     "--format", "json", "--blocks", "2"));
    burners_stop(pids, ncpu);

    assert_int_equal(strict_status, 3);
    expect_contains(strict_err, "--strict");
    expect_contains(strict_err, "busy before measuring");
    expect_contains(strict_err, "other processes used");
    free(strict_err);
    expect_status(&p, 0);
    expect_contains(p.out, "machine busy before measuring");
    proc_free(&p);
}

/* The build key holds the compiler's own version line: the same sources built by a compiler
 * that says something else (an upgrade) are built again, never taken from the cache. */
static void test_compare__another_compiler_version_rebuilds(void **state)
{
    char fake_dir[600], script[700], text[6000], env_path[5000];
    proc p;
    (void)state;

    /* Cached first (the suite's earlier tests built main; this makes sure). */
    compare(&p, ARGS("compare", "main", "main", QUICK, "--blocks", "2", "--scenario", "spawn_floor",
                     "--no-fail"));
    expect_status(&p, 0);
    proc_free(&p);

    snprintf(fake_dir, sizeof(fake_dir), "%s/fake-cc", suite.dir);
    assert_int_equal(mkdir(fake_dir, 0755), 0);
    snprintf(script, sizeof(script), "%s/cc", fake_dir);
    snprintf(text, sizeof(text),
             "#!/bin/sh\n"
             "if [ \"$1\" = --version ]; then echo 'cc (ccbench test) 99.0'; exit 0; fi\n"
             "PATH='%s' exec cc \"$@\"\n",
             getenv("PATH"));
    write_text(script, text);
    assert_int_equal(chmod(script, 0755), 0);
    snprintf(env_path, sizeof(env_path), "PATH=%s:%s", fake_dir, getenv("PATH"));

    run_in(&p, &suite, repo_dir, ENV(env_path, env_cache, env_source, env_results),
           ARGS("compare", "main", "main", QUICK, "--blocks", "2", "--scenario", "spawn_floor",
                "--no-fail"));
    expect_status(&p, 0);
    /* Built once (the second operand, the same build, is then cached). */
    expect_contains(p.err, "main: configuring");
    proc_free(&p);
}

/* The snapshot directory a WORKTREE build used, from compare's progress line. */
static void snapshot_dir(const char *err, char *out, size_t cap)
{
    const char *at = strstr(err, "WORKTREE: building ccbench-scenario against ");
    assert_non_null(at);
    at += strlen("WORKTREE: building ccbench-scenario against ");
    size_t len = strcspn(at, "\n");
    assert_true(len < cap);
    snprintf(out, cap, "%.*s", (int)len, at);
    expect_contains(out, "/cache/src/content-");
}

/* WORKTREE is built from a copy of tracker/ taken when compare starts, under the copy's hash:
 * the work tree edited afterwards is a new build, and the old copy stays as it was built. */
static void test_compare__worktree_is_built_from_a_snapshot(void **state)
{
    char work_file[600], snap1[700], snap2[700], copy_file[800];
    proc p;
    (void)state;

    snprintf(work_file, sizeof(work_file), "%s/tracker/src/tracker.c", repo_dir);
    char *original = read_file(work_file);
    /* A data file the build reads, replaced by a symlink to a copy outside the repository:
     * the snapshot keeps the link (it was dropped, and the build failed). */
    char data[700], data_copy[700], link_in_snapshot[800];
    snprintf(data, sizeof(data), "%s/tracker/data/cpu_power.csv", repo_dir);
    snprintf(data_copy, sizeof(data_copy), "%s/cpu_power-elsewhere.csv", suite.dir);
    char *data_text = read_file(data);
    write_text(data_copy, data_text);
    assert_int_equal(unlink(data), 0);
    assert_int_equal(symlink(data_copy, data), 0);

    compare(&p, ARGS("compare", "main", "WORKTREE", QUICK, "--blocks", "2", "--scenario",
                     "spawn_floor", "--no-fail"));
    expect_status(&p, 0);
    snapshot_dir(p.err, snap1, sizeof(snap1));
    proc_free(&p);
    struct stat st;
    snprintf(link_in_snapshot, sizeof(link_in_snapshot), "%s/data/cpu_power.csv", snap1);
    assert_int_equal(lstat(link_in_snapshot, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(unlink(data), 0);
    write_text(data, data_text);
    free(data_text);
    snprintf(copy_file, sizeof(copy_file), "%s/src/tracker.c", snap1);
    char *copied = read_file(copy_file);
    assert_string_equal(copied, original);
    free(copied);

    char *edited = malloc(strlen(original) + 64);
    sprintf(edited, "%s/* edited after the first compare */\n", original);
    write_text(work_file, edited);
    compare(&p, ARGS("compare", "main", "WORKTREE", QUICK, "--blocks", "2", "--scenario",
                     "spawn_floor", "--no-fail"));
    expect_status(&p, 0);
    expect_contains(p.err, "WORKTREE: configuring");
    snapshot_dir(p.err, snap2, sizeof(snap2));
    proc_free(&p);
    assert_string_not_equal(snap1, snap2);
    copied = read_file(copy_file);
    assert_string_equal(copied, original); /* the first snapshot did not follow the edit */
    free(copied);

    write_text(work_file, original);
    free(edited);
    free(original);
}

/* A build that never finished (no .complete: killed at the time limit, ^C, a crash) is not
 * resumed: a compiler killed mid-write leaves a truncated file with a fresh mtime that make
 * would take as up to date. Here: a finished build made to look like such a one. */
static void test_compare__unfinished_build_is_rebuilt_from_scratch(void **state)
{
    char env_cache_partial[700], build_dir[700], path[800];
    proc p;
    (void)state;

    snprintf(env_cache_partial, sizeof(env_cache_partial), "CCBENCH_CACHE_DIR=%s/cache-partial",
             suite.dir);
    run_in(&p, &suite, repo_dir, ENV(env_cache_partial, env_source, env_results),
           ARGS("compare", "main", "main", QUICK, "--blocks", "2", "--scenario", "spawn_floor",
                "--no-fail"));
    expect_status(&p, 0);
    const char *at = strstr(p.err, "main: configuring (log: ");
    assert_non_null(at);
    at += strlen("main: configuring (log: ");
    size_t len = strcspn(at, ")");
    assert_true(len > strlen("/build.log") && len < sizeof(build_dir));
    snprintf(build_dir, sizeof(build_dir), "%.*s", (int)(len - strlen("/build.log")), at);
    proc_free(&p);

    snprintf(path, sizeof(path), "%s/.complete", build_dir);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof(path), "%s/lib/libccb_scenario_core.a", build_dir);
    write_text(path, "!<arch>\n"); /* what ar leaves when killed: newer than its objects */

    run_in(&p, &suite, repo_dir, ENV(env_cache_partial, env_source, env_results),
           ARGS("compare", "main", "main", QUICK, "--blocks", "2", "--scenario", "spawn_floor",
                "--no-fail"));
    expect_status(&p, 0);
    expect_contains(p.err, "main: configuring");
    proc_free(&p);
}

/* Either status is a correct answer (e.g. two noisy runs may or may not differ). */
static void expect_status_in(const proc *p, int a, int b)
{
    if (p->status != a && p->status != b)
        fail_msg("exit status %d, expected %d or %d\nstderr:\n%s", p->status, a, b, p->err);
}

/* A metric of a compare of a file with itself: ratio exactly 1, never a verdict of change. */
static void expect_ratio_one(const char *json_text, const char *scenario, const char *metric)
{
    cJSON *root;
    const cJSON *found = compare_metric(json_text, scenario, metric, &root);
    const cJSON *ratio = cJSON_GetObjectItemCaseSensitive(found, "ratio");
    const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(found, "verdict");
    assert_true(cJSON_IsNumber(ratio));
    assert_true(ratio->valuedouble == 1.0);
    assert_true(strcmp(verdict->valuestring, "regressed") != 0 &&
                strcmp(verdict->valuestring, "improved") != 0);
    cJSON_Delete(root);
}

static void test_compare__two_files_build_nothing(void **state)
{
    char a[600], b[600];
    snprintf(a, sizeof(a), "%s/a.json", suite.dir);
    snprintf(b, sizeof(b), "%s/b.json", suite.dir);
    proc p;
    const char *const files[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        run_in(&p, &suite, suite.dir, NO_ENV,
               ARGS("run", "--scenario", "spawn_floor", "--samples", "5", "--out", files[i],
                    "--quiet"));
        expect_status(&p, 0);
        proc_free(&p);
    }
    /* Outside any repository, no cache: nothing to build with, so nothing may be built. Two
     * separate 5-sample runs can differ several-fold on a loaded machine, so their verdict is
     * not asserted; a file against itself is exactly ratio 1 with a U-test p of 1. */
    run_in(&p, &suite, suite.dir, NO_ENV, ARGS("compare", a, b, "--format", "json"));
    expect_status_in(&p, 0, 1);
    expect_contains(p.out, "\"mode\":\t\"files\"");
    assert_null(strstr(p.err, "configuring"));
    proc_free(&p);
    run_in(&p, &suite, suite.dir, NO_ENV, ARGS("compare", a, a, "--format", "json"));
    expect_status(&p, 0);
    expect_ratio_one(p.out, "spawn_floor", "process_ms");
    expect_ratio_one(p.out, "spawn_floor", "maxrss_kb");
    assert_null(strstr(p.err, "configuring"));
    proc_free(&p);
}

/* Issue 15 item 6: two compares of one revision in one cache. The first holds the entry's
 * lock while its (fake, blocked) cmake runs; the second says it waits and leaves the first's
 * build directory alone, then takes its turn once the first is done. Without the lock the
 * second wipes the directory and starts its own build at once. */
static void test_compare__concurrent_compares_wait_for_the_build(void **state)
{
    char fake_dir[600], script[700], fifo[700], env_path[5000], env_cache_lock[700];
    char text[2000], buf_a[4096], buf_b[4096], buf_b2[4096], log_path[1000];
    (void)state;

    snprintf(fake_dir, sizeof(fake_dir), "%s/fake-cmake-lock", suite.dir);
    assert_int_equal(mkdir(fake_dir, 0755), 0);
    snprintf(fifo, sizeof(fifo), "%s/go", fake_dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(script, sizeof(script), "%s/cmake", fake_dir);
    /* The first cmake blocks until the test writes to the FIFO; any later one fails at once. */
    snprintf(text, sizeof(text),
             "#!/bin/sh\n[ -e '%s/released' ] && exit 1\nread x < '%s'\ntouch '%s/released'\n"
             "exit 1\n",
             fake_dir, fifo, fake_dir);
    write_text(script, text);
    assert_int_equal(chmod(script, 0755), 0);
    snprintf(env_path, sizeof(env_path), "PATH=%s:%s", fake_dir, getenv("PATH"));
    snprintf(env_cache_lock, sizeof(env_cache_lock), "CCBENCH_CACHE_DIR=%s/cache-lock", suite.dir);
    /* The time limit bounds the first compare's blocked cmake if this test fails midway. */
    const char *const *env =
        ENV(env_path, env_cache_lock, env_source, env_results, "CCBENCH_BUILD_TIMEOUT_S=60");
    const char *const *args = ARGS("compare", "main", "main", QUICK);

    int err_a = -1, err_b = -1;
    pid_t a = spawn_ccbench(&suite, repo_dir, env, args, &err_a);
    read_stderr_until(a, err_a, "main: configuring (log: ", buf_a, sizeof(buf_a));
    const char *at = strstr(buf_a, "main: configuring (log: ") + strlen("main: configuring (log: ");
    snprintf(log_path, sizeof(log_path), "%.*s", (int)strcspn(at, ")"), at);
    pid_t b = spawn_ccbench(&suite, repo_dir, env, args, &err_b);
    read_stderr_until(b, err_b, "waiting for another ccbench", buf_b, sizeof(buf_b));
    /* B is waiting: A's build directory is still there, as A left it. */
    assert_int_equal(access(log_path, F_OK), 0);

    int go = open(fifo, O_WRONLY | O_CLOEXEC); /* A's cmake is the only reader */
    assert_true(go >= 0);
    assert_int_equal(write(go, "\n", 1), 1);
    close(go);
    assert_int_equal(wait_bounded(a, 120), 3); /* its (fake) build failed, as it should */
    read_stderr_until(b, err_b, "main: configuring", buf_b2, sizeof(buf_b2));
    assert_int_equal(wait_bounded(b, 120), 3);
    close(err_a);
    close(err_b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare__two_files_build_nothing),
        cmocka_unit_test(test_compare__bad_operands),
        cmocka_unit_test(test_compare__hung_build_is_killed_at_the_time_limit),
        cmocka_unit_test(test_compare__concurrent_compares_wait_for_the_build),
        cmocka_unit_test(test_compare__unfinished_build_is_rebuilt_from_scratch),
        cmocka_unit_test(test_compare__a_a_has_no_regression),
        cmocka_unit_test(test_compare__slow_start_regresses_and_reverse_improves),
        cmocka_unit_test(test_compare__second_compare_builds_nothing),
        cmocka_unit_test(test_compare__user_repository_is_untouched),
        cmocka_unit_test(test_compare__another_compiler_version_rebuilds),
        cmocka_unit_test(test_compare__quick_budget_buys_more_blocks_than_the_minimum),
        cmocka_unit_test(test_compare__strict_refuses_a_busy_machine),
        cmocka_unit_test(test_compare__worktree_is_built_from_a_snapshot),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
