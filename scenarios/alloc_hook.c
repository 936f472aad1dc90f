/*
 * The count runner's allocation counter (alloc_hook.h). The cost outside a counted window is
 * one thread-local load per allocation; inside, two adds. glibc exports its allocator under
 * __libc_* names, so forwarding needs no dlsym (which itself allocates).
 */
#include "alloc_hook.h"

#include <errno.h>
#include <malloc.h> /* memalign's prototype */
#include <stddef.h>
#include <stdlib.h>

#if defined(CCBENCH_SANITIZED)

int ccb_alloc_hook_available(const char **why)
{
    *why = "allocation counting is off in sanitizer builds (the sanitizer owns malloc): use "
           "the release build";
    return 0;
}
void ccb_alloc_count_begin(void)
{
}
void ccb_alloc_count_end(uint64_t *calls, uint64_t *bytes)
{
    *calls = *bytes = 0;
}

#else

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static __thread int counting;
static __thread uint64_t counted_calls, counted_bytes;

static inline void note(size_t bytes)
{
    if (__builtin_expect(counting, 0)) {
        counted_calls++;
        counted_bytes += bytes;
    }
}

void *malloc(size_t size)
{
    note(size);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    note(n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    note(size);
    return __libc_realloc(p, size);
}

void free(void *p)
{
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    note(size);
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    note(size);
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
        return EINVAL;
    note(size);
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

int ccb_alloc_hook_available(const char **why)
{
    *why = NULL;
    return 1;
}

void ccb_alloc_count_begin(void)
{
    counted_calls = counted_bytes = 0;
    counting = 1;
}

void ccb_alloc_count_end(uint64_t *calls, uint64_t *bytes)
{
    counting = 0;
    *calls = counted_calls;
    *bytes = counted_bytes;
}

#endif
