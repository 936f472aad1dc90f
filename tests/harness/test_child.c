/*
 * The one process runner (harness/proc/child.c), driven directly: every way a child can end
 * (exit status, signal, time limit with its process group, a program that does not exist),
 * what it hands back (the result pipe, the log, the working directory, its own max RSS), in
 * both modes: a ccbench-spawn helper per child, and one `ccbench-spawn --serve` for many
 * children (a measuring session). Children are /bin/sh one-liners; nothing is timed.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "error.h"

static char *helper;
static char dir[] = "/tmp/ccb-test-child-XXXXXX";
static char log_path[128];

static int group_setup(void **state)
{
    (void)state;
    if (ccb_child_find_helper(&helper) != 0) {
        fprintf(stderr, "%s\n", ccb_error_message());
        return -1;
    }
    if (!mkdtemp(dir))
        return -1;
    snprintf(log_path, sizeof(log_path), "%s/child.log", dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return -1;
    free(helper);
    return 0;
}

/* Run `sh -c SCRIPT` through SERVER (NULL: a helper of its own) with a result pipe. */
static void run_sh(ccb_child_server *server, const char *script, unsigned int timeout_ms,
                   const char *cwd, ccb_child_result *out)
{
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)script, NULL};
    ccb_child_spec spec = {
        .helper = helper,
        .server = server,
        .path = "/bin/sh",
        .argv = argv,
        .result_pipe = 1,
        .timeout_ms = timeout_ms,
        .cpu = -1,
        .log_path = log_path,
        .cwd = cwd,
        .max_output = 4096,
    };
    if (ccb_child_run(&spec, out) != 0)
        fail_msg("ccb_child_run: %s", ccb_error_message());
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Both modes, so each case runs once through a helper per child and once through a server. */
static void with_each_mode(void (*body)(ccb_child_server *))
{
    body(NULL);
    ccb_child_server server;
    char server_log[160];
    snprintf(server_log, sizeof(server_log), "%s/server.log", dir);
    assert_int_equal(ccb_child_server_start(helper, server_log, &server), 0);
    body(&server);
    ccb_child_server_stop(&server);
    assert_int_equal(server.pid, 0);
}

static void exit_status_output_and_log(ccb_child_server *server)
{
    ccb_child_result r;
    run_sh(server, "echo to-stdout; echo to-stderr >&2; printf '{\"a\":1}' >&3; exit 7", 10000,
           NULL, &r);
    assert_int_equal(r.end, CCB_CHILD_EXITED);
    assert_int_equal(r.status, 7);
    assert_string_equal(r.output, "{\"a\":1}");
    assert_true(r.wall_ms > 0);
    const char *log = slurp(log_path);
    assert_non_null(strstr(log, "to-stdout"));
    assert_non_null(strstr(log, "to-stderr"));
    ccb_child_result_release(&r);
}

static void test_child__exit_status_output_and_log(void **state)
{
    (void)state;
    with_each_mode(exit_status_output_and_log);
}

static void killed_by_a_signal(ccb_child_server *server)
{
    ccb_child_result r;
    run_sh(server, "kill -SEGV $$", 10000, NULL, &r);
    assert_int_equal(r.end, CCB_CHILD_SIGNALED);
    assert_int_equal(r.status, SIGSEGV);
    ccb_child_result_release(&r);
}

static void test_child__killed_by_a_signal(void **state)
{
    (void)state;
    with_each_mode(killed_by_a_signal);
}

/* Has PID exited (gone, or a zombie waiting for init)? */
static int gone(long pid)
{
    char path[64], st = '?';
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    int n = fscanf(f, "%*d (%*[^)]) %c", &st);
    fclose(f);
    return n == 1 && (st == 'Z' || st == 'X');
}

