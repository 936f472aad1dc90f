/*
 * Ranges of commits (see revwalk.h). "A..B" is what rev-list means by it (B pushed, A
 * hidden); a comma list is resolved one revision at a time so a bad name is reported alone.
 */
#include "revwalk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* Append OID; with UNIQUE, not when it is there already (O(n) each: for a list typed by
 * hand; ranges are unique by construction). */
static int list_add(ccb_commit_list *l, const git_oid *oid, int unique)
{
    for (size_t i = 0; unique && i < l->n; i++)
        if (git_oid_equal(&l->oids[i], oid))
            return 0;
    if (ccb_array_reserve((void **)&l->oids, l->n, &l->cap, sizeof(*l->oids), 16) != 0)
        return -1;
    l->oids[l->n++] = *oid;
    return 0;
}

static int bad_revision(const char *what, const char *spec)
{
    ccb_error_set("%s '%s': not a revision or range git knows (%s); give A..B (e.g. "
                  "main~8..main) or a comma list of revisions",
                  what, spec, git_message());
    return ccb_error_classify(CCB_ERROR_INPUT);
}

/* SPEC peeled to a commit. */
static int peel_commit(git_repository *repo, const char *spec, git_oid *oid)
{
    git_object *obj = NULL, *commit = NULL;
    int rc = git_revparse_single(&obj, repo, spec);
    if (rc == 0)
        rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
    if (rc == 0)
        git_oid_cpy(oid, git_object_id(commit));
    git_object_free(commit);
    git_object_free(obj);
    return rc;
}

/* SPEC into W: "A..B" pushes B and hides A (an empty side is HEAD), else the revision. Each
 * side is resolved alone: git_revwalk_push_range leaks the left side's object when the right
 * one is bad (libgit2 1.5). */
static int push_spec(git_repository *repo, git_revwalk *w, const char *spec)
{
    const char *dots = strstr(spec, "..");
    git_oid from, to;
    if (!dots)
        return peel_commit(repo, spec, &to) != 0 ? -1 : git_revwalk_push(w, &to);
    if (dots[2] == '.') {
        git_error_set_str(GIT_ERROR_INVALID, "A...B (symmetric difference) is not supported");
        return -1;
    }
    char left[256];
    size_t n = (size_t)(dots - spec);
    if (n >= sizeof(left)) {
        git_error_set_str(GIT_ERROR_INVALID, "revision too long");
        return -1;
    }
    memcpy(left, spec, n);
    left[n] = '\0';
    if (peel_commit(repo, n ? left : "HEAD", &from) != 0 ||
        peel_commit(repo, dots[2] ? dots + 2 : "HEAD", &to) != 0)
        return -1;
    if (git_revwalk_push(w, &to) != 0 || git_revwalk_hide(w, &from) != 0)
        return -1;
    return 0;
}

static int walk(git_repository *repo, const char *spec, int flags, const char *what,
                ccb_commit_list *out)
{
    int rc = -1;
    git_revwalk *w = NULL;
    git_oid oid;
    if (git_revwalk_new(&w, repo) != 0) {
        ccb_error_set("cannot walk the history: %s", git_message());
        goto done;
    }
    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    if (flags & CCB_WALK_FIRST_PARENT)
        git_revwalk_simplify_first_parent(w);
    if (push_spec(repo, w, spec) != 0) {
        bad_revision(what, spec);
        goto done;
    }
    for (;;) {
        int next = git_revwalk_next(&oid, w);
        if (next == GIT_ITEROVER)
            break;
        if (next != 0) {
            ccb_error_set("cannot walk '%s': %s", spec, git_message());
            goto done;
        }
        if (list_add(out, &oid, 0) != 0)
            goto done;
    }
    rc = 0;
done:
    git_revwalk_free(w);
    return rc;
}

int ccb_revwalk_list(git_repository *repo, const char *spec, int flags, const char *what,
                     ccb_commit_list *out)
{
    memset(out, 0, sizeof(*out));
    if (spec[0] == '\0') {
        ccb_error_set("%s: an empty range; give A..B (e.g. main~8..main) or a comma list", what);
        return ccb_error_classify(CCB_ERROR_USAGE);
    }
    if (strstr(spec, "..") || (flags & CCB_WALK_SINGLE_IS_HISTORY))
        return walk(repo, spec, flags, what, out);
    char *copy = strdup(spec), *save = NULL;
    if (!copy)
        return ccb_error_set("out of memory");
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        git_oid oid;
        if (peel_commit(repo, tok, &oid) != 0)
            rc = bad_revision(what, tok);
        else
            rc = list_add(out, &oid, 1);
    }
    if (rc == 0 && out->n == 0)
        rc = bad_revision(what, spec);
    free(copy);
    if (rc != 0)
        ccb_revwalk_list_release(out);
    return rc;
}

void ccb_revwalk_list_release(ccb_commit_list *l)
{
    free(l->oids);
    memset(l, 0, sizeof(*l));
}

void ccb_revwalk_describe(git_repository *repo, const git_oid *oid, char *subject,
                          size_t subject_size, char *author, size_t author_size)
{
    git_commit *c = NULL;
    subject[0] = author[0] = '\0';
    if (git_commit_lookup(&c, repo, oid) != 0)
        return;
    const char *s = git_commit_summary(c);
    const git_signature *a = git_commit_author(c);
    snprintf(subject, subject_size, "%s", s ? s : "");
    snprintf(author, author_size, "%s", a && a->name ? a->name : "");
    git_commit_free(c);
}
