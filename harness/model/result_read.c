/*
 * The strict reader of result files (see result.h): every field's presence and type is
 * checked with cJSON_GetObjectItemCaseSensitive and cJSON_Is*, and the first wrong one is
 * named with its JSON path ("scenarios[1].metrics[0].samples") and the file. A file is either
 * read whole or rejected, never half-read; the model is built through result.c's own append
 * functions, so one place owns its memory.
 */
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "json_reader.h"
#include "protocol.h"

/* A result file bigger than this is not one of ours (a full run is a few MB). */
#define MAX_RESULT_BYTES (256L * 1024 * 1024)

#define MAX_EXACT_COUNT 9007199254740992.0 /* 2^53: exact in a double */

static int get_size(const ccb_json_reader *rd, const cJSON *obj, const char *key, size_t *out)
{
    double v = 0;
    if (ccb_json_reader_count(rd, obj, key, MAX_EXACT_COUNT, &v) != 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int read_stats(ccb_json_reader *rd, const cJSON *o, ccb_summary *st, size_t nsamples)
{
    double n = 0, outliers = 0;
    if (ccb_json_reader_count(rd, o, "n", MAX_EXACT_COUNT, &n) ||
        ccb_json_reader_number(rd, o, "min", 0, &st->min) ||
        ccb_json_reader_number(rd, o, "max", 0, &st->max) ||
        ccb_json_reader_number(rd, o, "mean", 0, &st->mean) ||
        ccb_json_reader_number(rd, o, "median", 0, &st->median) ||
        ccb_json_reader_number(rd, o, "stddev", 0, &st->stddev) ||
        ccb_json_reader_number(rd, o, "mad", 0, &st->mad) ||
        ccb_json_reader_number(rd, o, "p95", 0, &st->p95) ||
        ccb_json_reader_number(rd, o, "p99", 0, &st->p99) ||
        ccb_json_reader_number(rd, o, "ci95_low", 1, &st->ci95_low) ||
        ccb_json_reader_number(rd, o, "ci95_high", 1, &st->ci95_high) ||
        ccb_json_reader_count(rd, o, "outliers", MAX_EXACT_COUNT, &outliers))
        return -1;
    st->n = (size_t)n;
    st->outliers = (size_t)outliers;
    /* Stats that do not describe the replicates beside them mean the file was edited. */
    if (st->n != nsamples) {
        char what[96];
        snprintf(what, sizeof(what), "is %zu but there are %zu replicates (processes or samples)",
                 st->n, nsamples);
        return ccb_json_reader_error(rd, "n", "%s", what);
    }
    if (isnan(st->ci95_low) != isnan(st->ci95_high))
        return ccb_json_reader_error(rd, "ci95_low", "expected both CI bounds or neither (null)");
    return 0;
}

/* One element of a scenario's "metrics", appended to S. */
static int read_metric(ccb_json_reader *rd, const cJSON *o, void *parent)
{
    ccb_scenario_result *s = parent;
    char *name = NULL, *unit = NULL, *direction = NULL;
    ccb_metric_def def = {NULL, NULL, CCB_LOWER_IS_BETTER, CCB_FROM_RUNNER, CCB_KIND_TIMING, NULL};
    ccb_metric_result *m = NULL;
    int rc = -1;
    if (ccb_json_reader_string(rd, o, "name", 0, &name) ||
        ccb_json_reader_string(rd, o, "unit", 0, &unit) ||
        ccb_json_reader_string(rd, o, "direction", 0, &direction))
        goto done;
    if (ccb_result_scenario_find_metric(s, name)) {
        ccb_json_reader_error(rd, "name", "the same metric appears twice in this scenario");
        goto done;
    }
    if (strcmp(direction, "lower_is_better") == 0) {
        def.direction = CCB_LOWER_IS_BETTER;
    } else if (strcmp(direction, "higher_is_better") == 0) {
        def.direction = CCB_HIGHER_IS_BETTER;
    } else {
        ccb_json_reader_error(rd, "direction", "expected lower_is_better or higher_is_better");
        goto done;
    }

    /* `kind` is an addition to the schema of DESIGN.md: optional, and then the catalog
     * decides (a metric the catalog does not know is a timing). */
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    if (kind) {
        if (cJSON_IsString(kind) && strcmp(kind->valuestring, "timing") == 0) {
            def.kind = CCB_KIND_TIMING;
        } else if (cJSON_IsString(kind) && strcmp(kind->valuestring, "count") == 0) {
            def.kind = CCB_KIND_COUNT;
        } else {
            ccb_json_reader_error(rd, "kind", "expected \"timing\" or \"count\"");
            goto done;
        }
    } else {
        const ccb_scenario_def *sdef = ccb_catalog_find(s->name);
        const ccb_metric_def *mdef = sdef ? ccb_catalog_metric(sdef, name) : NULL;
        def.kind = mdef ? mdef->kind : CCB_KIND_TIMING;
    }
    def.name = name;
    def.unit = unit;
    m = ccb_result_scenario_add_metric(s, &def);
    if (!m)
        goto done;

    const cJSON *samples =
        ccb_json_reader_typed(rd, o, "samples", cJSON_IsArray, 0, "an array of numbers");
    if (!samples)
        goto done;
    size_t count = (size_t)cJSON_GetArraySize(samples);
    if (count > 0) {
        m->samples = malloc(count * sizeof(double));
        if (!m->samples) {
            ccb_error_set("out of memory reading %s", rd->origin);
            goto done;
        }
        m->cap = count;
    }
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, samples)
    {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
            char what[96];
            snprintf(what, sizeof(what), "expected an array of numbers (element %zu is %s)", m->n,
                     ccb_json_reader_type_name(v));
            ccb_json_reader_error(rd, "samples", "%s", what);
            goto done;
        }
        m->samples[m->n++] = v->valuedouble;
    }

    /* Added: which process each sample came from. Absent in older files. */
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(o, "process_samples");
    if (groups) {
        if (!cJSON_IsArray(groups)) {
            ccb_json_reader_error(rd, "process_samples", "expected an array of sample counts");
            goto done;
        }
        size_t total = 0;
        const cJSON *g = NULL;
        cJSON_ArrayForEach(g, groups)
        {
            if (!cJSON_IsNumber(g) || g->valuedouble < 1 || g->valuedouble > MAX_EXACT_COUNT ||
                g->valuedouble != floor(g->valuedouble)) {
                ccb_json_reader_error(rd, "process_samples", "expected counts >= 1");
                goto done;
            }
            if (ccb_result_metric_close_group(m, (size_t)g->valuedouble) != 0)
                goto done;
            total += (size_t)g->valuedouble;
        }
        if (total != m->n) {
            char what[96];
            snprintf(what, sizeof(what), "add up to %zu but there are %zu samples", total, m->n);
            ccb_json_reader_error(rd, "process_samples", "%s", what);
            goto done;
        }
        m->grouped = 1;
    }

    const cJSON *stats = ccb_json_reader_typed(rd, o, "stats", cJSON_IsObject, 0, "an object");
    if (!stats)
        goto done;
    size_t mark = ccb_json_reader_push(rd, ".stats");
    int st = read_stats(rd, stats, &m->stats, m->grouped ? m->ngroups : m->n);
    ccb_json_reader_pop(rd, mark);
    if (st != 0)
        goto done;
    rc = 0;
done:
    free(name);
    free(unit);
    free(direction);
    return rc;
}

