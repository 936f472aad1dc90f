/*
 * Count processes (counts.h): the count runner's argv, valgrind's options, the dumps read
 * back into instruction metrics and a per-call function profile.
 */
#include "counts.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callgrind.h"
#include "error.h"
#include "interrupt.h"
#include "paths.h"
#include "stats.h"

/* A function is kept in a result's profile when it holds at least this share of its call's
 * instructions (0.05%: a 1% change is always kept), and at most this many per call. */
#define PROFILE_MIN_SHARE 0.0005
#define PROFILE_MAX_FUNCTIONS 200
/* Warm scenarios count this many lifecycles (after a short warm-up): a count per lifecycle
 * does not need thousands, and each is a callgrind dump. */
#define COUNT_ITERATIONS 9
#define COUNT_WARMUP 2

void ccb_counts_procs(ccb_profile profile, unsigned int *native, unsigned int *instr)
{
    /* Native processes are cheap (milliseconds; api_latency's ~0.2 s): enough that a count
     * with two paths shows both on each side. Instructions cost ~0.35 s a process under
     * valgrind: a first start() has two modes (it reuses the sampler's
     * first reading, or takes its own), and each side should see the common one (measured
     * under --fair-sched: ~5 in 6 processes), so its modes can be matched (count_verdict.c). */
    static const unsigned int per_profile[CCB_PROFILE_COUNT][2] = {{5, 3}, {7, 4}, {10, 6}};
    unsigned int p = (unsigned)profile < CCB_PROFILE_COUNT ? (unsigned)profile : 0;
    *native = per_profile[p][0];
    *instr = per_profile[p][1];
}

int ccb_counts_init(ccb_counts *c, ccb_counts_mode mode, ccb_profile profile, int runner_sanitized,
                    const char *keep_dir)
{
    memset(c, 0, sizeof(*c));
    if (mode == CCB_COUNTS_OFF)
        return 0;
    c->enabled = 1;
    ccb_counts_procs(profile, &c->native_procs, &c->instr_procs);
    if (runner_sanitized) {
        snprintf(c->instr_why, sizeof(c->instr_why),
                 "the runner is a sanitizer build, which valgrind cannot run: measure a release "
                 "build (cmake --preset release)");
    } else if (!(c->valgrind = ccb_child_find_on_path("valgrind"))) {
        snprintf(c->instr_why, sizeof(c->instr_why),
                 "valgrind is not installed: apt-get install valgrind (or ./scripts/deps)");
    }
    if (c->instr_why[0]) {
        if (mode == CCB_COUNTS_REQUIRED)
            return ccb_error_setc(CCB_ERROR_USAGE,
                                  "--counts: instruction counts are unavailable: %s", c->instr_why);
        fprintf(stderr, "ccbench: instruction counts unavailable: %s\n", c->instr_why);
    }
    if (keep_dir && c->valgrind) {
        const char *slash = strrchr(keep_dir, '/');
        int dirlen = slash ? (int)(slash - keep_dir) : 1;
        if (!(c->keep_dir = strdup(keep_dir)) ||
            asprintf(&c->stage_dir, "%.*s/.%s.partial-%ld", dirlen, slash ? keep_dir : ".",
                     slash ? slash + 1 : keep_dir, (long)getpid()) < 0) {
            c->stage_dir = NULL;
            return ccb_error_set("out of memory");
        }
    }
    return 0;
}

static void remove_tree(const char *dir)
{
    ccb_paths_tempdir_remove(dir);
}

void ccb_counts_release(ccb_counts *c)
{
    if (c->stage_dir)
        remove_tree(c->stage_dir); /* not kept: an interrupted or failed run */
    free(c->valgrind);
    free(c->keep_dir);
    free(c->stage_dir);
    memset(c, 0, sizeof(*c));
}

size_t ccb_counts_timed_metrics(const ccb_scenario_def *def)
{
    size_t n = 0;
    while (n < def->metric_count && def->metrics[n].origin != CCB_FROM_COUNTS)
        n++;
    return n;
}

int ccb_counts_applies(const ccb_scenario_def *def)
{
    return ccb_counts_timed_metrics(def) < def->metric_count;
}

