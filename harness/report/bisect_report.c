/*
 * `ccbench bisect`'s output (see bisect_report.h): the answer first (the first bad commit
 * with its ratio, or the range a skipped commit left), then every step, so a reader can see
 * which commits were built and what each measured.
 */
#include "bisect_report.h"

#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "error.h"

static const char *state_name(ccb_bisect_state s)
{
    switch (s) {
    case CCB_BISECT_UNKNOWN:
        return "not tested";
    case CCB_BISECT_GOOD:
        return "good";
    case CCB_BISECT_BAD:
        return "bad";
    case CCB_BISECT_NO_BUILD:
        return "skipped: does not build";
    case CCB_BISECT_UNDECIDED:
        return "skipped: undecided";
    }
    return "not tested";
}

/* "1.23x [1.20, 1.26]", "+2013 us [+1990, +2040]", a count's "GOOD 41 -> 42 (+1) count", or
 * "-" when not measured. */
static void estimate_text(const ccb_bisect_report *r, const ccb_bisect_step *s, char *buf,
                          size_t size)
{
    if (!s->measured || isnan(s->est))
        snprintf(buf, size, "-");
    else if (s->count)
        snprintf(buf, size, "GOOD %.10g -> %.10g (%+.10g) %s", s->good_value, s->value, s->est,
                 r->metric->unit);
    else if (s->as_difference)
        snprintf(buf, size, "%+.4g %s [%+.4g, %+.4g]", s->est, r->metric->unit, s->low, s->high);
    else
        snprintf(buf, size, "%.3fx [%.3f, %.3f]", s->est, s->low, s->high);
}

/* What the step did, in words. */
static void step_text(const ccb_bisect_report *r, const ccb_bisect_step *s, char *buf, size_t size)
{
    const ccb_bisect_commit *c = &r->commits[s->commit];
    if (strcmp(s->build, "shared") == 0)
        snprintf(buf, size, "%s: same tracker/ tree as %.12s, not measured again",
                 state_name(c->state), r->commits[s->shared_with].sha);
    else if (strcmp(s->build, "failed") == 0)
        snprintf(buf, size, "%s", state_name(c->state));
    else
        snprintf(buf, size, "%s (%s%s%s, %u blocks%s)", state_name(c->state),
                 ccb_stats_verdict_name(s->verdict),
                 s->confirmed  ? ", confirmed"
                 : s->rejected ? ", regression not confirmed"
                               : "",
                 s->count && s->like_bad > 0                    ? ", count like BAD's"
                 : s->count && s->like_bad == 0                 ? ", count like GOOD's"
                 : s->by_interval && c->state == CCB_BISECT_BAD ? ", interval nearer BAD's change"
                 : s->by_interval                               ? ", interval nearer no change"
                 : !s->by_nearness                              ? ""
                 : c->state == CCB_BISECT_BAD                   ? ", nearer BAD's change"
                                                                : ", nearer no change",
                 s->blocks, s->remeasured ? ", re-measured" : "");
}

static const ccb_bisect_step *step_of(const ccb_bisect_report *r, size_t commit)
{
    for (size_t i = r->nsteps; i-- > 0;)
        if (r->steps[i].commit == commit)
            return &r->steps[i];
    return NULL;
}