/* One element of a scenario's "processes", appended to S. */
static int read_process(ccb_json_reader *rd, const cJSON *o, void *parent)
{
    ccb_process_meta p;
    double nvcsw = 0, nivcsw = 0;
    memset(&p, 0, sizeof(p));
    if (ccb_json_reader_bool(rd, o, "ok", 0, &p.ok) ||
        ccb_json_reader_number(rd, o, "wall_ms", 0, &p.wall_ms) ||
        ccb_json_reader_number(rd, o, "cpu_ms", 0, &p.cpu_ms) ||
        ccb_json_reader_number(rd, o, "maxrss_kb", 0, &p.maxrss_kb) ||
        ccb_json_reader_count(rd, o, "nvcsw", MAX_EXACT_COUNT, &nvcsw) ||
        ccb_json_reader_count(rd, o, "nivcsw", MAX_EXACT_COUNT, &nivcsw) ||
        ccb_json_reader_number(rd, o, "steal_ms", 0, &p.steal_ms))
        return -1;
    p.nvcsw = (long)nvcsw;
    p.nivcsw = (long)nivcsw;
    return ccb_result_scenario_add_process(parent, &p);
}

/* One element of a scenario's "failures", appended to S. */
static int read_failure(ccb_json_reader *rd, const cJSON *o, void *parent)
{
    char *reason = NULL, *detail = NULL;
    int rc = -1;
    if (ccb_json_reader_string(rd, o, "reason", 0, &reason) == 0 &&
        ccb_json_reader_string(rd, o, "detail", 0, &detail) == 0)
        rc = ccb_result_scenario_add_failure(parent, reason, detail);
    free(reason);
    free(detail);
    return rc;
}

