/*
 * The answer checks of check.h. They run outside every timed region (scenarios record the
 * tracker's answers while timing and check them afterwards), so they favour clear messages
 * over speed; the CSV parser reads a whole file in memory, which is small (a row per stop).
 */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

/* 1e-9 relative: far above double rounding of a few operations (~1e-16), far below any real
 * mistake (a forgotten PUE of 1.1, a g/kg slip of 1000). */
#define REL_TOLERANCE 1e-9
/* Slack on the duration window, for the tracker and us reading the clock a few ns apart. */
#define DURATION_SLACK_S 1e-6

/* CodeCarbon 3.3's EmissionsData fields, in order (codecarbon/output_methods/
 * emissions_data.py, mlco2/codecarbon b05965e). Deliberately a copy of the tracker's list
 * (tracker/src/csv.c) and of the CSV test's: the runner checks the tracker's file against
 * CodeCarbon, so taking the tracker's own list would check the tracker against itself. */
const char *const ccb_csv_columns[CCB_CSV_COLUMNS] = {
    "timestamp",
    "project_name",
    "run_id",
    "experiment_id",
    "duration",
    "emissions",
    "emissions_rate",
    "cpu_power",
    "gpu_power",
    "ram_power",
    "cpu_energy",
    "gpu_energy",
    "ram_energy",
    "energy_consumed",
    "water_consumed",
    "country_name",
    "country_iso_code",
    "region",
    "cloud_provider",
    "cloud_region",
    "os",
    "python_version",
    "codecarbon_version",
    "cpu_count",
    "cpu_model",
    "gpu_count",
    "gpu_model",
    "longitude",
    "latitude",
    "ram_total_size",
    "tracking_mode",
    "cpu_utilization_percent",
    "gpu_utilization_percent",
    "ram_utilization_percent",
    "ram_used_gb",
    "on_cloud",
    "pue",
    "wue",
};

/* The columns whose values are checked in every row: the utilisations are percentages,
 * empty when not measured; the memory in use a size. */
static double csv_value_max(size_t column)
{
    const char *name = ccb_csv_columns[column];
    if (strcmp(name, "cpu_utilization_percent") == 0 ||
        strcmp(name, "gpu_utilization_percent") == 0 ||
        strcmp(name, "ram_utilization_percent") == 0)
        return 100.0;
    if (strcmp(name, "ram_used_gb") == 0)
        return HUGE_VAL;
    return -1.0; /* not checked */
}

/* 0 if `v` is empty or a number in [0, max]. */
static int csv_value_ok(const char *v, double max)
{
    char *end;
    double x;

    if (!*v)
        return 0;
    errno = 0;
    x = strtod(v, &end);
    return *end == '\0' && errno == 0 && x >= 0 && x <= max ? 0 : -1;
}

int ccb_failure_set(ccb_failure *f, const char *reason, const char *fmt, ...)
{
    va_list ap;

    if (f->failed)
        return -1;
    f->failed = 1;
    snprintf(f->reason, sizeof f->reason, "%s", reason);
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    return -1;
}

void ccb_failure_prefix(ccb_failure *f, const char *fmt, ...)
{
    char prefix[128];
    size_t plen, dlen;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Truncating the end of the detail is fine; the start names the field. */
    plen = strlen(prefix);
    dlen = strnlen(f->detail, sizeof f->detail - 1);
    if (plen + dlen > sizeof f->detail - 1)
        dlen = sizeof f->detail - 1 - plen;
    memmove(f->detail + plen, f->detail, dlen);
    memcpy(f->detail, prefix, plen);
    f->detail[plen + dlen] = '\0';
}

uint64_t ccb_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ccb_check_rc(int rc, const char *call, ccb_failure *f)
{
    if (rc == 0)
        return 0;
    return ccb_failure_set(f, CCB_REASON_TRACKER_ERROR, "%s returned %d (%s): %s", call, rc,
                           cct_strerror(rc), cct_last_error_message());
}

static int check_nonneg(double v, const char *field, ccb_failure *f)
{
    if (isfinite(v) && v >= 0.0)
        return 0;
    return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "%s is %g (must be finite and >= 0)", field,
                           v);
}

static int close_enough(double got, double want)
{
    double scale = fabs(got) > fabs(want) ? fabs(got) : fabs(want);
    return fabs(got - want) <= REL_TOLERANCE * scale;
}

/* The char arrays of cct_emissions are filled by the tracker: never trust a terminator. */
static int check_terminated(const char *s, size_t cap, const char *field, ccb_failure *f)
{
    if (memchr(s, '\0', cap))
        return 0;
    return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "%s is not NUL-terminated", field);
}

