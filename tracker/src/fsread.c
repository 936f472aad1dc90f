/*
 * Reads the small pseudo-files of /proc and /sys below a root that tests can move
 * (CCT_PROCFS_ROOT, CCT_SYSFS_ROOT). One open/read/close, no stdio buffering.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

long cct_fs__read(const char *root, const char *rel, char *buf, size_t cap)
{
    char path[768];
    long total = 0;
    int fd;

    if (cap == 0) {
        errno = EINVAL;
        return -1;
    }
    if (root)
        snprintf(path, sizeof(path), "%s%s", root, rel);
    else
        snprintf(path, sizeof(path), "%s", rel);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while ((size_t)total < cap - 1) {
        ssize_t n = read(fd, buf + total, cap - 1 - (size_t)total);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        total += n;
    }
    buf[total] = '\0';
    close(fd);
    return total;
}

int cct_fs__read_u64(const char *path, uint64_t *out)
{
    char buf[64];
    char *end = NULL;

    if (cct_fs__read(NULL, path, buf, sizeof(buf)) <= 0)
        return -1;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno != 0 || end == buf)
        return -1;
    *out = (uint64_t)v;
    return 0;
}
