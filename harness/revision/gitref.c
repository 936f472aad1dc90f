/*
 * libgit2 plumbing for ccbench (see gitref.h): which commit and which `tracker/` tree a run
 * measured, and whether the work tree had uncommitted changes. Later home of compare's
 * revision resolving and checkouts, for the same reason: one file speaks git.
 */
#include "gitref.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

/* libgit2's own message for the last failure, for our messages. */
static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

int ccb_gitref_open(git_repository **out, const char *path)
{
    *out = NULL;
    int rc = git_repository_open_ext(out, path, 0, NULL);
    if (rc == GIT_ENOTFOUND)
        return GIT_ENOTFOUND;
    if (rc < 0)
        return ccb_error_set("cannot open the git repository around '%s': %s", path, git_message());
    return 0;
}

static char *oid_string(const git_oid *oid)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), oid);
    return strdup(hex);
}

/* Branch name of an unborn HEAD ("main" in a repository with no commit yet). */
static char *unborn_branch(git_repository *repo)
{
    git_reference *head = NULL;
    char *name = NULL;
    if (git_reference_lookup(&head, repo, "HEAD") == 0 &&
        git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
        const char *target = git_reference_symbolic_target(head);
        const char *prefix = "refs/heads/";
        if (strncmp(target, prefix, strlen(prefix)) == 0)
            target += strlen(prefix);
        name = strdup(target);
    }
    git_reference_free(head);
    return name;
}

/* What a result measures: the tracker, the runner and what both are built from. Changes
 * elsewhere (README, a plot, results/) do not make a measurement dirty. */
static char *measured_paths[] = {"tracker", "scenarios",      "common",
                                 "cmake",   "CMakeLists.txt", "CMakePresets.json"};

/* Changes under the measured paths: *dirty, and when CHANGED is given their paths (at most
 * CCB_GIT_MAX_CHANGED, malloc'd, into *changed / *nchanged). */
static int is_dirty_paths(git_repository *repo, int *dirty, char ***changed, size_t *nchanged)
{
    git_status_options opts;
    git_status_list *list = NULL;
    /* The _init function rather than GIT_STATUS_OPTIONS_INIT, which -Wextra flags for the
     * fields it leaves implicit. */
    git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
    /* Untracked directories count as one entry: enough to name where the change is. */
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
    opts.pathspec.strings = measured_paths;
    opts.pathspec.count = sizeof(measured_paths) / sizeof(measured_paths[0]);
    if (git_status_list_new(&list, repo, &opts) < 0)
        return ccb_error_set("cannot read the git status of the work tree: %s", git_message());
    size_t n = git_status_list_entrycount(list);
    *dirty = n > 0;
    if (changed && n) {
        size_t keep = n < CCB_GIT_MAX_CHANGED ? n : CCB_GIT_MAX_CHANGED;
        *changed = calloc(keep, sizeof(**changed));
        for (size_t i = 0; *changed && i < keep; i++) {
            const git_status_entry *e = git_status_byindex(list, i);
            const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
            const char *path = d ? (d->new_file.path ? d->new_file.path : d->old_file.path) : "?";
            char *copy = strdup(path);
            if (copy)
                (*changed)[(*nchanged)++] = copy;
        }
    }
    git_status_list_free(list);
    return 0;
}

static int is_dirty(git_repository *repo, int *dirty)
{
    return is_dirty_paths(repo, dirty, NULL, NULL);
}

int ccb_gitref_describe_head(git_repository *repo, ccb_git_info *out)
{
    int rc = -1;
    git_reference *head = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    git_tree_entry *entry = NULL;

    out->present = 1;
    int err = git_repository_head(&head, repo);
    if (err == GIT_EUNBORNBRANCH || err == GIT_ENOTFOUND) {
        out->revision = unborn_branch(repo);
        if (!out->revision)
            out->revision = strdup("HEAD");
    } else if (err < 0) {
        ccb_error_set("cannot read HEAD: %s", git_message());
        goto done;
    } else {
        out->revision =
            strdup(git_reference_is_branch(head) ? git_reference_shorthand(head) : "HEAD");
        if (git_commit_lookup(&commit, repo, git_reference_target(head)) < 0 ||
            git_commit_tree(&tree, commit) < 0) {
            ccb_error_set("cannot read HEAD's commit: %s", git_message());
            goto done;
        }
        out->commit = oid_string(git_commit_id(commit));
        /* A revision without tracker/ (before it existed) simply has no tree to record. */
        if (git_tree_entry_bypath(&entry, tree, "tracker") == 0 &&
            git_tree_entry_type(entry) == GIT_OBJECT_TREE)
            out->tracker_tree = oid_string(git_tree_entry_id(entry));
    }
    if (!out->revision) {
        ccb_error_set("out of memory reading git information");
        goto done;
    }
    if (is_dirty_paths(repo, &out->dirty, &out->changed, &out->nchanged) != 0)
        goto done;
    rc = 0;
done:
    git_tree_entry_free(entry);
    git_tree_free(tree);
    git_commit_free(commit);
    git_reference_free(head);
    return rc;
}

