/*
 * Result files (schema ccbench-result/1, see result.h and result-schema.md): the in-memory
 * model, its JSON form through cJSON and the atomic writer (result_read.c is the strict
 * reader). The writer prints numbers so that they read back bit for bit: compare and history
 * recompute statistics from the stored samples and must get what run got.
 */
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "array.h"
#include "error.h"
#include "protocol.h"

/* ---------------------------------------------------------------------------------------- */
/* The model */

ccb_result *ccb_result_new(void)
{
    return calloc(1, sizeof(ccb_result));
}

static void free_scenario(ccb_scenario_result *s)
{
    free(s->name);
    cJSON_Delete(s->params);
    for (size_t i = 0; i < s->nfailures; i++) {
        free(s->failures[i].reason);
        free(s->failures[i].detail);
    }
    free(s->failures);
    for (size_t i = 0; i < s->nmetrics; i++) {
        free(s->metrics[i].name);
        free(s->metrics[i].unit);
        free(s->metrics[i].samples);
        free(s->metrics[i].groups);
    }
    free(s->metrics);
    free(s->processes);
    cJSON_Delete(s->unavailable);
    cJSON_Delete(s->profile);
}

void ccb_result_free(ccb_result *r)
{
    if (!r)
        return;
    free(r->ccbench_version);
    free(r->created_at);
    free(r->label);
    free(r->profile);
    ccb_result_git_info_release(&r->git);
    free(r->machine.hostname);
    free(r->machine.os);
    free(r->machine.kernel);
    free(r->machine.cpu_model);
    free(r->machine.compiler);
    free(r->machine.build_type);
    for (size_t i = 0; i < r->nscenarios; i++)
        free_scenario(&r->scenarios[i]);
    free(r->scenarios);
    free(r);
}

/* Grow *array by one zeroed element of SIZE bytes; returns it or NULL (array untouched). */
static void *append_one(void **array, size_t *count, size_t size)
{
    char *grown = realloc(*array, (*count + 1) * size);
    if (!grown)
        return NULL;
    *array = grown;
    char *slot = grown + *count * size;
    memset(slot, 0, size);
    (*count)++;
    return slot;
}

ccb_scenario_result *ccb_result_add_scenario(ccb_result *r, const char *name)
{
    char *copy = strdup(name);
    cJSON *params = cJSON_CreateObject();
    ccb_scenario_result *s = NULL;
    if (copy && params)
        s = append_one((void **)&r->scenarios, &r->nscenarios, sizeof(*s));
    if (!s) {
        free(copy);
        cJSON_Delete(params);
        ccb_error_set("out of memory adding scenario %s", name);
        return NULL;
    }
    s->name = copy;
    s->params = params;
    return s;
}

ccb_metric_result *ccb_result_scenario_add_metric(ccb_scenario_result *s, const ccb_metric_def *def)
{
    char *name = strdup(def->name);
    char *unit = strdup(def->unit);
    ccb_metric_result *m = NULL;
    if (name && unit)
        m = append_one((void **)&s->metrics, &s->nmetrics, sizeof(*m));
    if (!m) {
        free(name);
        free(unit);
        ccb_error_set("out of memory adding metric %s", def->name);
        return NULL;
    }
    m->name = name;
    m->unit = unit;
    m->direction = def->direction;
    m->kind = def->kind;
    return m;
}

ccb_metric_result *ccb_result_scenario_find_metric(const ccb_scenario_result *s, const char *name)
{
    for (size_t i = 0; i < s->nmetrics; i++) {
        if (strcmp(s->metrics[i].name, name) == 0)
            return &s->metrics[i];
    }
    return NULL;
}

int ccb_result_metric_add_sample(ccb_metric_result *m, double value)
{
    if (ccb_array_reserve((void **)&m->samples, m->n, &m->cap, sizeof(double), 16) != 0)
        return ccb_error_set("out of memory adding a sample to %s", m->name);
    m->samples[m->n++] = value;
    return 0;
}

