/*
 * Issue 15, harness side: bad destinations and bad inputs found by an adversarial pass. Each
 * case drives the built ccbench as a user would and checks the exit status, the message and
 * that nothing outside its place was touched.
 */
#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <git2.h>

#include "result.h"

#include "cli_driver.h"
#include "tinyfs.h"

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Item 3: --out that is not a regular file is refused before measuring, and left as it was
 * (rename() over a FIFO or, as root, over /dev/null would replace the node). */
static void test_reliability__out_not_regular_file_exits_2(void **state)
{
    fixture *f = *state;
    char fifo[400];
    path_in(fifo, sizeof(fifo), f, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    proc p;
    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--out", fifo));
    expect_status(&p, 2);
    expect_contains(p.err, fifo);
    expect_contains(p.err, "not a regular file");
    assert_string_equal(p.out, ""); /* refused before measuring: no report */
    proc_free(&p);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

/* Item 3: a results directory (or --out directory) where no file can be created is found
 * before measuring. /proc/self refuses creates even to root, whom access(W_OK) lets through. */
static void test_reliability__unwritable_results_dir_exits_2_before_measuring(void **state)
{
    fixture *f = *state;
    proc p;
    run_in(&p, f, f->dir, ENV("CCBENCH_RESULTS_DIR=/proc/self"),
           ARGS("run", "--scenario", "spawn_floor", "--samples", "1"));
    expect_status(&p, 2);
    expect_contains(p.err, "/proc/self");
    assert_string_equal(p.out, "");
    proc_free(&p);

    run(&p, f,
        ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--out", "/proc/self/r.json"));
    expect_status(&p, 2);
    expect_contains(p.err, "/proc/self/r.json");
    assert_string_equal(p.out, "");
    proc_free(&p);
}

/* Item 4: a FIFO given as a result file is refused, naming it; opening it must not wait for
 * a writer (without O_NONBLOCK, open() blocks and the bounded wait kills ccbench). */
static void test_reliability__fifo_result_file_exits_2(void **state)
{
    fixture *f = *state;
    char fifo[400];
    path_in(fifo, sizeof(fifo), f, "r.json");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    const char *const *cases[] = {
        ARGS("show", fifo),
        ARGS("history", fifo),
        ARGS("plot", fifo),
        ARGS("compare", fifo, fifo),
    };
    int saved = cli_deadline_s;
    cli_deadline_s = 20;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        proc p;
        run(&p, f, cases[i]);
        expect_status(&p, 2);
        expect_contains(p.err, fifo);
        expect_contains(p.err, "not a regular file");
        proc_free(&p);
    }
    cli_deadline_s = saved;
}

#ifdef CCBENCH_SELFTEST_SCENARIOS

/* Item 14: SIGTERM while the result file is written (a test-build hook raises it there) is
 * exit 130 with a message, no temp file and no result, and the previous latest.json kept.
 * Without the fix ccbench dies by the signal (143) and leaves <file>.tmp.<pid>. */
static void test_reliability__term_while_writing_exits_130_and_cleans_up(void **state)
{
    fixture *f = *state;
    char dir[400], env[450], latest[450];
    path_in(dir, sizeof(dir), f, "results");
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(env, sizeof(env), "CCBENCH_RESULTS_DIR=%s", dir);
    snprintf(latest, sizeof(latest), "%s/latest.json", dir);
    write_text(latest, "previous");
    proc p;
    run_in(&p, f, f->dir, ENV(env, "CCBENCH_SELFTEST_TERM_WHILE_WRITING=1"),
           ARGS("run", "--scenario", "spawn_floor", "--samples", "1"));
    expect_status(&p, 130);
    expect_contains(p.err, "interrupted");
    proc_free(&p);
    assert_int_equal(count_entries(dir), 1); /* only latest.json, still the old one */
    char *text = read_file(latest);
    assert_string_equal(text, "previous");
    free(text);
}
#endif

/* ccbench ARGS in F's dir with stdout on /dev/full; stderr into *err (malloc'd). */
static int run_to_dev_full(const fixture *f, const char *const *args, char **err)
{
    size_t nargs = 0;
    while (args[nargs])
        nargs++;
    char **argv = calloc(nargs + 2, sizeof(char *));
    assert_non_null(argv);
    argv[0] = (char *)"ccbench";
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = (char *)args[i];
    char **envp = make_env(NO_ENV);
    char errpath[400];
    path_in(errpath, sizeof(errpath), f, ".stderr-full");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/full", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, f->dir);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, ccbench_bin, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    free(envp);
    if (rc != 0)
        fail_msg("cannot run %s: %s", ccbench_bin, strerror(rc));
    int status = wait_bounded(pid, 60);
    *err = read_file(errpath);
    return status;
}

/* Item 13: stdout is /dev/full. Every command, --help and --version included, exits 2 with
 * a message on stderr (before: help and compare 3 without one, --version 0). */
static void test_reliability__stdout_full_is_exit_2_with_message(void **state)
{
    fixture *f = *state;
    char res[400];
    path_in(res, sizeof(res), f, "r.json");
    proc p;
    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", res, "--quiet"));
    expect_status(&p, 0);
    proc_free(&p);
    const char *const *cases[] = {
        ARGS("--version"),
        ARGS("--help"),
        ARGS("help"),
        ARGS("help", "run"),
        ARGS("show", "--help"),
        ARGS("list"),
        ARGS("show", res),
        ARGS("history", res),
        ARGS("compare", res, res),
        ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--quiet", "--out", "r2.json"),
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *err = NULL;
        int status = run_to_dev_full(f, cases[i], &err);
        if (status != 2 || !strstr(err, "ccbench: ") || !strstr(err, "write"))
            fail_msg("ccbench %s ... > /dev/full: exit %d, stderr: %s", cases[i][0], status, err);
        free(err);
    }
}

/* Item 15: a --duration that rounds to 0 ms (then silently replaced by the profile's 3 s) is
 * exit 2 naming the option; the smallest meaningful value is still taken. */
static void test_reliability__duration_rounding_to_zero_exits_2(void **state)
{
    fixture *f = *state;
    const char *const bad[] = {"0.0004", "0.0000001", "1e-300", "0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        proc p;
        run(&p, f, ARGS("run", "--scenario", "throughput", "--duration", bad[i], "--quiet"));
        expect_status(&p, 2);
        expect_contains(p.err, "--duration");
        expect_contains(p.err, bad[i]);
        assert_string_equal(p.out, "");
        proc_free(&p);
    }
}

/* Item 17: a missing or full TMPDIR is exit 2 naming it, before anything is built or
 * measured (it was exit 3, documented for build and scenario failures only). */
static void test_reliability__missing_or_full_tmpdir_exits_2(void **state)
{
    fixture *f = *state;
    char out[400];
    path_in(out, sizeof(out), f, "r.json");
    const char *const *cmds[] = {
        ARGS("run", "--scenario", "spawn_floor", "--samples", "1", "--out", out),
        ARGS("noise", "--scenario", "spawn_floor"),
    };
    proc p;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        run_in(&p, f, f->dir, ENV("TMPDIR=/nonexistent-ccbench-tmp"), cmds[i]);
        expect_status(&p, 2);
        expect_contains(p.err, "/nonexistent-ccbench-tmp");
        expect_contains(p.err, "TMPDIR");
        proc_free(&p);
    }
    assert_int_equal(access(out, F_OK), -1);

    char dir[300], why[300], env[400];
    if (tinyfs_mount(dir, sizeof(dir), 64, why, sizeof(why)) != 0) {
        fprintf(stderr, "full TMPDIR case skipped: %s\n", why);
        return;
    }
    assert_int_equal(tinyfs_fill(dir), 0);
    snprintf(env, sizeof(env), "TMPDIR=%s", dir);
    run_in(&p, f, f->dir, ENV(env), cmds[0]);
    int status = p.status;
    char *err = strdup(p.err);
    proc_free(&p);
    tinyfs_unmount(dir);
    assert_int_equal(status, 2);
    expect_contains(err, "No space left on device");
    expect_contains(err, "TMPDIR");
    free(err);
}

/* Item 17: `mockapi --port N` on a port already taken is exit 2 (bad input), not 3. */
static void test_reliability__mockapi_busy_port_exits_2(void **state)
{
    fixture *f = *state;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(s, 1), 0);
    socklen_t len = sizeof(addr);
    assert_int_equal(getsockname(s, (struct sockaddr *)&addr, &len), 0);
    char port[16];
    snprintf(port, sizeof(port), "%u", (unsigned)ntohs(addr.sin_port));
    proc p;
    run(&p, f, ARGS("mockapi", "--port", port));
    close(s);
    expect_status(&p, 2);
    expect_contains(p.err, port);
    proc_free(&p);
}