/* The item's runner parameters for a count process: warm loops shortened. */
static cJSON *count_params(const ccb_plan_item *item)
{
    cJSON *p = cJSON_Duplicate(item->runner_params, 1);
    if (!p)
        return NULL;
    /* api_latency's flushes before stop() are its upload pattern, not a tracker call the
     * count measures: without them a count process does not wait for the mock. */
    if (cJSON_GetObjectItemCaseSensitive(p, "api_latency_ms") &&
        !cJSON_AddNumberToObject(p, "uploads", 0)) {
        cJSON_Delete(p);
        return NULL;
    }
    if (cJSON_GetObjectItemCaseSensitive(p, "iterations") &&
        (!cJSON_ReplaceItemInObjectCaseSensitive(p, "iterations",
                                                 cJSON_CreateNumber(COUNT_ITERATIONS)) ||
         !cJSON_ReplaceItemInObjectCaseSensitive(p, "warmup", cJSON_CreateNumber(COUNT_WARMUP)))) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* The metric CALL_instructions of the scenario, created on first use. */
static ccb_metric_result *instr_metric(const ccb_scenario_def *def, ccb_scenario_result *into,
                                       const char *call)
{
    char name[96];
    snprintf(name, sizeof(name), "%s_instructions", call);
    ccb_metric_result *m = ccb_result_scenario_find_metric(into, name);
    const ccb_metric_def *md = ccb_catalog_metric(def, name);
    if (!m && md)
        m = ccb_result_scenario_add_metric(into, md);
    if (!m && !md)
        ccb_error_set("the count runner dumped a window \"%s\" that %s has no metric for", call,
                      def->name);
    return m;
}

/* One process's last dump of a call joins the profile being gathered:
 * profile.CALL = {"totals": [per process], "fns": {name: [per process]}}. */
static int gather_profile(ccb_scenario_result *into, const ccb_callgrind_dump *d, double overhead)
{
    if (!into->profile && !(into->profile = cJSON_CreateObject()))
        return -1;
    cJSON *call = cJSON_GetObjectItemCaseSensitive(into->profile, d->call);
    if (!call) {
        call = cJSON_AddObjectToObject(into->profile, d->call);
        if (!call || !cJSON_AddArrayToObject(call, "totals") ||
            !cJSON_AddObjectToObject(call, "fns"))
            return -1;
    }
    cJSON *totals = cJSON_GetObjectItemCaseSensitive(call, "totals");
    cJSON *fns = cJSON_GetObjectItemCaseSensitive(call, "fns");
    cJSON *num = cJSON_CreateNumber(d->total - overhead);
    if (!num || !cJSON_AddItemToArray(totals, num))
        return -1;
    /* Aligned by process: a function an earlier process did not run gets its 0s first. */
    int process = cJSON_GetArraySize(totals) - 1;
    for (size_t i = 0; i < d->nfns; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(fns, d->fns[i].name);
        if (!v && !(v = cJSON_AddArrayToObject(fns, d->fns[i].name)))
            return -1;
        while (cJSON_GetArraySize(v) < process) {
            num = cJSON_CreateNumber(0);
            if (!num || !cJSON_AddItemToArray(v, num))
                return -1;
        }
        num = cJSON_CreateNumber(d->fns[i].inclusive);
        if (!num || !cJSON_AddItemToArray(v, num))
            return -1;
    }
    return 0;
}

/* The dumps BASE.1-01, BASE.2-01, ... of one instructions process (thread 1: the calling
 * thread): the first is the empty window, subtracted from every other. */
static int read_dumps(const ccb_scenario_def *def, const char *base, ccb_scenario_result *into)
{
    ccb_callgrind_dump d, last[8];
    size_t nlast = 0, k;
    double overhead = NAN;
    int rc = -1;
    /* Indices, not pointers: adding a metric moves the array. */
    size_t touched_before[64], touched[64];
    size_t ntouched = 0;
    memset(last, 0, sizeof(last));
    for (k = 1;; k++) {
        char *path = NULL;
        if (asprintf(&path, "%s.%zu-01", base, k) < 0)
            return ccb_error_set("out of memory");
        if (access(path, F_OK) != 0) {
            free(path);
            break;
        }
        int r = ccb_callgrind_read(path, &d);
        free(path);
        if (r != 0)
            goto done;
        if (k == 1) {
            overhead = d.total;
            int ok = strcmp(d.call, "overhead") == 0;
            ccb_callgrind_release(&d);
            if (!ok) {
                ccb_error_set("%s.1-01: the first dump is not the count runner's empty window",
                              base);
                goto done;
            }
            continue;
        }
        ccb_metric_result *m = instr_metric(def, into, d.call);
        if (!m) {
            ccb_callgrind_release(&d);
            goto done;
        }
        size_t idx = (size_t)(m - into->metrics), t = 0;
        while (t < ntouched && touched[t] != idx)
            t++;
        if (t == ntouched && ntouched < 64) {
            touched[ntouched] = idx;
            touched_before[ntouched++] = m->n;
        }
        if (ccb_result_metric_add_sample(m, d.total > overhead ? d.total - overhead : 0) != 0) {
            ccb_callgrind_release(&d);
            goto done;
        }
        /* Keep each call's last dump for the profile (the warm loop's last lifecycle). */
        size_t j = 0;
        while (j < nlast && strcmp(last[j].call, d.call) != 0)
            j++;
        if (j < nlast)
            ccb_callgrind_release(&last[j]);
        else if (nlast < 8)
            nlast++;
        else {
            ccb_callgrind_release(&d);
            continue;
        }
        last[j] = d;
    }
    if (k == 1) {
        ccb_error_set("the instructions process left no callgrind dump at %s.1-01", base);
        goto done;
    }
    for (size_t t = 0; t < ntouched; t++) {
        ccb_metric_result *m = &into->metrics[touched[t]];
        if (ccb_result_metric_close_group(m, m->n - touched_before[t]) != 0)
            goto done;
    }
    for (size_t j = 0; j < nlast; j++) {
        if (gather_profile(into, &last[j], overhead) != 0) {
            ccb_error_set("out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    for (size_t j = 0; j < nlast; j++)
        ccb_callgrind_release(&last[j]);
    return rc;
}

int ccb_counts_process(ccb_counts *c, const ccb_runner_ctx *ctx, const ccb_plan_item *item,
                       const char *exe, int instructions, const char *tag,
                       ccb_scenario_result *into, ccb_sample_status *status)
{
    /* Both sides' count processes may run at once (abba.c): names stay unique. */
    size_t seq = __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELAXED);
    int rc = -1;
    char *base = NULL, *out_opt = NULL;
    cJSON *params = count_params(item);
    if (!params)
        return ccb_error_set("out of memory");
    ccb_count_spec spec = {.mode = instructions ? "instructions" : "native", .prefix = NULL};
    if (instructions) {
        const char *dir = c->stage_dir ? c->stage_dir : ctx->tmpdir;
        if (ccb_paths_mkdir_p(dir, 0755) != 0)
            goto done;
        if (asprintf(&base, "%s/%s.%s.%zu", dir, item->def->name, tag, seq) < 0 ||
            asprintf(&out_opt, "--callgrind-out-file=%s", base) < 0) {
            base = out_opt = NULL;
            ccb_error_set("out of memory");
            goto done;
        }
        /* --separate-threads: the calling thread's dumps apart from the tracker's threads'.
         * --fair-sched: threads take turns in order, so whether start() finds the sampler's
         * first reading is far less a matter of chance (24 processes: 20 found it, 4 did not;
         * without it about half). */
        const char *const prefix[] = {c->valgrind,
                                      "--tool=callgrind",
                                      "--collect-atstart=no",
                                      "--separate-threads=yes",
                                      "--fair-sched=yes",
                                      out_opt,
                                      NULL};
        spec.prefix = prefix;
        if (ccb_sample_count(ctx, item->def, exe, &spec, params, item->timeout_ms, seq, into,
                             status) != 0)
            goto done;
    } else if (ccb_sample_count(ctx, item->def, exe, &spec, params, item->timeout_ms, seq, into,
                                status) != 0) {
        goto done;
    }
    if (instructions && *status == CCB_SAMPLE_OK && read_dumps(item->def, base, into) != 0)
        goto done;
    rc = 0;
done:
    cJSON_Delete(params);
    free(base);
    free(out_opt);
    return rc;
}

void ccb_counts_plan(const ccb_counts *c, const ccb_plan_item *item, unsigned int *native,
                     unsigned int *instr)
{
    const ccb_scenario_def *def = item->def;
    int costly = def->needs_mock_api ||
                 cJSON_GetObjectItemCaseSensitive(item->runner_params, "iterations") != NULL;
    *native = c->native_procs;
    *instr = c->valgrind ? c->instr_procs : 0;
    if (costly && *instr > 2)
        (*instr)--;
}

int ccb_counts_measure(ccb_counts *c, const ccb_runner_ctx *ctx, const ccb_plan_item *item,
                       const char *exe, const char *tag, ccb_scenario_result *into,
                       int *interrupted)
{
    if (!c || !c->enabled || !ccb_counts_applies(item->def))
        return 0;
    unsigned int procs[2];
    ccb_counts_plan(c, item, &procs[0], &procs[1]);
    for (int instructions = 0; instructions < 2; instructions++) {
        unsigned int n = procs[instructions];
        for (unsigned int i = 0; i < n; i++) {
            ccb_sample_status status = CCB_SAMPLE_OK;
            if (ccb_counts_process(c, ctx, item, exe, instructions, tag, into, &status) != 0)
                return -1;
            if (status == CCB_SAMPLE_INTERRUPTED || ccb_interrupt_requested()) {
                *interrupted = 1;
                return 0;
            }
        }
    }
    return ccb_counts_finish(c, into);
}

static int by_inclusive_desc(const void *a, const void *b)
{
    double x = cJSON_GetArrayItem(*(cJSON *const *)a, 1)->valuedouble;
    double y = cJSON_GetArrayItem(*(cJSON *const *)b, 1)->valuedouble;
    return (x < y) - (x > y);
}

/* One call's gathered form reduced: the median total and each function's median inclusive
 * cost (a process where it did not run counts 0), largest first. */
static int by_value(const void *a, const void *b)
{
    double x = **(double *const *)a, y = **(double *const *)b;
    return (x > y) - (x < y);
}

/* The processes of the largest mode of TOTALS (runs within 2%; a tie goes to the lower):
 * a call with two paths (the first start()) is profiled on one path, the one most processes
 * took, so two sides' profiles differ by what changed, not by which path each took. SEL[i] is
 * 1 for those processes; returns how many. */
static size_t largest_mode(const double *totals, size_t n, int *sel)
{
    const double **order = calloc(n ? n : 1, sizeof(*order));
    size_t best_at = 0, best_n = 0;
    if (!order) {
        for (size_t i = 0; i < n; i++)
            sel[i] = 1;
        return n;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = &totals[i];
    qsort(order, n, sizeof(*order), by_value);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && *order[j] - *order[j - 1] <= 0.02 * *order[j - 1])
            j++;
        if (j - i > best_n) {
            best_n = j - i;
            best_at = i;
        }
        i = j;
    }
    memset(sel, 0, n * sizeof(*sel));
    for (size_t i = best_at; i < best_at + best_n; i++)
        sel[order[i] - totals] = 1;
    free(order);
    return best_n;
}

/* One call's gathered form reduced: over the processes of its largest mode, the median total
 * and each function's median inclusive cost (a process where it did not run counts 0),
 * largest first. */
static cJSON *reduce_call(const cJSON *gathered)
{
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(gathered, "totals");
    const cJSON *fns = cJSON_GetObjectItemCaseSensitive(gathered, "fns");
    size_t n = (size_t)cJSON_GetArraySize(totals), nf = (size_t)cJSON_GetArraySize(fns), k = 0;
    double *t = calloc(n ? n : 1, sizeof(*t)), *v = calloc(n ? n : 1, sizeof(*v));
    int *sel = calloc(n ? n : 1, sizeof(*sel));
    cJSON **rows = calloc(nf ? nf : 1, sizeof(*rows));
    cJSON *out = cJSON_CreateObject(), *list = NULL;
    const cJSON *e = NULL;
    if (!t || !v || !sel || !rows || !out)
        goto fail;
    cJSON_ArrayForEach(e, totals) t[k++] = e->valuedouble;
    size_t m = largest_mode(t, n, sel);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (sel[i])
            v[k++] = t[i];
    }
    double total = ccb_stats_median(v, m);
    if (!cJSON_AddNumberToObject(out, "total", total) ||
        !cJSON_AddNumberToObject(out, "processes", (double)m) ||
        !(list = cJSON_AddArrayToObject(out, "functions")))
        goto fail;
    size_t nrows = 0;
    cJSON_ArrayForEach(e, fns)
    {
        k = 0;
        for (size_t i = 0; i < n; i++) {
            const cJSON *x = cJSON_GetArrayItem(e, (int)i);
            if (sel[i])
                v[k++] = x ? x->valuedouble : 0;
        }
        double med = ccb_stats_median(v, m);
        if (!(med >= PROFILE_MIN_SHARE * total) || med <= 0)
            continue;
        cJSON *row = cJSON_CreateArray();
        if (!row || !cJSON_AddItemToArray(row, cJSON_CreateString(e->string)) ||
            !cJSON_AddItemToArray(row, cJSON_CreateNumber(med)) || cJSON_GetArraySize(row) != 2) {
            cJSON_Delete(row);
            goto fail;
        }
        rows[nrows++] = row;
    }
    qsort(rows, nrows, sizeof(*rows), by_inclusive_desc);
    for (size_t i = 0; i < nrows; i++) {
        if (i < PROFILE_MAX_FUNCTIONS)
            cJSON_AddItemToArray(list, rows[i]);
        else
            cJSON_Delete(rows[i]);
    }
    free(t);
    free(v);
    free(sel);
    free(rows);
    return out;
fail:
    free(t);
    free(v);
    free(sel);
    free(rows);
    cJSON_Delete(out);
    return NULL;
}

int ccb_counts_finish(const ccb_counts *c, ccb_scenario_result *into)
{
    if (c->instr_why[0]) {
        if (!into->unavailable && !(into->unavailable = cJSON_CreateObject()))
            return ccb_error_set("out of memory");
        if (!cJSON_GetObjectItemCaseSensitive(into->unavailable, "instructions") &&
            !cJSON_AddStringToObject(into->unavailable, "instructions", c->instr_why))
            return ccb_error_set("out of memory");
    }
    if (!into->profile)
        return 0;
    cJSON *reduced = cJSON_CreateObject();
    const cJSON *call = NULL;
    if (!reduced)
        return ccb_error_set("out of memory");
    cJSON_ArrayForEach(call, into->profile)
    {
        cJSON *r = reduce_call(call);
        if (!r || !cJSON_AddItemToObject(reduced, call->string, r)) {
            cJSON_Delete(r);
            cJSON_Delete(reduced);
            return ccb_error_set("out of memory");
        }
    }
    cJSON_Delete(into->profile);
    into->profile = reduced;
    return 0;
}

int ccb_counts_this_build_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 1;
#else
    return 0;
#endif
}

