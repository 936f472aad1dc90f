/* The process-driving helpers of the CLI tests (see cli_driver.h). */
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

#include <git2.h>

#include "cli_driver.h"
#include "error.h"

extern char **environ;

char ccbench_bin[PATH_MAX];
int cli_deadline_s = 120;

int cli_group_setup(void **state)
{
    const char *build = getenv("CCB_TEST_BINARY_DIR");
    if (!build) {
        fprintf(stderr, "CCB_TEST_BINARY_DIR is not set: run this test through ctest\n");
        return -1;
    }
    if (snprintf(ccbench_bin, sizeof(ccbench_bin), "%s/bin/ccbench", build) >=
        (int)sizeof(ccbench_bin))
        return -1;
    git_libgit2_init();
    return 0;
}

int cli_group_teardown(void **state)
{
    git_libgit2_shutdown();
    return 0;
}

int cli_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    const char *base = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/ccbench-test-XXXXXX", base && base[0] ? base : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int cli_teardown(void **state)
{
    fixture *f = *state;
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

void proc_free(proc *p)
{
    free(p->out);
    free(p->err);
    p->out = p->err = NULL;
}

char *read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t n = fread(buf + len, 1, 4096, fp);
        len += n;
        if (n == 0)
            break;
    }
    buf[len] = '\0';
    fclose(fp);
    return buf;
}

/* environ with OVERRIDES applied: "KEY=VALUE" sets, "KEY" alone removes. */
char **make_env(const char *const *overrides)
{
    size_t n = 0, k = 0, m = 0;
    while (environ[n])
        n++;
    while (overrides[m])
        m++;
    char **env = calloc(n + m + 1, sizeof(char *));
    assert_non_null(env);
    for (size_t i = 0; i < n; i++) {
        size_t keylen = strcspn(environ[i], "=");
        int overridden = 0;
        for (size_t j = 0; j < m && !overridden; j++)
            overridden = strncmp(overrides[j], environ[i], keylen) == 0 &&
                         (overrides[j][keylen] == '=' || overrides[j][keylen] == '\0');
        if (!overridden)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++) {
        if (strchr(overrides[j], '='))
            env[k++] = (char *)overrides[j];
    }
    return env;
}

static int open_pidfd(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Wait for PID at most TIMEOUT_S; on expiry kill it (its whole process group when it leads
 * one, e.g. a script and the ccbench it runs) and fail the test. */
int wait_bounded(pid_t pid, int timeout_s)
{
    int pidfd = open_pidfd(pid);
    assert_true(pidfd >= 0);
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    int n;
    do {
        n = poll(&pfd, 1, timeout_s * 1000);
    } while (n < 0 && errno == EINTR);
    close(pidfd);
    if (n == 0) {
        if (kill(-pid, SIGKILL) != 0)
            kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("process %d did not finish within %d s", (int)pid, timeout_s);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Spawn ccbench ARGS in CWD (NULL: ours) with ENV overrides; stdout/stderr to files in DIR,
 * or stderr to a pipe (*err_pipe) when ERR_PIPE is given. */
pid_t spawn_ccbench(const fixture *f, const char *cwd, const char *const *env,
                    const char *const *args, int *err_pipe)
{
    size_t nargs = 0;
    while (args[nargs])
        nargs++;
    char **argv = calloc(nargs + 2, sizeof(char *));
    assert_non_null(argv);
    argv[0] = (char *)"ccbench";
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = (char *)args[i];
    char **envp = make_env(env);

    char out[400], err[400];
    snprintf(out, sizeof(out), "%s/.stdout", f->dir);
    snprintf(err, sizeof(err), "%s/.stderr", f->dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fds[2] = {-1, -1};
    if (err_pipe) {
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    } else {
        posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, ccbench_bin, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    free(envp);
    if (rc != 0)
        fail_msg("cannot run %s: %s", ccbench_bin, strerror(rc));
    if (err_pipe) {
        close(fds[1]);
        *err_pipe = fds[0];
    }
    return pid;
}

void run_in(proc *p, const fixture *f, const char *cwd, const char *const *env,
            const char *const *args)
{
    pid_t pid = spawn_ccbench(f, cwd ? cwd : f->dir, env, args, NULL);
    p->status = wait_bounded(pid, cli_deadline_s);
    char path[400];
    snprintf(path, sizeof(path), "%s/.stdout", f->dir);
    p->out = read_file(path);
    snprintf(path, sizeof(path), "%s/.stderr", f->dir);
    p->err = read_file(path);
    assert_non_null(p->out);
    assert_non_null(p->err);
}

void run(proc *p, const fixture *f, const char *const *args)
{
    run_in(p, f, NULL, NO_ENV, args);
}

/* Read the child's stderr pipe until it contains `want` (bounded: 30 s without output, or
 * a full buffer, kills the child and fails the test). */
void read_stderr_until(pid_t pid, int err_fd, const char *want, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    while (!strstr(buf, want)) {
        struct pollfd pfd = {.fd = err_fd, .events = POLLIN};
        int n = poll(&pfd, 1, 30000);
        ssize_t got = n > 0 && len + 1 < cap ? read(err_fd, buf + len, cap - 1 - len) : -1;
        if (got <= 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("ccbench never said \"%s\" on stderr: %s", want, buf);
        }
        len += (size_t)got;
        buf[len] = '\0';
    }
}

void expect_status(const proc *p, int status)
{
    if (p->status != status)
        fail_msg("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", p->status, status, p->out,
                 p->err);
}

void expect_contains(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("expected \"%s\" in:\n%s", want, text);
}

ccb_result *fixture_result(const char *label, const char *created, const char *profile,
                           const char *cpu)
{
    ccb_result *r = ccb_result_new();
    assert_non_null(r);
    r->ccbench_version = strdup("0.1.0");
    r->created_at = strdup(created);
    r->label = strdup(label);
    r->profile = strdup(profile);
    r->machine.hostname = strdup("host");
    r->machine.os = strdup("Linux");
    r->machine.kernel = strdup("6.1.0-test");
    r->machine.cpu_model = strdup(cpu);
    r->machine.compiler = strdup("gcc 12.2.0");
    r->machine.build_type = strdup("Release");
    r->machine.cpus = 2;
    return r;
}

ccb_result *read_result(const char *path)
{
    ccb_result *r = NULL;
    if (ccb_result_read_file(path, &r) != 0)
        fail_msg("%s", ccb_error_message());
    return r;
}

const ccb_scenario_result *find_scenario(const ccb_result *r, const char *name)
{
    const ccb_scenario_result *s = ccb_result_find_scenario(r, name);
    if (!s)
        fail_msg("scenario %s missing from the result", name);
    return s;
}

void path_in(char *buf, size_t size, const fixture *f, const char *name)
{
    snprintf(buf, size, "%s/%s", f->dir, name);
}

void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}