void ccb_result_git_info_release(ccb_git_info *g)
{
    free(g->revision);
    free(g->commit);
    free(g->tracker_tree);
    for (size_t i = 0; i < g->nchanged; i++)
        free(g->changed[i]);
    free(g->changed);
    memset(g, 0, sizeof(*g));
}

int ccb_result_metric_close_group(ccb_metric_result *m, size_t count)
{
    if (count == 0)
        return 0;
    if (m->ngroups == m->cap_groups) {
        size_t cap = m->cap_groups ? m->cap_groups * 2 : 16;
        size_t *grown = realloc(m->groups, cap * sizeof(*grown));
        if (!grown)
            return ccb_error_set("out of memory recording the processes of %s", m->name);
        m->groups = grown;
        m->cap_groups = cap;
    }
    m->groups[m->ngroups++] = count;
    m->grouped = 1;
    return 0;
}

int ccb_result_metric_replicates(const ccb_metric_result *m, double **out, size_t *n)
{
    size_t count = m->grouped ? m->ngroups : m->n;
    *out = NULL;
    *n = 0;
    if (count == 0)
        return 0;
    double *v = malloc(count * sizeof(*v));
    if (!v)
        return ccb_error_set("out of memory reducing %s per process", m->name);
    if (!m->grouped) {
        memcpy(v, m->samples, count * sizeof(*v));
    } else {
        size_t at = 0;
        for (size_t k = 0; k < count; k++) {
            v[k] = ccb_stats_median(m->samples + at, m->groups[k]);
            at += m->groups[k];
        }
    }
    *out = v;
    *n = count;
    return 0;
}

int ccb_result_scenario_add_failure(ccb_scenario_result *s, const char *reason, const char *detail)
{
    char *r = strdup(reason);
    char *d = strdup(detail ? detail : "");
    ccb_failure *f = NULL;
    if (r && d)
        f = append_one((void **)&s->failures, &s->nfailures, sizeof(*f));
    if (!f) {
        free(r);
        free(d);
        return ccb_error_set("out of memory recording a failure of %s", s->name);
    }
    f->reason = r;
    f->detail = d;
    return 0;
}

int ccb_result_scenario_add_process(ccb_scenario_result *s, const ccb_process_meta *meta)
{
    ccb_process_meta *p = append_one((void **)&s->processes, &s->nprocesses, sizeof(*p));
    if (!p)
        return ccb_error_set("out of memory recording a process of %s", s->name);
    *p = *meta;
    return 0;
}

int ccb_result_compute_stats(ccb_result *r)
{
    for (size_t i = 0; i < r->nscenarios; i++) {
        for (size_t j = 0; j < r->scenarios[i].nmetrics; j++) {
            ccb_metric_result *m = &r->scenarios[i].metrics[j];
            double *v = NULL;
            size_t n = 0;
            int rc = ccb_result_metric_replicates(m, &v, &n);
            if (rc == 0)
                rc = ccb_stats_summarize(v, n, CCB_STATS_DEFAULT_SEED, &m->stats);
            free(v);
            if (rc != 0)
                return ccb_error_set("out of memory computing statistics of %s.%s",
                                     r->scenarios[i].name, m->name);
        }
    }
    return 0;
}

const ccb_scenario_result *ccb_result_find_scenario(const ccb_result *r, const char *name)
{
    for (size_t i = 0; i < r->nscenarios; i++) {
        if (strcmp(r->scenarios[i].name, name) == 0)
            return &r->scenarios[i];
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Writer */

static const char *kind_name(ccb_metric_kind k)
{
    return k == CCB_KIND_COUNT ? "count" : "timing";
}

/* cJSON_Add*ToObject return NULL on allocation failure; the builders below check the final
 * tree once instead of after every field, so each helper records a failure in b->ok. */
typedef struct builder {
    int ok;
    int exact; /* numbers as exact raw text (files), or as cJSON numbers (callers' trees) */
} builder;
static void add_string(cJSON *obj, const char *key, const char *value, builder *b)
{
    if (!(value ? cJSON_AddStringToObject(obj, key, value) : cJSON_AddNullToObject(obj, key)))
        b->ok = 0;
}

/* cJSON prints "%1.15g" whenever that is within DBL_EPSILON of the value, which loses the
 * last bits (0.1 * 3 comes back as 0.3). Files get the shortest text that strtod() turns
 * back into exactly the same double, as a raw item; the in-memory tree keeps real numbers. */
static cJSON *number(double value, const builder *b)
{
    if (!b->exact || !isfinite(value))
        return cJSON_CreateNumber(value);
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof(text), "%.*g", precision, value);
        if (strtod(text, NULL) == value)
            break;
    }
    return cJSON_CreateRaw(text);
}

