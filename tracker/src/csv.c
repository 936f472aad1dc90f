/*
 * CSV output with CodeCarbon 3.3's 38 columns, names and order (EmissionsData in
 * codecarbon/output_methods/emissions_data.py, mlco2/codecarbon b05965e), so tools that read
 * CodeCarbon's emissions.csv read ours. A row is built in memory and appended with ONE
 * write(2) on an O_APPEND descriptor: rows from many threads or processes never interleave.
 * The header is written once even when several processes create the file at the same
 * moment: it is written to a private temp file that is link()ed into place, which fails for
 * all but one. Rows are never appended under another header (an older CodeCarbon's 32
 * columns, another tool's file): that file is moved aside to <name>.bak first, and logged,
 * as CodeCarbon's FileOutput does (output_methods/file.py, core/util.py backup()).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* CodeCarbon 3.3's emissions.csv columns, in order (EmissionsData,
 * codecarbon/output_methods/emissions_data.py). scenarios/check.c and tests/tracker/test_csv.c
 * hold deliberate copies: independent references the tracker is checked against. */
const char *const cct_csv_columns[CCT_CSV_COLUMNS] = {
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

#define ROW_MAX 4096

typedef struct row {
    char buf[ROW_MAX];
    size_t len;
    int overflow;
} row;

static void put_raw(row *r, const char *s, size_t n)
{
    if (r->len + n >= ROW_MAX) {
        r->overflow = 1;
        return;
    }
    memcpy(r->buf + r->len, s, n);
    r->len += n;
}

/* A text field, quoted per RFC 4180 only when it needs to be. */
static void put_text(row *r, const char *s)
{
    if (r->len > 0 && r->buf[r->len - 1] != '\n')
        put_raw(r, ",", 1);
    if (!s)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        put_raw(r, s, strlen(s));
        return;
    }
    put_raw(r, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            put_raw(r, "\"", 1);
        put_raw(r, p, 1);
    }
    put_raw(r, "\"", 1);
}

/* Doubles keep 15 significant digits: kWh figures are tiny and must not round to 0.
 * Formatted by cct_fmt__g15, not printf: fourteen numbers per row. */
static void put_number(row *r, double v)
{
    char tmp[40];

    if (isnan(v) || cct_fmt__g15(v, tmp, sizeof(tmp)) == 0)
        put_text(r, "");
    else
        put_text(r, tmp);
}

static void put_uint(row *r, unsigned int v)
{
    char tmp[16];
    char *p = tmp + sizeof(tmp);

    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_text(r, p);
}

