#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static int perf_open(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = type;
    a.config = config;
    a.disabled = 1;
    a.exclude_hv = 1;
    /* pid 0, cpu -1: this thread on any CPU; no inherit, so new threads are not counted. */
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The tracepoint's id lives in tracefs; read once at open time, never on a hot path. */
static long tracepoint_id(char *why, size_t cap)
{
    static const char *const paths[] = {
        "/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
        "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        FILE *f = fopen(paths[i], "r");
        long id = -1;
        if (!f)
            continue;
        if (fscanf(f, "%ld", &id) != 1)
            id = -1;
        fclose(f);
        if (id >= 0)
            return id;
    }
    snprintf(why, cap,
             "tracefs is not mounted (no raw_syscalls/sys_enter id; mount -t tracefs nodev "
             "/sys/kernel/tracing)");
    return -1;
}

/* tracefs where the machine has none mounted: in a mount namespace of this process only, so
 * the machine's mounts are untouched and the mount ends with the process. Needs root
 * (CAP_SYS_ADMIN); 0 or -1. Count processes only: the timing runner never calls it. */
static int mount_private_tracefs(void)
{
    if (unshare(CLONE_NEWNS) != 0)
        return -1;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    return mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
}

static void refuse(ccb_counters *c, int i, const char *what, int err)
{
    c->fd[i] = -1;
    snprintf(c->reason[i], sizeof c->reason[i], "perf_event_open refused for %s: %s%s", what,
             strerror(err),
             (err == EACCES || err == EPERM) ? " (see /proc/sys/kernel/perf_event_paranoid)" : "");
}

void ccb_counters_open(ccb_counters *c)
{
    const char *knob = getenv("CCB_COUNTS_REFUSE_PERF");
    int refused = knob && strcmp(knob, "1") == 0;
    for (int i = 0; i < CCB_COUNTER_COUNT; i++) {
        c->fd[i] = -1;
        c->reason[i][0] = '\0';
    }
    if (refused) {
        for (int i = 0; i < CCB_COUNTER_COUNT; i++)
            snprintf(c->reason[i], sizeof c->reason[i],
                     "perf_event treated as refused (CCB_COUNTS_REFUSE_PERF=1)");
        return;
    }
    long id = tracepoint_id(c->reason[CCB_COUNTER_SYSCALLS], sizeof c->reason[0]);
    if (id < 0 && mount_private_tracefs() == 0)
        id = tracepoint_id(c->reason[CCB_COUNTER_SYSCALLS], sizeof c->reason[0]);
    if (id >= 0) {
        c->reason[CCB_COUNTER_SYSCALLS][0] = '\0';
        c->fd[CCB_COUNTER_SYSCALLS] = perf_open(PERF_TYPE_TRACEPOINT, (uint64_t)id);
        if (c->fd[CCB_COUNTER_SYSCALLS] < 0) {
            refuse(c, CCB_COUNTER_SYSCALLS, "raw_syscalls:sys_enter", errno);
        } else {
            /* futex is left out: it is called only when a lock is contended or a waiter must
             * be woken, so its count follows how the threads were scheduled, not the code
             * (the first start() made 3, 4 or 6 of them and every other call the same). A
             * kernel without tracepoint filters counts them too. */
            char filter[32];
            snprintf(filter, sizeof filter, "id != %d", (int)SYS_futex);
            c->futex_excluded =
                ioctl(c->fd[CCB_COUNTER_SYSCALLS], PERF_EVENT_IOC_SET_FILTER, filter) == 0;
        }
    }
    c->fd[CCB_COUNTER_PAGE_FAULTS] = perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS);
    if (c->fd[CCB_COUNTER_PAGE_FAULTS] < 0)
        refuse(c, CCB_COUNTER_PAGE_FAULTS, "page-faults", errno);
}

void ccb_counters_start(ccb_counters *c)
{
    for (int i = 0; i < CCB_COUNTER_COUNT; i++) {
        if (c->fd[i] < 0)
            continue;
        ioctl(c->fd[i], PERF_EVENT_IOC_RESET, 0);
        ioctl(c->fd[i], PERF_EVENT_IOC_ENABLE, 0);
    }
}

int ccb_counters_stop(ccb_counters *c, uint64_t out[CCB_COUNTER_COUNT], int ok[CCB_COUNTER_COUNT])
{
    int rc = 0;
    for (int i = 0; i < CCB_COUNTER_COUNT; i++)
        if (c->fd[i] >= 0)
            ioctl(c->fd[i], PERF_EVENT_IOC_DISABLE, 0);
    for (int i = 0; i < CCB_COUNTER_COUNT; i++) {
        uint64_t v = 0;
        ok[i] = c->fd[i] >= 0 && read(c->fd[i], &v, sizeof v) == (ssize_t)sizeof v;
        out[i] = ok[i] ? v : 0;
        if (!ok[i])
            rc = -1;
    }
    return rc;
}

void ccb_counters_overhead(ccb_counters *c, uint64_t out[CCB_COUNTER_COUNT])
{
    int ok[CCB_COUNTER_COUNT];
    ccb_counters_start(c);
    ccb_counters_stop(c, out, ok);
}

void ccb_counters_close(ccb_counters *c)
{
    for (int i = 0; i < CCB_COUNTER_COUNT; i++) {
        if (c->fd[i] >= 0)
            close(c->fd[i]);
        c->fd[i] = -1;
    }
}

const char *ccb_counter_name(ccb_counter_id id)
{
    return id == CCB_COUNTER_SYSCALLS ? "syscalls" : "page_faults";
}
