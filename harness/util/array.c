/*
 * Growable arrays (array.h).
 */
#include "array.h"

#include <stdlib.h>

#include "error.h"

int ccb_array_reserve(void **items, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    size_t grown_cap = *cap ? *cap * 2 : first;
    void *grown = realloc(*items, grown_cap * size);
    if (!grown)
        return ccb_error_set("out of memory");
    *items = grown;
    *cap = grown_cap;
    return 0;
}
