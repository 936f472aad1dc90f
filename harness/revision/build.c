/*
 * The revision build cache (see build.h). Builds run cmake through the child runner (child.c:
 * its own process group, killed at CCBENCH_BUILD_TIMEOUT_S or on ^C), its output to
 * build/<key>/build.log; they happen before any measurement, never during one.
 * The cache is keyed by content, so two branches with the same tracker/ share one build.
 */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "atomic.h"
#include "error.h"
#include "interrupt.h"
#include "gitref.h"
#include "paths.h"
#include "protocol.h"
#include "sysinfo.h"

#ifndef CCBENCH_SOURCE_DIR
#define CCBENCH_SOURCE_DIR ""
#endif

#define LOG_TAIL_LINES 20
/* A runner builds in ~5 s here; ten minutes is a hang, not a slow machine. */
#define DEFAULT_BUILD_TIMEOUT_S 600
#define COMPILER_QUERY_TIMEOUT_MS 10000

/* ---------------------------------------------------------------------------------------- */
/* Operands */

int ccb_build_operand_classify(ccb_operand *op, const char *text)
{
    return ccb_build_operand_classify_as(op, text, CCB_FORCE_NONE);
}

int ccb_build_operand_classify_as(ccb_operand *op, const char *text, ccb_operand_force force)
{
    struct stat st;
    memset(op, 0, sizeof(*op));
    op->text = text;
    if (text[0] == '\0') {
        ccb_error_set("compare: an empty operand: give a revision, WORKTREE or a result file");
        return ccb_error_classify(CCB_ERROR_INPUT);
    }
    if (force != CCB_FORCE_FILE && strcmp(text, CCB_WORKTREE) == 0) {
        op->kind = CCB_OPERAND_WORKTREE;
        return 0;
    }
    if (force == CCB_FORCE_REV) {
        op->kind = CCB_OPERAND_REVISION;
        return 0;
    }
    int exists = stat(text, &st) == 0;
    size_t len = strlen(text);
    int json_name = len > 5 && strcmp(text + len - 5, ".json") == 0;
    /* Written as a path (or forced): a file is meant, and no revision is tried. */
    int path_like = json_name || strchr(text, '/') || text[0] == '.';
    if (force == CCB_FORCE_FILE || (exists && S_ISDIR(st.st_mode) && path_like)) {
        if (exists && S_ISDIR(st.st_mode)) {
            /* Taking it as a revision would only say "no git repository". */
            ccb_error_set("compare: '%s' is a directory: give a result file (.json), a "
                          "revision or WORKTREE",
                          text);
            return ccb_error_classify(CCB_ERROR_INPUT);
        }
        op->kind = CCB_OPERAND_FILE;
        /* The strict reader names the file and the field. */
        return ccb_result_read_file(text, &op->file) == 0 ? 0 : ccb_error_classify(CCB_ERROR_INPUT);
    }
    if (exists && !S_ISDIR(st.st_mode)) {
        /* A file that shares its name with a revision (a bare repository's HEAD, a file named
         * like a branch) is not a result file unless it reads as one or is named *.json:
         * then it is taken as the revision, not refused as malformed JSON. */
        if (ccb_result_read_file(text, &op->file) == 0) {
            op->kind = CCB_OPERAND_FILE;
            if (!path_like)
                fprintf(stderr,
                        "ccbench: '%s': taken as the result file of that name (pass --rev to "
                        "take it as a revision)\n",
                        text);
            return 0;
        }
        if (path_like || !S_ISREG(st.st_mode))
            return ccb_error_classify(CCB_ERROR_INPUT); /* the reader named file and field */
        fprintf(stderr,
                "ccbench: '%s': a file of that name is no result file: taken as a revision "
                "(pass --file to read it as one)\n",
                text);
        ccb_error_clear();
    }
    op->kind = CCB_OPERAND_REVISION;
    return 0;
}

void ccb_build_operand_release(ccb_operand *op)
{
    ccb_result_free(op->file);
    free(op->tracker_dir);
    free(op->build_dir);
    free(op->out.runner);
    free(op->out.floor);
    free(op->out.counts);
    memset(op, 0, sizeof(*op));
}

/* ---------------------------------------------------------------------------------------- */
/* Content hashes: the blob ids git would give, combined in a sorted manifest. */

typedef struct manifest {
    char *buf;
    size_t len, cap;
} manifest;

static int manifest_add(manifest *m, const char *line)
{
    size_t n = strlen(line) + 1; /* the NUL separates entries unambiguously */
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4096;
        while (cap < m->len + n)
            cap *= 2;
        char *grown = realloc(m->buf, cap);
        if (!grown)
            return ccb_error_set("out of memory");
        m->buf = grown;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, line, n);
    m->len += n;
    return 0;
}

