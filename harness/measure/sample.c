/*
 * One process sample (see sample.h): argv from the parameters, child.c to run it, then a
 * strict reading of its one JSON object (protocol.h). Anything short of a well-formed
 * ok=true answer with every runner metric present as finite numbers is a failed sample,
 * never a fast one, and its reason says which of crash/timeout/exit_status/bad_output.
 */
#include "sample.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "error.h"
#include "paths.h"
#include "protocol.h"

/* More than this on the result fd is not a sample, it is a runaway runner. */
#define MAX_SAMPLE_OUTPUT (64u * 1024 * 1024)
/* How much of a failed child's log its failure keeps. */
#define LOG_TAIL_LINES 10
#define LOG_TAIL_BYTES 4096

int ccb_sample_find_executable(const char *executable, char **out)
{
    const char *from = getenv("CCBENCH_SCENARIO_DIR");
    char *dir = NULL, *path = NULL;
    char resolved[PATH_MAX];
    int rc = -1;
    *out = NULL;

    if (from && from[0])
        dir = strdup(from);
    else if (ccb_paths_exe_dir(&dir) != 0)
        return -1;
    if (!dir || asprintf(&path, "%s/%s", dir, executable) < 0) {
        path = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        ccb_error_set("%s: not found or not executable%s. Build it (cmake --build BUILD_DIR) "
                      "or set CCBENCH_SCENARIO_DIR to the directory that holds it.",
                      path, from && from[0] ? " (from CCBENCH_SCENARIO_DIR)" : "");
        goto done;
    }
    /* Children run in the temp dir, so the path must not be relative to ours. */
    if (!realpath(path, resolved)) {
        ccb_error_set("%s: %s", path, strerror(errno));
        goto done;
    }
    *out = strdup(resolved);
    rc = *out ? 0 : ccb_error_set("out of memory");
done:
    free(dir);
    free(path);
    return rc;
}

/* What a count process could not count, and why: kept once per counter in the scenario. */
static int merge_unavailable(const cJSON *json, ccb_scenario_result *into)
{
    const cJSON *u = NULL;
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(json, "unavailable"))
    {
        if (!into->unavailable && !(into->unavailable = cJSON_CreateObject()))
            return ccb_error_set("out of memory");
        if (cJSON_GetObjectItemCaseSensitive(into->unavailable, u->string))
            continue;
        if (!cJSON_AddStringToObject(into->unavailable, u->string, u->valuestring))
            return ccb_error_set("out of memory");
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Text helpers for failure details */

typedef struct text {
    char *s;
    size_t len, cap;
    int oom;
} text;

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *piece = NULL;
    int n = vasprintf(&piece, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->oom = 1;
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->len + (size_t)n + 1) * 2;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            free(piece);
            t->oom = 1;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, piece, (size_t)n + 1);
    t->len += (size_t)n;
    free(piece);
}

/* Bytes that would garble a terminal or a JSON consumer (control characters, invalid UTF-8)
 * become '?'; valid multi-byte UTF-8 stays. */
static void sanitize(char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                s[i] = '?';
            i++;
            continue;
        }
        /* Lead byte -> continuation bytes expected (overlongs and > U+10FFFF refused). */
        size_t need = 0;
        if (c >= 0xc2 && c <= 0xdf)
            need = 1;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3;
        int valid = need > 0 && i + need < len;
        for (size_t k = 1; valid && k <= need; k++) {
            if (((unsigned char)s[i + k] & 0xc0) != 0x80)
                valid = 0;
        }
        if (!valid) {
            s[i++] = '?';
            continue;
        }
        i += need + 1;
    }
}

