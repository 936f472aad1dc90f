/*
 * `ccbench run --revisions` and `ccbench bisect` driven as a user would, against a throw-away
 * repository (test_repo.c). Branch line, first parents from main: c1 docs (main's tracker/
 * tree), c2 a merge of a side branch (tracker/ comment; the side commit is never walked),
 * c3 start() burns 2 ms (the culprit), c4 a comment, c5 docs (c4's tree). Branch fragile:
 * k1 does not compile, k2 compiles with c3's tree. Branch counted: n1 c2's tracker/ tree, n2
 * start() makes one more malloc/free (a count change, no time burnt), n3 a comment. One build
 * cache for the suite; every measurement is one cheap scenario.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "cli_driver.h"
#include "test_repo.h"

static fixture suite;
static char repo_dir[400], env_cache[500], env_source[500], env_results[500];
static char main_hex[41], side_hex[41], c_hex[6][41], k_hex[3][41], n_hex[4][41], u_hex[3][41];

static char *appended(const char *text, const char *tail)
{
    char *out = malloc(strlen(text) + strlen(tail) + 1);
    assert_non_null(out);
    strcpy(out, text);
    strcat(out, tail);
    return out;
}

static int group_setup(void **state)
{
    const char *source =
        test_repo_suite_setup(&suite, "test_bisect", repo_dir, env_cache, env_source, env_results);
    if (!source)
        return -1;
    cli_deadline_s = 300; /* a bisect builds up to four revisions */

    git_repository *repo = NULL;
    git_oid main_oid = test_repo_create(repo_dir, source, &repo), c[6], k[3], n[4], side;
    char path[600];
    snprintf(path, sizeof(path), "%s/tracker/src/tracker.c", repo_dir);
    char *orig = read_file(path);
    char *tidy = appended(orig, "/* tidy */\n");
    char *slow = test_repo_tracker_variant(tidy, 2000000L);
    char *broken = test_repo_tracker_variant(orig, -1);
    if (!slow || !broken)
        return -1;
    char *later = appended(slow, "/* later */\n");
    char *side_text = appended(orig, "/* side */\n");
    char *alloc =
        test_repo_insert_after(tidy, "CCT_EXTERN(int) cct_tracker_start(cct_tracker *t)\n{\n",
                               "    {\n        void *volatile extra_ = malloc(64);\n"
                               "        free(extra_);\n    }\n");
    if (!alloc)
        return -1;
    char *alloc_later = appended(alloc, "/* later */\n");
    const char *t = "tracker/src/tracker.c";
    c[0] = main_oid;
    c[1] = test_repo_commit_file(repo, repo_dir, &c[0], 1, "refs/heads/line", "README.md",
                                 "# docs\n", "docs: a README");
    side = test_repo_commit_file(repo, repo_dir, &main_oid, 1, "refs/heads/side", t, side_text,
                                 "side: a comment");
    git_oid merge_parents[2] = {c[1], side};
    c[2] = test_repo_commit_file(repo, repo_dir, merge_parents, 2, "refs/heads/line", t, tidy,
                                 "Merge branch 'side': a tidier tracker");
    c[3] = test_repo_commit_file(repo, repo_dir, &c[2], 1, "refs/heads/line", t, slow,
                                 "tracker: start() waits 2 ms");
    c[4] = test_repo_commit_file(repo, repo_dir, &c[3], 1, "refs/heads/line", t, later,
                                 "tracker: a comment");
    c[5] = test_repo_commit_file(repo, repo_dir, &c[4], 1, "refs/heads/line", "README.md",
                                 "# docs, again\n", "docs: README again");
    k[0] = main_oid;
    k[1] = test_repo_commit_file(repo, repo_dir, &k[0], 1, "refs/heads/fragile", t, broken,
                                 "tracker: does not compile");
    k[2] = test_repo_commit_file(repo, repo_dir, &k[1], 1, "refs/heads/fragile", t, slow,
                                 "tracker: compiles again, start() waits 2 ms");
    n[0] = main_oid;
    n[1] = test_repo_commit_file(repo, repo_dir, &n[0], 1, "refs/heads/counted", t, tidy,
                                 "tracker: tidier");
    n[2] = test_repo_commit_file(repo, repo_dir, &n[1], 1, "refs/heads/counted", t, alloc,
                                 "tracker: start() allocates once more");
    n[3] = test_repo_commit_file(repo, repo_dir, &n[2], 1, "refs/heads/counted", t, alloc_later,
                                 "tracker: a comment after the allocation");
    for (int i = 0; i < 4; i++)
        git_oid_tostr(n_hex[i], sizeof(n_hex[i]), &n[i]);
    /* Two trees no other test builds: the reused build tree's recovery. */
    git_oid u[3];
    u[0] = main_oid;
    for (int i = 1; i < 3; i++) {
        char mark[32];
        snprintf(mark, sizeof(mark), "/* unique %d */\n", i);
        char *text = appended(tidy, mark);
        u[i] = test_repo_commit_file(repo, repo_dir, &u[i - 1], 1, "refs/heads/unique", t, text,
                                     "tracker: a comment of its own");
        free(text);
        git_oid_tostr(u_hex[i], sizeof(u_hex[i]), &u[i]);
    }
    git_oid_tostr(main_hex, sizeof(main_hex), &main_oid);
    git_oid_tostr(side_hex, sizeof(side_hex), &side);
    for (int i = 0; i < 6; i++)
        git_oid_tostr(c_hex[i], sizeof(c_hex[i]), &c[i]);
    for (int i = 0; i < 3; i++)
        git_oid_tostr(k_hex[i], sizeof(k_hex[i]), &k[i]);
    free(orig);
    free(tidy);
    free(slow);
    free(broken);
    free(later);
    free(side_text);
    free(alloc);
    free(alloc_later);
    git_repository_free(repo);
    *state = &suite;
    return 0;
}