/* Read array KEY of O: READ gets each element (which must be an object) with the path set to
 * KEY[i], and appends what it read to PARENT. */
typedef int (*read_fn)(ccb_json_reader *rd, const cJSON *o, void *parent);

static int read_array(ccb_json_reader *rd, const cJSON *o, const char *key, int optional,
                      void *parent, read_fn read)
{
    if (optional && !cJSON_GetObjectItemCaseSensitive(o, key))
        return 0;
    const cJSON *array = ccb_json_reader_typed(rd, o, key, cJSON_IsArray, 0, "an array");
    if (!array)
        return -1;
    size_t i = 0;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, array)
    {
        size_t mark = ccb_json_reader_push(rd, "%s%s[%zu]", rd->path[0] ? "." : "", key, i);
        int rc = cJSON_IsObject(item) ? read(rd, item, parent)
                                      : ccb_json_reader_error(rd, "", "expected an object, got %s",
                                                              ccb_json_reader_type_name(item));
        ccb_json_reader_pop(rd, mark);
        if (rc != 0)
            return -1;
        i++;
    }
    return 0;
}

/* "unavailable" (counter -> reason) and "profile" (call -> {"total": N, "functions":
 * [[name, inclusive], ...]}) of a scenario with count metrics: optional, checked whole. */
static int read_counts_extra(ccb_json_reader *rd, const cJSON *o, ccb_scenario_result *s)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "unavailable");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "profile");
    const cJSON *e = NULL;
    if (u && !cJSON_IsObject(u))
        return ccb_json_reader_error(rd, "unavailable", "expected an object, got %s",
                                     ccb_json_reader_type_name(u));
    cJSON_ArrayForEach(e, u)
    {
        if (!cJSON_IsString(e))
            return ccb_json_reader_error(rd, "unavailable", "member %s: expected a string",
                                         e->string);
    }
    if (p && !cJSON_IsObject(p))
        return ccb_json_reader_error(rd, "profile", "expected an object, got %s",
                                     ccb_json_reader_type_name(p));
    cJSON_ArrayForEach(e, p)
    {
        const cJSON *total = cJSON_GetObjectItemCaseSensitive(e, "total");
        const cJSON *fns = cJSON_GetObjectItemCaseSensitive(e, "functions");
        const cJSON *f = NULL;
        if (!cJSON_IsObject(e) || !cJSON_IsNumber(total) || !cJSON_IsArray(fns))
            return ccb_json_reader_error(
                rd, "profile", "member %s: expected {\"total\": number, \"functions\": array}",
                e->string);
        cJSON_ArrayForEach(f, fns)
        {
            if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) != 2 ||
                !cJSON_IsString(cJSON_GetArrayItem(f, 0)) ||
                !cJSON_IsNumber(cJSON_GetArrayItem(f, 1)))
                return ccb_json_reader_error(
                    rd, "profile", "member %s.functions: expected [name, inclusive] pairs",
                    e->string);
        }
    }
    if ((u && !(s->unavailable = cJSON_Duplicate(u, 1))) ||
        (p && !(s->profile = cJSON_Duplicate(p, 1)))) {
        ccb_error_set("out of memory reading %s", rd->origin);
        return -1;
    }
    return 0;
}

