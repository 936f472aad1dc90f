/*
 * The spool: emissions that could not be delivered (API down, hung, or the process exiting)
 * are appended to a JSON-lines file in output_dir, one file per endpoint, and replayed by
 * the next upload to that endpoint. A line carries the run payload so a run that was never
 * created can still be created on replay. The api key is never written here, nor the
 * endpoint's userinfo.
 *
 * Every file is opened through a descriptor of output_dir with O_NOFOLLOW, and must be a
 * regular file: a symlink or FIFO planted at a predictable name is refused, never followed.
 *
 * A replay claims the spool under its flock: lock, check the name still holds the locked
 * file, rename it to "<spool>.replay-<pid>-<n>", and keep the lock until every line is
 * delivered or appended back to the spool (each done line gets '#' as its first byte, so a
 * claim read again skips it). A claim whose lock is free belongs to a replayer that died or
 * exited mid-way: any later replayer reclaims it. Nothing is deleted before it was read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_internal.h"

#define CLAIM_TAG ".replay-"

void cct_spool__name(const char *endpoint, char *out, size_t cap)
{
    /* FNV-1a of the endpoint: a stable, file-name-safe key. */
    unsigned long long h = 1469598103934665603ULL;
    for (const char *p = endpoint; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    snprintf(out, cap, ".cctracker-spool-%016llx.jsonl", h);
}

int cct_spool__open_dir(const char *dir)
{
    return open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A regular file, or -1 with errno EINVAL (a FIFO, device or directory at a spool name). */
static int check_regular(int fd, struct stat *st)
{
    if (fstat(fd, st) != 0)
        return -1;
    if (!S_ISREG(st->st_mode)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Whether `name` in dirfd still is the file open as fd (not renamed or replaced meanwhile). */
static int still_named(int dirfd, const char *name, const struct stat *held)
{
    struct stat named;
    return fstatat(dirfd, name, &named, AT_SYMLINK_NOFOLLOW) == 0 && named.st_ino == held->st_ino &&
           named.st_dev == held->st_dev;
}

/* Open `name` in dirfd for appending, created O_EXCL mode 0600 when absent, never through a
 * symlink, with an exclusive lock, and only while the name still holds the file we locked: a
 * replay claims the spool by renaming it, so an append that opened the old file just before
 * would otherwise write into a file already claimed. -1 with errno. */
int cct_spool__open_append(int dirfd, const char *name)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        struct stat held;
        int fd = openat(dirfd, name,
                        O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) /* O_NONBLOCK: a FIFO must not hang the open */
            fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT)
                continue; /* claimed between our two opens */
            return -1;
        }
        if (check_regular(fd, &held) != 0 || flock(fd, LOCK_EX) != 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        if (still_named(dirfd, name, &held))
            return fd; /* the lock is released by close() */
        close(fd);     /* claimed (renamed) meanwhile: append to the new spool instead */
    }
    errno = EAGAIN;
    return -1;
}

/* Append `len` bytes (whole lines) to the spool of `endpoint` with one write. */
int cct_spool__append_raw(const char *dir, const char *endpoint, const char *text, size_t len)
{
    char name[64];
    int dirfd, fd = -1, rc = -1, err = 0;

    cct_spool__name(endpoint, name, sizeof(name));
    dirfd = cct_spool__open_dir(dir);
    if (dirfd < 0)
        return -1;
    fd = cct_spool__open_append(dirfd, name);
    if (fd < 0) {
        err = errno;
        goto done;
    }
    /* One write per line: lines from several processes never interleave. A line the disk
     * could hold only part of is cut off again (we hold the lock: nobody appended since), or
     * the next line appended would be glued to it and lost on replay too. */
    struct stat st;
    off_t size0 = fstat(fd, &st) == 0 ? st.st_size : -1;
    ssize_t n = write(fd, text, len);
    rc = n == (ssize_t)len ? 0 : -1;
    err = n < 0 ? errno : ENOSPC;
    if (rc != 0 && n > 0 && size0 >= 0) {
        if (ftruncate(fd, size0) != 0) {
            /* Left as it is: the replayer skips a torn line (and loses the next one). */
        }
    }
done:
    if (fd >= 0)
        close(fd);
    close(dirfd);
    if (rc != 0)
        errno = err;
    return rc;
}

int cct_spool__append(const char *dir, const char *endpoint, const char *shown, const cJSON *run,
                      const char *local_run_id, const char *run_id, const char *key,
                      const cJSON *emission)
{
    cJSON *line = cJSON_CreateObject();
    char *text = NULL;
    int rc = -1, err = ENOMEM;

    if (!line)
        goto done;
    cJSON_AddStringToObject(line, "endpoint", shown);
    cJSON_AddStringToObject(line, "local_run_id", local_run_id ? local_run_id : "");
    if (run_id)
        cJSON_AddStringToObject(line, "run_id", run_id);
    else
        cJSON_AddNullToObject(line, "run_id");
    if (key)
        cJSON_AddStringToObject(line, "emission_key", key);
    cJSON_AddItemToObject(line, "run", cJSON_Duplicate(run, 1));
    cJSON_AddItemToObject(line, "emission", cJSON_Duplicate(emission, 1));
    text = cJSON_PrintUnformatted(line);
    if (!text)
        goto done;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: written with its length, never as a string */
    rc = cct_spool__append_raw(dir, endpoint, text, len + 1);
    err = errno;
done:
    free(text);
    cJSON_Delete(line);
    if (rc != 0)
        errno = err;
    return rc;
}