static int group_teardown(void **state)
{
    return test_repo_suite_teardown(&suite);
}

static void ccbench(proc *p, const char *const *args)
{
    run_in(p, &suite, repo_dir, ENV(env_cache, env_source, env_results), args);
}

#define CHEAP "--profile", "quick", "--scenario", "cold_init", "--samples", "2", "--quiet"

/* The entries of COMMIT's ccbench note (0: no note). */
static int note_entries(const char *commit)
{
    git_repository *repo = NULL;
    git_note *note = NULL;
    git_oid oid;
    assert_int_equal(git_repository_open(&repo, repo_dir), 0);
    assert_int_equal(git_oid_fromstr(&oid, commit), 0);
    int n = 0;
    if (git_note_read(&note, repo, "refs/notes/ccbench", &oid) == 0) {
        cJSON *doc = cJSON_Parse(git_note_message(note));
        assert_non_null(doc);
        n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "entries"));
        cJSON_Delete(doc);
    }
    git_note_free(note);
    git_repository_free(repo);
    return n;
}

static void test_run__revisions_measures_each_tree_once_and_notes_each_commit(void **state)
{
    proc p;
    char range[100];
    /* c3..c5: c4 and c5 share a tracker/ tree: one measurement, two results, two notes. */
    snprintf(range, sizeof(range), "%s..line", c_hex[3]);
    ccbench(&p, ARGS("run", "--revisions", range, "--save-note", CHEAP));
    expect_status(&p, 0);
    expect_contains(p.out, "measured");
    expect_contains(p.out, "result of");
    assert_int_equal(note_entries(c_hex[4]), 1);
    assert_int_equal(note_entries(c_hex[5]), 1);
    assert_int_equal(note_entries(c_hex[3]), 0);
    proc_free(&p);

    /* History over the commits: commit order, abbreviated shas and dates, and the commits
     * without a note stay as gaps, never dropped. */
    ccbench(&p, ARGS("history", "--notes", "main..line", "--metric", "cold_init.start_us"));
    expect_status(&p, 0);
    char sha[6][13];
    const char *at[6];
    for (int i = 1; i <= 5; i++) {
        snprintf(sha[i], sizeof(sha[i]), "%.12s", c_hex[i]);
        at[i] = strstr(p.out, sha[i]);
        if (!at[i])
            fail_msg("commit %s missing from the history:\n%s", sha[i], p.out);
        assert_true(i == 1 || at[i] > at[i - 1]);
    }
    assert_non_null(strstr(at[3], "(no note)"));
    assert_true(strstr(at[3], "(no note)") < at[4]);
    /* First parents, as bisect walks: c1, c2, c3 have no note; the side commit is not a slot. */
    expect_contains(p.err, "3 of 5 commits");
    char side12[13];
    snprintf(side12, sizeof(side12), "%.12s", side_hex);
    assert_null(strstr(p.out, side12));
    proc_free(&p);

    /* Progress names commit i of N (not --quiet). */
    ccbench(&p, ARGS("run", "--revisions", range, "--skip-existing", "--profile", "quick",
                     "--scenario", "cold_init", "--samples", "2"));
    expect_status(&p, 0);
    expect_contains(p.out, "skipped: has a note entry");
    assert_null(strstr(p.err, "commit 1 of 2"));
    proc_free(&p);

    /* A comma list: main and c1 share main's tree. */
    snprintf(range, sizeof(range), "main,%.12s", c_hex[1]);
    ccbench(&p, ARGS("run", "--revisions", range, "--profile", "quick", "--scenario", "cold_init",
                     "--samples", "2"));
    expect_status(&p, 0);
    expect_contains(p.err, "commit 1 of 2");
    expect_contains(p.err, "attached without measuring again");
    proc_free(&p);
}