static void add_number(cJSON *obj, const char *key, double value, builder *b)
{
    cJSON *item = number(value, b);
    if (!item || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        b->ok = 0;
    }
}

static void add_bool(cJSON *obj, const char *key, int value, builder *b)
{
    if (!cJSON_AddBoolToObject(obj, key, value))
        b->ok = 0;
}

static cJSON *stats_to_json(const ccb_summary *st, builder *b)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        b->ok = 0;
        return NULL;
    }
    add_number(o, "n", (double)st->n, b);
    add_number(o, "min", st->min, b);
    add_number(o, "max", st->max, b);
    add_number(o, "mean", st->mean, b);
    add_number(o, "median", st->median, b);
    add_number(o, "stddev", st->stddev, b);
    add_number(o, "mad", st->mad, b);
    add_number(o, "p95", st->p95, b);
    add_number(o, "p99", st->p99, b);
    /* Null when too few replicates exist for a 95% interval, never [min, max] under that
     * name. */
    if (isfinite(st->ci95_low)) {
        add_number(o, "ci95_low", st->ci95_low, b);
        add_number(o, "ci95_high", st->ci95_high, b);
    } else if (!cJSON_AddNullToObject(o, "ci95_low") || !cJSON_AddNullToObject(o, "ci95_high")) {
        b->ok = 0;
    }
    add_number(o, "outliers", (double)st->outliers, b);
    return o;
}

static cJSON *metric_to_json(const ccb_metric_result *m, builder *b)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *samples = cJSON_CreateArray();
    if (!o || !samples) {
        cJSON_Delete(o);
        cJSON_Delete(samples);
        b->ok = 0;
        return NULL;
    }
    add_string(o, "name", m->name, b);
    add_string(o, "unit", m->unit, b);
    add_string(o, "direction", ccb_direction_name(m->direction), b);
    add_string(o, "kind", kind_name(m->kind), b);
    for (size_t i = 0; i < m->n; i++) {
        cJSON *v = number(m->samples[i], b);
        if (!v || !cJSON_AddItemToArray(samples, v)) {
            cJSON_Delete(v);
            b->ok = 0;
        }
    }
    cJSON_AddItemToObject(o, "samples", samples);
    if (m->grouped) {
        cJSON *groups = cJSON_CreateArray();
        for (size_t k = 0; groups && k < m->ngroups; k++) {
            cJSON *g = cJSON_CreateNumber((double)m->groups[k]);
            if (!g || !cJSON_AddItemToArray(groups, g)) {
                cJSON_Delete(g);
                b->ok = 0;
            }
        }
        if (!groups || !cJSON_AddItemToObject(o, "process_samples", groups)) {
            cJSON_Delete(groups);
            b->ok = 0;
        }
    }
    cJSON *st = stats_to_json(&m->stats, b);
    if (st)
        cJSON_AddItemToObject(o, "stats", st);
    return o;
}

static cJSON *process_to_json(const ccb_process_meta *p, builder *b)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        b->ok = 0;
        return NULL;
    }
    add_bool(o, "ok", p->ok, b);
    add_number(o, "wall_ms", p->wall_ms, b);
    add_number(o, "cpu_ms", p->cpu_ms, b);
    add_number(o, "maxrss_kb", p->maxrss_kb, b);
    add_number(o, "nvcsw", (double)p->nvcsw, b);
    add_number(o, "nivcsw", (double)p->nivcsw, b);
    add_number(o, "steal_ms", p->steal_ms, b);
    return o;
}

