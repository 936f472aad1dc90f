/*
 * Heap allocations of the calling thread, for the count runner (issue 13): ccbench-counts
 * defines malloc, calloc, realloc and the aligned allocators itself, forwarding each to
 * glibc's __libc_* entry point and, while this thread counts, adding one call and the bytes
 * asked for. Frees are not counted (a malloc/free pair is one allocation). Only the count
 * runner links the hook: the timing runner allocates through glibc directly.
 *
 * Sanitizer builds replace malloc themselves: there the hook is compiled out and allocation
 * counts are unavailable, with that reason.
 */
#ifndef CCB_ALLOC_HOOK_H
#define CCB_ALLOC_HOOK_H

#include <stdint.h>

/** 1 when allocations can be counted; else 0 and *why says why. */
int ccb_alloc_hook_available(const char **why);
/** Starts counting this thread's allocations from zero. */
void ccb_alloc_count_begin(void);
/** Stops counting; the calls and bytes since ccb_alloc_count_begin. */
void ccb_alloc_count_end(uint64_t *calls, uint64_t *bytes);

#endif
