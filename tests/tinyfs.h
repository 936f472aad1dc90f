/*
 * A tiny tmpfs for "the disk is full" tests: mounted over a fresh temp directory (needs root,
 * which ./scripts/test and CI have; elsewhere the tests that use it are skipped and say why),
 * then filled to the last byte.
 */
#ifndef CCB_TEST_TINYFS_H
#define CCB_TEST_TINYFS_H

#include <stddef.h>

/* Mount a KIB-KiB tmpfs on a new directory under TMPDIR; its path in dir. 0, or -1 with the
 * reason in why (the caller skips). */
int tinyfs_mount(char *dir, size_t cap, unsigned int kib, char *why, size_t why_cap);
/* Fill it: a file "filler" grows until the file system says ENOSPC. 0 or -1. */
int tinyfs_fill(const char *dir);
/* Unmount and remove the directory. */
void tinyfs_unmount(const char *dir);

#endif
