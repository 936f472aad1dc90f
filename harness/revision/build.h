/*
 * The revision build cache of compare and noise: what an operand is (a result file, a git
 * revision, WORKTREE), where its tracker sources come from (a libgit2 checkout of the
 * revision's tracker/ tree into .ccbench/src/<tree oid>/, or the work tree itself), and the
 * runner built from the CURRENT scenarios/ against them into .ccbench/build/<key>/. A build
 * is reused when its `.complete` stamp exists, so a second compare builds nothing.
 */
#ifndef CCB_BUILD_H
#define CCB_BUILD_H

#include <git2.h>

#include "cli.h"
#include "result.h"

#define CCB_WORKTREE "WORKTREE"

typedef enum ccb_operand_kind {
    CCB_OPERAND_FILE = 0,
    CCB_OPERAND_REVISION = 1,
    CCB_OPERAND_WORKTREE = 2,
} ccb_operand_kind;

/* What one build produced, kept whole from the build to the measurement: the runner of
 * every scenario but spawn_floor, and the floor binary spawn_floor runs. Owned by the
 * operand. */
typedef struct ccb_build_outputs {
    char *runner; /* <build>/bin/ccbench-scenario */
    char *floor;  /* <build>/bin/ccbench-floor */
    char *counts; /* <build>/bin/ccbench-counts: the count runner (issue 13) */
} ccb_build_outputs;

typedef struct ccb_operand {
    const char *text; /* as given, borrowed */
    ccb_operand_kind kind;
    ccb_result *file;                  /* FILE: the result read, owned */
    char commit[41], tracker_tree[41]; /* REVISION (WORKTREE: HEAD's commit, may be "") */
    int dirty;                         /* WORKTREE: uncommitted changes present */
    char *tracker_dir;                 /* sources built, owned */
    char key[41];                      /* build key */
    char *build_dir;                   /* owned */
    ccb_build_outputs out;             /* the binaries built, owned */
    int cached;                        /* the build was reused */
} ccb_operand;

typedef struct ccb_build_ctx {
    git_repository *repo; /* owned */
    char *workdir;        /* the repository's work tree root, with '/', owned */
    char *cache_dir;      /* CCBENCH_CACHE_DIR or <workdir>/.ccbench, owned */
    char *source_dir;     /* the ccbench sources the runner is built from, owned */
    char scenarios_hash[41];
    ccb_progress_mode progress;
    unsigned int timeout_s; /* per cmake step: CCBENCH_BUILD_TIMEOUT_S, default 600 */
    /* 1: build each revision in the cache's one reused build tree (<cache>/bench/), only the
     * files a commit changed recompiled, then its outputs copied into its entry (run
     * --revisions and bisect: many commits that differ by little). 0 (compare, noise): a fresh
     * tree per entry. */
    int incremental;
    char compiler[256]; /* `$CC --version`'s first line, asked once (build key) */
} ccb_build_ctx;

/* FILE when TEXT names an existing file (read strictly: a malformed one is class INPUT),
 * WORKTREE for the word WORKTREE, else a revision to resolve later. Returns 0 or -1. */
int ccb_build_operand_classify(ccb_operand *op, const char *text);
/* How compare --rev / --file force an operand to be taken. */
typedef enum ccb_operand_force {
    CCB_FORCE_NONE = 0, /* a readable result file, else a revision (a note says which) */
    CCB_FORCE_REV = 1,  /* a revision (or WORKTREE), even where a file has its name */
    CCB_FORCE_FILE = 2, /* a result file, never a revision */
} ccb_operand_force;
int ccb_build_operand_classify_as(ccb_operand *op, const char *text, ccb_operand_force force);
void ccb_build_operand_release(ccb_operand *op);

/* Open the repository (REPO_PATH, else upward from the cwd), the cache and the source dir.
 * Returns 0 or -1 of class INPUT (no repository), USAGE (a bad CCBENCH_BUILD_TIMEOUT_S) or
 * BUILD / IO (no sources to build from, the cache). */
int ccb_build_ctx_open(ccb_build_ctx *ctx, const char *repo_path, ccb_progress_mode progress);
void ccb_build_ctx_release(ccb_build_ctx *ctx);

/* Resolve a REVISION/WORKTREE operand and fill its key and paths (checking a revision's
 * tracker/ out into the cache if needed). Returns 0 or -1 (INPUT: unknown revision). */
int ccb_build_resolve(ccb_build_ctx *ctx, ccb_operand *op);
/* Build it unless its stamp says it is built. Returns 0 or -1 of class BUILD (the log's
 * tail on stderr), INTERRUPTED or IO. */
int ccb_build_ensure(ccb_build_ctx *ctx, ccb_operand *op);

/* The content hash of FILES under ROOT: each relative path (directories recursed in name
 * order), its executable bit and its blob id, hashed together. Missing paths count as
 * absent. Used for WORKTREE's tracker/ and the scenarios/ side of the key. */
int ccb_build_hash_paths(const char *root, const char *const *paths, size_t n, char *hex);

/* The noise floor known for a build (ccbench noise): <build_dir>/noise.json. */
char *ccb_build_noise_path(const ccb_operand *op);

#endif
