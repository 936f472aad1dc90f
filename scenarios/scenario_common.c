/*
 * Helpers every scenario shares: the one tracker configuration all offline scenarios use, the
 * output directory (created only when the tracker is to write; checked afterwards), and the
 * timed lifecycle, so the instrument is the same code in every scenario.
 */
#include "scenario.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "count_probe.h"
#include "protocol.h"

const ccb_count_probe *ccb_count_probe_active = NULL;

/* compare builds these scenarios against another revision's cctracker.h too: config version 2
 * inverted save_to_file and added cct_emissions.version. */
#if CCT_CONFIG_VERSION >= 2
#define SET_SAVE_TO_FILE(cfg, on) ((cfg)->no_save_to_file = !(on))
#else
#define SET_SAVE_TO_FILE(cfg, on) ((cfg)->save_to_file = (on))
#endif

void ccb_emissions_init(cct_emissions *e)
{
    memset(e, 0, sizeof(*e));
#ifdef CCT_EMISSIONS_VERSION
    e->version = CCT_EMISSIONS_VERSION;
#endif
}

void ccb_config_init(cct_config *cfg, const char *output_dir, int save_to_file)
{
    cct_config init = CCT_CONFIG_INIT;

    *cfg = init;
    cfg->offline = 1;
    cfg->country_iso_code = CCB_COUNTRY;
    cfg->log_level = CCT_LOG_NONE;
    SET_SAVE_TO_FILE(cfg, save_to_file);
    if (output_dir)
        cfg->output_dir = output_dir;
}

ccb_expect ccb_config_expect(const cct_config *cfg)
{
    /* A zero pue is the default, 1.0, since config version 2. */
    ccb_expect x = {cfg->country_iso_code, cfg->pue > 0.0 ? cfg->pue : 1.0};
    return x;
}

/* TMPDIR, else /tmp: where the runner's own paths go. */
static const char *tmp_root(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

/*
 * A path under the temp root that does not exist, for a tracker told not to write: nothing is
 * created, so the measured process pays one lstat() here instead of mkdtemp + opendir + rmdir.
 * The pid keeps concurrent runners apart; the clock and the attempt number step over a stale
 * path left by an earlier process of the same pid.
 */
static int absent_path(ccb_outdir *d, const char *tmp)
{
    struct stat st;

    for (unsigned int attempt = 0; attempt < 16; attempt++) {
        int n =
            /* Fixed widths: the tracker copies this path, and an allocation count in bytes
             * must not change with the number of digits in a pid. */
            snprintf(d->path, sizeof d->path, "%s/ccbench-scenario-absent-%010ld-%010llx-%02u", tmp,
                     (long)getpid(), (unsigned long long)(ccb_now_ns() & 0xffffffffffULL), attempt);
        if (n < 0 || (size_t)n >= sizeof d->path) {
            fprintf(stderr, "ccbench-scenario: TMPDIR %s is too long\n", tmp);
            return -1;
        }
        if (lstat(d->path, &st) != 0 && errno == ENOENT)
            return 0;
    }
    fprintf(stderr, "ccbench-scenario: no free absent path under %s (last: %s)\n", tmp, d->path);
    return -1;
}

int ccb_outdir_open(ccb_outdir *d, const char *given, int save_to_file)
{
    const char *tmp = tmp_root();
    int n;

    d->owned = 0;
    d->absent = 0;
    if (given) {
        n = snprintf(d->path, sizeof d->path, "%s", given);
        if (n < 0 || (size_t)n >= sizeof d->path) {
            fprintf(stderr, "ccbench-scenario: output_dir is too long\n");
            return -1;
        }
        return 0;
    }
    if (!save_to_file) {
        if (absent_path(d, tmp))
            return -1;
        d->absent = 1;
        return 0;
    }
    n = snprintf(d->path, sizeof d->path, "%s/ccbench-scenario-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof d->path || !mkdtemp(d->path)) {
        fprintf(stderr, "ccbench-scenario: cannot create a temp dir under %s: %s\n", tmp,
                strerror(errno));
        return -1;
    }
    d->owned = 1;
    return 0;
}

static int csv_path(const ccb_outdir *d, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/emissions.csv", d->path);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int ccb_outdir_rows(const ccb_outdir *d, size_t *rows, ccb_failure *f)
{
    char path[sizeof d->path + 32];

    *rows = 0;
    if (csv_path(d, path, sizeof path))
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER, "output_dir path too long");
    if (access(path, F_OK) != 0)
        return 0;
    return ccb_check_csv_file(path, rows, f);
}

/* The first entry of an owned directory other than . and .., or "" when it is empty. */
static int first_entry(const char *dir, char *name, size_t cap)
{
    DIR *dp = opendir(dir);
    struct dirent *de;

    name[0] = '\0';
    if (!dp)
        return -1;
    for (;;) {
        de = readdir(dp);
        if (!de)
            break;
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(name, cap, "%s", de->d_name);
            break;
        }
    }
    closedir(dp);
    return 0;
}