static void time_limit_kills_the_group(ccb_child_server *server)
{
    ccb_child_result r;
    char script[256], pid_file[160];
    snprintf(pid_file, sizeof(pid_file), "%s/grandchild.pid", dir);
    /* The grandchild's pid reaches the file before the child waits: the limit comes later. */
    snprintf(script, sizeof(script), "sleep 1000 & echo $! > '%s'; wait", pid_file);
    run_sh(server, script, 300, NULL, &r);
    assert_int_equal(r.end, CCB_CHILD_TIMED_OUT);
    ccb_child_result_release(&r);
    long pid = atol(slurp(pid_file));
    assert_true(pid > 0);
    /* SIGKILL went to the whole group; the orphan is reaped by init asynchronously. */
    for (int i = 0; i < 2000 && !gone(pid); i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    assert_true(gone(pid));
    /* The session goes on: the next child runs normally. */
    run_sh(server, "printf next >&3", 10000, NULL, &r);
    assert_int_equal(r.end, CCB_CHILD_EXITED);
    assert_string_equal(r.output, "next");
    ccb_child_result_release(&r);
}

static void test_child__time_limit_kills_the_group(void **state)
{
    (void)state;
    with_each_mode(time_limit_kills_the_group);
}

static void missing_program_and_cwd(ccb_child_server *server)
{
    ccb_child_result r;
    char *argv[] = {(char *)"nope", NULL};
    ccb_child_spec spec = {.helper = helper,
                           .server = server,
                           .path = "/nonexistent/nope",
                           .argv = argv,
                           .timeout_ms = 10000,
                           .cpu = -1,
                           .log_path = log_path,
                           .max_output = 64};
    assert_int_equal(ccb_child_run(&spec, &r), 0);
    assert_int_equal(r.end, CCB_CHILD_SPAWN_FAILED);
    assert_int_equal(r.status, ENOENT);
    ccb_child_result_release(&r);

    run_sh(server, "pwd >&3", 10000, dir, &r);
    assert_int_equal(r.end, CCB_CHILD_EXITED);
    char want[160];
    snprintf(want, sizeof(want), "%s\n", dir);
    assert_string_equal(r.output, want);
    ccb_child_result_release(&r);
}

static void test_child__missing_program_and_working_directory(void **state)
{
    (void)state;
    with_each_mode(missing_program_and_cwd);
}

/* The reason the helper exists: a child's max RSS is its own, not the driver's (this test
 * binary maps far more than a shell under ASan). */
static void own_max_rss(ccb_child_server *server)
{
    ccb_child_result r;
    run_sh(server, "exit 0", 10000, NULL, &r);
    assert_int_equal(r.end, CCB_CHILD_EXITED);
    assert_true(r.maxrss_kb > 0);
    assert_true(r.maxrss_kb < 8192);
    ccb_child_result_release(&r);
}

static void test_child__max_rss_is_the_childs_own(void **state)
{
    (void)state;
    with_each_mode(own_max_rss);
}

/* One server, many children: it answers each in turn and counts their CPU as ours. */
static void test_child__a_server_runs_many_children(void **state)
{
    (void)state;
    ccb_child_server server;
    char server_log[160];
    snprintf(server_log, sizeof(server_log), "%s/server.log", dir);
    assert_int_equal(ccb_child_server_start(helper, server_log, &server), 0);
    pid_t pid = server.pid;
    for (int i = 0; i < 40; i++) {
        ccb_child_result r;
        char script[64], want[16];
        snprintf(script, sizeof(script), "printf %d >&3; exit %d", i, i % 3);
        snprintf(want, sizeof(want), "%d", i);
        run_sh(&server, script, 10000, NULL, &r);
        assert_int_equal(r.end, CCB_CHILD_EXITED);
        assert_int_equal(r.status, i % 3);
        assert_string_equal(r.output, want);
        ccb_child_result_release(&r);
    }
    assert_int_equal(server.pid, pid); /* the same server throughout */
    assert_true(ccb_child_server_cpu_ms(&server) > 0);
    ccb_child_server_stop(&server);
    assert_int_equal(server.pid, 0);
    assert_true(gone(pid));
}

/* A server killed from outside: the next sample is a harness error naming the helper, not a
 * hang and not a fake result. */
static void test_child__a_lost_server_is_an_error(void **state)
{
    (void)state;
    ccb_child_server server;
    char server_log[160];
    snprintf(server_log, sizeof(server_log), "%s/server.log", dir);
    assert_int_equal(ccb_child_server_start(helper, server_log, &server), 0);
    assert_int_equal(kill(server.pid, SIGKILL), 0);
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)"exit 0", NULL};
    ccb_child_spec spec = {.helper = helper,
                           .server = &server,
                           .path = "/bin/sh",
                           .argv = argv,
                           .timeout_ms = 10000,
                           .cpu = -1,
                           .log_path = log_path,
                           .max_output = 64};
    ccb_child_result r;
    assert_int_equal(ccb_child_run(&spec, &r), -1);
    assert_non_null(strstr(ccb_error_message(), "spawn helper"));
    assert_int_equal(server.pid, 0);
    ccb_child_server_stop(&server); /* already stopped: harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child__exit_status_output_and_log),
        cmocka_unit_test(test_child__killed_by_a_signal),
        cmocka_unit_test(test_child__time_limit_kills_the_group),
        cmocka_unit_test(test_child__missing_program_and_working_directory),
        cmocka_unit_test(test_child__max_rss_is_the_childs_own),
        cmocka_unit_test(test_child__a_server_runs_many_children),
        cmocka_unit_test(test_child__a_lost_server_is_an_error),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
