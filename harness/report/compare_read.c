/*
 * The strict reader of ccbench-compare/1 files (see compare_report.h), the input of
 * `ccbench plot --kind compare`. It checks what compare_report.c writes, field by field, with
 * cJSON_GetObjectItemCaseSensitive and cJSON_Is*: a file is read whole or rejected with the
 * file and the field's JSON path named ("metrics[2].ci_low"), never half-read.
 */
#include "compare_report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_reader.h"

/* A string that must be one of NAMES[0..N) (NULL entries skipped); *out gets its index. */
static int get_enum(const ccb_json_reader *rd, const cJSON *obj, const char *key,
                    const char *const *names, size_t n, int *out)
{
    const cJSON *item = ccb_json_reader_typed(rd, obj, key, cJSON_IsString, 0, "a string");
    if (!item)
        return -1;
    char expected[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        if (strcmp(item->valuestring, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
        if (len < sizeof(expected))
            len += (size_t)snprintf(expected + len, sizeof(expected) - len, "%s\"%s\"",
                                    len ? ", " : "", names[i]);
    }
    return ccb_json_reader_error(rd, key, "is \"%.64s\", expected one of %s", item->valuestring,
                                 expected);
}

/* A digit string that fits 64 bits (a seed). */
static int get_seed(const ccb_json_reader *rd, const cJSON *obj, const char *key, char **out)
{
    if (ccb_json_reader_string(rd, obj, key, 0, out) != 0)
        return -1;
    size_t len = strlen(*out);
    if (len == 0 || len > 20 || strspn(*out, "0123456789") != len ||
        (len == 20 && strcmp(*out, "18446744073709551615") > 0))
        return ccb_json_reader_error(rd, key,
                                     "expected a 64-bit unsigned integer as a decimal string");
    return 0;
}

static const char *const verdict_names[] = {
    [CCB_VERDICT_UNCHANGED] = "unchanged",     [CCB_VERDICT_IMPROVED] = "improved",
    [CCB_VERDICT_REGRESSED] = "regressed",     [CCB_VERDICT_INCONCLUSIVE] = "inconclusive",
    [CCB_VERDICT_BELOW_NOISE] = "below_noise",
};
static const char *const confirm_names[] = {
    [CCB_CONFIRM_NONE] = "none",
    [CCB_CONFIRM_CONFIRMED] = "confirmed",
    [CCB_CONFIRM_REJECTED] = "not_confirmed",
    [CCB_CONFIRM_IMPOSSIBLE] = "not_remeasurable",
};
static const char *const direction_names[] = {
    [CCB_LOWER_IS_BETTER] = "lower_is_better",
    [CCB_HIGHER_IS_BETTER] = "higher_is_better",
};
static const char *const kind_names[] = {
    [CCB_KIND_TIMING] = "timing",
    [CCB_KIND_COUNT] = "count",
};
static const char *const side_kinds[] = {"revision", "worktree", "file"};
static const char *const modes[] = {"files", "interleaved"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The object KEY of OBJ, with the path pushed (restore with *mark). */
static const cJSON *enter(ccb_json_reader *rd, const cJSON *obj, const char *key, size_t *mark)
{
    const cJSON *o = ccb_json_reader_typed(rd, obj, key, cJSON_IsObject, 0, "an object");
    if (o)
        *mark = ccb_json_reader_push(rd, "%s%s", rd->path[0] ? "." : "", key);
    return o;
}

/* An added field (absent or null in older files): the side's machine as one line. */
static int read_machine(ccb_json_reader *rd, const cJSON *side, char **out)
{
    size_t mark = 0;
    char *cpu = NULL, *kernel = NULL, *compiler = NULL, *build = NULL;
    double cpus = 0;
    int rc = -1;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(side, "machine");
    if (!item || cJSON_IsNull(item))
        return 0;
    const cJSON *o = enter(rd, side, "machine", &mark);
    if (!o || ccb_json_reader_string(rd, o, "cpu_model", 0, &cpu) ||
        ccb_json_reader_count(rd, o, "cpus", 1e6, &cpus) ||
        ccb_json_reader_string(rd, o, "kernel", 0, &kernel) ||
        ccb_json_reader_string(rd, o, "compiler", 0, &compiler) ||
        ccb_json_reader_string(rd, o, "build_type", 0, &build))
        goto done;
    if (asprintf(out, "%s, %.0f CPUs, Linux %s, %s, %s build", cpu, cpus, kernel, compiler, build) <
        0) {
        *out = NULL;
        ccb_error_set("out of memory reading %s", rd->origin);
        goto done;
    }
    ccb_json_reader_pop(rd, mark);
    rc = 0;
done:
    free(cpu);
    free(kernel);
    free(compiler);
    free(build);
    return rc;
}

static int read_side(ccb_json_reader *rd, const cJSON *root, const char *key, ccb_compare_doc *d,
                     int side)
{
    size_t mark = 0;
    char *commit = NULL, *tree = NULL, *result_file = NULL;
    int dirty = 0, kind = 0, rc = -1;
    const cJSON *o = enter(rd, root, key, &mark);
    if (!o)
        return -1;
    if (ccb_json_reader_string(rd, o, "operand", 0, &d->operand[side]) ||
        get_enum(rd, o, "kind", side_kinds, COUNT(side_kinds), &kind) ||
        ccb_json_reader_string(rd, o, "commit", 1, &commit) ||
        ccb_json_reader_string(rd, o, "tracker_tree", 1, &tree) ||
        ccb_json_reader_bool(rd, o, "dirty", 0, &dirty) ||
        ccb_json_reader_string(rd, o, "result_file", 1, &result_file))
        goto done;
    d->side_kind[side] = strdup(side_kinds[kind]);
    d->commit[side] = commit; /* the doc's now */
    commit = NULL;
    if (!d->side_kind[side]) {
        ccb_error_set("out of memory reading %s", rd->origin);
        goto done;
    }
    if (read_machine(rd, o, &d->machine[side]) != 0)
        goto done;
    ccb_json_reader_pop(rd, mark);
    rc = 0;
done:
    free(commit);
    free(tree);
    free(result_file);
    return rc;
}

static int read_thresholds(ccb_json_reader *rd, const cJSON *root, double *global)
{
    size_t mark = 0, mark2 = 0;
    double v = 0;
    const cJSON *o = enter(rd, root, "thresholds", &mark);
    if (!o || ccb_json_reader_number(rd, o, "default", 0, global) != 0)
        return -1;
    const cJSON *per = enter(rd, o, "metrics", &mark2);
    if (!per)
        return -1;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, per)
    {
        if (ccb_json_reader_number(rd, per, item->string, 0, &v) != 0)
            return -1;
    }
    ccb_json_reader_pop(rd, mark);
    return 0;
}

static int read_metric(ccb_json_reader *rd, const cJSON *o, ccb_compare_doc_metric *m)
{
    int direction = 0, kind = 0, verdict = 0, first = 0, confirm = 0, confirmed = 0;
    double nbase = 0, ncand = 0, p = 0, more = 0, noise = 0;
    if (ccb_json_reader_string(rd, o, "scenario", 0, &m->scenario) ||
        ccb_json_reader_string(rd, o, "name", 0, &m->name) ||
        ccb_json_reader_string(rd, o, "unit", 0, &m->unit) ||
        get_enum(rd, o, "direction", direction_names, COUNT(direction_names), &direction) ||
        get_enum(rd, o, "kind", kind_names, COUNT(kind_names), &kind) ||
        ccb_json_reader_number(rd, o, "baseline_median", 1, &m->base_median) ||
        ccb_json_reader_count(rd, o, "baseline_n", 9007199254740992.0, &nbase) ||
        ccb_json_reader_number(rd, o, "candidate_median", 1, &m->cand_median) ||
        ccb_json_reader_count(rd, o, "candidate_n", 9007199254740992.0, &ncand) ||
        ccb_json_reader_number(rd, o, "ratio", 1, &m->ratio) ||
        ccb_json_reader_number(rd, o, "ci_low", 1, &m->ci_low) ||
        ccb_json_reader_number(rd, o, "ci_high", 1, &m->ci_high) ||
        ccb_json_reader_number(rd, o, "p", 1, &p) ||
        ccb_json_reader_number(rd, o, "p_holm", 1, &m->p_holm) ||
        ccb_json_reader_number(rd, o, "threshold", 0, &m->threshold) ||
        get_enum(rd, o, "verdict", verdict_names, COUNT(verdict_names), &verdict) ||
        get_enum(rd, o, "first_round_verdict", verdict_names, COUNT(verdict_names), &first) ||
        ccb_json_reader_bool(rd, o, "confirmed", 1, &confirmed) ||
        get_enum(rd, o, "confirm", confirm_names, COUNT(confirm_names), &confirm) ||
        ccb_json_reader_count(rd, o, "more_blocks_needed", 9007199254740992.0, &more) ||
        ccb_json_reader_number(rd, o, "noise_floor", 1, &noise))
        return -1;
    if (m->threshold < 0 || m->threshold >= 10)
        return ccb_json_reader_error(rd, "threshold", "%g is not a fraction in [0, 10)",
                                     m->threshold);
    /* Ratios are positive (they go on a log axis), but a count may fall to 0 (system calls
     * 3 -> 0: ratio 0, drawn on a linear axis); the CI is both bounds or neither. */
    const char *const ratio_keys[3] = {"ratio", "ci_low", "ci_high"};
    const double ratios[3] = {m->ratio, m->ci_low, m->ci_high};
    const int zero_ok = strcmp(kind_names[kind], "count") == 0;
    for (int k = 0; k < 3; k++) {
        if (isfinite(ratios[k]) && (ratios[k] < 0 || (ratios[k] == 0 && !zero_ok)))
            return ccb_json_reader_error(rd, ratio_keys[k], "%g: a ratio must be > 0%s", ratios[k],
                                         zero_ok ? " (>= 0 for a count)" : "");
    }
    if (isfinite(m->ci_low) != isfinite(m->ci_high) ||
        (isfinite(m->ci_low) && m->ci_low > m->ci_high))
        return ccb_json_reader_error(rd, "ci_low",
                                     "expected ci_low <= ci_high, both numbers or both null");
    m->direction = (ccb_direction)direction;
    m->kind = (ccb_metric_kind)kind;
    m->nbase = (size_t)nbase;
    m->ncand = (size_t)ncand;
    m->verdict = (ccb_verdict)verdict;
    m->first_verdict = (ccb_verdict)first;
    m->confirm = (ccb_confirm)confirm;
    /* Added fields: absent in older files. */
    m->floor = NAN;
    if (cJSON_GetObjectItemCaseSensitive(o, "floor") &&
        ccb_json_reader_number(rd, o, "floor", 1, &m->floor) != 0)
        return -1;
    return 0;
}

static int read_metrics(ccb_json_reader *rd, const cJSON *root, ccb_compare_doc *d)
{
    const cJSON *arr = ccb_json_reader_typed(rd, root, "metrics", cJSON_IsArray, 0, "an array");
    if (!arr)
        return -1;
    int n = cJSON_GetArraySize(arr);
    if (n == 0)
        return ccb_json_reader_error(rd, "metrics", "empty: the compare has no metric to show");
    d->metrics = calloc((size_t)n, sizeof(*d->metrics));
    if (!d->metrics)
        return ccb_error_set("out of memory reading %s", rd->origin);
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, arr)
    {
        if (!cJSON_IsObject(item))
            return ccb_error_set("%s: field metrics[%zu]: expected an object, got %s", rd->origin,
                                 d->n, ccb_json_reader_type_name(item));
        ccb_compare_doc_metric *m = &d->metrics[d->n++];
        m->ratio = m->ci_low = m->ci_high = m->base_median = m->cand_median = NAN;
        size_t mark = ccb_json_reader_push(rd, "metrics[%zu]", d->n - 1);
        if (read_metric(rd, item, m) != 0)
            return -1;
        ccb_json_reader_pop(rd, mark);
    }
    return 0;
}

static int read_doc(ccb_json_reader *rd, const cJSON *json, void *out)
{
    ccb_compare_doc *d = out;
    char *seed = NULL;
    int rc = -1, mode = 0;
    double blocks = 0;
    size_t mark = 0;

    if (ccb_json_reader_schema(rd, json, CCB_COMPARE_SCHEMA,
                               "ccbench compare BASE CANDIDATE --format json > FILE") != 0)
        goto done;
    if (read_side(rd, json, "baseline", d, 0) || read_side(rd, json, "candidate", d, 1) ||
        get_enum(rd, json, "mode", modes, COUNT(modes), &mode) ||
        ccb_json_reader_string(rd, json, "profile", 1, &d->profile) ||
        get_seed(rd, json, "seed", &d->seed) ||
        ccb_json_reader_count(rd, json, "blocks", 4294967295.0, &blocks))
        goto done;
    d->paired = mode == 1;
    d->blocks = (unsigned int)blocks;
    const cJSON *confirm = enter(rd, json, "confirm_round", &mark);
    if (!confirm || ccb_json_reader_bool(rd, confirm, "ran", 0, &d->confirm_ran) ||
        get_seed(rd, confirm, "seed", &seed))
        goto done;
    ccb_json_reader_pop(rd, mark);
    if (read_thresholds(rd, json, &d->threshold) || read_metrics(rd, json, d))
        goto done;
    const cJSON *warnings =
        ccb_json_reader_typed(rd, json, "warnings", cJSON_IsArray, 0, "an array");
    if (!warnings)
        goto done;
    size_t i = 0;
    const cJSON *w = NULL;
    cJSON_ArrayForEach(w, warnings)
    {
        if (!cJSON_IsString(w)) {
            ccb_error_set("%s: field warnings[%zu]: expected a string, got %s", rd->origin, i,
                          ccb_json_reader_type_name(w));
            goto done;
        }
        i++;
    }
    if (ccb_json_reader_bool(rd, json, "failed", 0, &d->failed))
        goto done;
    rc = 0;
done:
    free(seed);
    return rc;
}

int ccb_compare_read_file(const char *path, ccb_compare_doc **out)
{
    ccb_compare_doc *d = calloc(1, sizeof(*d));
    *out = NULL;
    if (!d)
        return ccb_error_set("out of memory reading %s", path);
    if (ccb_json_reader_read_file(path, "a " CCB_COMPARE_SCHEMA " file",
                                  "Is this a " CCB_COMPARE_SCHEMA
                                  " file (ccbench compare --format json)?",
                                  read_doc, d) != 0) {
        ccb_compare_read_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void ccb_compare_read_free(ccb_compare_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->metrics[i].scenario);
        free(d->metrics[i].name);
        free(d->metrics[i].unit);
    }
    free(d->metrics);
    for (int s = 0; s < 2; s++) {
        free(d->operand[s]);
        free(d->side_kind[s]);
        free(d->commit[s]);
        free(d->machine[s]);
    }
    free(d->profile);
    free(d->seed);
    free(d);
}