int ccb_counts_keep_dir_for(const char *result_path, char **out)
{
    /* Absolute: callgrind runs in the child's own directory, where a relative `--out
     * results/a.json` would name another place (its dumps failed: issue 17). */
    char cwd[PATH_MAX] = "";
    if (result_path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
        return ccb_error_set("cannot resolve %s: the current directory: %s", result_path,
                             strerror(errno));
    size_t len = strlen(result_path);
    if (len > 5 && strcmp(result_path + len - 5, ".json") == 0)
        len -= 5;
    if (asprintf(out, "%s%s%.*s.callgrind", cwd, cwd[0] ? "/" : "", (int)len, result_path) < 0) {
        *out = NULL;
        return ccb_error_set("out of memory");
    }
    return 0;
}

int ccb_counts_keep(ccb_counts *c, const char **where)
{
    struct stat st;
    *where = NULL;
    if (!c->stage_dir || lstat(c->stage_dir, &st) != 0)
        return 0;
    /* An older run's dumps under the same name: ours replaces it, and only a directory we
     * would have made (never a symlink) is removed. */
    if (lstat(c->keep_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return ccb_error_set("cannot keep the callgrind dumps at %s: something that is not "
                                 "a directory is there (remove it)",
                                 c->keep_dir);
        remove_tree(c->keep_dir);
    }
    if (rename(c->stage_dir, c->keep_dir) != 0)
        return ccb_error_set("cannot move the callgrind dumps to %s: %s", c->keep_dir,
                             strerror(errno));
    free(c->stage_dir);
    c->stage_dir = NULL;
    *where = c->keep_dir;
    return 0;
}
