/*
 * ccbench-spawn: the tiny, static, sanitizer-free process between ccbench and each measured
 * child. It exists because Linux charges a child's ru_maxrss with the high-water RSS of the
 * address space it exec'd from (exec_mmap() records the old mm's peak): spawned straight from
 * ccbench (8 MB in Release, 18 MB with ASan) every child would "use" at least that much, and
 * maxrss_kb would measure the driver. From here the inherited peak is ~0.5 MB, below any
 * real process. It also times spawn -> reap from right next to the child.
 *
 *   ccbench-spawn STATUS_FD KEEP_FD3 PATH ARGV0 [ARG...]     (internal to ccbench)
 *
 * Runs PATH with ARGV0 ARG..., keeping fds 0-2 and, if KEEP_FD3 is 1, fd 3 (the result
 * pipe); then writes one line to STATUS_FD and exits 0:
 *
 *   ccbench-spawn/1 exit CODE|signal SIG WALL_NS UTIME_US STIME_US MAXRSS_KB NVCSW NIVCSW
 *   ccbench-spawn/1 spawn_errno ERRNO
 *
 * If ccbench dies, the helper kills its process group (the child included): PDEATHSIG.
 * Only libc, no allocation: what it maps itself must stay small.
 *
 *   ccbench-spawn --serve                                      (internal to ccbench)
 *
 * The same, for many children in turn: on fd 4, a SOCK_SEQPACKET socket, each request is one
 * message "KEEP_FD3\0CPU\0CWD\0PATH\0ARGV0\0ARG...\0" carrying the log fd and, when KEEP_FD3
 * is 1, the result pipe's write end (SCM_RIGHTS). The child gets /dev/null as fd 0, the log
 * as fds 1 and 2, the pipe (or /dev/null) as fd 3, CWD (empty: ours), CPU (-1: not pinned)
 * and a process group of its own. The server answers "pid PID", then the status line above
 * with one more field, its own user+system CPU in us so far; and exits at EOF. One exec per
 * measurement session instead of one per sample: the spawn costs about a millisecond less.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
    return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

static long long tv_us(const struct timeval *tv)
{
    return (long long)tv->tv_sec * 1000000LL + tv->tv_usec;
}

/* ccbench died (even by SIGKILL): take the child and everything it started with us, so a
 * hung scenario never outlives the run that measured it. */
/* The server's child under way (its own process group), 0 when none. */
static volatile sig_atomic_t served_child;

static void on_driver_gone(int sig)
{
    (void)sig;
    if (served_child > 0)
        kill(-(pid_t)served_child, SIGKILL);
    kill(0, SIGKILL); /* our whole process group, ourselves included */
}

#define CTL_FD 4
#define MAX_REQUEST 65536
#define MAX_ARGS 1024

static char request[MAX_REQUEST];
static char *req_argv[MAX_ARGS + 1];

/* Receive one request: its text in `request` (NUL-terminated fields) and up to two fds.
 * Returns the text's length, 0 at EOF, -1 on a malformed message. */
static ssize_t receive(int fds[2], int *nfds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } control;
    struct iovec iov = {.iov_base = request, .iov_len = sizeof(request) - 1};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    ssize_t n;
    while ((n = recvmsg(CTL_FD, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    *nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (*nfds < 2)
                    fds[(*nfds)++] = fd;
                else
                    close(fd);
            }
        }
    }
    if (n <= 0)
        return n < 0 ? -1 : 0;
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        return -1;
    request[n] = '\0';
    return n;
}

/* One answer to ccbench: "WHAT N\n" (the status line has its own, longer format). */
static void reply(const char *what, long long a)
{
    char line[96];
    int n = snprintf(line, sizeof(line), "%s %lld\n", what, a);
    if (n > 0)
        send(CTL_FD, line, (size_t)n, MSG_NOSIGNAL);
}

static long long self_cpu_us(void)
{
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    return tv_us(&self.ru_utime) + tv_us(&self.ru_stime);
}

/* Spawn and reap one request's child; the reply says what happened. 0, or -1 when the
 * request was malformed (the server then stops: ccbench sends only well-formed ones). */
