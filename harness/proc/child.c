/*
 * Spawning, watching and reaping one measured process (see child.h). ccbench spawns the
 * ccbench-spawn helper with posix_spawn() (CLONE_VM|CLONE_VFORK in glibc: the cost does not
 * grow with the driver's address space); the helper spawns the child, reaps it and reports
 * its exit and rusage on a status pipe. ccbench watches the result pipe, the status pipe and
 * the helper's pidfd, and kills the whole process group on timeout or ^C.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "interrupt.h"
#include "paths.h"
#include "procstat.h"

extern char **environ;

#define HELPER_NAME "ccbench-spawn"
#define STATUS_FD 4 /* the helper's status pipe, right after the result fd */
/* Our own fds move at or above this, so no dup2 in the child can clobber another. */
#define HIGH_FD 10
/* Without a pidfd (kernels before 5.3) the exit is noticed by polling in slices this long. */
#define FALLBACK_SLICE_MS 10

int ccb_child_find_helper(char **out)
{
    char *dir = NULL;
    *out = NULL;
    if (ccb_paths_exe_dir(&dir) != 0)
        return -1;
    int n = asprintf(out, "%s/%s", dir, HELPER_NAME);
    free(dir);
    if (n < 0) {
        *out = NULL;
        return ccb_error_set("out of memory");
    }
    if (access(*out, X_OK) != 0) {
        ccb_error_set("%s: not found or not executable. It is built with ccbench "
                      "(cmake --build BUILD_DIR) and must stay beside it.",
                      *out);
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* The machine's cumulative steal time in ms, -1 when unknown: a sample records its change. */
static double steal_now(void)
{
    ccb_procstat ps;
    return ccb_procstat_read(&ps) == 0 ? ps.steal_ms : -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct timespec ms_to_timespec(double ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
    if (ts.tv_nsec < 0)
        ts.tv_nsec = 0;
    if (ts.tv_nsec > 999999999)
        ts.tv_nsec = 999999999;
    return ts;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Has the helper exited? Leaves it a zombie for wait4(). */
static int has_exited(pid_t pid)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

/* The helper leads its own process group and the child is in it: this takes both, and
 * anything the child started. */
static void kill_group(pid_t pid)
{
    if (kill(-pid, SIGKILL) != 0)
        kill(pid, SIGKILL);
}

/* Move FD to HIGH_FD or above (close-on-exec), closing the original. -1 on failure. */
static int move_high(int fd)
{
    if (fd < 0 || fd >= HIGH_FD)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
    close(fd);
    return moved;
}

/* A pipe with both ends moved high and the read end non-blocking. */
static int make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return ccb_error_set("cannot create a pipe: %s", strerror(errno));
    fds[0] = move_high(fds[0]);
    fds[1] = move_high(fds[1]);
    if (fds[0] < 0 || fds[1] < 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0)
        return ccb_error_set("cannot set up a pipe: %s", strerror(errno));
    return 0;
}

typedef struct outbuf {
    int fd; /* read end; -1 once at EOF */
    char *data;
    size_t len, cap, max;
    int overflow;
} outbuf;

/* Read everything available on B's fd into B; close it at EOF or on a read error. */
static void drain(outbuf *b)
{
    while (b->fd >= 0) {
        char chunk[16384];
        ssize_t n = read(b->fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close(b->fd);
            b->fd = -1;
            return;
        }
        size_t keep = (size_t)n;
        if (b->len + keep > b->max) {
            /* Keep reading (a blocked writer would hang the child) but stop storing. */
            b->overflow = 1;
            keep = b->len < b->max ? b->max - b->len : 0;
        }
        if (b->len + keep + 1 > b->cap) {
            size_t cap = b->cap * 2;
            while (cap < b->len + keep + 1)
                cap *= 2;
            char *grown = realloc(b->data, cap);
            if (!grown) {
                b->overflow = 1;
                continue;
            }
            b->data = grown;
            b->cap = cap;
        }
        memcpy(b->data + b->len, chunk, keep);
        b->len += keep;
        b->data[b->len] = '\0';
    }
}

/* The child's stdout/stderr file, created or truncated (or appended to), moved high. -1 with
 * a message naming it. */
static int open_log(const ccb_child_spec *spec)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (spec->log_append ? O_APPEND : O_TRUNC);
    int fd = move_high(open(spec->log_path, flags, 0600));
    if (fd < 0)
        ccb_error_set("cannot create the child's log %s: %s", spec->log_path, strerror(errno));
    return fd;
}

/* On success what the child wrote becomes OUT's (its owner from now on); else it is freed. */
static void hand_over_output(int rc, outbuf *result, ccb_child_result *out)
{
    if (rc == 0) {
        out->output = result->data;
        out->output_len = result->len;
        out->output_overflow = result->overflow;
    } else {
        free(result->data);
    }
    result->data = NULL;
}

static int outbuf_init(outbuf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->fd = -1;
    b->max = max;
    b->cap = 4096;
    b->data = malloc(b->cap);
    if (!b->data)
        return ccb_error_set("out of memory");
    b->data[0] = '\0';
    return 0;
}

static int setup_actions(posix_spawn_file_actions_t *fa, const ccb_child_spec *spec, int logfd,
                         int result_w, int status_w)
{
    int err = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    if (!err)
        err = posix_spawn_file_actions_adddup2(fa, logfd, 1);
    if (!err)
        err = posix_spawn_file_actions_adddup2(fa, logfd, 2);
    /* fd 3 is always something harmless; the helper closes it unless it is the result. */
    if (!err && result_w >= 0)
        err = posix_spawn_file_actions_adddup2(fa, result_w, CCB_CHILD_RESULT_FD);
    else if (!err)
        err = posix_spawn_file_actions_addopen(fa, CCB_CHILD_RESULT_FD, "/dev/null", O_RDONLY, 0);
    if (!err)
        err = posix_spawn_file_actions_adddup2(fa, status_w, STATUS_FD);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    /* Everything of ours is O_CLOEXEC already; this catches any library that forgot. */
    if (!err)
        err = posix_spawn_file_actions_addclosefrom_np(fa, STATUS_FD + 1);
#endif
    if (!err && spec->cwd)
        err = posix_spawn_file_actions_addchdir_np(fa, spec->cwd);
    return err;
}

static int setup_attr(posix_spawnattr_t *attr)
{
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF;
    const sigset_t *mask = ccb_interrupt_child_mask();
    int err = posix_spawnattr_setpgroup(attr, 0);
    if (!err)
        err = posix_spawnattr_setsigdefault(attr, &defaults);
    if (!err && mask) {
        /* ccbench blocks SIGINT/SIGTERM while it measures; children must not inherit that. */
        flags |= POSIX_SPAWN_SETSIGMASK;
        err = posix_spawnattr_setsigmask(attr, mask);
    }
    if (!err)
        err = posix_spawnattr_setflags(attr, flags);
    return err;
}

/* helper STATUS_FD KEEP_FD3 PATH ARGV... */
static char **helper_argv(const ccb_child_spec *spec)
{
    size_t n = 0;
    while (spec->argv[n])
        n++;
    char **argv = calloc(n + 5, sizeof(char *));
    if (!argv)
        return NULL;
    static char status_fd[] = "4" /* STATUS_FD */, keep[] = "1", drop[] = "0";
    argv[0] = (char *)HELPER_NAME;
    argv[1] = status_fd;
    argv[2] = spec->result_pipe ? keep : drop;
    argv[3] = (char *)spec->path;
    for (size_t i = 0; i < n; i++)
        argv[4 + i] = spec->argv[i];
    return argv;
}

/* Wait for the helper to exit while collecting both pipes; enforce the deadline and ^C.
 * Returns EXITED (refined later from the status line), TIMED_OUT or INTERRUPTED. */
static ccb_child_end watch(pid_t pid, int pidfd, outbuf *result, outbuf *status, double deadline)
{
    for (;;) {
        if (ccb_interrupt_requested()) {
            kill_group(pid);
            return CCB_CHILD_INTERRUPTED;
        }
        double remaining = deadline - now_ms();
        if (remaining <= 0) {
            kill_group(pid);
            return CCB_CHILD_TIMED_OUT;
        }
        struct pollfd fds[3];
        nfds_t nfds = 0;
        int pid_slot = -1;
        outbuf *bufs[2] = {result, status};
        for (int i = 0; i < 2; i++) {
            if (bufs[i]->fd >= 0)
                fds[nfds++] = (struct pollfd){.fd = bufs[i]->fd, .events = POLLIN};
        }
        if (pidfd >= 0) {
            pid_slot = (int)nfds;
            fds[nfds++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        }
        double wait_ms = remaining;
        if (pidfd < 0 && wait_ms > FALLBACK_SLICE_MS)
            wait_ms = FALLBACK_SLICE_MS;
        struct timespec ts = ms_to_timespec(wait_ms);
        int n = ppoll(fds, nfds, &ts, ccb_interrupt_wait_mask());
        if (n < 0 && errno != EINTR) {
            kill_group(pid); /* cannot wait properly: do not wait forever */
            return CCB_CHILD_TIMED_OUT;
        }
        drain(result);
        drain(status);
        int exited = pid_slot >= 0 ? (n > 0 && fds[pid_slot].revents) : has_exited(pid);
        if (exited) {
            /* All the child wrote is in the pipes now; a grandchild that still holds a
             * write end must not keep us waiting. */
            drain(result);
            drain(status);
            return CCB_CHILD_EXITED;
        }
    }
}

/* Fill OUT from the helper's status line; 0 if it was well-formed. */
static int parse_status(const char *line, ccb_child_result *out)
{
    char how[16];
    int code = 0;
    long long wall_ns = 0, utime_us = 0, stime_us = 0;
    long maxrss = 0, nvcsw = 0, nivcsw = 0;
    if (sscanf(line, "ccbench-spawn/1 spawn_errno %d", &code) == 1) {
        out->end = CCB_CHILD_SPAWN_FAILED;
        out->status = code;
        return 0;
    }
    if (sscanf(line, "ccbench-spawn/1 %15s %d %lld %lld %lld %ld %ld %ld", how, &code, &wall_ns,
               &utime_us, &stime_us, &maxrss, &nvcsw, &nivcsw) != 8)
        return -1;
    if (strcmp(how, "signal") == 0)
        out->end = CCB_CHILD_SIGNALED;
    else if (strcmp(how, "exit") == 0)
        out->end = CCB_CHILD_EXITED;
    else
        return -1;
    out->status = code;
    out->wall_ms = (double)wall_ns / 1e6;
    out->cpu_ms = (double)(utime_us + stime_us) / 1e3;
    out->maxrss_kb = (double)maxrss;
    out->nvcsw = nvcsw;
    out->nivcsw = nivcsw;
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The server: one ccbench-spawn for a session (spawn_main.c, --serve). */

#define SERVER_CTL_FD 4
#define MAX_REQUEST 65536
/* After a kill, how long the server may take to report the reaped child before ccbench
 * gives up on it (it reaps right after SIGKILL: this only bounds a broken server). */
#define SERVER_GRACE_MS 10000

int ccb_child_server_start(const char *helper, const char *log_path, ccb_child_server *s)
{
    int rc = -1, sv[2] = {-1, -1}, logfd = -1, fa_ready = 0, attr_ready = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = {(char *)HELPER_NAME, (char *)"--serve", NULL};

    memset(s, 0, sizeof(*s));
    s->ctl = -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        ccb_error_set("cannot create the spawn helper's socket: %s", strerror(errno));
        goto done;
    }
    sv[0] = move_high(sv[0]);
    sv[1] = move_high(sv[1]);
    logfd = move_high(open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (sv[0] < 0 || sv[1] < 0 || logfd < 0) {
        ccb_error_set("cannot set up the spawn helper (log %s): %s", log_path, strerror(errno));
        goto done;
    }
    int err = posix_spawn_file_actions_init(&fa);
    fa_ready = err == 0;
    /* 0-3 stay occupied in the server, so the fds it receives never land on them. */
    if (!err)
        err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!err)
        err = posix_spawn_file_actions_adddup2(&fa, logfd, 1);
    if (!err)
        err = posix_spawn_file_actions_adddup2(&fa, logfd, 2);
    if (!err)
        err = posix_spawn_file_actions_addopen(&fa, CCB_CHILD_RESULT_FD, "/dev/null", O_RDONLY, 0);
    if (!err)
        err = posix_spawn_file_actions_adddup2(&fa, sv[1], SERVER_CTL_FD);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (!err)
        err = posix_spawn_file_actions_addclosefrom_np(&fa, SERVER_CTL_FD + 1);
#endif
    if (!err) {
        err = posix_spawnattr_init(&attr);
        attr_ready = err == 0;
    }
    if (!err)
        err = setup_attr(&attr);
    if (!err)
        err = posix_spawn(&s->pid, helper, &fa, &attr, argv, environ);
    if (err) {
        s->pid = 0;
        ccb_error_set("cannot start the spawn helper %s: %s", helper, strerror(err));
        goto done;
    }
    s->ctl = sv[0];
    sv[0] = -1;
    rc = 0;
done:
    if (fa_ready)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_ready)
        posix_spawnattr_destroy(&attr);
    int fds[] = {sv[0], sv[1], logfd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    return rc;
}

void ccb_child_server_stop(ccb_child_server *s)
{
    if (s->ctl >= 0)
        close(s->ctl); /* EOF: the server exits */
    s->ctl = -1;
    if (s->pid <= 0)
        return;
    int pidfd = open_pidfd(s->pid);
    if (pidfd >= 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        if (poll(&p, 1, SERVER_GRACE_MS) <= 0)
            kill_group(s->pid); /* a server that does not leave at EOF is broken: never hang */
        close(pidfd);
    } else {
        kill_group(s->pid);
    }
    while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    s->pid = 0;
}

double ccb_child_server_cpu_ms(const ccb_child_server *s)
{
    return s ? s->children_cpu_ms + s->self_cpu_ms : 0;
}

/* The server stopped answering: reap it so the next session starts a fresh one. -1. */
static int server_lost(ccb_child_server *s, const char *what)
{
    ccb_error_set("the spawn helper (ccbench-spawn --serve, pid %ld) %s: the measurement "
                  "stopped; run again, and report it if it repeats",
                  (long)s->pid, what);
    if (s->pid > 0)
        kill_group(s->pid);
    ccb_child_server_stop(s);
    return -1;
}

/* "KEEP\0CPU\0CWD\0PATH\0ARGV...\0" into BUF. Returns its length, or 0 when too long. */
static size_t build_request(const ccb_child_spec *spec, char *buf, size_t cap)
{
    size_t at = 0;
    char cpu[16];
    snprintf(cpu, sizeof(cpu), "%d", spec->cpu);
    const char *head[4] = {spec->result_pipe ? "1" : "0", cpu, spec->cwd ? spec->cwd : "",
                           spec->path};
    for (size_t i = 0; i < 4 + SIZE_MAX / 2; i++) {
        const char *f = i < 4 ? head[i] : spec->argv[i - 4];
        if (!f)
            break;
        size_t len = strlen(f) + 1;
        if (at + len > cap)
            return 0;
        memcpy(buf + at, f, len);
        at += len;
    }
    return at;
}

static int send_request(int ctl, const char *req, size_t len, int logfd, int result_w)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } control;
    int fds[2] = {logfd, result_w};
    int nfds = result_w >= 0 ? 2 : 1;
    memset(&control, 0, sizeof(control));
    struct iovec iov = {.iov_base = (void *)req, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
    ssize_t n;
    while ((n = sendmsg(ctl, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    return n == (ssize_t)len ? 0 : -1;
}

/* Watch one served child: the result pipe and the server's answers ("pid N", then the
 * status line into LINE). The deadline and ^C kill the child's process group; the server
 * still reports the reap, which keeps the conversation in step. Returns the end, or -1 when
 * the server is gone. */
static int watch_served(ccb_child_server *srv, outbuf *result, double deadline, char *line,
                        size_t cap)
{
    pid_t child = -1;
    int killed = -1; /* the end we caused, once we killed it */
    double give_up = 0;
    for (;;) {
        if (killed < 0 && (ccb_interrupt_requested() || now_ms() >= deadline)) {
            killed = ccb_interrupt_requested() ? CCB_CHILD_INTERRUPTED : CCB_CHILD_TIMED_OUT;
            give_up = now_ms() + SERVER_GRACE_MS;
            if (child > 0)
                kill(-child, SIGKILL);
        }
        double wait_ms = killed < 0 ? deadline - now_ms() : give_up - now_ms();
        if (killed >= 0 && wait_ms <= 0)
            return -1;
        if (wait_ms < 0)
            wait_ms = 0;
        struct pollfd fds[2];
        nfds_t nfds = 0;
        fds[nfds++] = (struct pollfd){.fd = srv->ctl, .events = POLLIN};
        if (result->fd >= 0)
            fds[nfds++] = (struct pollfd){.fd = result->fd, .events = POLLIN};
        struct timespec ts = ms_to_timespec(wait_ms);
        int n = ppoll(fds, nfds, &ts, ccb_interrupt_wait_mask());
        if (n < 0 && errno != EINTR)
            return -1;
        drain(result);
        if (n <= 0 || !fds[0].revents)
            continue;
        ssize_t got;
        while ((got = recv(srv->ctl, line, cap - 1, 0)) < 0 && errno == EINTR) {
        }
        if (got <= 0)
            return -1;
        line[got] = '\0';
        long pid = 0;
        if (sscanf(line, "pid %ld", &pid) == 1) {
            child = (pid_t)pid;
            if (killed >= 0)
                kill(-child, SIGKILL);
            continue;
        }
        drain(result);
        return killed >= 0 ? killed : CCB_CHILD_EXITED;
    }
}

static int run_served(const ccb_child_spec *spec, ccb_child_result *out)
{
    int rc = -1, logfd = -1;
    int result_fds[2] = {-1, -1};
    ccb_child_server *srv = spec->server;
    outbuf result;
    static char req[MAX_REQUEST]; /* the driver measures from one thread */
    char line[512];

    memset(out, 0, sizeof(*out));
    memset(&result, 0, sizeof(result));
    result.fd = -1;
    if (outbuf_init(&result, spec->max_output) != 0)
        goto done;
    if ((logfd = open_log(spec)) < 0)
        goto done;
    if (spec->result_pipe && make_pipe(result_fds) != 0)
        goto done;
    result.fd = result_fds[0];
    result_fds[0] = -1;
    size_t len = build_request(spec, req, sizeof(req));
    if (len == 0) {
        ccb_error_set("the command line of %s is longer than the spawn helper takes (%d bytes)",
                      spec->path, MAX_REQUEST);
        goto done;
    }
    double steal0 = steal_now();
    double t0 = now_ms();
    if (send_request(srv->ctl, req, len, logfd, result_fds[1]) != 0) {
        server_lost(srv, "does not take requests");
        goto done;
    }
    /* Our copies: the pipe reports EOF only once every writer closed. */
    if (result_fds[1] >= 0)
        close(result_fds[1]);
    result_fds[1] = -1;
    close(logfd);
    logfd = -1;

    int end = watch_served(srv, &result, t0 + spec->timeout_ms, line, sizeof(line));
    if (end < 0) {
        server_lost(srv, "stopped answering");
        goto done;
    }
    double t1 = now_ms();
    double steal1 = steal_now();
    ccb_child_result seen;
    memset(&seen, 0, sizeof(seen));
    long long self_us = 0;
    if (parse_status(line, &seen) != 0) {
        server_lost(srv, "answered something unexpected");
        goto done;
    }
    /* The server's status line has a ninth field: its own CPU so far. */
    size_t spaces = 0;
    for (const char *c = line; *c; c++)
        spaces += *c == ' ';
    const char *last = strrchr(line, ' ');
    if (spaces == 9 && last && sscanf(last + 1, "%lld", &self_us) == 1)
        srv->self_cpu_ms = (double)self_us / 1e3;
    srv->children_cpu_ms += seen.cpu_ms;
    if (end == CCB_CHILD_EXITED) {
        *out = seen;
    } else {
        out->end = (ccb_child_end)end;
        out->wall_ms = t1 - t0;
    }
    out->steal_ms = steal0 >= 0 && steal1 >= steal0 ? steal1 - steal0 : 0;
    rc = 0;
done:
    if (logfd >= 0)
        close(logfd);
    for (int i = 0; i < 2; i++) {
        if (result_fds[i] >= 0)
            close(result_fds[i]);
    }
    if (result.fd >= 0)
        close(result.fd);
    hand_over_output(rc, &result, out);
    return rc;
}

int ccb_child_run(const ccb_child_spec *spec, ccb_child_result *out)
{
    if (spec->server && spec->server->pid > 0)
        return run_served(spec, out);
    int rc = -1, logfd = -1, pidfd = -1;
    int result_fds[2] = {-1, -1}, status_fds[2] = {-1, -1};
    int fa_ready = 0, attr_ready = 0, pinned = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    cpu_set_t saved_cpus;
    pid_t pid = -1;
    char **argv = NULL;
    outbuf result, status;

    memset(out, 0, sizeof(*out));
    memset(&result, 0, sizeof(result));
    memset(&status, 0, sizeof(status));
    if (outbuf_init(&result, spec->max_output) != 0 || outbuf_init(&status, 512) != 0)
        goto done;

    if ((logfd = open_log(spec)) < 0)
        goto done;
    if ((spec->result_pipe && make_pipe(result_fds) != 0) || make_pipe(status_fds) != 0)
        goto done;
    result.fd = result_fds[0];
    status.fd = status_fds[0];
    result_fds[0] = status_fds[0] = -1; /* now owned by the outbufs */

    argv = helper_argv(spec);
    if (!argv) {
        ccb_error_set("out of memory");
        goto done;
    }
    int err = posix_spawn_file_actions_init(&fa);
    fa_ready = err == 0;
    if (!err)
        err = setup_actions(&fa, spec, logfd, result_fds[1], status_fds[1]);
    if (!err) {
        err = posix_spawnattr_init(&attr);
        attr_ready = err == 0;
    }
    if (!err)
        err = setup_attr(&attr);
    if (err) {
        ccb_error_set("cannot prepare to spawn %s: %s", spec->path, strerror(err));
        goto done;
    }

    /* posix_spawn has no affinity attribute: children inherit the spawning thread's, so pin
     * this thread for the instant of the spawn and put it back. */
    if (spec->cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(spec->cpu, &one);
        if (sched_getaffinity(0, sizeof(saved_cpus), &saved_cpus) != 0 ||
            sched_setaffinity(0, sizeof(one), &one) != 0) {
            ccb_error_set("cannot pin to CPU %d: %s. 'nproc' shows the CPUs available.", spec->cpu,
                          strerror(errno));
            goto done;
        }
        pinned = 1;
    }
    double steal0 = steal_now();
    double t0 = now_ms();
    err = posix_spawn(&pid, spec->helper, &fa, &attr, argv, environ);
    if (pinned) {
        sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);
        pinned = 0;
    }
    if (err) {
        pid = -1;
        ccb_error_set("cannot start %s: %s", spec->helper, strerror(err));
        goto done;
    }
    /* Our copies of the write ends: a pipe reports EOF only once every writer closed. */
    for (int i = 0; i < 2; i++) {
        int *w = i == 0 ? &result_fds[1] : &status_fds[1];
        if (*w >= 0)
            close(*w);
        *w = -1;
    }
    close(logfd);
    logfd = -1;

    pidfd = open_pidfd(pid);
    out->end = watch(pid, pidfd, &result, &status, t0 + spec->timeout_ms);
    int helper_status = 0;
    while (waitpid(pid, &helper_status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    double t1 = now_ms();
    double steal1 = steal_now();

    out->wall_ms = t1 - t0; /* replaced by the helper's own measurement when there is one */
    if (out->end == CCB_CHILD_EXITED && parse_status(status.data, out) != 0) {
        /* The helper died without a word: killed from outside (OOM killer?) or broken. */
        if (WIFSIGNALED(helper_status)) {
            out->end = CCB_CHILD_SIGNALED;
            out->status = WTERMSIG(helper_status);
        } else {
            out->end = CCB_CHILD_SPAWN_FAILED;
            out->status = EPROTO;
        }
    }
    out->steal_ms = steal0 >= 0 && steal1 >= steal0 ? steal1 - steal0 : 0;
    rc = 0;
done:
    if (pinned)
        sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);
    if (pid > 0) {
        /* Only reached if something failed between spawn and reap: never leave it behind. */
        kill_group(pid);
        waitpid(pid, NULL, 0);
    }
    if (fa_ready)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_ready)
        posix_spawnattr_destroy(&attr);
    free(argv);
    int fds[] = {pidfd,         logfd,         result_fds[0], result_fds[1],
                 status_fds[0], status_fds[1], result.fd,     status.fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    free(status.data);
    hand_over_output(rc, &result, out);
    return rc;
}

void ccb_child_result_release(ccb_child_result *r)
{
    free(r->output);
    r->output = NULL;
    r->output_len = 0;
}

char *ccb_child_find_on_path(const char *name)
{
    const char *path = getenv("PATH");
    char *copy, *save = NULL, *found = NULL;

    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    copy = strdup(path);
    if (!copy)
        return NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *candidate = NULL;
        if (asprintf(&candidate, "%s/%s", *dir ? dir : ".", name) < 0)
            break;
        if (access(candidate, X_OK) == 0)
            found = candidate;
        else
            free(candidate);
    }
    free(copy);
    return found;
}
