/*
 * The strict reader of ccbench-bisect/1 files (see bisect_read.h). A bisect file says which
 * commit to mark in a history; a half-read one could mark the wrong commit, so every field
 * used is checked with cJSON_Is* and a bad one is named ("first_bad[0].commit").
 */
#include "bisect_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_reader.h"

/* A full 40-digit hex commit id into OUT (41 bytes). */
static int get_sha(const ccb_json_reader *rd, const cJSON *obj, const char *key, char *out)
{
    const cJSON *item = ccb_json_reader_typed(rd, obj, key, cJSON_IsString, 0, "a string");
    if (!item)
        return -1;
    const char *s = item->valuestring;
    if (strlen(s) != 40 || strspn(s, "0123456789abcdef") != 40)
        return ccb_json_reader_error(rd, key,
                                     "is \"%.64s\", expected a full commit id (40 hex digits)", s);
    memcpy(out, s, 41);
    return 0;
}

static int read_doc(ccb_json_reader *rd, const cJSON *json, void *out)
{
    ccb_bisect_doc *d = out;
    int rc = -1;
    if (ccb_json_reader_schema(rd, json, CCB_BISECT_SCHEMA,
                               "ccbench bisect GOOD BAD --metric S.M --format json > FILE") != 0)
        goto done;
    const cJSON *metric = ccb_json_reader_typed(rd, json, "metric", cJSON_IsObject, 0, "an object");
    if (!metric)
        goto done;
    size_t mark = ccb_json_reader_push(rd, "metric");
    if (ccb_json_reader_string(rd, metric, "scenario", 0, &d->scenario) ||
        ccb_json_reader_string(rd, metric, "name", 0, &d->name))
        goto done;
    ccb_json_reader_pop(rd, mark);
    if (ccb_json_reader_number(rd, json, "threshold", 0, &d->threshold))
        goto done;
    if (d->threshold < 0 || d->threshold >= 1) {
        ccb_json_reader_error(rd, "threshold", "is %g, expected a fraction in [0, 1)",
                              d->threshold);
        goto done;
    }
    if (get_sha(rd, json, "good", d->good) || get_sha(rd, json, "bad", d->bad) ||
        ccb_json_reader_bool(rd, json, "regression", 0, &d->regression))
        goto done;
    const cJSON *list = ccb_json_reader_typed(rd, json, "first_bad", cJSON_IsArray, 0, "an array");
    if (!list)
        goto done;
    size_t n = (size_t)cJSON_GetArraySize(list);
    if (d->regression && n == 0) {
        ccb_json_reader_error(rd, "first_bad", "is empty, but regression is true");
        goto done;
    }
    if (!d->regression && n > 0) {
        ccb_json_reader_error(rd, "first_bad", "names %zu commit(s), but regression is false", n);
        goto done;
    }
    d->first_bad = calloc(n ? n : 1, sizeof(*d->first_bad));
    if (!d->first_bad) {
        ccb_error_set("out of memory reading %s", rd->origin);
        goto done;
    }
    const cJSON *e = NULL;
    cJSON_ArrayForEach(e, list)
    {
        size_t at = ccb_json_reader_push(rd, "first_bad[%zu]", d->nfirst_bad);
        if (!cJSON_IsObject(e)) {
            ccb_json_reader_error(rd, "", "expected an object, got %s",
                                  ccb_json_reader_type_name(e));
            goto done;
        }
        ccb_bisect_culprit *c = &d->first_bad[d->nfirst_bad++];
        if (get_sha(rd, e, "commit", c->sha) ||
            ccb_json_reader_string(rd, e, "subject", 0, &c->subject))
            goto done;
        /* The subject reaches a terminal (history) and a picture: no control sequences. */
        for (char *p = c->subject; *p; p++)
            *p = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
        ccb_json_reader_pop(rd, at);
    }
    rc = 0;
done:
    return rc;
}

int ccb_bisect_read_file(const char *path, ccb_bisect_doc **out)
{
    ccb_bisect_doc *d = calloc(1, sizeof(*d));
    *out = NULL;
    if (d)
        d->path = strdup(path);
    if (!d || !d->path) {
        free(d);
        return ccb_error_set("out of memory reading %s", path);
    }
    if (ccb_json_reader_read_file(path, "a " CCB_BISECT_SCHEMA " file",
                                  "Is this a " CCB_BISECT_SCHEMA
                                  " file (ccbench bisect --format json)?",
                                  read_doc, d) != 0) {
        ccb_bisect_read_free(d);
        /* A file the user named that cannot be read as a bisect is bad input (exit 2). */
        return ccb_error_classify(CCB_ERROR_INPUT);
    }
    *out = d;
    return 0;
}

void ccb_bisect_read_free(ccb_bisect_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nfirst_bad; i++)
        free(d->first_bad[i].subject);
    free(d->first_bad);
    free(d->scenario);
    free(d->name);
    free(d->path);
    free(d);
}

size_t ccb_bisect_read_mark(const ccb_bisect_doc *d, ccb_history *h, char *note, size_t size)
{
    size_t found = 0, len = 0;
    note[0] = '\0';
    h->bisect_given = 1;
    for (size_t i = 0; i < d->nfirst_bad; i++) {
        const ccb_bisect_culprit *c = &d->first_bad[i];
        int here = 0;
        /* h's shas are abbreviated to 12 digits: a prefix of the full one. */
        for (size_t k = 0; k < h->ncommits; k++) {
            size_t abbrev = strlen(h->commits[k].sha);
            if (abbrev < 7 || strncmp(h->commits[k].sha, c->sha, abbrev) != 0)
                continue;
            h->commits[k].first_bad = 1;
            snprintf(h->commits[k].first_bad_subject, sizeof(h->commits[k].first_bad_subject), "%s",
                     c->subject);
            here = 1;
        }
        found += here;
        if (!here && len < size)
            len += (size_t)snprintf(note + len, size - len, "%s%.12s", len ? ", " : "", c->sha);
    }
    if (len && len < size) {
        char list[256];
        snprintf(list, sizeof(list), "%s", note);
        snprintf(
            note, size,
            "warning: %s: %s %s %s not in the range (%zu commits), so not marked; the bisect ran "
            "over %.12s..%.12s",
            d->path, d->nfirst_bad - found > 1 ? "first-bad commits" : "the first bad commit", list,
            d->nfirst_bad - found > 1 ? "are" : "is", h->ncommits, d->good, d->bad);
    }
    if (!d->regression)
        snprintf(note, size, "%s found no regression: no commit to mark", d->path);
    return found;
}