/* Add ITEM to ARRAY, or record the failure (a NULL item already did). */
static void push(cJSON *array, cJSON *item, builder *b)
{
    if (!item || !cJSON_AddItemToArray(array, item)) {
        cJSON_Delete(item);
        b->ok = 0;
    }
}

static cJSON *scenario_to_json(const ccb_scenario_result *s, builder *b)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        b->ok = 0;
        return NULL;
    }
    add_string(o, "name", s->name, b);
    cJSON *params = s->params ? cJSON_Duplicate(s->params, 1) : cJSON_CreateObject();
    if (!params || !cJSON_AddItemToObject(o, "params", params)) {
        cJSON_Delete(params);
        b->ok = 0;
    }
    add_number(o, "samples_ok", (double)s->samples_ok, b);
    add_number(o, "samples_failed", (double)s->samples_failed, b);

    cJSON *failures = cJSON_AddArrayToObject(o, "failures");
    cJSON *metrics = cJSON_AddArrayToObject(o, "metrics");
    cJSON *processes = cJSON_AddArrayToObject(o, "processes");
    if (!failures || !metrics || !processes) {
        b->ok = 0;
        return o;
    }
    for (size_t i = 0; i < s->nfailures; i++) {
        cJSON *f = cJSON_CreateObject();
        if (f) {
            add_string(f, "reason", s->failures[i].reason, b);
            add_string(f, "detail", s->failures[i].detail, b);
        }
        push(failures, f, b);
    }
    for (size_t i = 0; i < s->nmetrics; i++)
        push(metrics, metric_to_json(&s->metrics[i], b), b);
    for (size_t i = 0; i < s->nprocesses; i++)
        push(processes, process_to_json(&s->processes[i], b), b);
    /* Count metrics (issue 13): absent when no count ran, so older readers see nothing new. */
    const cJSON *extra[2] = {s->unavailable, s->profile};
    const char *key[2] = {"unavailable", "profile"};
    for (int i = 0; i < 2; i++) {
        cJSON *copy = extra[i] ? cJSON_Duplicate(extra[i], 1) : NULL;
        if (extra[i] && (!copy || !cJSON_AddItemToObject(o, key[i], copy))) {
            cJSON_Delete(copy);
            b->ok = 0;
        }
    }
    return o;
}

static cJSON *build(const ccb_result *r, int exact)
{
    builder state = {.ok = 1, .exact = exact}, *b = &state;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        goto fail;
    add_string(root, "schema", CCB_RESULT_SCHEMA, b);
    add_string(root, "ccbench_version", r->ccbench_version ? r->ccbench_version : "", b);
    add_string(root, "created_at", r->created_at ? r->created_at : "", b);
    add_string(root, "label", r->label ? r->label : "", b);

    cJSON *git = cJSON_AddObjectToObject(root, "git");
    if (git) {
        const ccb_git_info *g = &r->git;
        add_string(git, "revision", g->present ? g->revision : NULL, b);
        add_string(git, "commit", g->present ? g->commit : NULL, b);
        add_string(git, "tracker_tree", g->present ? g->tracker_tree : NULL, b);
        if (g->present)
            add_bool(git, "dirty", g->dirty, b);
        else if (!cJSON_AddNullToObject(git, "dirty"))
            b->ok = 0;
        if (g->present && g->dirty) {
            cJSON *paths = cJSON_AddArrayToObject(git, "changed_paths");
            for (size_t i = 0; paths && i < g->nchanged; i++)
                cJSON_AddItemToArray(paths, cJSON_CreateString(g->changed[i]));
            if (!paths)
                b->ok = 0;
        }
    } else {
        b->ok = 0;
    }

    cJSON *machine = cJSON_AddObjectToObject(root, "machine");
    if (machine) {
        const ccb_machine_info *m = &r->machine;
        add_string(machine, "hostname", m->hostname ? m->hostname : "", b);
        add_string(machine, "os", m->os ? m->os : "", b);
        add_string(machine, "kernel", m->kernel ? m->kernel : "", b);
        add_string(machine, "cpu_model", m->cpu_model ? m->cpu_model : "", b);
        add_number(machine, "cpus", m->cpus, b);
        add_number(machine, "mem_total_kb", (double)m->mem_total_kb, b);
        add_string(machine, "compiler", m->compiler ? m->compiler : "", b);
        add_string(machine, "build_type", m->build_type ? m->build_type : "", b);
    } else {
        b->ok = 0;
    }

    add_string(root, "profile", r->profile ? r->profile : "", b);
    cJSON *scenarios = cJSON_AddArrayToObject(root, "scenarios");
    if (!scenarios)
        goto fail;
    for (size_t i = 0; i < r->nscenarios; i++)
        push(scenarios, scenario_to_json(&r->scenarios[i], b), b);
    if (!b->ok)
        goto fail;
    return root;
fail:
    cJSON_Delete(root);
    ccb_error_set("out of memory building the result JSON");
    return NULL;
}

