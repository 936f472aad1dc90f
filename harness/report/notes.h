/*
 * Results stored as git notes under refs/notes/ccbench (libgit2), so they travel with the
 * repository through `git push/fetch refs/notes/ccbench`: many CI runners, one history, no
 * server. `run --save-note` writes one; `history --notes RANGE` reads a range of them back.
 */
#ifndef CCB_NOTES_H
#define CCB_NOTES_H

#include "history.h"

#define CCB_NOTES_REF "refs/notes/ccbench"

/* Store TEXT (a result's JSON) as the note of HEAD in the repository around the current
 * directory, replacing an older note. The author is the repository's configured user, else
 * "ccbench <ccbench@localhost>". *sha (41 bytes) receives HEAD's commit. Returns 0, or -1
 * with a message (no repository, no commit yet, libgit2 failure). */
int ccb_notes_save_head(const char *text, char *sha);

/* Walk RANGE ("A..B": commits of B not in A; a single revision: all of its history), oldest
 * first, and add the result in each commit's note to H; commits without a note are counted
 * in h->without_note. A note that is not a valid result fails the load, naming the commit. */
int ccb_notes_load_range(ccb_history *h, const char *range);

#endif