/* What scandir() returned: COUNT entries (none when it failed). */
static void free_listing(struct dirent **names, int count)
{
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static int hash_tree(manifest *m, const char *root, const char *rel)
{
    int rc = -1;
    char *path = NULL;
    struct dirent **names = NULL;
    int count = -1;
    struct stat st;

    if (asprintf(&path, "%s/%s", root, rel) < 0) {
        path = NULL;
        return ccb_error_set("out of memory");
    }
    if (lstat(path, &st) != 0) {
        rc = errno == ENOENT ? 0 : ccb_error_set("cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    if (S_ISREG(st.st_mode)) {
        git_oid oid;
        char hex[GIT_OID_HEXSZ + 1], line[PATH_MAX + 64];
        if (git_odb_hashfile(&oid, path, GIT_OBJECT_BLOB) < 0) {
            ccb_error_set("cannot hash %s: %s", path, strerror(errno));
            goto done;
        }
        git_oid_tostr(hex, sizeof(hex), &oid);
        snprintf(line, sizeof(line), "%s %c %s", rel, (st.st_mode & 0111) ? 'x' : '-', hex);
        rc = manifest_add(m, line);
        goto done;
    }
    if (S_ISLNK(st.st_mode)) {
        /* As git stores one: the link text, not what it points to. */
        char target[PATH_MAX], line[2 * PATH_MAX + 8];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0) {
            ccb_error_set("cannot read the link %s: %s", path, strerror(errno));
            goto done;
        }
        target[n] = '\0';
        snprintf(line, sizeof(line), "%s l %s", rel, target);
        rc = manifest_add(m, line);
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = 0; /* sockets and fifos do not take part in a build */
        goto done;
    }
    count = scandir(path, &names, NULL, alphasort);
    if (count < 0) {
        ccb_error_set("cannot list %s: %s", path, strerror(errno));
        goto done;
    }
    for (int i = 0; i < count; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, ".git") == 0)
            continue;
        char child[PATH_MAX];
        snprintf(child, sizeof(child), "%s/%s", rel, name);
        if (hash_tree(m, root, child) != 0)
            goto done;
    }
    rc = 0;
done:
    free_listing(names, count);
    free(path);
    return rc;
}

static void hash_text(const char *data, size_t len, char *hex)
{
    git_oid oid;
    git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB);
    git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &oid);
}

int ccb_build_hash_paths(const char *root, const char *const *paths, size_t n, char *hex)
{
    manifest m = {0};
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (hash_tree(&m, root, paths[i]) != 0)
            goto done;
    }
    hash_text(m.buf ? m.buf : "", m.len, hex);
    rc = 0;
done:
    free(m.buf);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Context */

/* The build's time limit: CCBENCH_BUILD_TIMEOUT_S, else DEFAULT_BUILD_TIMEOUT_S. A runner
 * builds in seconds; a cmake that waits on a lock or a compiler that hangs must not hang
 * compare (or a CI job) with it. 0, or -1 with the variable named. */
static int build_timeout_s(unsigned int *out)
{
    const char *text = getenv("CCBENCH_BUILD_TIMEOUT_S");
    char *end;
    unsigned long v;

    *out = DEFAULT_BUILD_TIMEOUT_S;
    if (!text || !*text)
        return 0;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno || *end || v == 0 || v > 86400 || text[0] == '-')
        return ccb_error_set("CCBENCH_BUILD_TIMEOUT_S=%s: expected whole seconds, 1 to 86400",
                             text);
    *out = (unsigned int)v;
    return 0;
}