/* ISO 8601 in UTC to the second, as strftime("%Y-%m-%dT%H:%M:%S") would print it. */
static void put_timestamp(row *r, double timestamp)
{
    char stamp[32];
    struct tm tm;
    time_t secs = (time_t)timestamp;

    if (!gmtime_r(&secs, &tm)) {
        put_text(r, "");
        return;
    }
    if (tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999) { /* not 4 digits */
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        put_text(r, stamp);
        return;
    }
    int year = tm.tm_year + 1900;
    int fields[5] = {tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    static const char separators[5] = {'-', 'T', ':', ':', '\0'};
    char *o = stamp;
    *o++ = (char)('0' + year / 1000);
    *o++ = (char)('0' + year / 100 % 10);
    *o++ = (char)('0' + year / 10 % 10);
    *o++ = (char)('0' + year % 10);
    *o++ = '-';
    for (int i = 0; i < 5; i++) {
        *o++ = (char)('0' + fields[i] / 10);
        *o++ = (char)('0' + fields[i] % 10);
        *o++ = separators[i];
    }
    put_text(r, stamp);
}

static void build_header(row *r)
{
    r->len = 0;
    r->overflow = 0;
    for (int i = 0; i < CCT_CSV_COLUMNS; i++)
        put_text(r, cct_csv_columns[i]);
    put_raw(r, "\n", 1);
}

static void build_row(row *r, const char *project_name, const char *experiment_id,
                      const cct_emissions *e, const cct_usage *u, const cct_hardware *hw)
{
    r->len = 0;
    r->overflow = 0;
    put_timestamp(r, e->timestamp);
    put_text(r, project_name);
    put_text(r, e->run_id);
    put_text(r, experiment_id ? experiment_id : "");
    put_number(r, e->duration_s);
    put_number(r, e->emissions_kg);
    put_number(r, e->emissions_rate_kg_s);
    put_number(r, e->cpu_power_w);
    put_number(r, e->gpu_power_w);
    put_number(r, e->ram_power_w);
    put_number(r, e->cpu_energy_kwh);
    put_number(r, e->gpu_energy_kwh);
    put_number(r, e->ram_energy_kwh);
    put_number(r, e->energy_kwh);
    put_text(r, "0"); /* water_consumed: wue x energy, and wue is 0 (not modelled) */
    put_text(r, e->country_name);
    put_text(r, e->country_iso_code);
    put_text(r, e->region);
    put_text(r, ""); /* cloud_provider */
    put_text(r, ""); /* cloud_region */
    put_text(r, hw->os);
    put_text(r, "");          /* python_version: not Python */
    put_text(r, CCT_VERSION); /* codecarbon_version holds cctracker's version */
    put_uint(r, e->cpu_count);
    put_text(r, e->cpu_model);
    put_uint(r, e->gpu_count);
    put_text(r, e->gpu_model);
    put_number(r, e->longitude);
    put_number(r, e->latitude);
    put_number(r, e->ram_total_gb);
    put_text(r, e->tracking_mode == CCT_TRACKING_PROCESS ? "process" : "machine");
    put_number(r, u->cpu_utilization_percent);
    put_number(r, u->gpu_utilization_percent);
    put_number(r, u->ram_utilization_percent);
    put_number(r, u->ram_used_gb);
    put_text(r, "N"); /* on_cloud */
    put_number(r, e->pue);
    put_text(r, "0"); /* wue: water usage effectiveness, not modelled (CodeCarbon's default) */
    put_raw(r, "\n", 1);
}

/* Write all of buf; on failure *done says how much of it reached the file. */
static int write_all(int fd, const char *buf, size_t len, size_t *done)
{
    *done = 0;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
        *done += (size_t)n;
    }
    return 0;
}

/*
 * A row that did not fit (the disk filled up in the middle of it): take its first part back
 * off the end of the file, so the CSV never holds a torn row. Only if the file still ends
 * with it: an append by another process since then would be cut too. Returns the note for
 * the error message.
 */
static const char *retract_partial_row(int fd, size_t written)
{
    struct stat st;
    off_t end;

    if (written == 0)
        return "";
    end = lseek(fd, 0, SEEK_CUR); /* O_APPEND: just after our bytes */
    if (end >= (off_t)written && fstat(fd, &st) == 0 && st.st_size == end &&
        ftruncate(fd, end - (off_t)written) == 0)
        return " (the partial row was removed)";
    return " (a partial row remains: another process appended after it)";
}

/* Create `path` holding just the header, unless someone else already did. */
static int create_with_header(const char *dir, const char *path)
{
    static atomic_uint counter;
    char tmp[1100];
    row header;
    int fd, rc = 0;

    build_header(&header);
    snprintf(tmp, sizeof(tmp), "%s/.cctracker-%ld-%u.tmp", dir, (long)getpid(),
             atomic_fetch_add(&counter, 1));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return cct_error__set(CCT_EIO, "cannot create %s: %s", tmp, strerror(errno));
    size_t written;
    if (write_all(fd, header.buf, header.len, &written) != 0) {
        rc = cct_error__set(CCT_EIO, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        goto done;
    }
    close(fd);
    if (link(tmp, path) != 0 && errno != EEXIST) {
        /* A filesystem without hard links: exclusive create is the next best thing. */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            if (write_all(fd, header.buf, header.len, &written) != 0) {
                rc = cct_error__set(CCT_EIO, "cannot write %s: %s", path, strerror(errno));
                unlink(path); /* ours (O_EXCL): rows must never follow a torn header */
            }
            close(fd);
        } else if (errno != EEXIST) {
            rc = cct_error__set(CCT_EIO, "cannot create %s: %s", path, strerror(errno));
        }
    }
done:
    unlink(tmp);
    return rc;
}

