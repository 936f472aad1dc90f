/*
 * Shared by the tests that drive the built `ccbench` binary as a user would (test_cli,
 * test_plot): a temp dir per test, spawning with a bounded wait (pidfd + poll, never a
 * sleep), the captured stdout/stderr, and a few expectations on them.
 */
#ifndef CCB_TEST_CLI_DRIVER_H
#define CCB_TEST_CLI_DRIVER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "result.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ENV ((const char *const[]){NULL})
#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct fixture {
    char dir[256];
} fixture;

typedef struct proc {
    int status; /* exit status, or 128 + the signal that killed it */
    char *out, *err;
} proc;

/* Bound on one ccbench run in run_in() (default 120 s; a suite that builds may raise it). */
extern int cli_deadline_s;

/* Absolute path of the ccbench under test (set by group_setup from CCB_TEST_BINARY_DIR). */
extern char ccbench_bin[PATH_MAX];

int cli_group_setup(void **state);
int cli_group_teardown(void **state);
int cli_setup(void **state);
int cli_teardown(void **state);
void proc_free(proc *p);
char *read_file(const char *path);
char **make_env(const char *const *overrides);
int wait_bounded(pid_t pid, int timeout_s);
pid_t spawn_ccbench(const fixture *f, const char *cwd, const char *const *env,
                    const char *const *args, int *err_pipe);
void run_in(proc *p, const fixture *f, const char *cwd, const char *const *env,
            const char *const *args);
void run(proc *p, const fixture *f, const char *const *args);
void read_stderr_until(pid_t pid, int err_fd, const char *want, char *buf, size_t cap);
void expect_status(const proc *p, int status);
void expect_contains(const char *text, const char *want);
ccb_result *read_result(const char *path);
/* A result to fill with scenarios, as a fixture: LABEL, CREATED (ISO 8601), PROFILE, on a
 * 2-CPU machine with CPU as its model (Linux 6.1.0-test, gcc 12.2.0, Release). */
ccb_result *fixture_result(const char *label, const char *created, const char *profile,
                           const char *cpu);
const ccb_scenario_result *find_scenario(const ccb_result *r, const char *name);
void path_in(char *buf, size_t size, const fixture *f, const char *name);

/* Write TEXT to PATH (replacing it), failing the test on any error. */
void write_text(const char *path, const char *text);

#endif
