/* The runner's per-thread counters against known work (issue 13): a function with a known
 * number of system calls and fresh page touches gives exactly those counts above the
 * counters' own measured overhead; a refused perf_event is reported unavailable with a
 * reason, never as 0. A counter the kernel does not offer here is skipped with its reason. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counters.h"

#define KNOWN_SYSCALLS 7
#define KNOWN_PAGES 16

/* Exactly KNOWN_SYSCALLS raw system calls (syscall(2) bypasses any libc caching). */
static void known_syscalls(void)
{
    for (int i = 0; i < KNOWN_SYSCALLS; i++)
        (void)syscall(SYS_getppid);
}

static void test_syscalls_exact(void **state)
{
    (void)state;
    ccb_counters c;
    uint64_t base[CCB_COUNTER_COUNT], v[CCB_COUNTER_COUNT];
    int ok[CCB_COUNTER_COUNT];
    ccb_counters_open(&c);
    if (c.fd[CCB_COUNTER_SYSCALLS] < 0) {
        printf("skipped: %s\n", c.reason[CCB_COUNTER_SYSCALLS]);
        assert_true(c.reason[CCB_COUNTER_SYSCALLS][0] != '\0');
        ccb_counters_close(&c);
        skip();
    }
    ccb_counters_overhead(&c, base);
    ccb_counters_start(&c);
    known_syscalls();
    ccb_counters_stop(&c, v, ok);
    assert_true(ok[CCB_COUNTER_SYSCALLS]);
    assert_int_equal(v[CCB_COUNTER_SYSCALLS] - base[CCB_COUNTER_SYSCALLS], KNOWN_SYSCALLS);
    ccb_counters_close(&c);
}

/* Uninstrumented on purpose: ASan/TSan shadow-memory accesses would fault pages of their own. */
#if defined(__GNUC__)
__attribute__((no_sanitize("address", "thread"), noinline))
#endif
static void
touch_pages(char *m, size_t len, size_t page)
{
    for (size_t i = 0; i < len; i += page)
        ((volatile char *)m)[i] = 1;
}

static void test_page_faults_known(void **state)
{
    (void)state;
    ccb_counters c;
    uint64_t base[CCB_COUNTER_COUNT], v[CCB_COUNTER_COUNT];
    int ok[CCB_COUNTER_COUNT];
    long page = sysconf(_SC_PAGESIZE);
    size_t len = (size_t)page * KNOWN_PAGES;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    /* One fault per page only if the kernel does not back the range with a huge page. */
    (void)madvise(m, len, MADV_NOHUGEPAGE);
    ccb_counters_open(&c);
    if (c.fd[CCB_COUNTER_PAGE_FAULTS] < 0) {
        printf("skipped: %s\n", c.reason[CCB_COUNTER_PAGE_FAULTS]);
        munmap(m, len);
        ccb_counters_close(&c);
        skip();
    }
    ccb_counters_overhead(&c, base);
    ccb_counters_start(&c);
    touch_pages(m, len, (size_t)page);
    ccb_counters_stop(&c, v, ok);
    assert_true(ok[CCB_COUNTER_PAGE_FAULTS]);
    assert_int_equal(v[CCB_COUNTER_PAGE_FAULTS] - base[CCB_COUNTER_PAGE_FAULTS], KNOWN_PAGES);
    munmap(m, len);
    ccb_counters_close(&c);
}

static void test_refused_is_unavailable(void **state)
{
    (void)state;
    ccb_counters c;
    uint64_t v[CCB_COUNTER_COUNT];
    int ok[CCB_COUNTER_COUNT];
    assert_int_equal(setenv("CCB_COUNTS_REFUSE_PERF", "1", 1), 0);
    ccb_counters_open(&c);
    unsetenv("CCB_COUNTS_REFUSE_PERF");
    ccb_counters_start(&c);
    known_syscalls();
    assert_int_equal(ccb_counters_stop(&c, v, ok), -1);
    for (int i = 0; i < CCB_COUNTER_COUNT; i++) {
        assert_false(ok[i]);
        assert_non_null(strstr(c.reason[i], "refused"));
    }
    ccb_counters_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syscalls_exact),
        cmocka_unit_test(test_page_faults_known),
        cmocka_unit_test(test_refused_is_unavailable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