/* The last lines of the child's log, sanitized, malloc'd; NULL when it is empty. */
static char *log_tail(const char *log_path)
{
    char buf[LOG_TAIL_BYTES + 1];
    int fd = open(log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > LOG_TAIL_BYTES ? size - LOG_TAIL_BYTES : 0;
    ssize_t n = size > 0 ? pread(fd, buf, LOG_TAIL_BYTES, from) : 0;
    close(fd);
    if (n <= 0)
        return NULL;
    size_t len = (size_t)n;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = '\0';
    /* Walk back LOG_TAIL_LINES newlines. */
    size_t start = len, lines = 0;
    while (start > 0) {
        if (buf[start - 1] == '\n' && ++lines == LOG_TAIL_LINES)
            break;
        start--;
    }
    if (start == 0 && from > 0) /* cut mid-line: drop the partial first line */
        start = strcspn(buf, "\n") < len ? strcspn(buf, "\n") + 1 : 0;
    if (start >= len)
        return NULL;
    sanitize(buf + start, len - start);
    return strdup(buf + start);
}

static void add_log_tail(text *t, const char *log_path)
{
    char *tail = log_tail(log_path);
    if (tail)
        text_add(t, "; last lines of its log:\n%s", tail);
    else
        text_add(t, "; its log is empty");
    free(tail);
}

static const char *signal_name(int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    return abbrev ? abbrev : "?";
}

/* ---------------------------------------------------------------------------------------- */
/* Reading the child's JSON */

/* Check the sample object against the catalog; on a problem, describe it in T. Returns 1
 * for ok=true and valid, 0 for ok=false (reason/detail filled), -1 for bad output. */
static int check_sample(const cJSON *json, const ccb_scenario_def *def, int counting, text *t,
                        char **reason, char **detail)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(json, "schema");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, CCB_SAMPLE_SCHEMA) != 0) {
        text_add(t, "field schema: expected \"%s\"", CCB_SAMPLE_SCHEMA);
        return -1;
    }
    const cJSON *scenario = cJSON_GetObjectItemCaseSensitive(json, "scenario");
    if (!cJSON_IsString(scenario) || strcmp(scenario->valuestring, def->name) != 0) {
        text_add(t, "field scenario: expected \"%s\"", def->name);
        return -1;
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(json, "params");
    if (params && !cJSON_IsObject(params)) {
        text_add(t, "field params: expected an object");
        return -1;
    }
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(json, "ok");
    if (!cJSON_IsBool(ok)) {
        text_add(t, "field ok: expected true or false");
        return -1;
    }
    if (cJSON_IsFalse(ok)) {
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(json, "reason");
        const cJSON *what = cJSON_GetObjectItemCaseSensitive(json, "detail");
        if (!cJSON_IsString(why) || why->valuestring[0] == '\0') {
            text_add(t, "ok is false but field reason is missing or not a string");
            return -1;
        }
        if (what && !cJSON_IsString(what)) {
            text_add(t, "field detail: expected a string");
            return -1;
        }
        *reason = strdup(why->valuestring);
        *detail = strdup(what ? what->valuestring : "");
        if (*reason)
            sanitize(*reason, strlen(*reason));
        if (*detail)
            sanitize(*detail, strlen(*detail));
        return 0;
    }
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(json, "metrics");
    if (!cJSON_IsObject(metrics)) {
        text_add(t, "field metrics: expected an object");
        return -1;
    }
    /* A count process reports the counts it could take (the others are "unavailable"); a
     * timing process every runner metric. */
    const cJSON *unavailable = cJSON_GetObjectItemCaseSensitive(json, "unavailable");
    const cJSON *u = NULL;
    if (unavailable && !cJSON_IsObject(unavailable)) {
        text_add(t, "field unavailable: expected an object");
        return -1;
    }
    cJSON_ArrayForEach(u, unavailable)
    {
        if (!cJSON_IsString(u)) {
            text_add(t, "field unavailable.%s: expected a string", u->string ? u->string : "?");
            return -1;
        }
    }
    for (size_t i = 0; i < def->metric_count; i++) {
        const ccb_metric_def *m = &def->metrics[i];
        if (m->origin != (counting ? CCB_FROM_COUNTS : CCB_FROM_RUNNER))
            continue;
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(metrics, m->name);
        if (!values && counting)
            continue;
        if (!values) {
            text_add(t, "field metrics.%s: missing", m->name);
            return -1;
        }
        if (!cJSON_IsArray(values) || cJSON_GetArraySize(values) == 0) {
            text_add(t, "field metrics.%s: expected a non-empty array of numbers", m->name);
            return -1;
        }
        size_t k = 0;
        const cJSON *v = NULL;
        cJSON_ArrayForEach(v, values)
        {
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
                text_add(t, "field metrics.%s[%zu]: expected a finite number", m->name, k);
                return -1;
            }
            k++;
        }
    }
    return 1;
}