int ccb_build_ctx_open(ccb_build_ctx *ctx, const char *repo_path, ccb_progress_mode progress)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->progress = progress;
    if (build_timeout_s(&ctx->timeout_s) != 0)
        return ccb_error_classify(CCB_ERROR_USAGE);
    const char *where = repo_path ? repo_path : ".";
    int err = ccb_gitref_open(&ctx->repo, where);
    if (err == GIT_ENOTFOUND) {
        ccb_error_set("'%s' is in no git repository: run the command inside the ccbench "
                      "checkout or give --repo PATH (compare also takes two result files)",
                      where);
        return ccb_error_classify(CCB_ERROR_INPUT);
    }
    if (err != 0)
        return ccb_error_classify(CCB_ERROR_INPUT);
    if (git_repository_is_bare(ctx->repo)) {
        ccb_error_set("%s is a bare repository: ccbench builds from a work tree; give "
                      "--repo a checkout",
                      where);
        return ccb_error_classify(CCB_ERROR_INPUT);
    }
    ctx->workdir = strdup(git_repository_workdir(ctx->repo));
    const char *cache = getenv("CCBENCH_CACHE_DIR");
    if (cache && cache[0])
        ctx->cache_dir = strdup(cache);
    else if (ctx->workdir && asprintf(&ctx->cache_dir, "%s.ccbench", ctx->workdir) < 0)
        ctx->cache_dir = NULL;
    const char *src = getenv("CCBENCH_SOURCE_DIR");
    ctx->source_dir = strdup(src && src[0] ? src : CCBENCH_SOURCE_DIR);
    if (!ctx->workdir || !ctx->cache_dir || !ctx->source_dir) {
        ccb_error_set("out of memory");
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    char probe[PATH_MAX];
    snprintf(probe, sizeof(probe), "%s/scenarios/CMakeLists.txt", ctx->source_dir);
    if (access(probe, R_OK) != 0) {
        ccb_error_set("cannot find the ccbench sources to build the runner from ('%s' has no "
                      "scenarios/CMakeLists.txt): set CCBENCH_SOURCE_DIR to the ccbench checkout",
                      ctx->source_dir);
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    /* The instrument: the current scenarios, what they share with the driver (common/) and
     * the build files around them. */
    const char *const instrument[] = {"scenarios", "common", "CMakeLists.txt", "cmake"};
    if (ccb_build_hash_paths(ctx->source_dir, instrument, 4, ctx->scenarios_hash) != 0)
        return ccb_error_classify(CCB_ERROR_BUILD);
    if (ccb_paths_mkdir_p(ctx->cache_dir, 0755) != 0)
        return ccb_error_classify(CCB_ERROR_BUILD);
    return 0;
}

void ccb_build_ctx_release(ccb_build_ctx *ctx)
{
    git_repository_free(ctx->repo);
    free(ctx->workdir);
    free(ctx->cache_dir);
    free(ctx->source_dir);
    memset(ctx, 0, sizeof(*ctx));
}

/* ---------------------------------------------------------------------------------------- */
/* Resolve */

static void progress_line(const ccb_build_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress_line(const ccb_build_ctx *ctx, const char *fmt, ...)
{
    if (ctx->progress == CCB_PROGRESS_QUIET)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("ccbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* src/<tree>/: checked out once into a temp name, then renamed, so a half-written checkout
 * is never taken for a complete one. */
/* Copy one regular file, keeping its execute bits. */
static int copy_file(const char *from, const char *to, mode_t mode)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    ssize_t n = 0;

    if (in < 0)
        return ccb_error_set("cannot read %s: %s", from, strerror(errno));
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode & 0111) ? 0755 : 0644);
    if (out < 0) {
        ccb_error_set("cannot create %s: %s", to, strerror(errno));
        goto done;
    }
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ccb_error_set("cannot read %s: %s", from, strerror(errno));
            goto done;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                ccb_error_set("cannot write %s: %s (disk full?)", to, strerror(errno));
                goto done;
            }
            off += w;
        }
    }
    if (close(out) != 0) {
        out = -1;
        ccb_error_set("cannot write %s: %s (disk full?)", to, strerror(errno));
        goto done;
    }
    out = -1;
    rc = 0;
done:
    if (out >= 0)
        close(out);
    close(in);
    return rc;
}

