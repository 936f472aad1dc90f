/*
 * The commits a range names, through libgit2's revwalk (never `git rev-list`): for
 * `run --revisions`, `bisect` and `history --notes`. Oldest first, as a history is read.
 */
#ifndef CCB_REVWALK_H
#define CCB_REVWALK_H

#include <stddef.h>

#include <git2.h>

typedef struct ccb_commit_list {
    git_oid *oids; /* oldest first */
    size_t n, cap;
} ccb_commit_list;

enum {
    CCB_WALK_FIRST_PARENT = 1, /* follow first parents only (a merge counts as one commit) */
    /* A SPEC without "..": the revision and all of its history (history --notes), instead of
     * a comma list of single commits (run --revisions). */
    CCB_WALK_SINGLE_IS_HISTORY = 2,
};

/* The commits SPEC names in REPO: "A..B" (commits reachable from B and not from A), else a
 * comma list of revisions ("A,B,C": those commits, in the order given, each once), or with
 * CCB_WALK_SINGLE_IS_HISTORY one revision and its whole history. WHAT names the option in
 * messages ("--revisions"). Returns 0, or -1 of class INPUT naming SPEC and what git said. */
int ccb_revwalk_list(git_repository *repo, const char *spec, int flags, const char *what,
                     ccb_commit_list *out);
void ccb_revwalk_list_release(ccb_commit_list *l);

/* SHA's subject (first line of the message, at most SIZE - 1 bytes) and author name into the
 * buffers; "" when unknown. */
void ccb_revwalk_describe(git_repository *repo, const git_oid *oid, char *subject,
                          size_t subject_size, char *author, size_t author_size);

#endif
