/*
 * Throw-away repositories for the suites that drive compare, run --revisions and bisect (see
 * test_repo.h). Every child is waited for with a deadline, never a sleep.
 */
#include "test_repo.h"

#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_driver.h"

extern char **environ;

void test_repo_sh(const char *const *argv)
{
    pid_t pid;
    assert_int_equal(posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ), 0);
    assert_int_equal(wait_bounded(pid, 60), 0);
}

/* A commit of TREE_OID with the NPARENTS PARENTS on REF, signed "test". */
static git_oid create_commit(git_repository *repo, const char *ref, const git_oid *tree_oid,
                             const git_oid *parents, size_t nparents, const char *message)
{
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    git_commit *parent[2] = {NULL, NULL};
    git_oid oid;
    assert_true(nparents <= 2);
    assert_int_equal(git_tree_lookup(&tree, repo, tree_oid), 0);
    assert_int_equal(git_signature_now(&sig, "test", "test@example.com"), 0);
    for (size_t i = 0; i < nparents; i++)
        assert_int_equal(git_commit_lookup(&parent[i], repo, &parents[i]), 0);
    assert_int_equal(git_commit_create(&oid, repo, ref, sig, sig, NULL, message, tree, nparents,
                                       (const git_commit **)parent),
                     0);
    for (size_t i = 0; i < nparents; i++)
        git_commit_free(parent[i]);
    git_signature_free(sig);
    git_tree_free(tree);
    return oid;
}

git_oid test_repo_commit_index(git_repository *repo, const char *ref, const git_oid *parents,
                               size_t nparents, const char *message)
{
    git_index *index = NULL;
    git_oid tree_oid;
    assert_int_equal(git_repository_index(&index, repo), 0);
    assert_int_equal(git_index_write_tree(&tree_oid, index), 0);
    git_index_free(index);
    return create_commit(repo, ref, &tree_oid, parents, nparents, message);
}

void test_repo_index_update(git_repository *repo, const char *path, int remove_dir)
{
    git_index *index = NULL;
    assert_int_equal(git_repository_index(&index, repo), 0);
    if (remove_dir)
        assert_int_equal(git_index_remove_directory(index, path, 0), 0);
    else
        assert_int_equal(git_index_add_bypath(index, path), 0);
    assert_int_equal(git_index_write(index), 0);
    git_index_free(index);
}