/* One element of "scenarios", appended to the result. */
static int read_scenario(ccb_json_reader *rd, const cJSON *o, void *parent)
{
    ccb_result *r = parent;
    char *name = NULL;
    int rc = -1;
    if (ccb_json_reader_string(rd, o, "name", 0, &name))
        goto done;
    if (ccb_result_find_scenario(r, name)) {
        ccb_json_reader_error(rd, "name", "the same scenario appears twice");
        goto done;
    }
    const cJSON *params = ccb_json_reader_typed(rd, o, "params", cJSON_IsObject, 0, "an object");
    if (!params)
        goto done;
    ccb_scenario_result *s = ccb_result_add_scenario(r, name);
    if (!s)
        goto done;
    cJSON_Delete(s->params);
    s->params = cJSON_Duplicate(params, 1);
    if (!s->params) {
        ccb_error_set("out of memory reading %s", rd->origin);
        goto done;
    }
    if (get_size(rd, o, "samples_ok", &s->samples_ok) ||
        get_size(rd, o, "samples_failed", &s->samples_failed) ||
        read_array(rd, o, "failures", 0, s, read_failure) ||
        read_array(rd, o, "metrics", 0, s, read_metric) ||
        read_array(rd, o, "processes", 1, s, read_process) || read_counts_extra(rd, o, s))
        goto done;
    rc = 0;
done:
    free(name);
    return rc;
}

static int read_git(ccb_json_reader *rd, const cJSON *o, void *out)
{
    ccb_git_info *g = out;
    if (ccb_json_reader_string(rd, o, "revision", 1, &g->revision) ||
        ccb_json_reader_string(rd, o, "commit", 1, &g->commit) ||
        ccb_json_reader_string(rd, o, "tracker_tree", 1, &g->tracker_tree))
        return -1;
    const cJSON *dirty = ccb_json_reader_typed(rd, o, "dirty", cJSON_IsBool, 1, "true or false");
    if (!dirty)
        return -1;
    g->dirty = cJSON_IsTrue(dirty);
    /* Added: which measured paths had changes (absent in older files and when clean). */
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(o, "changed_paths");
    if (paths) {
        if (!cJSON_IsArray(paths))
            return ccb_json_reader_error(rd, "changed_paths", "expected an array of paths");
        int n = cJSON_GetArraySize(paths);
        g->changed = calloc(n ? (size_t)n : 1, sizeof(*g->changed));
        if (!g->changed)
            return ccb_error_set("out of memory reading %s", rd->origin);
        const cJSON *p = NULL;
        cJSON_ArrayForEach(p, paths)
        {
            if (!cJSON_IsString(p))
                return ccb_json_reader_error(rd, "changed_paths", "expected an array of paths");
            if (!(g->changed[g->nchanged++] = strdup(p->valuestring)))
                return ccb_error_set("out of memory reading %s", rd->origin);
        }
    }
    /* Written outside a repository, every field is null. */
    g->present = g->revision || g->commit || !cJSON_IsNull(dirty);
    return 0;
}

static int read_machine(ccb_json_reader *rd, const cJSON *o, void *out)
{
    ccb_machine_info *m = out;
    double cpus = 0, mem = 0;
    if (ccb_json_reader_string(rd, o, "hostname", 0, &m->hostname) ||
        ccb_json_reader_string(rd, o, "os", 0, &m->os) ||
        ccb_json_reader_string(rd, o, "kernel", 0, &m->kernel) ||
        ccb_json_reader_string(rd, o, "cpu_model", 0, &m->cpu_model) ||
        ccb_json_reader_count(rd, o, "cpus", MAX_EXACT_COUNT, &cpus) ||
        ccb_json_reader_count(rd, o, "mem_total_kb", MAX_EXACT_COUNT, &mem) ||
        ccb_json_reader_string(rd, o, "compiler", 0, &m->compiler) ||
        ccb_json_reader_string(rd, o, "build_type", 0, &m->build_type))
        return -1;
    if (cpus > INT_MAX)
        return ccb_json_reader_error(rd, "cpus", "is too large");
    m->cpus = (int)cpus;
    m->mem_total_kb = (long)mem;
    return 0;
}

