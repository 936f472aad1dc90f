/* The atomic write (see atomic.h): temp file beside PATH, write, fsync, rename, fsync dir. */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* A SIGINT/SIGTERM the caller blocked for the write (ccb_interrupt_install) that came
 * meanwhile: the caller will exit 130, so the file must not be replaced. */
static int stop_pending(void)
{
    sigset_t pending;
    return sigpending(&pending) == 0 &&
           (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1);
}

/* Best effort: the data is already safe in the file; only the rename's entry is at stake. */
static void sync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy)
        dir = "/";
    else if (slash) {
        *slash = '\0';
        dir = copy;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* A fresh PATH.tmp.<pid>.<n>, created with O_EXCL (the umask applies to 0644 as for any file
 * the user writes). -1 with errno set when none could be made. */
static int open_temp(const char *path, char **tmp)
{
    for (unsigned int n = 0; n < 100; n++) {
        if (asprintf(tmp, "%s.tmp.%ld.%u", path, (long)getpid(), n) < 0) {
            *tmp = NULL;
            errno = ENOMEM;
            return -1;
        }
        int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
        free(*tmp);
        *tmp = NULL;
    }
    errno = EEXIST;
    return -1;
}

int ccb_atomic_write(const char *path, const void *data, size_t len)
{
    int rc = -1, err = 0;
    char *tmp = NULL;
    const char *p = data;
    int fd = open_temp(path, &tmp);
    if (fd < 0) {
        err = errno;
        goto done;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? errno : EIO;
            goto done;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        err = errno;
        goto done;
    }
    int closing = fd;
    fd = -1;
    if (close(closing) != 0) {
        err = errno;
        goto done;
    }
    if (stop_pending()) {
        err = EINTR; /* interrupted: PATH is left as it was */
        goto done;
    }
    if (rename(tmp, path) != 0) {
        err = errno;
        goto done;
    }
    sync_parent_dir(path);
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        if (tmp)
            unlink(tmp);
        ccb_error_set("cannot write %s: %s", path, strerror(err));
        errno = err;
    }
    free(tmp);
    return rc;
}