/* Add a valid sample's values: the runner's arrays and the driver's own measurements. */
static int add_values(const cJSON *json, const ccb_scenario_def *def, const ccb_child_result *child,
                      const double *mock_values, int counting, ccb_scenario_result *into)
{
    const cJSON *metrics = json ? cJSON_GetObjectItemCaseSensitive(json, "metrics") : NULL;
    for (size_t i = 0; i < def->metric_count; i++) {
        const ccb_metric_def *m = &def->metrics[i];
        /* Count metrics come only from count processes, and only those they could take. */
        if ((m->origin == CCB_FROM_COUNTS) != (counting != 0))
            continue;
        if (counting && !cJSON_GetObjectItemCaseSensitive(metrics, m->name))
            continue;
        ccb_metric_result *mr = ccb_result_scenario_find_metric(into, m->name);
        if (!mr && counting)
            mr = ccb_result_scenario_add_metric(into, m);
        if (!mr)
            return ccb_error_set("internal: metric %s.%s was not set up", def->name, m->name);
        size_t before = mr->n;
        double v = 0;
        const cJSON *item = NULL;
        switch (m->origin) { /* no default: a new origin must be handled here */
        case CCB_FROM_DRIVER:
            if (strcmp(m->name, "process_ms") == 0)
                v = child->wall_ms;
            else if (strcmp(m->name, "maxrss_kb") == 0)
                v = child->maxrss_kb;
            else
                return ccb_error_set("internal: the driver does not measure %s", m->name);
            if (ccb_result_metric_add_sample(mr, v) != 0)
                return -1;
            break;
        case CCB_FROM_RUNNER:
        case CCB_FROM_COUNTS:
            cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(metrics, m->name))
            {
                if (ccb_result_metric_add_sample(mr, item->valuedouble) != 0)
                    return -1;
            }
            break;
        case CCB_FROM_MOCK:
            /* Counted by the mock API (measure.c collects it with the runner's "marks"). */
            if (!mock_values)
                return ccb_error_set("internal: %s.%s needs the mock API", def->name, m->name);
            if (ccb_result_metric_add_sample(mr, mock_values[i]) != 0)
                return -1;
            break;
        }
        /* The process is the unit of replication: record which samples it gave. */
        if (ccb_result_metric_close_group(mr, mr->n - before) != 0)
            return -1;
    }
    return 0;
}

/* Parameters the runner chose itself (e.g. measure_interval_ms) join the recorded ones;
 * what the driver recorded wins. */