int ccb_is_uuid_v4(const char *s)
{
    static const char layout[] = "xxxxxxxx-xxxx-4xxx-vxxx-xxxxxxxxxxxx";

    for (size_t i = 0; i < sizeof layout - 1; i++) {
        char c = s[i];
        int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

        switch (layout[i]) {
        case '-':
        case '4':
            if (c != layout[i])
                return 0;
            break;
        case 'v':
            if (c != '8' && c != '9' && c != 'a' && c != 'b')
                return 0;
            break;
        default:
            if (!hex)
                return 0;
        }
    }
    return s[sizeof layout - 1] == '\0';
}

int ccb_check_emissions(const cct_emissions *e, const ccb_instants *t, const ccb_expect *x,
                        ccb_failure *f)
{
    const struct {
        const char *name;
        double value;
    } nonneg[] = {
        {"cpu_energy_kwh", e->cpu_energy_kwh},
        {"gpu_energy_kwh", e->gpu_energy_kwh},
        {"ram_energy_kwh", e->ram_energy_kwh},
        {"energy_kwh", e->energy_kwh},
        {"emissions_kg", e->emissions_kg},
        {"emissions_rate_kg_s", e->emissions_rate_kg_s},
        {"cpu_power_w", e->cpu_power_w},
        {"gpu_power_w", e->gpu_power_w},
        {"ram_power_w", e->ram_power_w},
        {"carbon_intensity_g_kwh", e->carbon_intensity_g_kwh},
        {"duration_s", e->duration_s},
    };
    double want, lo, hi;

    for (size_t i = 0; i < sizeof nonneg / sizeof nonneg[0]; i++) {
        if (check_nonneg(nonneg[i].value, nonneg[i].name, f))
            return -1;
    }
    if (!(isfinite(e->timestamp) && e->timestamp > 0.0))
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                               "timestamp is %g (must be seconds since the epoch)", e->timestamp);
    if (!(isfinite(e->pue) && e->pue >= 1.0))
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "pue is %g (must be >= 1)", e->pue);
    if (x && x->pue > 0.0 && e->pue != x->pue)
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "pue is %.17g but %.17g was configured",
                               e->pue, x->pue);

    /* The components carry the PUE already (docs/tracker-model.md): they add up. */
    want = e->cpu_energy_kwh + e->gpu_energy_kwh + e->ram_energy_kwh;
    if (!close_enough(e->energy_kwh, want))
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                               "energy_kwh is %.17g but cpu + gpu + ram energy is %.17g",
                               e->energy_kwh, want);
    want = e->energy_kwh * e->carbon_intensity_g_kwh / 1000.0;
    if (!close_enough(e->emissions_kg, want))
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                               "emissions_kg is %.17g but energy_kwh * %g g/kWh is %.17g kg",
                               e->emissions_kg, e->carbon_intensity_g_kwh, want);
    want = e->duration_s > 0.0 ? e->emissions_kg / e->duration_s : 0.0;
    if (!close_enough(e->emissions_rate_kg_s, want))
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                               "emissions_rate_kg_s is %.17g but emissions_kg / duration_s is "
                               "%.17g",
                               e->emissions_rate_kg_s, want);

    /* Signed arithmetic: a window whose ends cross (a caller's mistake) must not wrap. */
    lo = ((double)t->before_stop - (double)t->after_start) / 1e9 - DURATION_SLACK_S;
    hi = ((double)t->after_stop - (double)t->before_start) / 1e9 + DURATION_SLACK_S;
    if (e->duration_s < lo || e->duration_s > hi)
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                               "duration_s is %.9f but the wall clock allows [%.9f, %.9f]",
                               e->duration_s, lo, hi);

    if (check_terminated(e->run_id, sizeof e->run_id, "run_id", f))
        return -1;
    if (!ccb_is_uuid_v4(e->run_id))
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "run_id is \"%s\" (not a UUID v4)",
                               e->run_id);
    if (check_terminated(e->country_iso_code, sizeof e->country_iso_code, "country_iso_code", f))
        return -1;
    if (x && x->country_iso_code && strcmp(e->country_iso_code, x->country_iso_code) != 0)
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                               "country_iso_code is \"%s\" but \"%s\" was configured",
                               e->country_iso_code, x->country_iso_code);
    return 0;
}

/* ---- CSV ---- */

enum field_end { END_COMMA, END_LINE, END_EOF };

/*
 * One RFC 4180 field from text[*pos]: quoted ("" is a quote, commas and line breaks allowed)
 * or bare (no quote, no CR). Copies the unescaped value into `copy` when given (truncated to
 * cap - 1; *truncated set). Returns 0, or -1 with `why` set for a malformed field.
 */
