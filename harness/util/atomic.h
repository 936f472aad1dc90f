/*
 * The one atomic file write of the harness (results, plot scripts, build stamps, noise
 * floors). Durability: after a 0 return the new content is on disk under PATH and survives a
 * crash or power loss (data fsynced before the rename, the directory fsynced after it, the
 * latter best effort: some file systems refuse fsync on a directory). Readers see the old
 * file or the new one, never a mix. Costs two fsyncs per file: fine for a handful of files
 * per command, not for a hot loop.
 */
#ifndef CCB_ATOMIC_H
#define CCB_ATOMIC_H

#include <stddef.h>

/* Write LEN bytes of DATA to PATH through a temp file created exclusively (O_EXCL: never
 * through a symlink someone else left) in the same directory, then renamed over PATH; a
 * symlink at PATH is replaced, not followed. 0, or -1 with "cannot write PATH: reason" set
 * and errno kept for callers that add a hint; the temp file is removed on failure. */
int ccb_atomic_write(const char *path, const void *data, size_t len);

#endif
