/*
 * Throw-away git repositories made from this project's tracker/, scenarios/ and build files,
 * through libgit2, for the suites that drive compare, run --revisions and bisect: commits of
 * tracker variants (a start() that burns time, one that does not compile) without moving
 * HEAD, and a snapshot of what the user's repository looks like.
 */
#ifndef CCB_TEST_REPO_H
#define CCB_TEST_REPO_H

#include <git2.h>

#include "cli_driver.h"

/* A suite's start: libgit2 initialised, ccbench_bin pointed at the built ccbench, SUITE's
 * folder NAME-XXXXXX under $TMPDIR made, REPO (400 bytes) its repo/ and the environment that
 * keeps ccbench's build cache, sources and results inside it in CACHE, SOURCE, RESULTS (500
 * bytes each, "VAR=value"). Returns the project's source dir, NULL (said on stderr) outside
 * ctest. */
const char *test_repo_suite_setup(fixture *suite, const char *name, char *repo, char *cache,
                                  char *source, char *results);
/* Remove SUITE's folder and shut libgit2 down. */
int test_repo_suite_teardown(const fixture *suite);

/* Run ARGV (found on PATH) and expect exit 0 within 60 s. */
void test_repo_sh(const char *const *argv);

/* Make DIR a repository on branch main holding SOURCE's tracker/, scenarios/, common/ and
 * build files, with one commit "main". Returns its oid; *out is the open repository. */
git_oid test_repo_create(const char *dir, const char *source, git_repository **out);

/* Commit the index as it is on REF (updated; "HEAD" moves HEAD), with the NPARENTS (at most
 * 2: a merge) PARENTS. */
git_oid test_repo_commit_index(git_repository *repo, const char *ref, const git_oid *parents,
                               size_t nparents, const char *message);
void test_repo_index_update(git_repository *repo, const char *path, int remove_dir);

/* Commit the first of PARENTS' tree with FILE (a path inside the repository at DIR) holding
 * TEXT, on REF, without moving HEAD or touching the work tree or index. */
git_oid test_repo_commit_file(git_repository *repo, const char *dir, const git_oid *parents,
                              size_t nparents, const char *ref, const char *file, const char *text,
                              const char *message);

/* TEXT with INSERT after the first ANCHOR (malloc'd), NULL when ANCHOR is not there. */
char *test_repo_insert_after(const char *text, const char *anchor, const char *insert);

/* tracker.c's text ORIG with cct_tracker_start burning NS nanoseconds first (malloc'd), or
 * with a line that does not compile (NS < 0). NULL (and a message) when start() moved. */
char *test_repo_tracker_variant(const char *orig, long ns);

/* What the user's repository at DIR looks like: HEAD, the index bytes, the status, the
 * stash (malloc'd). */
char *test_repo_snapshot(const char *dir);

#endif
