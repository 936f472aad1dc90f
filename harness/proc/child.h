/*
 * One measured child process, start to reap: spawn it (optionally pinned to a CPU, in its
 * own process group, stdout/stderr to a log file, a result pipe on fd 3) through the tiny
 * ccbench-spawn helper, which reaps it with wait4() right next to it (see spawn_main.c for
 * why); read the pipe, enforce the time limit and ^C by killing the group. It knows nothing
 * of scenarios or JSON: sample.c gives the output meaning.
 */
#ifndef CCB_CHILD_H
#define CCB_CHILD_H

#include <stddef.h>
#include <sys/types.h>

/* The fd on which the child finds its result pipe (protocol.h's --result-fd). */
#define CCB_CHILD_RESULT_FD 3

/* A ccbench-spawn server (spawn_main.c, --serve): one helper process for a whole measuring
 * session, so each sample costs one process start, not two (about a millisecond here). */
typedef struct ccb_child_server {
    pid_t pid;              /* 0: not running */
    int ctl;                /* our end of its control socket */
    double children_cpu_ms; /* user+system CPU of every child it reaped */
    double self_cpu_ms;     /* its own, as of its last answer */
} ccb_child_server;

/* Start HELPER as a server (its stdout/stderr to LOG_PATH). -1 with a message. Children
 * inherit the environment as it is now. */
int ccb_child_server_start(const char *helper, const char *log_path, ccb_child_server *s);
/* End the session: close the socket, reap the server. Safe on a server never started. */
void ccb_child_server_stop(ccb_child_server *s);
/* CPU time of the server and the children it reaped so far (ms): work of ours that the
 * driver's RUSAGE_CHILDREN shows only once the server is reaped. 0 for NULL. */
double ccb_child_server_cpu_ms(const ccb_child_server *s);

typedef struct ccb_child_spec {
    const char *helper;       /* ccbench-spawn (spawn_main.c), absolute */
    ccb_child_server *server; /* non-NULL: spawn through this server instead of a helper each */
    const char *path;         /* the executable, absolute */
    char *const *argv;        /* NULL-terminated, argv[0] included */
    int result_pipe;          /* 1: give the child a pipe on CCB_CHILD_RESULT_FD */
    unsigned int timeout_ms;  /* spawn to reap, then SIGKILL to the process group */
    int cpu;                  /* pin the child to this CPU; -1: do not pin */
    const char *log_path;     /* stdout and stderr, created or truncated */
    int log_append;           /* 1: append to log_path instead of truncating it */
    const char *cwd;          /* the child's working directory; NULL: ours */
    size_t max_output;        /* bytes kept from the pipe; more sets output_overflow */
} ccb_child_spec;

typedef enum ccb_child_end {
    CCB_CHILD_EXITED = 0,       /* `status` is the exit status */
    CCB_CHILD_SIGNALED = 1,     /* `status` is the signal that killed it */
    CCB_CHILD_TIMED_OUT = 2,    /* killed by us after timeout_ms */
    CCB_CHILD_INTERRUPTED = 3,  /* killed by us because ccbench got SIGINT/SIGTERM */
    CCB_CHILD_SPAWN_FAILED = 4, /* never ran; `status` is the errno */
} ccb_child_end;

typedef struct ccb_child_result {
    ccb_child_end end;
    int status;
    char *output; /* what the child wrote on the pipe, NUL-terminated (never NULL on success) */
    size_t output_len;
    int output_overflow;
    double wall_ms;   /* CLOCK_MONOTONIC, spawn to reap (by the helper, next to the child) */
    double cpu_ms;    /* ru_utime + ru_stime */
    double maxrss_kb; /* ru_maxrss */
    long nvcsw, nivcsw;
    double steal_ms; /* machine steal time over the sample; 0 when unavailable */
} ccb_child_result;

/* The helper's path: beside the running ccbench (never from CCBENCH_SCENARIO_DIR: it belongs
 * to the driver, whichever build the measured executables come from). *out is malloc'd. */
int ccb_child_find_helper(char **out);

/* NAME's first executable on PATH (the default path when PATH is unset), malloc'd; NULL when
 * none (or out of memory). Children run by absolute path: see ccb_child_spec.path. */
char *ccb_child_find_on_path(const char *name);

/* Run the child described by SPEC to completion. Returns 0 with *out filled (whatever the
 * child did, including failing to start), or -1 with a message when ccbench itself could not
 * do its part (pipe, log file). Release *out with ccb_child_result_release(). */
int ccb_child_run(const ccb_child_spec *spec, ccb_child_result *out);
void ccb_child_result_release(ccb_child_result *r);

#endif
