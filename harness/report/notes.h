/*
 * Results stored as git notes under refs/notes/ccbench (libgit2), so they travel with the
 * repository through `git push/fetch refs/notes/ccbench`: many CI runners, one history, no
 * server. `run --save-note` writes one; `history --notes RANGE` reads a range of them back.
 */
#ifndef CCB_NOTES_H
#define CCB_NOTES_H

#include "history.h"

#define CCB_NOTES_REF "refs/notes/ccbench"

/* A commit's note holds one entry per machine fingerprint and profile
 * ({"schema": "ccbench-notes/1", "entries": [{"machine", "profile", "result"}]}), so runners
 * of several machines and profiles share one note without overwriting each other. */
#define CCB_NOTES_SCHEMA "ccbench-notes/1"

/* Store R as the entry for R's machine fingerprint and profile in the note of COMMIT (a full
 * hex id; NULL: HEAD), keeping the other entries (an older single-result note becomes an
 * entry). The author is the repository's configured user, else "ccbench <ccbench@localhost>".
 * *sha (41 bytes) receives the commit, *replaced 1 when an entry of the same key was
 * replaced. Returns 0, or -1 with a message (no repository, no commit yet, a note that is not
 * ours, libgit2). */
int ccb_notes_save(const ccb_result *r, const char *commit, char *sha, int *replaced);
/* 1 when COMMIT's note already holds an entry of R's machine fingerprint and profile
 * (run --skip-existing), 0 when not, -1 with a message (a note that is not ours). */
int ccb_notes_has_entry(const ccb_result *r, const char *commit);

/* Walk RANGE ("A..B": commits of B not in A; a single revision: all of its history), oldest
 * first, and add every entry of each commit's note to H (the machine filter of history then
 * keeps one fingerprint and profile and says what it skipped); commits without a note are
 * counted in h->without_note. A note that is not valid fails the load, naming the commit. */
int ccb_notes_load_range(ccb_history *h, const char *range);

#endif
