/*
 * git notes of results (see notes.h), through libgit2 only. A commit's note holds one entry
 * per machine fingerprint and profile: a re-run on the same machine and profile replaces its
 * entry, another machine's or profile's adds one beside it.
 */
#include "notes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gitref.h"
#include "revwalk.h"

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* The key of an entry: what history's machine filter compares, and the profile. */
static void entry_key(const ccb_result *r, char *machine, size_t size)
{
    snprintf(machine, size, "%s | %d CPUs | kernel %ld | %s",
             r->machine.cpu_model ? r->machine.cpu_model : "", r->machine.cpus,
             r->machine.kernel ? strtol(r->machine.kernel, NULL, 10) : -1L,
             r->machine.compiler ? r->machine.compiler : "");
}

static cJSON *make_entry(const ccb_result *r)
{
    char key[512];
    char *text = ccb_result_to_text(r);
    cJSON *result = text ? cJSON_Parse(text) : NULL;
    cJSON *e = cJSON_CreateObject();
    free(text);
    entry_key(r, key, sizeof(key));
    if (!result || !e || !cJSON_AddStringToObject(e, "machine", key) ||
        !cJSON_AddStringToObject(e, "profile", r->profile ? r->profile : "") ||
        !cJSON_AddItemToObject(e, "result", result)) {
        if (!e || !cJSON_GetObjectItemCaseSensitive(e, "result"))
            cJSON_Delete(result);
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static int same_key(const cJSON *entry, const cJSON *fresh)
{
    const char *keys[] = {"machine", "profile"};
    for (int i = 0; i < 2; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(entry, keys[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(fresh, keys[i]);
        if (!cJSON_IsString(a) || !cJSON_IsString(b) || strcmp(a->valuestring, b->valuestring))
            return 0;
    }
    return 1;
}

/* HEAD's note as a notes document ready to take FRESH: the existing entries but the one of
 * FRESH's key (*replaced), an old single-result note turned into an entry. NULL with a
 * message when the note is not ours. */
static cJSON *merged_doc(git_repository *repo, const git_oid *head, cJSON *fresh, int *replaced)
{
    git_note *note = NULL;
    cJSON *doc = NULL, *old = NULL;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), head);
    *replaced = 0;
    doc = cJSON_CreateObject();
    cJSON *entries = doc ? cJSON_AddArrayToObject(doc, "entries") : NULL;
    if (!entries || !cJSON_AddStringToObject(doc, "schema", CCB_NOTES_SCHEMA)) {
        ccb_error_set("out of memory");
        goto fail;
    }
    if (git_note_read(&note, repo, CCB_NOTES_REF, head) == 0) {
        old = cJSON_Parse(git_note_message(note));
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(old, "schema");
        const char *name = cJSON_IsString(schema) ? schema->valuestring : "";
        if (strcmp(name, CCB_NOTES_SCHEMA) == 0) {
            cJSON *e = NULL;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(old, "entries"))
            {
                if (same_key(e, fresh)) {
                    *replaced = 1;
                    continue;
                }
                cJSON *copy = cJSON_Duplicate(e, 1);
                if (!copy || !cJSON_AddItemToArray(entries, copy)) {
                    cJSON_Delete(copy);
                    ccb_error_set("out of memory");
                    goto fail;
                }
            }
        } else if (strcmp(name, "ccbench-result/1") == 0) {
            ccb_result *r = NULL;
            cJSON *e = NULL;
            if (ccb_result_from_json(old, "the existing note", &r) != 0)
                goto fail;
            e = make_entry(r);
            ccb_result_free(r);
            if (!e) {
                ccb_error_set("out of memory");
                goto fail;
            }
            if (same_key(e, fresh)) {
                *replaced = 1;
                cJSON_Delete(e);
            } else {
                cJSON_AddItemToArray(entries, e);
            }
        } else {
            ccb_error_set("--save-note: the note of %.12s under %s is not ccbench's; remove it "
                          "with 'git notes --ref ccbench remove %.12s' or leave --save-note out",
                          hex, CCB_NOTES_REF, hex);
            goto fail;
        }
    }
    cJSON_AddItemToArray(entries, fresh);
    cJSON_Delete(old);
    git_note_free(note);
    return doc;
fail:
    cJSON_Delete(fresh);
    cJSON_Delete(old);
    cJSON_Delete(doc);
    git_note_free(note);
    return NULL;
}

int ccb_notes_save(const ccb_result *r, const char *commit, char *sha, int *replaced)
{
    int rc = -1;
    git_repository *repo = NULL;
    git_signature *sig = NULL;
    git_oid head, note;
    cJSON *doc = NULL;
    char *text = NULL;

    int open = ccb_gitref_open(&repo, ".");
    if (open == GIT_ENOTFOUND) {
        ccb_error_set("--save-note: not inside a git repository; run from a checkout, or "
                      "leave --save-note out");
        goto done;
    }
    if (open != 0)
        goto done;
    if (!commit && git_reference_name_to_id(&head, repo, "HEAD") != 0) {
        ccb_error_set("--save-note: HEAD has no commit yet (%s); commit first", git_message());
        goto done;
    }
    if (commit && git_oid_fromstr(&head, commit) != 0) {
        ccb_error_set("--save-note: '%s' is not a commit id", commit);
        goto done;
    }
    cJSON *fresh = make_entry(r);
    if (!fresh) {
        ccb_error_set("out of memory");
        goto done;
    }
    doc = merged_doc(repo, &head, fresh, replaced);
    text = doc ? cJSON_Print(doc) : NULL;
    if (!text) {
        if (doc)
            ccb_error_set("out of memory");
        goto done;
    }
    /* user.name/user.email when configured; a CI checkout often has neither. */
    if (git_signature_default(&sig, repo) != 0 &&
        git_signature_now(&sig, "ccbench", "ccbench@localhost") != 0) {
        ccb_error_set("--save-note: cannot make a signature: %s", git_message());
        goto done;
    }
    if (git_note_create(&note, repo, CCB_NOTES_REF, sig, sig, &head, text, 1) != 0) {
        ccb_error_set("--save-note: cannot write the note on %.12s under %s: %s",
                      commit ? commit : "HEAD", CCB_NOTES_REF, git_message());
        goto done;
    }
    git_oid_tostr(sha, GIT_OID_HEXSZ + 1, &head);
    rc = 0;
done:
    cJSON_free(text);
    cJSON_Delete(doc);
    git_signature_free(sig);
    git_repository_free(repo);
    return rc;
}

int ccb_notes_has_entry(const ccb_result *r, const char *commit)
{
    int rc = -1;
    git_repository *repo = NULL;
    git_note *note = NULL;
    git_oid oid;
    cJSON *doc = NULL, *fresh = NULL;
    if (ccb_gitref_open(&repo, ".") != 0 || git_oid_fromstr(&oid, commit) != 0) {
        ccb_error_set("--skip-existing: cannot open the repository or read commit '%s'", commit);
        goto done;
    }
    int found = git_note_read(&note, repo, CCB_NOTES_REF, &oid);
    if (found == GIT_ENOTFOUND) {
        rc = 0;
        goto done;
    }
    if (found != 0) {
        ccb_error_set("cannot read the note of commit %.12s: %s", commit, git_message());
        goto done;
    }
    /* The merge that saving would do tells whether an entry of this key is there. */
    fresh = make_entry(r);
    int replaced = 0;
    doc = fresh ? merged_doc(repo, &oid, fresh, &replaced) : NULL; /* takes FRESH */
    fresh = NULL;
    if (doc)
        rc = replaced;
done:
    cJSON_Delete(doc);
    git_note_free(note);
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
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(json, "schema");
    if (cJSON_IsString(schema) && strcmp(schema->valuestring, CCB_NOTES_SCHEMA) == 0) {
        const cJSON *entries = cJSON_GetObjectItemCaseSensitive(json, "entries");
        if (!cJSON_IsArray(entries)) {
            ccb_error_set("%s (%s): field entries: expected an array", origin, CCB_NOTES_REF);
            goto done;
        }
        size_t k = 0;
        const cJSON *e = NULL;
        cJSON_ArrayForEach(e, entries)
        {
            char where[128];
            snprintf(where, sizeof(where), "%s, entry %zu", origin, k++);
            if (ccb_result_from_json(cJSON_GetObjectItemCaseSensitive(e, "result"), where, &r) !=
                    0 ||
                ccb_history_add(h, r, where, hex) != 0)
                goto done;
            r = NULL; /* the history owns it */
        }
        rc = 0;
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
    ccb_commit_list commits = {.n = 0};

    int open = ccb_gitref_open(&repo, ".");
    if (open == GIT_ENOTFOUND) {
        ccb_error_set("--notes %s: not inside a git repository", range);
        goto done;
    }
    if (open != 0 ||
        ccb_revwalk_list(repo, range, CCB_WALK_SINGLE_IS_HISTORY | CCB_WALK_FIRST_PARENT, "--notes",
                         &commits) != 0)
        goto done;
    for (size_t i = 0; i < commits.n; i++) {
        h->walked++;
        int got = load_note(h, repo, &commits.oids[i]);
        if (got < 0)
            goto done;
        h->without_note += got == 1;
        char hex[GIT_OID_HEXSZ + 1];
        git_commit *c = NULL;
        long long when =
            git_commit_lookup(&c, repo, &commits.oids[i]) == 0 ? git_commit_time(c) : 0;
        git_commit_free(c);
        if (ccb_history_add_commit(h, git_oid_tostr(hex, sizeof(hex), &commits.oids[i]), when,
                                   got == 0) != 0)
            goto done;
    }
    rc = 0;
done:
    ccb_revwalk_list_release(&commits);
    git_repository_free(repo);
    return rc;
}
