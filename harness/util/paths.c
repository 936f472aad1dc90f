/*
 * File-system locations of a run (see paths.h). Kept apart from cmd_run.c so compare and
 * noise, which also write results and spawn children, put them in the same places.
 */
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

int ccb_paths_mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return ccb_error_set("%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return ccb_error_set("cannot create directory %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return ccb_error_set("cannot create directory %s: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return ccb_error_set("%s: not a directory", buf);
    return 0;
}

/* Can a file be created in DIR? access(W_OK) says yes to root on any directory, so create
 * and remove a probe: one extra create before a run that lasts seconds to minutes. */
static int probe_dir(const char *dir, const char *file)
{
    char *probe = NULL;
    if (asprintf(&probe, "%s/.ccbench-probe.%ld", dir, (long)getpid()) < 0)
        return ccb_error_set("out of memory");
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int err = errno;
    if (fd >= 0) {
        close(fd);
        unlink(probe);
    }
    free(probe);
    if (fd < 0)
        return ccb_error_set("cannot write %s: cannot create a file in %s: %s", file, dir,
                             strerror(err));
    return 0;
}

int ccb_paths_results_dir(const char *workdir, char **out)
{
    const char *env = getenv("CCBENCH_RESULTS_DIR");
    char *dir = NULL;
    int n;
    *out = NULL;
    if (env && env[0])
        n = asprintf(&dir, "%s", env);
    else if (workdir)
        n = asprintf(&dir, "%sresults", workdir); /* libgit2's workdir ends with '/' */
    else
        n = asprintf(&dir, "results");
    if (n < 0)
        return ccb_error_set("out of memory");
    if (ccb_paths_mkdir_p(dir, 0777) != 0 || probe_dir(dir, "results") != 0) {
        const char *msg = ccb_error_message();
        char copy[768];
        snprintf(copy, sizeof(copy), "%s", msg);
        ccb_error_set("%s. Set CCBENCH_RESULTS_DIR or pass --out FILE.", copy);
        free(dir);
        return -1;
    }
    *out = dir;
    return 0;
}

int ccb_paths_result_file(const char *dir, time_t when, const char *label, char **out)
{
    char stamp[32], safe[65];
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    size_t n = 0;
    for (const char *p = label; *p && n < sizeof(safe) - 1; p++) {
        char c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
        safe[n++] = keep ? c : '-';
    }
    safe[n] = '\0';
    if (n == 0 || strcmp(safe, "latest") == 0) /* never clobber latest.json */
        snprintf(safe, sizeof(safe), "run");

    *out = NULL;
    for (int attempt = 1; attempt < 1000; attempt++) {
        char *path = NULL;
        int len = attempt == 1 ? asprintf(&path, "%s/%s-%s.json", dir, stamp, safe)
                               : asprintf(&path, "%s/%s-%s-%d.json", dir, stamp, safe, attempt);
        if (len < 0)
            return ccb_error_set("out of memory");
        if (access(path, F_OK) != 0) {
            *out = path;
            return 0;
        }
        free(path);
    }
    return ccb_error_set("%s: too many results named %s-%s", dir, stamp, safe);
}

int ccb_paths_check_writable(const char *file)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s", file) >= (int)sizeof(dir))
        return ccb_error_set("%s: path too long", file);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ccb_error_set("cannot write %s: directory %s does not exist", file, dir);
    if (access(dir, W_OK) != 0)
        return ccb_error_set("cannot write %s: directory %s is not writable", file, dir);
    if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
        return ccb_error_set("cannot write %s: it is a directory", file);
    /* The result replaces FILE by rename(): a device or FIFO would be replaced by a regular
     * file (as root, /dev/null itself). Only a regular file, or nothing, may be there. */
    if (stat(file, &st) == 0 && !S_ISREG(st.st_mode))
        return ccb_error_set("cannot write %s: it is not a regular file (a device, FIFO or "
                             "socket). Pass --out a path to a regular file.",
                             file);
    return probe_dir(dir, file);
}

void ccb_paths_iso8601(char *buf, size_t size, time_t when)
{
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ccb_paths_exe_dir(char **out)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    *out = NULL;
    if (n < 0)
        return ccb_error_set("cannot find ccbench's own directory (/proc/self/exe: %s)",
                             strerror(errno));
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash && slash != buf)
        *slash = '\0';
    *out = strdup(buf);
    return *out ? 0 : ccb_error_set("out of memory");
}

int ccb_paths_tempdir_create(char **out)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    if (!base || !base[0])
        base = "/tmp";
    if (asprintf(&path, "%s/ccbench-XXXXXX", base) < 0)
        return ccb_error_set("out of memory");
    if (!mkdtemp(path)) {
        ccb_error_set("cannot create a temporary directory in %s: %s. Set TMPDIR to a "
                      "writable directory.",
                      base, strerror(errno));
        free(path);
        return -1;
    }
    *out = path;
    return 0;
}

int ccb_paths_tempdir_check(void)
{
    char *dir = NULL, *probe = NULL;
    if (ccb_paths_tempdir_create(&dir) != 0)
        return -1;
    int rc = -1, fd = -1, err = 0;
    char block[4096];
    memset(block, 0, sizeof(block));
    if (asprintf(&probe, "%s/probe", dir) < 0) {
        probe = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    /* One block written and closed: a full file system refuses it (ENOSPC), as it would
     * refuse the children's logs in the middle of a run. */
    fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
        err = errno;
    if (fd >= 0 && close(fd) != 0 && !err)
        err = errno;
    if (err) {
        ccb_error_set("cannot write in the temporary directory %s: %s. Set TMPDIR to a "
                      "writable directory with free space.",
                      dir, strerror(err));
        goto done;
    }
    rc = 0;
done:
    ccb_paths_tempdir_remove(dir);
    free(probe);
    free(dir);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0; /* best effort: keep removing the rest */
}

void ccb_paths_tempdir_remove(const char *dir)
{
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
