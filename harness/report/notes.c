/*
 * git notes of results (see notes.h), through libgit2 only. Notes are keyed by commit, so a
 * re-run of the same commit replaces its note (force): the history shows one point per commit.
 */
#include "notes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gitref.h"

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

int ccb_notes_save_head(const char *text, char *sha)
{
    int rc = -1;
    git_repository *repo = NULL;
    git_signature *sig = NULL;
    git_oid head, note;

    int open = ccb_gitref_open(&repo, ".");
    if (open == GIT_ENOTFOUND) {
        ccb_error_set("--save-note: not inside a git repository; run from a checkout, or "
                      "leave --save-note out");
        goto done;
    }
    if (open != 0)
        goto done;
    if (git_reference_name_to_id(&head, repo, "HEAD") != 0) {
        ccb_error_set("--save-note: HEAD has no commit yet (%s); commit first", git_message());
        goto done;
    }
    /* user.name/user.email when configured; a CI checkout often has neither. */
    if (git_signature_default(&sig, repo) != 0 &&
        git_signature_now(&sig, "ccbench", "ccbench@localhost") != 0) {
        ccb_error_set("--save-note: cannot make a signature: %s", git_message());
        goto done;
    }
    if (git_note_create(&note, repo, CCB_NOTES_REF, sig, sig, &head, text, 1) != 0) {
        ccb_error_set("--save-note: cannot write the note on HEAD under %s: %s", CCB_NOTES_REF,
                      git_message());
        goto done;
    }
    git_oid_tostr(sha, GIT_OID_HEXSZ + 1, &head);
    rc = 0;
done:
    git_signature_free(sig);
    git_repository_free(repo);
    return rc;
}

/* The result in the note of OID, added to H; 1 when the commit has no note. */
static int load_note(ccb_history *h, git_repository *repo, const git_oid *oid)
{
    int rc = -1;
    git_note *note = NULL;
    cJSON *json = NULL;
    ccb_result *r = NULL;
    char hex[GIT_OID_HEXSZ + 1], origin[96];

    git_oid_tostr(hex, sizeof(hex), oid);
    int found = git_note_read(&note, repo, CCB_NOTES_REF, oid);
    if (found == GIT_ENOTFOUND)
        return 1;
    if (found != 0)
        return ccb_error_set("cannot read the note of commit %s: %s", hex, git_message());
    snprintf(origin, sizeof(origin), "note on %.12s", hex);
    json = cJSON_Parse(git_note_message(note));
    if (!json) {
        ccb_error_set("%s (%s): not JSON; replace it with 'ccbench run --save-note' on that "
                      "commit or remove it with 'git notes --ref ccbench remove %.12s'",
                      origin, CCB_NOTES_REF, hex);
        goto done;
    }
    if (ccb_result_from_json(json, origin, &r) != 0)
        goto done;
    rc = ccb_history_add(h, r, origin, hex);
done:
    cJSON_Delete(json);
    git_note_free(note);
    return rc;
}

int ccb_notes_load_range(ccb_history *h, const char *range)
{
    int rc = -1;
    git_repository *repo = NULL;
    git_revwalk *walk = NULL;
    git_oid oid;

    int open = ccb_gitref_open(&repo, ".");
    if (open == GIT_ENOTFOUND) {
        ccb_error_set("--notes %s: not inside a git repository", range);
        goto done;
    }
    if (open != 0)
        goto done;
    if (git_revwalk_new(&walk, repo) != 0) {
        ccb_error_set("cannot walk the history: %s", git_message());
        goto done;
    }
    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    int pushed;
    if (strstr(range, "..")) {
        pushed = git_revwalk_push_range(walk, range);
    } else {
        git_object *obj = NULL;
        pushed = git_revparse_single(&obj, repo, range);
        if (pushed == 0) {
            git_object *commit = NULL;
            pushed = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
            if (pushed == 0)
                pushed = git_revwalk_push(walk, git_object_id(commit));
            git_object_free(commit);
        }
        git_object_free(obj);
    }
    if (pushed != 0) {
        ccb_error_set("--notes '%s': not a revision or range git knows (%s); e.g. main~20..main "
                      "or HEAD",
                      range, git_message());
        goto done;
    }
    for (;;) {
        int next = git_revwalk_next(&oid, walk);
        if (next == GIT_ITEROVER)
            break;
        if (next != 0) {
            ccb_error_set("cannot walk '%s': %s", range, git_message());
            goto done;
        }
        h->walked++;
        int got = load_note(h, repo, &oid);
        if (got < 0)
            goto done;
        h->without_note += got == 1;
    }
    rc = 0;
done:
    git_revwalk_free(walk);
    git_repository_free(repo);
    return rc;
}
