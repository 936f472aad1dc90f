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
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
static void on_driver_gone(int sig)
{
    (void)sig;
    kill(0, SIGKILL); /* our whole process group, ourselves included */
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