static int next_field(const char *text, size_t len, size_t *pos, char *copy, size_t cap,
                      int *truncated, enum field_end *end, const char **why)
{
    size_t i = *pos, n = 0;

    *truncated = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (copy && n + 1 < cap)                                                                   \
            copy[n++] = (c);                                                                       \
        else                                                                                       \
            *truncated = 1;                                                                        \
    } while (0)
    if (i < len && text[i] == '"') {
        i++;
        for (;;) {
            if (i >= len) {
                *why = "unterminated quoted field";
                return -1;
            }
            if (text[i] == '"') {
                if (i + 1 < len && text[i + 1] == '"') {
                    PUT('"');
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            PUT(text[i]);
            i++;
        }
    } else {
        while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
            if (text[i] == '"') {
                *why = "quote inside an unquoted field";
                return -1;
            }
            PUT(text[i]);
            i++;
        }
    }
#undef PUT
    if (copy)
        copy[n < cap ? n : cap - 1] = '\0';

    if (i >= len) {
        *end = END_EOF;
    } else if (text[i] == ',') {
        *end = END_COMMA;
        i++;
    } else if (text[i] == '\n') {
        *end = END_LINE;
        i++;
    } else if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') {
        *end = END_LINE;
        i += 2;
    } else {
        *why = text[i] == '\r' ? "bare CR" : "text after a closing quote";
        return -1;
    }
    *pos = i;
    return 0;
}

int ccb_check_csv_text(const char *text, size_t len, size_t *rows, ccb_failure *f)
{
    size_t pos = 0, record = 0;

    *rows = 0;
    if (len == 0)
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "emissions.csv is empty (no header)");
    while (pos < len) {
        size_t fields = 0;
        enum field_end end = END_COMMA;
        char bad[160] = ""; /* a value out of range, said once the row's shape is known good */

        while (end == END_COMMA) {
            char name[64];
            int is_header = record == 0, truncated;
            const char *why = NULL;
            double max = fields < CCB_CSV_COLUMNS ? csv_value_max(fields) : -1.0;
            int copy = is_header || max >= 0;

            if (next_field(text, len, &pos, copy ? name : NULL, sizeof name, &truncated, &end,
                           &why)) {
                return ccb_failure_set(
                    f, CCB_REASON_WRONG_ANSWER, "emissions.csv %s%zu, field %zu: %s",
                    is_header ? "header" : "row ", is_header ? 0 : record, fields + 1, why);
            }
            if (is_header && fields < CCB_CSV_COLUMNS &&
                (truncated || strcmp(name, ccb_csv_columns[fields]) != 0)) {
                return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                                       "emissions.csv header column %zu is \"%s\", expected "
                                       "\"%s\"",
                                       fields + 1, name, ccb_csv_columns[fields]);
            }
            if (!is_header && max >= 0 && !bad[0] && (truncated || csv_value_ok(name, max) != 0))
                snprintf(bad, sizeof bad, "%s is \"%s\", expected empty or a number in [0, %g]",
                         ccb_csv_columns[fields], name, max);
            fields++;
        }
        if (fields != CCB_CSV_COLUMNS) {
            if (record == 0)
                return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                                       "emissions.csv header has %zu columns, expected %d", fields,
                                       CCB_CSV_COLUMNS);
            return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                                   "emissions.csv row %zu has %zu fields, expected %d", record,
                                   fields, CCB_CSV_COLUMNS);
        }
        /* Rows are written with one write(2) each, line break included: a row without it
         * was torn (or is still being written, which no check should ever see). */
        if (end == END_EOF)
            return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                                   "emissions.csv %s%zu does not end with a line break (torn)",
                                   record == 0 ? "header" : "row ", record == 0 ? 0 : record);
        if (bad[0])
            return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "emissions.csv row %zu: %s", record,
                                   bad);
        record++;
    }
    *rows = record - 1;
    return 0;
}

int ccb_check_csv_file(const char *path, size_t *rows, ccb_failure *f)
{
    int fd = -1, ret = -1;
    char *buf = NULL;
    struct stat st;
    size_t have = 0;

    *rows = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "%s: out of memory for %lld bytes", path,
                        (long long)st.st_size);
        goto done;
    }
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "cannot read %s: %s", path,
                            strerror(errno));
            goto done;
        }
        if (n == 0)
            break; /* shrank under us: check what is there */
        have += (size_t)n;
    }
    ret = ccb_check_csv_text(buf, have, rows, f);
    if (ret)
        ccb_failure_prefix(f, "%s: ", path);
done:
    free(buf);
    if (fd >= 0)
        close(fd);
    return ret;
}