cJSON *ccb_result_to_json(const ccb_result *r)
{
    return build(r, 0);
}

char *ccb_result_to_text(const ccb_result *r)
{
    cJSON *json = build(r, 1);
    if (!json)
        return NULL;
    char *text = cJSON_Print(json);
    cJSON_Delete(json);
    if (!text)
        ccb_error_set("out of memory printing the result JSON");
    return text;
}

static int write_error(const char *path, int err)
{
    const char *hint = "";
    if (err == ENOSPC || err == EDQUOT)
        hint = " Free some space or pass --out FILE on another file system.";
    else if (err == EACCES || err == EPERM || err == EROFS)
        hint = " Check the directory's permissions or pass --out FILE.";
    else if (err == ENOENT)
        hint = " Does the directory exist?";
    return ccb_error_set("cannot write %s: %s.%s", path, strerror(err), hint);
}

int ccb_result_write_file(const ccb_result *r, const char *path)
{
    int rc = -1;
    char *text = NULL, *with_nl = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* rename() would replace a device node or FIFO (as root) by the result. */
        ccb_error_set("cannot write %s: it is not a regular file", path);
        goto done;
    }
    text = ccb_result_to_text(r);
    if (!text)
        goto done;
    /* The trailing newline keeps `cat` and diff tools happy. */
    if (asprintf(&with_nl, "%s\n", text) < 0) {
        with_nl = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    if (ccb_atomic_write(path, with_nl, strlen(with_nl)) != 0) {
        write_error(path, errno);
        goto done;
    }
    rc = 0;
done:
    free(with_nl);
    free(text);
    return rc;
}

/* Control bytes (C0, DEL) become '?', and so do UTF-8 C1 controls (U+0080..U+009F, 0xC2
 * 0x80..0x9F: CSI among them), in place: the length never changes. */
static void neutralize(char *text)
{
    unsigned char *p = (unsigned char *)text;
    for (; p && *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            p[0] = '?';
            p[1] = '?';
            p++;
        }
    }
}

void ccb_result_neutralize_controls(ccb_result *r)
{
    char *top[] = {r->ccbench_version,   r->created_at,        r->label,
                   r->profile,           r->git.revision,      r->git.commit,
                   r->git.tracker_tree,  r->machine.hostname,  r->machine.os,
                   r->machine.kernel,    r->machine.cpu_model, r->machine.compiler,
                   r->machine.build_type};
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        neutralize(top[i]);
    for (size_t i = 0; i < r->nscenarios; i++) {
        ccb_scenario_result *s = &r->scenarios[i];
        neutralize(s->name);
        for (size_t k = 0; k < s->nfailures; k++) {
            neutralize(s->failures[k].reason);
            neutralize(s->failures[k].detail);
        }
        for (size_t k = 0; k < s->nmetrics; k++) {
            neutralize(s->metrics[k].name);
            neutralize(s->metrics[k].unit);
        }
    }
}
