#include "tinyfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int tinyfs_mount(char *dir, size_t cap, unsigned int kib, char *why, size_t why_cap)
{
    const char *base = getenv("TMPDIR");
    char options[64];

    snprintf(dir, cap, "%s/ccb-tinyfs-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(why, why_cap, "mkdtemp %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(options, sizeof(options), "size=%uk,mode=0755", kib);
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) {
        snprintf(why, why_cap, "cannot mount a tmpfs on %s (%s): needs root", dir, strerror(errno));
        rmdir(dir);
        return -1;
    }
    return 0;
}

int tinyfs_fill(const char *dir)
{
    char path[600], block[4096];
    int fd, rc = -1;

    snprintf(path, sizeof(path), "%s/filler", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    memset(block, 'x', sizeof(block));
    for (;;) {
        ssize_t n = write(fd, block, sizeof(block));
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        rc = n < 0 && errno == ENOSPC ? 0 : -1;
        break;
    }
    /* Byte by byte into the last partial block too: not one byte may be left. */
    while (rc == 0 && write(fd, block, 1) == 1)
        ;
    close(fd);
    return rc;
}

void tinyfs_unmount(const char *dir)
{
    if (umount2(dir, MNT_DETACH) == 0)
        rmdir(dir);
}