static int write_json(FILE *out, const ccb_bisect_report *r)
{
    cJSON *doc = cJSON_CreateObject(), *steps = NULL, *commits = NULL;
    char *text = NULL;
    int rc = -1;
    if (!doc)
        goto done;
    cJSON_AddStringToObject(doc, "schema", "ccbench-bisect/1");
    cJSON *metric = cJSON_AddObjectToObject(doc, "metric");
    cJSON_AddStringToObject(metric, "scenario", r->scenario->name);
    cJSON_AddStringToObject(metric, "name", r->metric->name);
    cJSON_AddStringToObject(metric, "unit", r->metric->unit);
    cJSON_AddStringToObject(metric, "direction", ccb_direction_name(r->metric->direction));
    cJSON_AddStringToObject(doc, "good", r->commits[0].sha);
    cJSON_AddStringToObject(doc, "bad", r->commits[r->ncommits - 1].sha);
    cJSON_AddStringToObject(doc, "profile", r->profile);
    cJSON_AddNumberToObject(doc, "threshold", r->threshold);
    cJSON_AddNumberToObject(doc, "seed", (double)r->seed);
    cJSON_AddBoolToObject(doc, "regression", r->regression);
    cJSON *found = cJSON_AddArrayToObject(doc, "first_bad");
    for (size_t i = r->first; r->regression && i <= r->last; i++) {
        const ccb_bisect_commit *c = &r->commits[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(found, e);
        cJSON_AddStringToObject(e, "commit", c->sha);
        cJSON_AddStringToObject(e, "subject", c->subject);
        cJSON_AddStringToObject(e, "author", c->author);
        cJSON_AddStringToObject(e, "state", state_name(c->state));
    }
    commits = cJSON_AddArrayToObject(doc, "commits");
    for (size_t i = 0; i < r->ncommits; i++) {
        const ccb_bisect_commit *c = &r->commits[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(commits, e);
        cJSON_AddStringToObject(e, "commit", c->sha);
        cJSON_AddStringToObject(e, "tracker_tree", c->tree);
        cJSON_AddStringToObject(e, "subject", c->subject);
        cJSON_AddStringToObject(e, "state", i == 0 ? "good (GOOD)" : state_name(c->state));
    }
    steps = cJSON_AddArrayToObject(doc, "steps");
    for (size_t i = 0; i < r->nsteps; i++) {
        const ccb_bisect_step *s = &r->steps[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(steps, e);
        cJSON_AddStringToObject(e, "commit", r->commits[s->commit].sha);
        cJSON_AddStringToObject(e, "build", s->build);
        if (strcmp(s->build, "shared") == 0)
            cJSON_AddStringToObject(e, "shared_with", r->commits[s->shared_with].sha);
        cJSON_AddStringToObject(e, "state", state_name(r->commits[s->commit].state));
        if (s->measured) {
            cJSON_AddStringToObject(e, "verdict", ccb_stats_verdict_name(s->verdict));
            cJSON_AddStringToObject(e, "estimate", s->as_difference ? "difference" : "ratio");
            if (isnan(s->est)) {
                cJSON_AddNullToObject(e, "value");
                cJSON_AddNullToObject(e, "ci_low");
                cJSON_AddNullToObject(e, "ci_high");
            } else {
                cJSON_AddNumberToObject(e, "value", s->est);
                cJSON_AddNumberToObject(e, "ci_low", s->low);
                cJSON_AddNumberToObject(e, "ci_high", s->high);
            }
            cJSON_AddNumberToObject(e, "blocks", s->blocks);
            cJSON_AddBoolToObject(e, "remeasured", s->remeasured);
            cJSON_AddBoolToObject(e, "confirmed", s->confirmed);
            cJSON_AddBoolToObject(e, "rejected", s->rejected);
            cJSON_AddBoolToObject(e, "by_nearness", s->by_nearness);
            cJSON_AddBoolToObject(e, "by_interval", s->by_interval);
            /* A count metric: the counts themselves (value above is their difference). */
            if (s->count) {
                cJSON *k = cJSON_AddObjectToObject(e, "count");
                cJSON_AddNumberToObject(k, "good", s->good_value);
                cJSON_AddNumberToObject(k, "commit", s->value);
                cJSON_AddNumberToObject(k, "difference", s->est);
                if (s->like_bad < 0)
                    cJSON_AddNullToObject(k, "like_bad");
                else
                    cJSON_AddBoolToObject(k, "like_bad", s->like_bad);
            }
        }
    }
    cJSON *b = cJSON_AddObjectToObject(doc, "builds");
    cJSON_AddNumberToObject(b, "built", (double)r->builds);
    cJSON_AddNumberToObject(b, "cached", (double)r->cached);
    cJSON_AddNumberToObject(b, "shared", (double)r->shared);
    text = cJSON_Print(doc);
    if (!text)
        goto done;
    fprintf(out, "%s\n", text);
    rc = 0;
done:
    if (rc != 0)
        ccb_error_set("out of memory");
    cJSON_free(text);
    cJSON_Delete(doc);
    return rc;
}

int ccb_bisect_report_write(FILE *out, const ccb_bisect_report *r, ccb_format format)
{
    if (format == CCB_FORMAT_JSON)
        return write_json(out, r);
    int md = format == CCB_FORMAT_MARKDOWN;
    const ccb_bisect_commit *good = &r->commits[0], *bad = &r->commits[r->ncommits - 1];
    char est[128], what[256];
    fprintf(out,
            "%sbisect %s.%s (%s), threshold %g%%, profile %s: GOOD %.12s .. BAD %.12s, "
            "%zu commit(s) on the first-parent line\n\n",
            md ? "### " : "", r->scenario->name, r->metric->name,
            ccb_direction_name(r->metric->direction), r->threshold * 100, r->profile, good->sha,
            bad->sha, r->ncommits - 1);
    if (!r->regression) {
        fprintf(out, "no regression between %s and %s\n", r->good_text, r->bad_text);
    } else if (r->first == r->last) {
        const ccb_bisect_commit *c = &r->commits[r->first];
        const ccb_bisect_step *s = step_of(r, r->first);
        estimate_text(r, s, est, sizeof(est));
        fprintf(out, "%sfirst bad commit: %s%s%s\n", md ? "**" : "", md ? "`" : "", c->sha,
                md ? "`**" : "");
        fprintf(out, "%s  subject: %s\n%s  author:  %s\n%s  %s vs GOOD: %s\n", md ? "-" : "",
                c->subject, md ? "-" : "", c->author, md ? "-" : "",
                s && s->count           ? "count"
                : s && s->as_difference ? "difference"
                                        : "ratio",
                est);
    } else {
        fprintf(out,
                "%sthe first bad commit is one of these %zu (skipped commits leave a "
                "range):%s\n",
                md ? "**" : "", r->last - r->first + 1, md ? "**" : "");
        for (size_t i = r->first; i <= r->last; i++)
            fprintf(out, "%s  %.12s  %-24s  %s (%s)\n", md ? "-" : "", r->commits[i].sha,
                    state_name(r->commits[i].state), r->commits[i].subject, r->commits[i].author);
    }
    fprintf(out, "\n%s",
            md ? "| step | commit | build | estimate vs GOOD [95% CI] | result | "
                 "subject |\n|---|---|---|---|---|---|\n"
               : "steps:\n");
    for (size_t i = 0; i < r->nsteps; i++) {
        const ccb_bisect_step *s = &r->steps[i];
        const ccb_bisect_commit *c = &r->commits[s->commit];
        estimate_text(r, s, est, sizeof(est));
        step_text(r, s, what, sizeof(what));
        const char *role = s->commit == r->ncommits - 1 ? " (BAD)" : "";
        if (md)
            fprintf(out, "| %zu | `%.12s`%s | %s | %s | %s | %s |\n", i + 1, c->sha, role, s->build,
                    est, what, c->subject);
        else
            fprintf(out, "  %2zu  %.12s%-6s  %-7s  %-30s  %s  %s\n", i + 1, c->sha, role, s->build,
                    est, what, c->subject);
    }
    fprintf(out,
            "\n%zu build(s) made, %zu reused from the cache, %zu step(s) took the verdict "
            "of an equal tracker/ tree\n",
            r->builds, r->cached, r->shared);
    return 0;
}