/* 1 when A and B are regular files with the same bytes and execute bits. */
static int same_file(const char *a, const char *b, const struct stat *sa)
{
    struct stat sb;
    if (lstat(b, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size != sa->st_size ||
        (sb.st_mode & 0111) != (sa->st_mode & 0111))
        return 0;
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    char x[8192], y[8192];
    while (same) {
        size_t n = fread(x, 1, sizeof(x), fa);
        same = fread(y, 1, sizeof(y), fb) == n && memcmp(x, y, n) == 0;
        if (n < sizeof(x))
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* Make TO hold what hash_tree hashes of FROM (directories, regular files, symlinks as links;
 * no .git), rewriting only the files whose bytes differ and removing what FROM lacks: into
 * an empty TO, a copy (WORKTREE's snapshot); into the bench's tree, make's timestamps then see
 * exactly the files a commit changed. A relative link leaving tracker/ does not resolve in
 * the copy, as in a revision's checkout. */
static int sync_tree(const char *from, const char *to)
{
    struct dirent **names = NULL;
    int count, rc = -1;
    if (mkdir(to, 0755) != 0 && errno != EEXIST)
        return ccb_error_set("cannot create %s: %s", to, strerror(errno));
    count = scandir(to, &names, NULL, alphasort);
    if (count < 0)
        return ccb_error_set("cannot list %s: %s", to, strerror(errno));
    for (int i = 0; i < count; i++) { /* what FROM no longer has */
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st;
        if (strcmp(names[i]->d_name, ".") == 0 || strcmp(names[i]->d_name, "..") == 0)
            continue;
        snprintf(src, sizeof(src), "%s/%s", from, names[i]->d_name);
        snprintf(dst, sizeof(dst), "%s/%s", to, names[i]->d_name);
        if (lstat(src, &st) == 0)
            continue;
        if (lstat(dst, &st) == 0 && S_ISDIR(st.st_mode))
            ccb_paths_tempdir_remove(dst);
        else
            unlink(dst);
    }
    free_listing(names, count);
    names = NULL;
    count = scandir(from, &names, NULL, alphasort);
    if (count < 0)
        return ccb_error_set("cannot list %s: %s", from, strerror(errno));
    for (int i = 0; i < count; i++) {
        const char *name = names[i]->d_name;
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st, dt;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, ".git") == 0)
            continue;
        snprintf(src, sizeof(src), "%s/%s", from, name);
        snprintf(dst, sizeof(dst), "%s/%s", to, name);
        if (lstat(src, &st) != 0) {
            if (errno == ENOENT)
                continue; /* deleted while we list: not part of the snapshot */
            ccb_error_set("cannot read %s: %s", src, strerror(errno));
            goto done;
        }
        int have = lstat(dst, &dt) == 0;
        if (S_ISDIR(st.st_mode)) {
            if (have && !S_ISDIR(dt.st_mode))
                unlink(dst);
            if (sync_tree(src, dst) != 0)
                goto done;
            continue;
        }
        if (S_ISREG(st.st_mode) && same_file(src, dst, &st))
            continue;
        if (have && S_ISDIR(dt.st_mode))
            ccb_paths_tempdir_remove(dst);
        else if (have)
            unlink(dst);
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(src, target, sizeof(target) - 1);
            if (n < 0 || (target[n] = '\0', symlink(target, dst) != 0)) {
                ccb_error_set("cannot copy the link %s: %s", src, strerror(errno));
                goto done;
            }
        } else if (S_ISREG(st.st_mode) && copy_file(src, dst, st.st_mode) != 0) {
            goto done;
        }
    }
    rc = 0;
done:
    free_listing(names, count);
    return rc;
}

/* Move a finished temp directory into place; another compare that got there first (the
 * same content) is as good. 0 or -1. */
static int publish_dir(const char *tmp, const char *final)
{
    if (rename(tmp, final) != 0 && !(errno == ENOTEMPTY || errno == EEXIST))
        return ccb_error_set("cannot rename %s to %s: %s", tmp, final, strerror(errno));
    return 0;
}

/*
 * WORKTREE: the work tree's tracker/ copied into the cache and built from there, keyed by the
 * hash of the copy. Building the work tree in place would let an edit made during the build
 * (or between hashing and building) put a build of other sources under this key.
 */
/* A staging directory that was not published (an error, or another process won): removed,
 * and its name freed. TMP may be NULL. */
static void discard_staging(char *tmp)
{
    if (tmp && access(tmp, F_OK) == 0)
        ccb_paths_tempdir_remove(tmp);
    free(tmp);
}

static int snapshot_worktree(ccb_build_ctx *ctx, ccb_operand *op, char *hex)
{
    char *tmp = NULL, *from = NULL, *inner = NULL;
    int rc = -1;
    struct stat st;
    const char *const tracker[] = {"tracker"};

    if (asprintf(&tmp, "%s/src/worktree.tmp-%ld", ctx->cache_dir, (long)getpid()) < 0 ||
        asprintf(&from, "%stracker", ctx->workdir) < 0 || asprintf(&inner, "%s/tracker", tmp) < 0) {
        ccb_error_set("out of memory");
        goto done;
    }
    if (access(tmp, F_OK) == 0)
        ccb_paths_tempdir_remove(tmp); /* left by a crashed run of this pid */
    if (ccb_paths_mkdir_p(tmp, 0755) != 0 || sync_tree(from, inner) != 0 ||
        ccb_build_hash_paths(tmp, tracker, 1, hex) != 0)
        goto done;
    if (asprintf(&op->tracker_dir, "%s/src/content-%s", ctx->cache_dir, hex) < 0) {
        op->tracker_dir = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    if (!(stat(op->tracker_dir, &st) == 0 && S_ISDIR(st.st_mode)) &&
        publish_dir(inner, op->tracker_dir) != 0)
        goto done;
    rc = 0;
done:
    discard_staging(tmp);
    free(from);
    free(inner);
    return rc;
}

static int checkout_source(ccb_build_ctx *ctx, ccb_operand *op)
{
    char *tmp = NULL;
    int rc = -1;
    struct stat st;
    if (asprintf(&op->tracker_dir, "%s/src/%s", ctx->cache_dir, op->tracker_tree) < 0) {
        op->tracker_dir = NULL;
        ccb_error_set("out of memory");
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    if (stat(op->tracker_dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (asprintf(&tmp, "%s.tmp-%ld", op->tracker_dir, (long)getpid()) < 0) {
        tmp = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    if (ccb_paths_mkdir_p(tmp, 0755) != 0)
        goto done;
    progress_line(ctx, "checking out %s (tracker tree %.12s) into %s", op->text, op->tracker_tree,
                  op->tracker_dir);
    if (ccb_gitref_checkout_tree(ctx->repo, op->tracker_tree, tmp) != 0)
        goto done;
    if (publish_dir(tmp, op->tracker_dir) != 0)
        goto done;
    rc = 0;
done:
    discard_staging(tmp);
    return rc;
}

/*
 * The compiler cmake will build the runner with, as it names itself: the first line of
 * `$CC --version` (cmake's choice too: $CC, else cc). Part of the build key, so that a
 * compiler upgrade rebuilds both sides instead of comparing a fresh build with a stale one.
 * "unknown" if it cannot be asked (the build then fails with its own message).
 */
static void compiler_identity(char *out, size_t cap)
{
    char *helper = NULL;
    char *argv[] = {"sh", "-c", "${CC:-cc} --version 2>/dev/null >&3", NULL};
    ccb_child_result res;

    snprintf(out, cap, "unknown");
    if (ccb_child_find_helper(&helper) != 0) {
        ccb_error_clear();
        goto done;
    }
    ccb_child_spec spec = {.helper = helper,
                           .path = "/bin/sh",
                           .argv = argv,
                           .result_pipe = 1,
                           .timeout_ms = COMPILER_QUERY_TIMEOUT_MS,
                           .cpu = -1,
                           .log_path = "/dev/null",
                           .max_output = 4096};
    if (ccb_child_run(&spec, &res) != 0) {
        ccb_error_clear();
        goto done;
    }
    if (res.end == CCB_CHILD_EXITED && res.status == 0 && res.output_len > 0) {
        size_t len = strcspn(res.output, "\n");
        snprintf(out, cap, "%.*s", (int)len, res.output);
    }
    ccb_child_result_release(&res);
done:
    free(helper);
}

int ccb_build_resolve(ccb_build_ctx *ctx, ccb_operand *op)
{
    char tracker_id[64];
    if (op->kind == CCB_OPERAND_REVISION) {
        int rc = ccb_gitref_resolve(ctx->repo, op->text, op->commit, op->tracker_tree);
        if (rc != 0)
            return rc;
        rc = checkout_source(ctx, op);
        if (rc != 0)
            return rc;
        snprintf(tracker_id, sizeof(tracker_id), "tree:%s", op->tracker_tree);
    } else {
        ccb_git_info head;
        memset(&head, 0, sizeof(head));
        if (ccb_gitref_describe_head(ctx->repo, &head) != 0)
            return ccb_error_classify(CCB_ERROR_BUILD);
        snprintf(op->commit, sizeof(op->commit), "%s", head.commit ? head.commit : "");
        snprintf(op->tracker_tree, sizeof(op->tracker_tree), "%s",
                 head.tracker_tree ? head.tracker_tree : "");
        op->dirty = head.dirty;
        ccb_result_git_info_release(&head);
        char where[PATH_MAX];
        struct stat st;
        snprintf(where, sizeof(where), "%stracker", ctx->workdir);
        if (stat(where, &st) != 0 || !S_ISDIR(st.st_mode)) {
            ccb_error_set("the work tree has no tracker/ directory (%s): there is no tracker to "
                          "build for WORKTREE",
                          where);
            return ccb_error_classify(CCB_ERROR_BUILD);
        }
        char hex[GIT_OID_HEXSZ + 1];
        if (snapshot_worktree(ctx, op, hex) != 0)
            return ccb_error_classify(CCB_ERROR_BUILD);
        snprintf(tracker_id, sizeof(tracker_id), "content:%s", hex);
    }
    /* The key: what is built (tracker), with what (scenarios, compiler), and how. */
    const char *cc = getenv("CC");
    char *keytext = NULL;
    if (!ctx->compiler[0])
        compiler_identity(ctx->compiler, sizeof(ctx->compiler));
    if (asprintf(&keytext, "tracker %s\nscenarios %s\ncompiler %s CC=%s\nbuild_type Release\n",
                 tracker_id, ctx->scenarios_hash, ctx->compiler, cc ? cc : "") < 0) {
        ccb_error_set("out of memory");
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    hash_text(keytext, strlen(keytext), op->key);
    free(keytext);
    if (asprintf(&op->build_dir, "%s/build/%s", ctx->cache_dir, op->key) < 0 ||
        asprintf(&op->out.runner, "%s/bin/%s", op->build_dir, CCB_SCENARIO_EXECUTABLE) < 0 ||
        asprintf(&op->out.floor, "%s/bin/%s", op->build_dir, CCB_FLOOR_EXECUTABLE) < 0 ||
        asprintf(&op->out.counts, "%s/bin/%s", op->build_dir, CCB_COUNTS_EXECUTABLE) < 0) {
        ccb_error_set("out of memory");
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Build */

/* NAME's absolute path from PATH (the spawn helper takes absolute paths only). */
/*
 * Run ARGV (argv[0] found on PATH) with stdout/stderr appended to LOG_PATH, in a process
 * group of its own killed at the time limit or on ^C. 0 with *exit_status set, or -1 with
 * the message set: class BUILD (cannot run, time limit) or INTERRUPTED.
 */
static int run_logged(const ccb_operand *op, char *const *argv, const char *log_path,
                      unsigned int timeout_s, int *exit_status)
{
    ccb_child_result res;
    char *helper = NULL, *exe = ccb_child_find_on_path(argv[0]);
    int rc = -1;

    if (!exe) {
        ccb_error_set("cannot run %s: not found on PATH (is cmake installed? ./scripts/deps)",
                      argv[0]);
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    if (ccb_child_find_helper(&helper) != 0)
        goto done;
    ccb_child_spec spec = {.helper = helper,
                           .path = exe,
                           .argv = argv,
                           .timeout_ms = timeout_s * 1000u,
                           .cpu = -1,
                           .log_path = log_path,
                           .log_append = 1};
    if (ccb_child_run(&spec, &res) != 0)
        goto done;
    ccb_child_result_release(&res);
    switch (res.end) {
    case CCB_CHILD_EXITED:
        *exit_status = res.status;
        rc = 0;
        break;
    case CCB_CHILD_SIGNALED:
        *exit_status = 128 + res.status;
        rc = 0;
        break;
    case CCB_CHILD_TIMED_OUT:
        ccb_error_set("building the runner for '%s' did not finish within %u s (%s was killed; "
                      "raise CCBENCH_BUILD_TIMEOUT_S if the machine is just slow): the log so "
                      "far is %s",
                      op->text, timeout_s, argv[0], log_path);
        ccb_error_classify(CCB_ERROR_BUILD);
        break;
    case CCB_CHILD_INTERRUPTED:
        ccb_error_set("interrupted while building the runner for '%s': the build was stopped "
                      "and nothing was measured",
                      op->text);
        ccb_error_classify(CCB_ERROR_INTERRUPTED);
        break;
    case CCB_CHILD_SPAWN_FAILED:
        ccb_error_setc(CCB_ERROR_BUILD, "cannot run %s: %s", exe, strerror(res.status));
        break;
    }
done:
    free(helper);
    free(exe);
    return rc;
}

/* The last LOG_TAIL_LINES lines of PATH on stderr. */
static void print_log_tail(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    char *lines[LOG_TAIL_LINES] = {NULL};
    size_t next = 0, total = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) >= 0) {
        free(lines[next]);
        lines[next] = strdup(line);
        next = (next + 1) % LOG_TAIL_LINES;
        total++;
    }
    free(line);
    fclose(fp);
    fprintf(stderr, "---- last lines of %s ----\n", path);
    size_t shown = total < LOG_TAIL_LINES ? total : LOG_TAIL_LINES;
    for (size_t i = 0; i < shown; i++) {
        size_t k = (next + LOG_TAIL_LINES - shown + i) % LOG_TAIL_LINES;
        if (lines[k])
            fputs(lines[k], stderr);
    }
    fputs("----\n", stderr);
    for (size_t i = 0; i < LOG_TAIL_LINES; i++)
        free(lines[i]);
}

static int write_stamp(const ccb_operand *op)
{
    char path[PATH_MAX], text[PATH_MAX + 256];
    snprintf(path, sizeof(path), "%s/.complete", op->build_dir);
    int n = snprintf(text, sizeof(text), "key %s\noperand %s\ncommit %s\ntracker %s\n", op->key,
                     op->text, op->commit, op->tracker_dir);
    if (n < 0 || (size_t)n >= sizeof(text))
        return ccb_error_set("%s: the stamp's text is too long", path);
    return ccb_atomic_write(path, text, (size_t)n);
}

static int build_is_complete(const ccb_operand *op)
{
    char stamp[PATH_MAX];
    snprintf(stamp, sizeof(stamp), "%s/.complete", op->build_dir);
    return access(stamp, F_OK) == 0 && access(op->out.runner, X_OK) == 0 &&
           access(op->out.floor, X_OK) == 0 && access(op->out.counts, X_OK) == 0;
}

/* Configure (unless DIR is configured already) and build the three executables in DIR
 * from TRACKER's sources, both steps appended to LOG_PATH. 0 (*status: cmake's exit status)
 * or -1 (BUILD: cannot run, time limit; INTERRUPTED). */
static int cmake_build(ccb_build_ctx *ctx, ccb_operand *op, const char *dir, const char *tracker,
                       const char *log_path, int *status)
{
    char def_tracker[PATH_MAX + 32], cache_file[PATH_MAX + 32];
    snprintf(def_tracker, sizeof(def_tracker), "-DCCBENCH_TRACKER_DIR=%s", tracker);
    snprintf(cache_file, sizeof(cache_file), "%s/CMakeCache.txt", dir);
    char *configure[] = {"cmake",
                         "-S",
                         ctx->source_dir,
                         "-B",
                         (char *)dir,
                         "-DCMAKE_BUILD_TYPE=Release",
                         def_tracker,
                         "-DCCBENCH_BUILD_HARNESS=OFF",
                         "-DCCBENCH_SELFTEST_SCENARIOS=OFF",
                         "-DBUILD_TESTING=OFF",
                         NULL};
    char *build[] = {"cmake",
                     "--build",
                     (char *)dir,
                     "--target",
                     CCB_SCENARIO_EXECUTABLE,
                     CCB_FLOOR_EXECUTABLE,
                     CCB_COUNTS_EXECUTABLE,
                     "-j2",
                     NULL};
    int rc = 0;
    *status = 0;
    /* A ^C must stop the build's process group (it is not ours), not just ccbench. */
    if (ccb_interrupt_install() != 0)
        return ccb_error_classify(CCB_ERROR_BUILD);
    if (access(cache_file, F_OK) != 0) {
        progress_line(ctx, "%s: configuring (log: %s)", op->text, log_path);
        rc = run_logged(op, configure, log_path, ctx->timeout_s, status);
    }
    if (rc == 0 && *status == 0) {
        progress_line(ctx, "%s: building ccbench-scenario against %s", op->text, op->tracker_dir);
        rc = run_logged(op, build, log_path, ctx->timeout_s, status);
    }
    ccb_interrupt_uninstall();
    if (rc != 0 && ccb_error_last_class() != CCB_ERROR_INTERRUPTED)
        print_log_tail(log_path);
    return rc;
}

/* Copy the executables and the HTTP module out of the bench's build FROM into OP's entry
 * (bin/ and lib/, where the runner looks for the module: ../lib beside its bin/). */
static int copy_outputs(const char *from, const ccb_operand *op)
{
    if (strlen(from) > PATH_MAX - 64 || strlen(op->build_dir) > PATH_MAX - 64)
        return ccb_error_set("%s: the path is too long", from);
    static const char *const files[] = {"bin/" CCB_SCENARIO_EXECUTABLE, "bin/" CCB_FLOOR_EXECUTABLE,
                                        "bin/" CCB_COUNTS_EXECUTABLE, "lib/libcctracker-api.so"};
    char src[PATH_MAX + 64], dst[PATH_MAX + 64];
    struct stat st;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(src, sizeof(src), "%s/%s", from, files[i]);
        snprintf(dst, sizeof(dst), "%s/%.3s", op->build_dir, files[i]);
        if (ccb_paths_mkdir_p(dst, 0755) != 0)
            return -1;
        snprintf(dst, sizeof(dst), "%s/%s", op->build_dir, files[i]);
        unlink(dst);
        if (stat(src, &st) != 0)
            return ccb_error_set("the build in %s made no %s", from, files[i]);
        if (copy_file(src, dst, st.st_mode) != 0)
            return -1;
    }
    return 0;
}

/* ctx->incremental: OP built in the cache's one bench for this instrument and compiler
 * (<cache>/bench/<id>: tracker/ synced to OP's sources, a build tree kept between builds), so
 * a commit that changed one file recompiles that file and links, instead of configuring and
 * compiling everything (~15 s here, most of it compiling; see docs/statistics.md). The bench
 * has its own lock; a build killed or interrupted mid-way wipes its tree (a truncated object
 * could pass for up to date). */
static int build_in_bench(ccb_build_ctx *ctx, ccb_operand *op, const char *log_path, int *status)
{
    char id[41], *text = NULL, bench[PATH_MAX], lock_path[PATH_MAX + 8], src[PATH_MAX + 16],
                 tree[PATH_MAX + 16], building[PATH_MAX + 16];
    const char *cc = getenv("CC");
    int fd = -1, rc = -1;
    /* The source dir too: a build tree is tied to the sources it was configured from. */
    if (asprintf(&text, "scenarios %s\ncompiler %s CC=%s\nsource %s\n", ctx->scenarios_hash,
                 ctx->compiler, cc ? cc : "", ctx->source_dir) < 0)
        return ccb_error_setc(CCB_ERROR_BUILD, "out of memory");
    hash_text(text, strlen(text), id);
    free(text);
    snprintf(bench, sizeof(bench), "%s/bench/%.16s", ctx->cache_dir, id);
    snprintf(lock_path, sizeof(lock_path), "%s.lock", bench);
    snprintf(src, sizeof(src), "%s/tracker", bench);
    snprintf(tree, sizeof(tree), "%s/build", bench);
    snprintf(building, sizeof(building), "%s/building", bench);
    if (ccb_paths_mkdir_p(bench, 0755) != 0)
        return ccb_error_classify(CCB_ERROR_BUILD);
    fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    int locked = fd >= 0 ? flock(fd, LOCK_EX | LOCK_NB) : -1;
    if (fd >= 0 && locked != 0 && errno == EWOULDBLOCK) {
        progress_line(ctx, "%s: waiting for another ccbench building in %s", op->text, bench);
        do {
            locked = flock(fd, LOCK_EX);
        } while (locked != 0 && errno == EINTR);
    }
    if (locked != 0) {
        ccb_error_setc(CCB_ERROR_BUILD, "cannot lock %s: %s", lock_path, strerror(errno));
        goto done;
    }
    /* A build that never finished (ccbench killed outright, the machine gone) left the marker:
     * its tree may hold a truncated object with a fresh mtime that make would take as up to
     * date, so that tree goes. The marker stays while cmake runs. */
    if (access(building, F_OK) == 0) {
        progress_line(ctx, "%s: the last build in %s did not finish: starting from an empty tree",
                      op->text, bench);
        ccb_paths_tempdir_remove(tree);
    }
    int marker = open(building, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (marker < 0) {
        ccb_error_setc(CCB_ERROR_BUILD, "cannot create %s: %s", building, strerror(errno));
        goto done;
    }
    close(marker);
    if (sync_tree(op->tracker_dir, src) != 0) {
        ccb_error_classify(CCB_ERROR_BUILD);
        goto done;
    }
    if (cmake_build(ctx, op, tree, src, log_path, status) != 0) {
        ccb_paths_tempdir_remove(tree);
        unlink(building);
        goto done;
    }
    unlink(building); /* cmake ran to its end: every object it wrote is whole */
    if (*status == 0 && copy_outputs(tree, op) != 0) {
        ccb_error_classify(CCB_ERROR_BUILD);
        goto done;
    }
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Called with the entry's lock held: nobody else is building or wiping it. */
static int build_locked(ccb_build_ctx *ctx, ccb_operand *op)
{
    char log_path[PATH_MAX];
    if (build_is_complete(op)) { /* built by the process we waited for */
        op->cached = 1;
        progress_line(ctx, "%s: cached build %.12s (nothing to build)", op->text, op->key);
        return 0;
    }
    /* No .complete stamp: whatever is there is from a build that did not finish (killed at the
     * time limit, ^C, a crash). A compiler killed mid-write leaves a truncated object with a
     * fresh mtime that make would take as up to date, so start from an empty directory. */
    ccb_paths_tempdir_remove(op->build_dir);
    if (ccb_paths_mkdir_p(op->build_dir, 0755) != 0)
        return ccb_error_classify(CCB_ERROR_BUILD);
    snprintf(log_path, sizeof(log_path), "%s/build.log", op->build_dir);
    int logfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) {
        ccb_error_set("cannot create %s: %s", log_path, strerror(errno));
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    close(logfd); /* truncated: both steps append to it */
    int status = 0;
    int rc = ctx->incremental
                 ? build_in_bench(ctx, op, log_path, &status)
                 : cmake_build(ctx, op, op->build_dir, op->tracker_dir, log_path, &status);
    if (rc != 0)
        return rc;
    if (status != 0) {
        print_log_tail(log_path);
        ccb_error_set("building the runner for '%s' failed (cmake exited %d): the full log is "
                      "%s",
                      op->text, status, log_path);
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    if (write_stamp(op) != 0)
        return ccb_error_classify(CCB_ERROR_BUILD);
    progress_line(ctx, "%s: built", op->text);
    return 0;
}

int ccb_build_ensure(ccb_build_ctx *ctx, ccb_operand *op)
{
    /* A complete entry is never deleted, so it needs no lock. */
    if (build_is_complete(op)) {
        op->cached = 1;
        progress_line(ctx, "%s: cached build %.12s (nothing to build)", op->text, op->key);
        return 0;
    }
    /* <key>.lock beside the entry (the entry itself is wiped): a second compare of the same
     * revision waits for the first's build and then reuses it, instead of wiping it mid-build.
     * flock() is released by the kernel when a holder dies, so a crash never leaves it held;
     * O_CLOEXEC keeps cmake and the compilers from inheriting it. */
    char lock_path[PATH_MAX + 8];
    snprintf(lock_path, sizeof(lock_path), "%s.lock", op->build_dir);
    if (ccb_paths_mkdir_p(op->build_dir, 0755) != 0)
        return ccb_error_classify(CCB_ERROR_BUILD);
    int fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        ccb_error_set("cannot open the build lock %s: %s", lock_path, strerror(errno));
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    int rc = flock(fd, LOCK_EX | LOCK_NB);
    if (rc != 0 && errno == EWOULDBLOCK) {
        progress_line(ctx, "%s: waiting for another ccbench building %.12s (lock: %s)", op->text,
                      op->key, lock_path);
        do {
            rc = flock(fd, LOCK_EX);
        } while (rc != 0 && errno == EINTR);
    }
    if (rc != 0) {
        ccb_error_set("cannot lock %s: %s", lock_path, strerror(errno));
        close(fd);
        return ccb_error_classify(CCB_ERROR_BUILD);
    }
    rc = build_locked(ctx, op);
    close(fd);
    return rc;
}

char *ccb_build_noise_path(const ccb_operand *op)
{
    char *path = NULL;
    if (!op->build_dir || asprintf(&path, "%s/noise.json", op->build_dir) < 0)
        return NULL;
    return path;
}