/* A build that never finished in the reused build tree (ccbench killed outright: no cleanup
 * ran) leaves its marker; the next build must not trust that tree's objects. */
static void test_run__revisions_after_a_killed_build_start_from_an_empty_tree(void **state)
{
    (void)state;
    proc p;
    ccbench(&p, ARGS("run", "--revisions", u_hex[1], CHEAP));
    expect_status(&p, 0);
    assert_null(strstr(p.err, "did not finish"));
    proc_free(&p);

    /* What a kill mid-compile leaves: the marker, and an object make would take as current. */
    char pattern[600];
    snprintf(pattern, sizeof(pattern), "%s/bench/*/build", strchr(env_cache, '=') + 1);
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    char planted[700] = "";
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char path[700];
        snprintf(path, sizeof(path), "%s/../building", g.gl_pathv[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
        snprintf(planted, sizeof(planted), "%s/planted.o", g.gl_pathv[i]);
        assert_non_null(f = fopen(planted, "w"));
        fclose(f);
    }
    globfree(&g);

    ccbench(&p, ARGS("run", "--revisions", u_hex[2], "--profile", "quick", "--scenario",
                     "cold_init", "--samples", "2", "--no-counts"));
    expect_status(&p, 0);
    expect_contains(p.err, "did not finish: starting from an empty tree");
    expect_contains(p.out, "measured");
    assert_int_equal(access(planted, F_OK), -1); /* the old tree went */
    proc_free(&p);
}

static void test_run__revisions_bad_input(void **state)
{
    proc p;
    ccbench(&p, ARGS("run", "--revisions", "no-such..main", CHEAP));
    expect_status(&p, 2);
    expect_contains(p.err, "no-such..main");
    proc_free(&p);
    ccbench(&p, ARGS("run", "--revisions", "line..main", CHEAP));
    expect_status(&p, 2);
    expect_contains(p.err, "names no commit");
    proc_free(&p);
    ccbench(&p, ARGS("run", "--skip-existing", CHEAP));
    expect_status(&p, 2);
    expect_contains(p.err, "--revisions");
    proc_free(&p);
}

/* The ccbench-bisect/1 document's first_bad commits, as "sha sha ...". */
static void first_bad(const char *json, char *buf, size_t cap)
{
    cJSON *doc = cJSON_Parse(json);
    if (!doc)
        fail_msg("not JSON:\n%s", json);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "schema")->valuestring,
                        "ccbench-bisect/1");
    size_t len = 0;
    buf[0] = '\0';
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "first_bad"))
    {
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? " " : "",
                                cJSON_GetObjectItemCaseSensitive(e, "commit")->valuestring);
    }
    cJSON_Delete(doc);
}

/* P exited 1 (a culprit) and its JSON names exactly WANT as the first bad commit. */
static void expect_found(const proc *p, const char *want)
{
    char found[200];
    if (p->status != 1)
        fail_msg("status %d\nstdout:\n%s\nstderr:\n%s", p->status, p->out, p->err);
    first_bad(p->out, found, sizeof(found));
    if (strcmp(found, want) != 0)
        fail_msg("first bad %s, expected %s\nstdout:\n%s\nstderr:\n%s", found, want, p->out,
                 p->err);
}

#define BISECT_METRIC "--metric", "cold_init.start_us", "--profile", "quick"
/* Exact blocks, no time budget: a 2 ms start() needs no more, and the suite stays cheap. */
#define FIXED_BLOCKS "--blocks", "12"

static void test_bisect__finds_the_slow_commit_along_first_parents(void **state)
{
    char *before = test_repo_snapshot(repo_dir);
    proc p;
    ccbench(&p, ARGS("bisect", "main", "line", BISECT_METRIC, "--format", "json"));
    expect_found(&p, c_hex[3]);
    /* The side branch's commit is behind a merge's second parent: never walked. */
    assert_null(strstr(p.out, side_hex));
    expect_contains(p.err, "regressed first at");
    proc_free(&p);
    char *after = test_repo_snapshot(repo_dir);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* The table names the culprit with its subject and author; builds come from the cache. */
    ccbench(&p, ARGS("bisect", "main", "line", BISECT_METRIC, FIXED_BLOCKS, "--quiet"));
    expect_status(&p, 1);
    expect_contains(p.out, "first bad commit");
    expect_contains(p.out, "tracker: start() waits 2 ms");
    expect_contains(p.out, "author:  test");
    expect_contains(p.out, "0 build(s) made");
    proc_free(&p);
}