git_oid test_repo_commit_file(git_repository *repo, const char *dir, const git_oid *parents,
                              size_t nparents, const char *ref, const char *file, const char *text,
                              const char *message)
{
    /* The first parent's tree with FILE replaced: neither the work tree nor the index is
     * used, so a branch's commits build on each other. DIR is kept for the callers' sake. */
    (void)dir;
    git_commit *first = NULL;
    git_tree *base = NULL;
    git_oid blob, tree_oid;
    assert_true(nparents >= 1);
    assert_int_equal(git_commit_lookup(&first, repo, &parents[0]), 0);
    assert_int_equal(git_commit_tree(&base, first), 0);
    assert_int_equal(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
    git_tree_update update = {
        .action = GIT_TREE_UPDATE_UPSERT, .id = blob, .filemode = GIT_FILEMODE_BLOB, .path = file};
    assert_int_equal(git_tree_create_updated(&tree_oid, repo, base, 1, &update), 0);
    git_tree_free(base);
    git_commit_free(first);
    return create_commit(repo, ref, &tree_oid, parents, nparents, message);
}

char *test_repo_insert_after(const char *text, const char *anchor, const char *insert)
{
    const char *at = strstr(text, anchor);
    if (!at)
        return NULL;
    size_t pre = (size_t)(at - text) + strlen(anchor);
    char *out = malloc(strlen(text) + strlen(insert) + 1);
    memcpy(out, text, pre);
    strcpy(out + pre, insert);
    strcat(out, text + pre);
    return out;
}

/* What the user's repository looks like: HEAD, the index bytes, the status, the stash. */
char *test_repo_snapshot(const char *repo_dir)
{
    char path[600], *out = NULL;
    snprintf(path, sizeof(path), "%s/.git/HEAD", repo_dir);
    char *head = read_file(path);
    snprintf(path, sizeof(path), "%s/.git/index", repo_dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    char *index = read_file(path);
    git_repository *repo = NULL;
    assert_int_equal(git_repository_open(&repo, repo_dir), 0);
    git_status_options opts;
    git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
    opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
    git_status_list *list = NULL;
    assert_int_equal(git_status_list_new(&list, repo, &opts), 0);
    size_t cap = 8192, len = 0;
    char *status = calloc(1, cap);
    for (size_t i = 0; i < git_status_list_entrycount(list); i++) {
        const git_status_entry *e = git_status_byindex(list, i);
        const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        len += (size_t)snprintf(status + len, cap - len, "%u %s\n", e->status,
                                d ? d->new_file.path : "?");
    }
    git_status_list_free(list);
    git_oid stash;
    char stash_hex[41] = "none";
    if (git_reference_name_to_id(&stash, repo, "refs/stash") == 0)
        git_oid_tostr(stash_hex, sizeof(stash_hex), &stash);
    git_repository_free(repo);
    /* The index as bytes: hex of its size and a checksum is enough to see any change. */
    unsigned long sum = 0;
    for (off_t i = 0; i < st.st_size; i++)
        sum = sum * 31 + (unsigned char)index[i];
    assert_true(asprintf(&out, "HEAD %s\nindex %ld %lu\nstash %s\n%s", head, (long)st.st_size, sum,
                         stash_hex, status) > 0);
    free(head);
    free(index);
    free(status);
    return out;
}

git_oid test_repo_create(const char *dir, const char *source, git_repository **out)
{
    mkdir(dir, 0755);
    const char *copy[] = {"tracker",        "scenarios",         "common",
                          "CMakeLists.txt", "CMakePresets.json", "cmake"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        char from[1024];
        snprintf(from, sizeof(from), "%s/%s", source, copy[i]);
        test_repo_sh(ARGS("cp", "-a", from, dir));
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/.gitignore", dir);
    write_text(path, "/build/\n/.ccbench/\n/results/\n");

    git_repository_init_options opts;
    git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags = GIT_REPOSITORY_INIT_MKPATH;
    opts.initial_head = "main";
    assert_int_equal(git_repository_init_ext(out, dir, &opts), 0);
    git_index *index = NULL;
    git_strarray all = {(char *[]){"*"}, 1};
    assert_int_equal(git_repository_index(&index, *out), 0);
    assert_int_equal(git_index_add_all(index, &all, 0, NULL, NULL), 0);
    assert_int_equal(git_index_write(index), 0);
    git_index_free(index);
    return test_repo_commit_index(*out, "HEAD", NULL, 0, "main");
}

char *test_repo_tracker_variant(const char *orig, long ns)
{
    const char *anchor = "CCT_EXTERN(int) cct_tracker_start(cct_tracker *t)\n{\n";
    if (!strstr(orig, anchor)) {
        fprintf(stderr,
                "FAIL: '%s' not found in tracker/src/tracker.c: update test_repo.c to "
                "the new code\n",
                anchor);
        return NULL;
    }
    if (ns < 0)
        return test_repo_insert_after(orig, anchor, "    this is not C;\n");
    char loop[512];
    snprintf(
        loop, sizeof(loop),
        "    {\n        struct timespec b_, n_;\n        clock_gettime(CLOCK_MONOTONIC, &b_);\n"
        "        do\n            clock_gettime(CLOCK_MONOTONIC, &n_);\n"
        "        while ((n_.tv_sec - b_.tv_sec) * 1000000000L + (n_.tv_nsec - b_.tv_nsec) < "
        "%ldL);\n    }\n",
        ns);
    char *slow = test_repo_insert_after(orig, anchor, loop);
    char *out = test_repo_insert_after(slow, "#include", " <time.h>\n#include");
    free(slow);
    return out;
}

const char *test_repo_suite_setup(fixture *suite, const char *name, char *repo, char *cache,
                                  char *source, char *results)
{
    const char *build = getenv("CCB_TEST_BINARY_DIR");
    const char *src = getenv("CCB_TEST_SOURCE_DIR");
    if (!build || !src) {
        fprintf(stderr, "CCB_TEST_BINARY_DIR/CCB_TEST_SOURCE_DIR unset: run through ctest\n");
        return NULL;
    }
    snprintf(ccbench_bin, sizeof(ccbench_bin), "%s/bin/ccbench", build);
    git_libgit2_init();
    const char *base = getenv("TMPDIR");
    snprintf(suite->dir, sizeof(suite->dir), "%s/%s-XXXXXX", base && base[0] ? base : "/tmp", name);
    if (!mkdtemp(suite->dir))
        return NULL;
    snprintf(repo, 400, "%s/repo", suite->dir);
    snprintf(cache, 500, "CCBENCH_CACHE_DIR=%s/cache", suite->dir);
    snprintf(source, 500, "CCBENCH_SOURCE_DIR=%s", repo);
    snprintf(results, 500, "CCBENCH_RESULTS_DIR=%s/results", suite->dir);
    return src;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int test_repo_suite_teardown(const fixture *suite)
{
    nftw(suite->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    git_libgit2_shutdown();
    return 0;
}