/* Rename the locked file `from` to a fresh claim name of ours; 0 or -1 with errno. */
static int rename_to_claim(int dirfd, const char *base, const char *from, cct_spool_claim *c)
{
    static atomic_uint counter;

    snprintf(c->name, sizeof(c->name), "%s" CLAIM_TAG "%ld-%u", base, (long)getpid(),
             atomic_fetch_add(&counter, 1));
    return renameat(dirfd, from, dirfd, c->name);
}

/* Open and lock `name` for a replay (read-write: done lines are marked in place). With
 * `wait` 0 a held lock is not waited for (1 is returned). 0: c->fd holds the file, locked
 * and still under that name; 1: nothing to take; -1 with errno: it cannot be opened. */
static int open_locked(int dirfd, const char *name, int wait, cct_spool_claim *c)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        struct stat held;
        int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return errno == ENOENT ? 1 : -1;
        if (check_regular(fd, &held) != 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        if (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            close(fd);
            if (err == EWOULDBLOCK)
                return 1; /* its claimer is alive and at work */
            errno = err;
            return -1;
        }
        if (still_named(dirfd, name, &held)) {
            c->fd = fd;
            return 0;
        }
        close(fd); /* renamed or removed before we got the lock: look again */
    }
    return 1;
}

/* 0 claimed, 1 nothing, -1 with errno; c->dirfd is set by the caller. */
static int claim_named(const char *name, int wait, const char *base, cct_spool_claim *c)
{
    int rc = open_locked(c->dirfd, name, wait, c);

    if (rc != 0)
        return rc;
    if (rename_to_claim(c->dirfd, base, name, c) != 0) {
        int err = errno;
        close(c->fd); /* unlocked, left as it was: never deleted unread */
        c->fd = -1;
        errno = err;
        return -1;
    }
    return 0;
}

/* Remember the first file that could not be taken, for the caller's log line. */
static void note_failure(char *failed, size_t cap, int *err, const char *name)
{
    if (!failed[0]) {
        *err = errno;
        snprintf(failed, cap, "%s", name);
    }
}

int cct_spool__claim(const char *dir, const char *endpoint, int orphans, cct_spool_claim *c,
                     char *failed, size_t cap, int *err)
{
    char base[64];
    int rc = 1;
    DIR *d = NULL;

    c->fd = -1;
    c->orphan = 0;
    failed[0] = '\0';
    *err = 0;
    c->dirfd = cct_spool__open_dir(dir);
    if (c->dirfd < 0) {
        note_failure(failed, cap, err, ".");
        return 1;
    }
    cct_spool__name(endpoint, base, sizeof(base));
    if (orphans) {
        /* A claim whose lock is free was left by a replayer that died or exited mid-way. */
        int scan = dup(c->dirfd);
        d = scan >= 0 ? fdopendir(scan) : NULL;
        if (!d && scan >= 0)
            close(scan);
        size_t base_len = strlen(base);
        for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
            if (strncmp(e->d_name, base, base_len) != 0 ||
                strncmp(e->d_name + base_len, CLAIM_TAG, strlen(CLAIM_TAG)) != 0)
                continue;
            rc = claim_named(e->d_name, 0, base, c);
            if (rc == 0) {
                c->orphan = 1;
                goto done;
            }
            if (rc < 0)
                note_failure(failed, cap, err, e->d_name); /* skipped: the others may do */
        }
    }
    rc = claim_named(base, 1, base, c);
    if (rc < 0)
        note_failure(failed, cap, err, base);
done:
    if (d)
        closedir(d);
    if (rc != 0) {
        close(c->dirfd);
        c->dirfd = -1;
        rc = 1;
    }
    return rc;
}

int cct_spool__mark_done(const cct_spool_claim *c, long offset)
{
    return pwrite(c->fd, "#", 1, (off_t)offset) == 1 ? 0 : -1;
}

int cct_spool__give_back(const cct_spool_claim *c, const char *dir, const char *endpoint)
{
    char *buf = NULL;
    struct stat st;
    int rc = -1;

    if (fstat(c->fd, &st) != 0)
        return -1;
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -1;
    ssize_t n = pread(c->fd, buf, (size_t)st.st_size, 0);
    if (n != (ssize_t)st.st_size)
        goto done;
    buf[n] = '\0';
    /* Keep every line not marked done, in order, in one append. */
    size_t out = 0;
    for (size_t at = 0; at < (size_t)n;) {
        char *eol = memchr(buf + at, '\n', (size_t)n - at);
        size_t len = eol ? (size_t)(eol - (buf + at)) + 1 : (size_t)n - at;
        if (buf[at] != '#' && len > 1) {
            memmove(buf + out, buf + at, len);
            out += len;
            if (buf[out - 1] != '\n')
                buf[out++] = '\n'; /* a last line without its newline: complete it */
        }
        at += len;
    }
    rc = out == 0 ? 0 : cct_spool__append_raw(dir, endpoint, buf, out);
done:
    free(buf);
    return rc;
}

void cct_spool__release(cct_spool_claim *c, int remove)
{
    /* Unlinked while still locked: nobody can reclaim a file that is gone. */
    if (remove && c->dirfd >= 0)
        unlinkat(c->dirfd, c->name, 0);
    if (c->fd >= 0)
        close(c->fd);
    if (c->dirfd >= 0)
        close(c->dirfd);
    c->fd = c->dirfd = -1;
}