static int merge_params(const cJSON *json, ccb_scenario_result *into)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(json, "params");
    const cJSON *p = NULL;
    cJSON_ArrayForEach(p, params)
    {
        if (!p->string || cJSON_GetObjectItemCaseSensitive(into->params, p->string))
            continue;
        cJSON *copy = cJSON_Duplicate(p, 1);
        if (!copy || !cJSON_AddItemToObject(into->params, p->string, copy)) {
            cJSON_Delete(copy);
            return ccb_error_set("out of memory recording parameters of %s", into->name);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */

/* argv for the child: NAME, "--param key=value" for each member of PARAMS (numbers without
 * a needless ".0"), "--result-fd 3". *out has *slots entries, NULL-padded. */
static int build_argv(const ccb_scenario_def *def, const char *path, const ccb_count_spec *count,
                      const cJSON *params, int protocol, char ***out, size_t *slots)
{
    size_t count_params = 0, n = 0, nprefix = 0;
    const cJSON *p = NULL;
    cJSON_ArrayForEach(p, params) count_params++;
    while (count && count->prefix && count->prefix[nprefix])
        nprefix++;
    *slots = 2 * count_params + nprefix + 9;
    char **argv = calloc(*slots, sizeof(char *));
    if (!argv)
        return ccb_error_set("out of memory");
    *out = argv;
    for (size_t i = 0; i < nprefix; i++)
        argv[n++] = strdup(count->prefix[i]);
    const char *base = strrchr(path, '/');
    argv[n++] = strdup(nprefix ? path : base ? base + 1 : path);
    if (protocol) {
        argv[n++] = strdup(def->name);
        if (count) {
            argv[n++] = strdup("--counts");
            argv[n++] = strdup(count->mode);
        }
        cJSON_ArrayForEach(p, params)
        {
            char *kv = NULL;
            int len = -1;
            if (cJSON_IsString(p))
                len = asprintf(&kv, "%s=%s", p->string, p->valuestring);
            else if (cJSON_IsNumber(p) && p->valuedouble == floor(p->valuedouble) &&
                     fabs(p->valuedouble) < 1e15)
                len = asprintf(&kv, "%s=%.0f", p->string, p->valuedouble);
            else if (cJSON_IsNumber(p))
                len = asprintf(&kv, "%s=%.17g", p->string, p->valuedouble);
            else if (cJSON_IsBool(p))
                len = asprintf(&kv, "%s=%d", p->string, cJSON_IsTrue(p) ? 1 : 0);
            else
                return ccb_error_set("internal: parameter %s has no command-line form", p->string);
            if (len < 0)
                return ccb_error_set("out of memory");
            argv[n++] = strdup("--param");
            argv[n++] = kv;
        }
        argv[n++] = strdup("--result-fd");
        argv[n++] = strdup("3");
    }
    for (size_t i = 0; i < n; i++) {
        if (!argv[i])
            return ccb_error_set("out of memory");
    }
    return 0;
}

static void free_argv(char **argv, size_t slots)
{
    for (size_t i = 0; argv && i < slots; i++)
        free(argv[i]);
    free(argv);
}

static int run_sample(const ccb_runner_ctx *ctx, const ccb_scenario_def *def, const char *path,
                      const ccb_count_spec *count, const cJSON *runner_params,
                      unsigned int timeout_ms, size_t index, ccb_scenario_result *into,
                      ccb_sample_status *status)
{
    int rc = -1, child_ran = 0;
    char **argv = NULL;
    size_t argv_slots = 0;
    char *log_path = NULL, *reason = NULL, *detail = NULL;
    cJSON *json = NULL;
    text t = {0};
    ccb_child_result child;
    memset(&child, 0, sizeof(child));
    /* The floor links only libc and speaks no protocol: no arguments, no result fd. */
    int protocol = strcmp(def->executable, CCB_FLOOR_EXECUTABLE) != 0;

    if (build_argv(def, path, count, runner_params, protocol, &argv, &argv_slots) != 0)
        goto done;
    if (asprintf(&log_path, "%s/%s%s%s-%zu.log", ctx->tmpdir, def->name, count ? "-" : "",
                 count ? count->mode : "", index) < 0) {
        log_path = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    ccb_child_spec spec = {
        .helper = ctx->helper,
        .server = ctx->server,
        .path = count && count->prefix ? count->prefix[0] : path,
        .argv = argv,
        .result_pipe = protocol,
        .timeout_ms = timeout_ms,
        .cpu = ctx->cpu,
        .log_path = log_path,
        .cwd = ctx->tmpdir,
        .max_output = MAX_SAMPLE_OUTPUT,
    };
    /* Count processes are not judged by what the mock saw: their timings are not kept. */
    const ccb_mock_reader *mock = count ? NULL : ctx->mock;
    if (mock && mock->reset)
        mock->reset(mock->payload);
    if (ccb_child_run(&spec, &child) != 0)
        goto done;
    child_ran = 1;

    int verdict = -1; /* 1 valid, 0 the runner reported a failure, -1 we found one */
    switch (child.end) {
    case CCB_CHILD_INTERRUPTED:
        *status = CCB_SAMPLE_INTERRUPTED;
        rc = 0;
        goto done;
    case CCB_CHILD_SPAWN_FAILED:
        reason = strdup(CCB_REASON_SPAWN);
        text_add(&t, "cannot start %s: %s", path, strerror(child.status));
        break;
    case CCB_CHILD_TIMED_OUT:
        reason = strdup(CCB_REASON_TIMEOUT);
        text_add(&t, "still running after %u ms (the limit of %s): killed", timeout_ms, def->name);
        add_log_tail(&t, log_path);
        break;
    case CCB_CHILD_SIGNALED:
        reason = strdup(CCB_REASON_CRASH);
        text_add(&t, "killed by signal %d (SIG%s: %s)", child.status, signal_name(child.status),
                 strsignal(child.status));
        add_log_tail(&t, log_path);
        break;
    case CCB_CHILD_EXITED:
        if (child.status != 0) {
            reason = strdup(CCB_REASON_EXIT_STATUS);
            text_add(&t, "exited with status %d", child.status);
            add_log_tail(&t, log_path);
            break;
        }
        if (!protocol) {
            verdict = 1;
            break;
        }
        if (child.output_overflow) {
            reason = strdup(CCB_REASON_BAD_OUTPUT);
            text_add(&t, "wrote more than %u bytes on fd 3", MAX_SAMPLE_OUTPUT);
            break;
        }
        if (strspn(child.output, " \t\r\n") == child.output_len) {
            reason = strdup(CCB_REASON_BAD_OUTPUT);
            text_add(&t, "wrote no result on fd 3");
            add_log_tail(&t, log_path);
            break;
        }
        const char *end = NULL;
        json = cJSON_ParseWithLengthOpts(child.output, child.output_len, &end, 0);
        if (!cJSON_IsObject(json) || (end && strspn(end, " \t\r\n") != strlen(end))) {
            reason = strdup(CCB_REASON_BAD_OUTPUT);
            char head[81];
            snprintf(head, sizeof(head), "%s", child.output);
            sanitize(head, strlen(head));
            for (char *c = head; *c; c++) {
                if (*c == '\n' || *c == '\t')
                    *c = ' ';
            }
            text_add(&t, "the result on fd 3 is not one JSON object: \"%s%s\"", head,
                     child.output_len > 80 ? "..." : "");
            add_log_tail(&t, log_path);
            break;
        }
        verdict = check_sample(json, def, count != NULL, &t, &reason, &detail);
        if (verdict < 0) {
            reason = strdup(CCB_REASON_BAD_OUTPUT);
            text_add(&t, " (in the result on fd 3)");
        }
        break;
    }

    double *mock_values = NULL;
    if (verdict == 1 && mock) {
        char why[512] = "";
        mock_values = calloc(def->metric_count, sizeof(*mock_values));
        if (!mock_values) {
            ccb_error_set("out of memory");
            goto done;
        }
        int seen =
            mock->collect(mock->payload, def, cJSON_GetObjectItemCaseSensitive(json, "marks"),
                          mock_values, why, sizeof(why));
        if (seen < 0) {
            free(mock_values);
            goto done;
        }
        if (seen == 0) {
            verdict = 0;
            reason = strdup(CCB_REASON_WRONG_ANSWER);
            detail = strdup(why);
        }
    }

    ccb_process_meta meta = {
        .ok = verdict == 1,
        .wall_ms = child.wall_ms,
        .cpu_ms = child.cpu_ms,
        .maxrss_kb = child.maxrss_kb,
        .steal_ms = child.steal_ms,
        .nvcsw = child.nvcsw,
        .nivcsw = child.nivcsw,
    };
    /* A child that never started is not a process whose noise we could describe; a count
     * process is not a timing process. */
    if (!count && child.end != CCB_CHILD_SPAWN_FAILED &&
        ccb_result_scenario_add_process(into, &meta) != 0) {
        free(mock_values);
        goto done;
    }
    if (verdict == 1) {
        int added = add_values(json, def, &child, mock_values, count != NULL, into);
        free(mock_values);
        if (added != 0)
            goto done;
        if (json && (count ? merge_unavailable(json, into) : merge_params(json, into)) != 0)
            goto done;
        if (!count) /* a count process is not one of the scenario's timing samples */
            into->samples_ok++;
        *status = CCB_SAMPLE_OK;
    } else {
        free(mock_values);
        if (t.oom || !reason || (verdict == 0 && !detail)) {
            ccb_error_set("out of memory recording a failure of %s", def->name);
            goto done;
        }
        const char *what = verdict == 0 ? detail : t.s;
        char *labelled = NULL;
        if (count && asprintf(&labelled, "count process (%s): %s", count->mode, what) < 0) {
            ccb_error_set("out of memory");
            goto done;
        }
        int added = ccb_result_scenario_add_failure(into, reason, labelled ? labelled : what);
        free(labelled);
        if (added != 0)
            goto done;
        into->samples_failed++;
        *status = CCB_SAMPLE_FAILED;
    }
    rc = 0;
done:
    if (child_ran)
        ccb_child_result_release(&child);
    cJSON_Delete(json);
    free(t.s);
    free(reason);
    free(detail);
    free(log_path);
    free_argv(argv, argv_slots);
    return rc;
}

int ccb_sample_run(const ccb_runner_ctx *ctx, const ccb_scenario_def *def, const char *path,
                   const cJSON *runner_params, unsigned int timeout_ms, size_t index,
                   ccb_scenario_result *into, ccb_sample_status *status)
{
    return run_sample(ctx, def, path, NULL, runner_params, timeout_ms, index, into, status);
}

int ccb_sample_count(const ccb_runner_ctx *ctx, const ccb_scenario_def *def, const char *path,
                     const ccb_count_spec *count, const cJSON *runner_params,
                     unsigned int timeout_ms, size_t index, ccb_scenario_result *into,
                     ccb_sample_status *status)
{
    return run_sample(ctx, def, path, count, runner_params, timeout_ms, index, into, status);
}