static void test_bisect__a_commit_that_does_not_build_leaves_a_range(void **state)
{
    proc p;
    ccbench(&p, ARGS("bisect", "main", "fragile", BISECT_METRIC, FIXED_BLOCKS, "--format", "json"));
    if (p.status != 1)
        fail_msg("status %d\nstdout:\n%s\nstderr:\n%s", p.status, p.out, p.err);
    char found[200], want[200];
    first_bad(p.out, found, sizeof(found));
    snprintf(want, sizeof(want), "%s %s", k_hex[1], k_hex[2]);
    assert_string_equal(found, want);
    expect_contains(p.out, "skipped: does not build");
    expect_contains(p.err, "does not build, skipped");
    proc_free(&p);
}

/* A count metric is decided by the counts: the commit that adds one allocation to start() is
 * found exactly, and every format shows the counts, not a ratio. */
static void test_bisect__a_count_metric_is_decided_by_the_counts(void **state)
{
    proc p;
    ccbench(&p, ARGS("bisect", "main", "counted", "--metric", "cold_init.start_allocs", "--profile",
                     "quick", "--format", "json"));
    expect_found(&p, n_hex[2]);
    cJSON *doc = cJSON_Parse(p.out);
    const cJSON *step = NULL;
    int seen = 0;
    cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(doc, "steps"))
    {
        const char *commit = cJSON_GetObjectItemCaseSensitive(step, "commit")->valuestring;
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(step, "count");
        if (strcmp(commit, n_hex[2]) != 0 && strcmp(commit, n_hex[1]) != 0)
            continue;
        seen++;
        assert_non_null(count);
        double good = cJSON_GetObjectItemCaseSensitive(count, "good")->valuedouble;
        double value = cJSON_GetObjectItemCaseSensitive(count, "commit")->valuedouble;
        int bad = strcmp(commit, n_hex[2]) == 0;
        assert_true(value - good == (bad ? 1.0 : 0.0));
        assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(count, "like_bad")));
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(count, "like_bad")), bad);
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(step, "ci_low")));
    }
    assert_int_equal(seen, 2);
    cJSON_Delete(doc);
    proc_free(&p);

    ccbench(&p, ARGS("bisect", "main", "counted", "--metric", "cold_init.start_allocs", "--profile",
                     "quick", "--format", "markdown", "--quiet"));
    expect_status(&p, 1);
    expect_contains(p.out, "count vs GOOD: GOOD ");
    expect_contains(p.out, "(+1) count");
    expect_contains(p.out, "count like BAD's");
    expect_contains(p.out, "0 build(s) made");
    proc_free(&p);
}

static void test_bisect__no_regression_exits_0(void **state)
{
    proc p;
    ccbench(&p, ARGS("bisect", "main", c_hex[2], BISECT_METRIC, FIXED_BLOCKS));
    if (p.status != 0)
        fail_msg("status %d\nstdout:\n%s\nstderr:\n%s", p.status, p.out, p.err);
    expect_contains(p.out, "no regression between main and");
    proc_free(&p);
}

static void test_bisect__bad_input_exits_2(void **state)
{
    proc p;
    ccbench(&p, ARGS("bisect", "main", "line", "--metric", "cold_init.start_usx"));
    expect_status(&p, 2);
    expect_contains(p.err, "start_usx");
    expect_contains(p.err, "did you mean start_us?");
    proc_free(&p);
    ccbench(&p, ARGS("bisect", "main", "line", "--metric", "no_such.start_us"));
    expect_status(&p, 2);
    expect_contains(p.err, "no scenario 'no_such'");
    proc_free(&p);
    ccbench(&p, ARGS("bisect", "main", "line"));
    expect_status(&p, 2);
    expect_contains(p.err, "--metric");
    proc_free(&p);
    ccbench(&p, ARGS("bisect", "no-such-rev", "line", BISECT_METRIC));
    expect_status(&p, 2);
    expect_contains(p.err, "no-such-rev");
    proc_free(&p);
    ccbench(&p, ARGS("bisect", "line", "main", BISECT_METRIC));
    expect_status(&p, 2);
    expect_contains(p.err, "not an ancestor");
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bisect__bad_input_exits_2),
        cmocka_unit_test(test_run__revisions_after_a_killed_build_start_from_an_empty_tree),
        cmocka_unit_test(test_run__revisions_bad_input),
        cmocka_unit_test(test_run__revisions_measures_each_tree_once_and_notes_each_commit),
        cmocka_unit_test(test_bisect__finds_the_slow_commit_along_first_parents),
        cmocka_unit_test(test_bisect__a_commit_that_does_not_build_leaves_a_range),
        cmocka_unit_test(test_bisect__a_count_metric_is_decided_by_the_counts),
        cmocka_unit_test(test_bisect__no_regression_exits_0),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