/* Read object KEY of O with FN, the path set to KEY. */
static int read_object(ccb_json_reader *rd, const cJSON *o, const char *key,
                       int (*fn)(ccb_json_reader *, const cJSON *, void *), void *out)
{
    const cJSON *obj = ccb_json_reader_typed(rd, o, key, cJSON_IsObject, 0, "an object");
    if (!obj)
        return -1;
    size_t mark = ccb_json_reader_push(rd, "%s%s", rd->path[0] ? "." : "", key);
    int rc = fn(rd, obj, out);
    ccb_json_reader_pop(rd, mark);
    return rc;
}

int ccb_result_from_json(const cJSON *json, const char *origin, ccb_result **out)
{
    ccb_json_reader rd = {
        .origin = origin, .missing_hint = "Is this a ccbench result file?", .path = ""};
    ccb_result *r = NULL;
    char *schema = NULL;
    int rc = -1;
    *out = NULL;

    if (!cJSON_IsObject(json)) {
        ccb_error_set("%s: expected a JSON object at the top level, got %s. Is this a "
                      "ccbench result file?",
                      origin, ccb_json_reader_type_name(json));
        goto done;
    }
    if (ccb_json_reader_string(&rd, json, "schema", 0, &schema))
        goto done;
    if (strcmp(schema, CCB_RESULT_SCHEMA) != 0) {
        ccb_error_set("%s: field schema: is \"%s\", expected \"%s\". Was it written by another "
                      "version of ccbench?",
                      origin, schema, CCB_RESULT_SCHEMA);
        goto done;
    }
    r = ccb_result_new();
    if (!r) {
        ccb_error_set("out of memory reading %s", origin);
        goto done;
    }
    if (ccb_json_reader_string(&rd, json, "ccbench_version", 0, &r->ccbench_version) ||
        ccb_json_reader_string(&rd, json, "created_at", 0, &r->created_at) ||
        ccb_json_reader_string(&rd, json, "label", 0, &r->label) ||
        read_object(&rd, json, "git", read_git, &r->git) ||
        read_object(&rd, json, "machine", read_machine, &r->machine) ||
        ccb_json_reader_string(&rd, json, "profile", 0, &r->profile) ||
        read_array(&rd, json, "scenarios", 0, r, read_scenario))
        goto done;
    *out = r;
    r = NULL;
    rc = 0;
done:
    free(schema);
    ccb_result_free(r);
    return rc;
}

/* The whole of PATH (WHAT it should be, for messages) into a NUL-terminated buffer. */
static int slurp(const char *path, const char *what, char **out, size_t *len)
{
    int rc = -1;
    char *buf = NULL;
    /* O_NONBLOCK: opening a FIFO for reading blocks until a writer comes, before fstat could
     * refuse it. It changes nothing for the regular files read below. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        ccb_error_set("%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ccb_error_set("%s: not a regular file. Pass %s (.json).", path, what);
        goto done;
    }
    if (st.st_size > MAX_RESULT_BYTES) {
        ccb_error_set("%s: %lld bytes is too large for %s", path, (long long)st.st_size, what);
        goto done;
    }
    /* Size 0 may be a file whose size is not known in advance (/proc, /sys): read it to its
     * end, up to the limit, so the message says what it holds rather than "empty". */
    int unknown = st.st_size == 0;
    size_t size = unknown ? 4096 : (size_t)st.st_size, off = 0;
    buf = malloc(size + 1);
    if (!buf) {
        ccb_error_set("out of memory reading %s", path);
        goto done;
    }
    for (;;) {
        if (off == size) {
            if (!unknown || size >= (size_t)MAX_RESULT_BYTES)
                break;
            size_t grown =
                size * 2 > (size_t)MAX_RESULT_BYTES ? (size_t)MAX_RESULT_BYTES : size * 2;
            char *bigger = realloc(buf, grown + 1);
            if (!bigger) {
                ccb_error_set("out of memory reading %s", path);
                goto done;
            }
            buf = bigger;
            size = grown;
        }
        ssize_t n = read(fd, buf + off, size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ccb_error_set("%s: cannot read: %s", path, strerror(errno));
            goto done;
        }
        if (n == 0) /* the end (or it shrank while we read: take what is there) */
            break;
        off += (size_t)n;
    }
    buf[off] = '\0';
    *out = buf;
    *len = off;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* A NUL in the text: raw (cJSON would stop there and ignore what follows) or as \u0000 in a
 * string (the decoded C string would end there). The offset of the first, or -1. */
/* 1 when TEXT stops inside a string or with an object or array still open: a file cut short
 * (cJSON may point at the start of the value it could not finish, far from the end). */
static int ends_unclosed(const char *text, size_t len)
{
    long depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return in_string || depth > 0;
}

static long find_nul(const char *text, size_t len)
{
    const char *raw = memchr(text, '\0', len);
    int in_string = 0;
    for (size_t i = 0; i < len && (!raw || text + i < raw); i++) {
        if (text[i] == '"')
            in_string = !in_string;
        else if (in_string && text[i] == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && strncmp(text + i + 2, "0000", 4) == 0)
                return (long)i;
            i++; /* the escaped character, even a quote */
        }
    }
    return raw ? (long)(raw - text) : -1;
}

