/*
 * Growable arrays: the one doubling step every list in the harness takes before appending.
 * Amortised O(1) per append; a list never shrinks.
 */
#ifndef CCB_ARRAY_H
#define CCB_ARRAY_H

#include <stddef.h>

/* Room for one more element in *ITEMS (N in use, *CAP allocated, SIZE bytes each): doubles
 * *CAP, starting at FIRST. 0, or -1 with "out of memory" set and the array untouched. */
int ccb_array_reserve(void **items, size_t n, size_t *cap, size_t size, size_t first);

#endif