static int serve_one(size_t len, const int fds[2], int nfds)
{
    /* Fields: keep, cpu, cwd, path, argv... */
    char *field[4];
    size_t at = 0;
    for (int i = 0; i < 4; i++) {
        if (at >= len)
            return -1;
        field[i] = request + at;
        at += strlen(request + at) + 1;
    }
    size_t argc = 0;
    while (at < len && argc < MAX_ARGS) {
        req_argv[argc++] = request + at;
        at += strlen(request + at) + 1;
    }
    req_argv[argc] = NULL;
    int keep = field[0][0] == '1';
    if (argc == 0 || nfds != 1 + keep)
        return -1;
    int cpu = atoi(field[1]);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 2);
    if (keep)
        posix_spawn_file_actions_adddup2(&fa, fds[1], 3);
    else
        posix_spawn_file_actions_addopen(&fa, 3, "/dev/null", O_RDONLY, 0);
    if (field[2][0])
        posix_spawn_file_actions_addchdir_np(&fa, field[2]);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);

    /* posix_spawn has no affinity attribute: pin ourselves for the instant of the spawn. */
    cpu_set_t saved, one;
    int pinned = 0;
    if (cpu >= 0 && sched_getaffinity(0, sizeof(saved), &saved) == 0) {
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pinned = sched_setaffinity(0, sizeof(one), &one) == 0;
    }
    struct timespec t0, t1;
    pid_t pid = -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int err = posix_spawn(&pid, field[3], &fa, &attr, req_argv, environ);
    if (pinned)
        sched_setaffinity(0, sizeof(saved), &saved);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    if (err != 0) {
        reply("ccbench-spawn/1 spawn_errno", err);
        return 0;
    }
    served_child = pid;
    reply("pid", pid);

    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR)
            return -1;
    }
    served_child = 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char line[256];
    int n = snprintf(line, sizeof(line), "ccbench-spawn/1 %s %d %lld %lld %lld %ld %ld %ld %lld\n",
                     WIFSIGNALED(status) ? "signal" : "exit",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                     ns_between(&t0, &t1), tv_us(&ru.ru_utime), tv_us(&ru.ru_stime), ru.ru_maxrss,
                     ru.ru_nvcsw, ru.ru_nivcsw, self_cpu_us());
    if (n > 0)
        send(CTL_FD, line, (size_t)n, MSG_NOSIGNAL);
    return 0;
}

static int serve(void)
{
    if (fcntl(CTL_FD, F_SETFD, FD_CLOEXEC) != 0)
        return 127;
    for (;;) {
        int fds[2], nfds = 0;
        ssize_t len = receive(fds, &nfds);
        if (len == 0)
            return 0; /* ccbench closed its end: the session is over */
        if (len < 0 || serve_one((size_t)len, fds, nfds) != 0) {
            for (int i = 0; i < nfds && len < 0; i++)
                close(fds[i]);
            return 127;
        }
    }
}

int main(int argc, char **argv)
{
    pid_t driver = getppid();
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_driver_gone;
    sigaction(SIGTERM, &sa, NULL);
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != driver)
        return 127; /* it is gone already */

    if (argc == 2 && strcmp(argv[1], "--serve") == 0)
        return serve();
    if (argc < 5) {
        fputs("ccbench-spawn: internal helper of ccbench, not meant to be run by hand\n", stderr);
        return 127;
    }
    int status_fd = atoi(argv[1]);
    int keep_fd3 = atoi(argv[2]);
    if (fcntl(status_fd, F_SETFD, FD_CLOEXEC) != 0)
        return 127;
    if (!keep_fd3)
        close(3);

    struct timespec t0, t1;
    pid_t pid = -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int err = posix_spawn(&pid, argv[3], NULL, NULL, argv + 4, environ);
    if (err != 0) {
        dprintf(status_fd, "ccbench-spawn/1 spawn_errno %d\n", err);
        return 0;
    }
    /* The result pipe is the child's alone now. */
    if (keep_fd3)
        close(3);

    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR)
            return 127;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dprintf(status_fd, "ccbench-spawn/1 %s %d %lld %lld %lld %ld %ld %ld\n",
            WIFSIGNALED(status) ? "signal" : "exit",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), ns_between(&t0, &t1),
            tv_us(&ru.ru_utime), tv_us(&ru.ru_stime), ru.ru_maxrss, ru.ru_nvcsw, ru.ru_nivcsw);
    return 0;
}
