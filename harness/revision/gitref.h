/*
 * Git through libgit2 (never a `git` subprocess): what revision a result was measured at,
 * and, for compare, resolving revisions and checking out their trees. ccbench never touches
 * the user's HEAD, index, branches or working tree. git_libgit2_init() is main()'s job.
 */
#ifndef CCB_GITREF_H
#define CCB_GITREF_H

#include <git2.h>

#include "result.h"

/* Open the repository containing PATH (searching upward, as git does). Returns 0 and *out,
 * GIT_ENOTFOUND when PATH is in no repository (not an error for `run`), or -1 with a message. */
int ccb_gitref_open(git_repository **out, const char *path);

/* Describe HEAD into *out (zeroed by the caller; strings then owned by the result):
 * revision = branch shorthand or "HEAD" when detached, commit sha, the oid of HEAD's
 * `tracker/` subtree, dirty = any staged, modified or untracked (not ignored) file. An unborn
 * HEAD (no commit yet) leaves commit and tracker_tree NULL. */
int ccb_gitref_describe_head(git_repository *repo, ccb_git_info *out);

/* As above for the repository around the current directory; outside any repository *out
 * stays "not present" (JSON nulls) and *workdir is NULL. *workdir (may be NULL) receives the
 * malloc'd work tree root, with a trailing '/'. */
int ccb_gitref_describe_cwd(ccb_git_info *out, char **workdir);

/* Resolve SPEC (anything git_revparse_single takes) in REPO, peel it to a commit, and find
 * its `tracker/` tree. Fills commit_hex and tree_hex (41 bytes each). Returns 0, or -1 of
 * class INPUT when SPEC names no commit (the message names SPEC), BUILD when the commit has
 * no tracker/ directory. */
int ccb_gitref_resolve(git_repository *repo, const char *spec, char *commit_hex, char *tree_hex);

/* Write the files of tree TREE_HEX into the empty directory TARGET (git_checkout_tree with
 * target_directory: a subtree's entries land directly under TARGET). The repository's HEAD,
 * index and work tree are left alone: the index is never written and the baseline is an
 * empty in-memory index, so nothing of the user's checkout takes part. */
int ccb_gitref_checkout_tree(git_repository *repo, const char *tree_hex, const char *target);

/* 1 when the work tree has staged, unstaged or untracked changes, else 0; -1 on error. */
int ccb_gitref_is_dirty(git_repository *repo);

#endif