/* Whether the file starts with our header line ("\n" or "\r\n" after it). 1 yes, 0 no,
 * -1 when it cannot be read (errno set). An empty file reads as 0 bytes in *len. */
static int has_our_header(int fd, const row *header, size_t *len)
{
    char buf[ROW_MAX];
    size_t want = header->len + 1, got = 0; /* the header and one more byte for "\r\n" */

    while (got < want) {
        ssize_t n = pread(fd, buf + got, want - got, (off_t)got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *len = got;
    if (got < header->len)
        return 0;
    if (memcmp(buf, header->buf, header->len - 1) != 0)
        return 0; /* header->buf ends with "\n" */
    return buf[header->len - 1] == '\n' ||
           (buf[header->len - 1] == '\r' && got > header->len && buf[header->len] == '\n');
}

/* A short description of the first line of a file that is not ours, for the log. */
static void describe_first_line(int fd, char *out, size_t cap)
{
    char buf[ROW_MAX];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    unsigned int columns = 1;

    if (n <= 0) {
        snprintf(out, cap, "no header");
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    for (const char *p = buf; *p; p++)
        columns += *p == ',';
    snprintf(out, cap, "a header of %u column%s%s", columns, columns == 1 ? "" : "s",
             columns == 32 && strncmp(buf, "timestamp,project_name,", 23) == 0
                 ? " (as CodeCarbon <= 3.0 and cctracker 0.1 wrote)"
                 : "");
}

/*
 * Move the file that `fd` holds aside, to <path>.bak, or <path>_N.bak when that is taken
 * (CodeCarbon's names), never replacing a backup. Under an exclusive flock of the file, and
 * only while `path` still names it: of several processes finding the same foreign file, one
 * moves it and the others find the new one. 0 (moved, or already gone: try again), or an
 * error code.
 */
static int move_aside(int fd, const char *path, const cct_config *cfg)
{
    struct stat held, named;
    char bak[1100], what[128];
    int rc = 0;

    if (flock(fd, LOCK_EX) != 0)
        return cct_error__set(CCT_EIO, "cannot lock %s: %s", path, strerror(errno));
    if (fstat(fd, &held) != 0 || stat(path, &named) != 0 || held.st_ino != named.st_ino ||
        held.st_dev != named.st_dev)
        goto done; /* someone moved it already */
    describe_first_line(fd, what, sizeof(what));
    for (int i = -1; i < 1000; i++) {
        if (i < 0)
            snprintf(bak, sizeof(bak), "%s.bak", path);
        else
            snprintf(bak, sizeof(bak), "%s_%d.bak", path, i);
        if (renameat2(AT_FDCWD, path, AT_FDCWD, bak, RENAME_NOREPLACE) == 0)
            break;
        if (errno == EEXIST) {
            bak[0] = '\0';
            continue;
        }
        if (errno != EINVAL && errno != ENOSYS) {
            rc = cct_error__set(CCT_EIO,
                                "cannot move %s (%s, not CodeCarbon 3.3's 38 columns) "
                                "aside to %s: %s",
                                path, what, bak, strerror(errno));
            goto done;
        }
        /* A file system without RENAME_NOREPLACE: a hard link never replaces either. */
        if (link(path, bak) == 0) {
            unlink(path);
            break;
        }
        if (errno != EEXIST) {
            rc = cct_error__set(CCT_EIO, "cannot move %s aside to %s: %s", path, bak,
                                strerror(errno));
            goto done;
        }
        bak[0] = '\0';
    }
    if (!bak[0]) {
        rc = cct_error__set(CCT_EIO, "cannot move %s aside: %s.bak and 1000 more are taken", path,
                            path);
        goto done;
    }
    cct_log__write(cfg->log_fn, cfg->log_payload, cfg->log_level, CCT_LOG_WARNING,
                   "%s has %s, not CodeCarbon 3.3's 38 columns: moved to %s, and a new file "
                   "begun",
                   path, what, bak);
done:
    flock(fd, LOCK_UN);
    return rc;
}

/* The CSV opened for reading its header and appending, never through a symlink (O_NOFOLLOW:
 * a link planted at the predictable name is refused) and never blocking on a FIFO; a regular
 * file only. */
static int open_for_append(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        errno = EINVAL; /* "Invalid argument": not a regular file */
        return -1;
    }
    return fd;
}

/* The header, built once: it never changes. */
static row header_row;
static pthread_once_t header_once = PTHREAD_ONCE_INIT;

static void make_header(void)
{
    build_header(&header_row);
}

int cct_csv__append(const cct_config *cfg, const cct_emissions *e, const cct_usage *u,
                    const cct_hardware *hw)
{
    char path[1024];
    row r;
    int rc = 0;

    pthread_once(&header_once, make_header);
    snprintf(path, sizeof(path), "%s/%s", cfg->output_dir, cfg->output_file);
    build_row(&r, cfg->project_name, cfg->experiment_id, e, u, hw);
    if (r.overflow)
        return cct_error__set(CCT_EINVALID, "CSV row for %s longer than %d bytes", path, ROW_MAX);
    /* A few rounds at most: each either appends, or creates the file, or moves a foreign
     * one aside (another process may do the same meanwhile: then look again). */
    for (int attempt = 0; attempt < 4; attempt++) {
        size_t have = 0, written;
        /* Read and write: the header is checked (one pread) before every row. */
        int fd = open_for_append(path);
        if (fd < 0 && errno == ENOENT) {
            rc = create_with_header(cfg->output_dir, path);
            if (rc != 0)
                return rc;
            continue;
        }
        if (fd < 0)
            return cct_error__set(CCT_EIO, "cannot open %s: %s", path, strerror(errno));
        int ours = has_our_header(fd, &header_row, &have);
        if (ours < 0) {
            rc = cct_error__set(CCT_EIO, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return rc;
        }
        if (!ours && have == 0) {
            /* An empty file (made by someone else): header and row in one write, under the
             * lock, unless another process wrote its header meanwhile. */
            if (flock(fd, LOCK_EX) == 0 && has_our_header(fd, &header_row, &have) == 0 &&
                have == 0) {
                char both[2 * ROW_MAX];
                memcpy(both, header_row.buf, header_row.len);
                memcpy(both + header_row.len, r.buf, r.len);
                if (write_all(fd, both, header_row.len + r.len, &written) != 0) {
                    int err = errno;
                    const char *note = retract_partial_row(fd, written);
                    rc =
                        cct_error__set(CCT_EIO, "cannot write %s: %s%s", path, strerror(err), note);
                }
                close(fd);
                return rc;
            }
            close(fd); /* the lock goes with it; look again */
            continue;
        }
        if (!ours) {
            rc = move_aside(fd, path, cfg);
            close(fd);
            if (rc != 0)
                return rc;
            continue;
        }
        if (write_all(fd, r.buf, r.len, &written) != 0) {
            int err = errno;
            const char *note = retract_partial_row(fd, written);
            rc = cct_error__set(CCT_EIO, "cannot write %s: %s%s", path, strerror(err), note);
        }
        close(fd);
        return rc;
    }
    return cct_error__set(CCT_EIO, "cannot append to %s: it was replaced %d times in a row", path,
                          4);
}