/* Item 12: a newline in `plot --out` went raw into the script's first comment line, so the
 * next line ran as a gnuplot command (system() included). It is refused: exit 2, nothing
 * written, nothing run. */
static void test_reliability__plot_out_with_newline_exits_2(void **state)
{
    fixture *f = *state;
    char res[400], out[800], pwned[400];
    path_in(res, sizeof(res), f, "r.json");
    path_in(pwned, sizeof(pwned), f, "pwned");
    proc p;
    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", res, "--quiet"));
    expect_status(&p, 0);
    proc_free(&p);
    snprintf(out, sizeof(out), "%s/x\nsystem('touch %s')\n.png", f->dir, pwned);
    run(&p, f, ARGS("plot", res, "--out", out));
    expect_status(&p, 2);
    expect_contains(p.err, "control character");
    proc_free(&p);
    assert_int_equal(access(pwned, F_OK), -1);
    char script[900];
    snprintf(script, sizeof(script), "%s/x\nsystem('touch %s')\n.gp", f->dir, pwned);
    assert_int_equal(access(script, F_OK), -1);
}

/* Item 16: messages that pointed the wrong way. */
static void test_reliability__messages_name_the_real_problem(void **state)
{
    fixture *f = *state;
    char res[400], bad[400], bare[400], sub[400];
    path_in(res, sizeof(res), f, "r.json");
    path_in(bad, sizeof(bad), f, "inf.json");
    proc p;
    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", res, "--quiet"));
    expect_status(&p, 0);
    proc_free(&p);

    /* A sample of 1e999 (infinity once parsed) was "element 0 is a number". */
    char *text = read_file(res);
    char *at = strstr(text, "\"samples\":");
    assert_non_null(at);
    at = strchr(at, '[');
    assert_non_null(at);
    size_t num = strcspn(at + 1, ",]");
    char *edited = NULL;
    assert_true(asprintf(&edited, "%.*s1e999%s", (int)(at + 1 - text), text, at + 1 + num) > 0);
    write_text(bad, edited);
    free(edited);
    free(text);
    run(&p, f, ARGS("show", bad));
    expect_status(&p, 2);
    expect_contains(p.err, "not finite");
    proc_free(&p);

    /* /proc files report size 0: it was "the file is empty". */
    run(&p, f, ARGS("show", "/proc/self/status"));
    expect_status(&p, 2);
    expect_contains(p.err, "not valid JSON");
    assert_null(strstr(p.err, "empty"));
    proc_free(&p);

    /* A directory operand written as a path was "no git repository". */
    path_in(sub, sizeof(sub), f, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    run(&p, f, ARGS("compare", res, sub));
    expect_status(&p, 2);
    expect_contains(p.err, "is a directory");
    proc_free(&p);

    /* In a bare repository its HEAD file was read as a result file ("HEAD: not valid JSON"). */
    path_in(bare, sizeof(bare), f, "bare.git");
    git_libgit2_init();
    git_repository *repo = NULL;
    assert_int_equal(git_repository_init(&repo, bare, 1), 0);
    git_repository_free(repo);
    git_libgit2_shutdown();
    run_in(&p, f, bare, NO_ENV, ARGS("compare", "HEAD~1", "HEAD"));
    expect_status(&p, 2);
    assert_null(strstr(p.err, "JSON"));
    expect_contains(p.err, "bare");
    proc_free(&p);
}

/* Smaller: the strict reader refused neither duplicate keys (the first one silently won),
 * nor data hidden after a NUL byte, nor a NUL inside a string (the string was cut there). */
static void test_reliability__strict_reader_rejects_duplicates_and_nul(void **state)
{
    fixture *f = *state;
    char res[400], bad[400];
    path_in(res, sizeof(res), f, "r.json");
    path_in(bad, sizeof(bad), f, "bad.json");
    proc p;
    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", res, "--quiet"));
    expect_status(&p, 0);
    proc_free(&p);
    char *text = read_file(res);
    size_t len = strlen(text);
    char *label = strstr(text, "\"label\":");
    assert_non_null(label);

    /* "label" twice, the second one first in the file. */
    char *dup = NULL;
    assert_true(asprintf(&dup, "{\"label\": \"other\", %s", text + 1) > 0);
    write_text(bad, dup);
    free(dup);
    run(&p, f, ARGS("show", bad));
    expect_status(&p, 2);
    expect_contains(p.err, "'label' appears twice");
    proc_free(&p);

    /* A raw NUL after the document, with more text after it. */
    FILE *fp = fopen(bad, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    assert_int_equal(fwrite("\0{\"x\":1}", 1, 8, fp), 8);
    assert_int_equal(fclose(fp), 0);
    run(&p, f, ARGS("show", bad));
    expect_status(&p, 2);
    char want[64];
    snprintf(want, sizeof(want), "NUL character at byte %zu", len);
    expect_contains(p.err, want);
    proc_free(&p);

    /* \u0000 inside the label string. */
    char *value = strchr(label + strlen("\"label\":"), '"');
    assert_non_null(value);
    size_t vat = (size_t)(value + 1 - text);
    char *nul = NULL;
    assert_true(asprintf(&nul, "%.*s\\u0000%s", (int)vat, text, text + vat) > 0);
    write_text(bad, nul);
    free(nul);
    run(&p, f, ARGS("show", bad));
    expect_status(&p, 2);
    snprintf(want, sizeof(want), "NUL character at byte %zu", vat);
    expect_contains(p.err, want);
    proc_free(&p);
    free(text);
}

/* Smaller: terminal escape sequences in a result file (here ESC and the C1 CSI in the label)
 * were printed raw by show and history. */
static void test_reliability__show_and_history_escape_terminal_controls(void **state)
{
    fixture *f = *state;
    char res[400], bad[400];
    path_in(res, sizeof(res), f, "r.json");
    path_in(bad, sizeof(bad), f, "esc.json");
    proc p;
    run(&p, f,
        ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", res, "--quiet",
             "--label", "LBL"));
    expect_status(&p, 0);
    proc_free(&p);
    char *text = read_file(res);
    char *at = strstr(text, "\"LBL\"");
    assert_non_null(at);
    char *edited = NULL;
    assert_true(asprintf(&edited, "%.*s\"\\u001b]0;owned\\u0007\\u009b31mLBL\"%s", (int)(at - text),
                         text, at + 5) > 0);
    write_text(bad, edited);
    free(edited);
    free(text);
    const char *const *cases[] = {
        ARGS("show", bad),
        ARGS("show", bad, "--format", "markdown"),
        ARGS("history", bad),
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run(&p, f, cases[i]);
        expect_status(&p, 0);
        expect_contains(p.out, "owned?"); /* the label is shown, neutralized */
        if (strchr(p.out, 0x1b) || strchr(p.out, 0x07) || strstr(p.out, "\xc2\x9b") ||
            strchr(p.err, 0x1b))
            fail_msg("ccbench %s printed a control character:\n%s", cases[i][0], p.out);
        proc_free(&p);
    }
}

/* Smaller: a child killed mid-sample (^C, a time limit, a crash) left its
 * ccbench-scenario-* directory in the user's TMPDIR. Children now get the run's own temp dir
 * as TMPDIR, removed however the run ends. A fake runner that leaves a directory behind
 * and fails stands in for the killed child. */
static void test_reliability__children_leave_nothing_in_tmpdir(void **state)
{
    fixture *f = *state;
    char tmp[400], fake[400], script[450], record[450], env_tmp[450], env_dir[450];
    char text[1200];
    path_in(tmp, sizeof(tmp), f, "tmp");
    path_in(fake, sizeof(fake), f, "fake");
    assert_int_equal(mkdir(tmp, 0755), 0);
    assert_int_equal(mkdir(fake, 0755), 0);
    snprintf(record, sizeof(record), "%s/record", fake);
    snprintf(script, sizeof(script), "%s/ccbench-floor", fake);
    snprintf(text, sizeof(text),
             "#!/bin/sh\necho \"$TMPDIR\" >> '%s'\nmkdir -p \"$TMPDIR/ccbench-scenario-left\"\n"
             "exit 1\n",
             record);
    write_text(script, text);
    assert_int_equal(chmod(script, 0755), 0);
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", tmp);
    snprintf(env_dir, sizeof(env_dir), "CCBENCH_SCENARIO_DIR=%s", fake);
    proc p;
    run_in(&p, f, f->dir, ENV(env_tmp, env_dir),
           ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", "r.json"));
    expect_status(&p, 3); /* no valid sample */
    proc_free(&p);
    char *seen = read_file(record);
    char want[450];
    snprintf(want, sizeof(want), "%s/ccbench-", tmp);
    expect_contains(seen, want); /* the child ran with the run's own temp dir */
    free(seen);
    assert_int_equal(count_entries(tmp), 0);
}

/* Item 16: a file operand named like a revision shadowed the revision silently. Now a note
 * says which was taken, and --rev / --file force either. */
static void test_reliability__compare_says_file_or_revision_and_can_be_forced(void **state)
{
    fixture *f = *state;
    char res[400], named[400];
    path_in(res, sizeof(res), f, "r.json");
    path_in(named, sizeof(named), f, "main");
    proc p;
    run(&p, f, ARGS("run", "--scenario", "spawn_floor", "--samples", "2", "--out", res, "--quiet"));
    expect_status(&p, 0);
    proc_free(&p);
    char *text = read_file(res);
    write_text(named, text);
    free(text);

    run(&p, f, ARGS("compare", "main", "r.json", "--format", "json"));
    if (p.status != 0 && p.status != 1)
        fail_msg("compare main r.json: exit %d: %s", p.status, p.err);
    expect_contains(p.err, "'main': taken as the result file");
    expect_contains(p.err, "--rev");
    proc_free(&p);

    /* --rev: the revision, here outside any repository. */
    run(&p, f, ARGS("compare", "--rev", "main", "HEAD"));
    expect_status(&p, 2);
    expect_contains(p.err, "git repository");
    proc_free(&p);

    /* --file: a file, never a revision: a missing one is named as a file. */
    run(&p, f, ARGS("compare", "--file", "r.json", "HEAD"));
    expect_status(&p, 2);
    expect_contains(p.err, "HEAD: cannot open");
    proc_free(&p);

    run(&p, f, ARGS("compare", "--file", "--rev", "main", "r.json"));
    expect_status(&p, 2);
    expect_contains(p.err, "exclude each other");
    proc_free(&p);
}

/* noise outside a repository names what to do for noise, not another command. */
static void test_reliability__noise_outside_a_repository_says_what_to_do(void **state)
{
    fixture *f = *state;
    proc p;
    run_in(&p, f, f->dir, NO_ENV, ARGS("noise", "--profile", "quick"));
    expect_status(&p, 2);
    expect_contains(p.err, "is in no git repository");
    expect_contains(p.err, "--repo PATH");
    assert_null(strstr(p.err, "run compare"));
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reliability__out_not_regular_file_exits_2, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(
            test_reliability__unwritable_results_dir_exits_2_before_measuring, cli_setup,
            cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__fifo_result_file_exits_2, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__duration_rounding_to_zero_exits_2,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__missing_or_full_tmpdir_exits_2, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__mockapi_busy_port_exits_2, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__plot_out_with_newline_exits_2, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__messages_name_the_real_problem, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__strict_reader_rejects_duplicates_and_nul,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__show_and_history_escape_terminal_controls,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__children_leave_nothing_in_tmpdir,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(
            test_reliability__compare_says_file_or_revision_and_can_be_forced, cli_setup,
            cli_teardown),
        cmocka_unit_test_setup_teardown(test_reliability__stdout_full_is_exit_2_with_message,
                                        cli_setup, cli_teardown),
#ifdef CCBENCH_SELFTEST_SCENARIOS
        cmocka_unit_test_setup_teardown(
            test_reliability__term_while_writing_exits_130_and_cleans_up, cli_setup, cli_teardown),
#endif
        cmocka_unit_test_setup_teardown(
            test_reliability__noise_outside_a_repository_says_what_to_do, cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, cli_group_setup, cli_group_teardown);
}