int ccb_outdir_check(const ccb_outdir *d, int save_to_file, size_t rows_before, size_t rows_written,
                     ccb_failure *f)
{
    char entry[256];
    size_t rows = 0;

    if (!save_to_file) {
        if (d->absent) {
            struct stat st;

            if (lstat(d->path, &st) == 0)
                return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                                       "save_to_file is 0 but the tracker created %s", d->path);
            /* Anything but "not there" (EACCES, ENOTDIR, ...) proves nothing either way. */
            if (errno != ENOENT)
                return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                                       "save_to_file is 0; cannot check that %s is absent: %s",
                                       d->path, strerror(errno));
            return 0;
        }
        if (d->owned && first_entry(d->path, entry, sizeof entry) == 0 && entry[0])
            return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                                   "save_to_file is 0 but the tracker wrote %s/%s", d->path, entry);
        return 0;
    }
    if (ccb_outdir_rows(d, &rows, f))
        return -1;
    if (rows != rows_before + rows_written)
        return ccb_failure_set(f, CCB_REASON_WRONG_ANSWER,
                               "emissions.csv has %zu rows after %zu stop() calls (%zu before)",
                               rows, rows_written, rows_before);
    return 0;
}

/* Unlink the plain files of a directory the tracker wrote into (it makes no subdirectories). */
static void empty_dir(const char *path)
{
    DIR *dp = opendir(path);
    struct dirent *de;

    if (!dp)
        return;
    for (;;) {
        de = readdir(dp);
        if (!de)
            break;
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            unlinkat(dirfd(dp), de->d_name, 0);
    }
    closedir(dp);
}

void ccb_outdir_close(ccb_outdir *d)
{
    struct stat st;

    if (d->absent) {
        /* Best effort: whatever a misbehaving tracker created there (ccb_outdir_check has
         * failed the sample for it) must not pile up in TMPDIR. */
        if (lstat(d->path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                empty_dir(d->path);
                if (rmdir(d->path) != 0)
                    fprintf(stderr, "ccbench-scenario: cannot remove %s: %s\n", d->path,
                            strerror(errno));
            } else if (unlink(d->path) != 0) {
                fprintf(stderr, "ccbench-scenario: cannot remove %s: %s\n", d->path,
                        strerror(errno));
            }
        }
        d->absent = 0;
        return;
    }
    if (!d->owned)
        return;
    empty_dir(d->path);
    if (rmdir(d->path) != 0)
        fprintf(stderr, "ccbench-scenario: cannot remove %s: %s\n", d->path, strerror(errno));
    d->owned = 0;
}

int ccb_lifecycle(const cct_config *cfg, cct_emissions *out, uint64_t t[5], ccb_failure *f)
{
    cct_tracker *tr = NULL;
    const char *call = "cct_tracker_new";
    int rc;

    CCB_COUNT_BEGIN();
    t[0] = ccb_now_ns();
    rc = cct_tracker_new(&tr, cfg);
    if (rc)
        goto done;
    t[1] = ccb_now_ns();
    call = "cct_tracker_start";
    rc = cct_tracker_start(tr);
    if (rc)
        goto done;
    ccb_emissions_init(out); /* outside the timed window */
    t[2] = ccb_now_ns();
    call = "cct_tracker_stop";
    rc = cct_tracker_stop(tr, out);
    t[3] = ccb_now_ns();
    if (rc)
        goto done;
    cct_tracker_free(tr);
    tr = NULL;
    t[4] = ccb_now_ns();
    CCB_COUNT_END("lifecycle");
done:
    if (rc) {
        /* Before free(), which may overwrite the thread-local message. */
        ccb_check_rc(rc, call, f);
        cct_tracker_free(tr);
        return -1;
    }
    return 0;
}

ccb_instants ccb_lifecycle_instants(const uint64_t t[5])
{
    ccb_instants in = {t[1], t[2], t[2], t[3]};
    return in;
}

int ccb_new_and_start(const cct_config *cfg, cct_tracker **tr, uint64_t t_new[2],
                      uint64_t t_start[2], ccb_failure *f)
{
    int rc;

    CCB_COUNT_BEGIN();
    t_new[0] = ccb_now_ns();
    rc = cct_tracker_new(tr, cfg);
    t_new[1] = ccb_now_ns();
    CCB_COUNT_END("new");
    if (ccb_check_rc(rc, "cct_tracker_new", f))
        return -1;
    CCB_COUNT_BEGIN();
    t_start[0] = ccb_now_ns();
    rc = cct_tracker_start(*tr);
    t_start[1] = ccb_now_ns();
    CCB_COUNT_END("start");
    return ccb_check_rc(rc, "cct_tracker_start", f) ? -1 : 0;
}

int ccb_stop_and_check(cct_tracker **tr, const uint64_t t_start[2], uint64_t t_stop[2],
                       const ccb_expect *x, cct_emissions *out, ccb_failure *f)
{
    ccb_instants in;
    int rc;

    ccb_emissions_init(out);
    CCB_COUNT_BEGIN();
    t_stop[0] = ccb_now_ns();
    rc = cct_tracker_stop(*tr, out);
    t_stop[1] = ccb_now_ns();
    CCB_COUNT_END("stop");
    if (ccb_check_rc(rc, "cct_tracker_stop", f))
        return -1;
    /* free() may wait (bounded) for queued uploads: they have all left after it. */
    CCB_COUNT_BEGIN();
    cct_tracker_free(*tr);
    CCB_COUNT_END("free");
    *tr = NULL;
    in = (ccb_instants){t_start[0], t_start[1], t_stop[0], t_stop[1]};
    if (ccb_check_emissions(out, &in, x, f)) {
        ccb_failure_prefix(f, "stop(): ");
        return -1;
    }
    return 0;
}