/* The first key that appears twice in one object, anywhere in TREE (cJSON keeps both and
 * the getters would see only the first), with the path of its object in PATH. */
static const char *find_duplicate_key(const cJSON *tree, char *path, size_t cap)
{
    size_t len = strlen(path);
    size_t index = 0;
    for (const cJSON *a = tree ? tree->child : NULL; a; a = a->next, index++) {
        if (cJSON_IsObject(tree) && a->string) {
            for (const cJSON *b = a->next; b; b = b->next) {
                if (b->string && strcmp(a->string, b->string) == 0)
                    return a->string;
            }
        }
        if (a->child) {
            if (cJSON_IsObject(tree))
                snprintf(path + len, cap - len, ".%s", a->string ? a->string : "");
            else
                snprintf(path + len, cap - len, "[%zu]", index);
            const char *dup = find_duplicate_key(a, path, cap);
            if (dup)
                return dup;
            path[len] = '\0';
        }
    }
    return NULL;
}

int ccb_result_read_json(const char *path, const char *what, cJSON **out)
{
    char *text = NULL;
    size_t len = 0;
    cJSON *json = NULL;
    int rc = -1;
    *out = NULL;

    if (slurp(path, what, &text, &len) != 0)
        goto done;
    if (strspn(text, " \t\r\n") == len) {
        ccb_error_set("%s: the file is empty. Is this %s?", path, what);
        goto done;
    }
    long nul = find_nul(text, len);
    if (nul >= 0) {
        ccb_error_set("%s: a NUL character at byte %ld: %s is JSON text, without NULs (raw, or "
                      "escaped as \\u0000 in a string)",
                      path, nul, what);
        goto done;
    }
    const char *end = NULL;
    json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!json) {
        /* cJSON reports the last byte when it ran out of input. */
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        if (at + 1 >= len || ends_unclosed(text, len))
            ccb_error_set("%s: not valid JSON: it ends in the middle of a value (truncated?). "
                          "Is this all of %s?",
                          path, what);
        else
            ccb_error_set("%s: not valid JSON: malformed at byte %zu. Is this %s?", path, at, what);
        goto done;
    }
    if (end && strspn(end, " \t\r\n") != strlen(end)) {
        ccb_error_set("%s: not valid JSON (extra data after byte %zu)", path, (size_t)(end - text));
        goto done;
    }
    char where[256] = "";
    const char *dup = find_duplicate_key(json, where, sizeof(where));
    if (dup) {
        ccb_error_set("%s: key '%s' appears twice in the object %s. Which one counts is not "
                      "defined: remove one.",
                      path, dup, where[0] ? where + 1 : "at the top");
        goto done;
    }
    *out = json;
    json = NULL;
    rc = 0;
done:
    cJSON_Delete(json);
    free(text);
    return rc;
}

int ccb_result_read_file(const char *path, ccb_result **out)
{
    cJSON *json = NULL;
    *out = NULL;
    /* A file that is not a readable result is bad input (exit 2), whatever the cause. */
    if (ccb_result_read_json(path, "a ccbench result file", &json) != 0)
        return ccb_error_classify(CCB_ERROR_INPUT);
    int rc = ccb_result_from_json(json, path, out);
    cJSON_Delete(json);
    return rc == 0 ? 0 : ccb_error_classify(CCB_ERROR_INPUT);
}