int ccb_gitref_describe_cwd(ccb_git_info *out, char **workdir)
{
    int rc = -1;
    git_repository *repo = NULL;
    if (workdir)
        *workdir = NULL;

    int err = ccb_gitref_open(&repo, ".");
    if (err == GIT_ENOTFOUND) {
        out->present = 0;
        rc = 0;
        goto done;
    }
    if (err != 0)
        goto done;
    /* A bare repository has no work tree, so nothing in it can be what we measure. */
    if (git_repository_is_bare(repo)) {
        out->present = 0;
        rc = 0;
        goto done;
    }
    if (ccb_gitref_describe_head(repo, out) != 0)
        goto done;
    if (workdir) {
        *workdir = strdup(git_repository_workdir(repo));
        if (!*workdir) {
            ccb_error_set("out of memory reading git information");
            goto done;
        }
    }
    rc = 0;
done:
    git_repository_free(repo);
    return rc;
}

int ccb_gitref_resolve(git_repository *repo, const char *spec, char *commit_hex, char *tree_hex)
{
    int rc = -1;
    git_object *obj = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    git_tree_entry *entry = NULL;

    if (git_revparse_single(&obj, repo, spec) < 0) {
        ccb_error_set("unknown revision '%s': %s. Give a branch, tag, sha, HEAD~N, WORKTREE "
                      "or an existing result file.",
                      spec, git_message());
        rc = ccb_error_classify(CCB_ERROR_INPUT);
        goto done;
    }
    if (git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) < 0) {
        ccb_error_set("revision '%s' is not a commit: %s", spec, git_message());
        rc = ccb_error_classify(CCB_ERROR_INPUT);
        goto done;
    }
    git_oid_tostr(commit_hex, GIT_OID_HEXSZ + 1, git_commit_id(commit));
    if (git_commit_tree(&tree, commit) < 0) {
        ccb_error_set("cannot read the tree of '%s' (%s): %s", spec, commit_hex, git_message());
        rc = ccb_error_classify(CCB_ERROR_BUILD);
        goto done;
    }
    if (git_tree_entry_bypath(&entry, tree, "tracker") != 0 ||
        git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
        ccb_error_set("revision '%s' (commit %.12s) has no tracker/ directory: there is no "
                      "tracker to build at that revision",
                      spec, commit_hex);
        rc = ccb_error_classify(CCB_ERROR_BUILD);
        goto done;
    }
    git_oid_tostr(tree_hex, GIT_OID_HEXSZ + 1, git_tree_entry_id(entry));
    rc = 0;
done:
    git_tree_entry_free(entry);
    git_tree_free(tree);
    git_commit_free(commit);
    git_object_free(obj);
    return rc;
}

int ccb_gitref_checkout_tree(git_repository *repo, const char *tree_hex, const char *target)
{
    int rc = -1;
    git_oid oid;
    git_tree *tree = NULL;
    git_index *empty = NULL;
    git_checkout_options opts;

    if (git_oid_fromstr(&oid, tree_hex) < 0 || git_tree_lookup(&tree, repo, &oid) < 0) {
        ccb_error_set("cannot read tree %s: %s", tree_hex, git_message());
        goto done;
    }
    if (git_index_new(&empty) < 0) {
        ccb_error_set("cannot create an in-memory index: %s", git_message());
        goto done;
    }
    git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
    /* FORCE into an empty directory writes every file; DONT_UPDATE_INDEX keeps the user's
     * .git/index untouched; the empty baseline keeps HEAD's tree out of the diff. */
    opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
    opts.target_directory = target;
    opts.baseline_index = empty;
    if (git_checkout_tree(repo, (const git_object *)tree, &opts) < 0) {
        ccb_error_set("cannot check out tree %s into %s: %s", tree_hex, target, git_message());
        goto done;
    }
    rc = 0;
done:
    git_index_free(empty);
    git_tree_free(tree);
    return rc;
}

int ccb_gitref_is_dirty(git_repository *repo)
{
    int dirty = 0;
    if (is_dirty(repo, &dirty) != 0)
        return -1;
    return dirty;
}
