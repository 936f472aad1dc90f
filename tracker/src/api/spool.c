/*
 * The spool: emissions that could not be delivered (API down, hung, or the process exiting)
 * are appended to a JSON-lines file in output_dir, one file per endpoint, and replayed by
 * the next upload to that endpoint. A line carries the run payload so a run that was never
 * created can still be created on replay. The api key is never written here.
 */
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

void cct_spool__path(const char *dir, const char *endpoint, char *out, size_t cap)
{
    /* FNV-1a of the endpoint: a stable, file-name-safe key. */
    unsigned long long h = 1469598103934665603ULL;
    for (const char *p = endpoint; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    snprintf(out, cap, "%s/.cctracker-spool-%016llx.jsonl", dir ? dir : ".", h);
}

/* Open the spool for appending, with an exclusive lock, and only while `path` still names the
 * file we locked: a replay claims the spool by renaming it, so an append that opened the old
 * file just before would otherwise write into a file already read (and lose the line). The
 * replayer takes the same lock on the claimed file before reading it. */
int cct_spool__open_locked(const char *path)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        struct stat held, named;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        if (flock(fd, LOCK_EX) != 0) {
            close(fd);
            return -1;
        }
        if (fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev)
            return fd; /* the lock is released by close() */
        close(fd); /* claimed (renamed) meanwhile: append to the new spool instead */
    }
    return -1;
}

int cct_spool__append(const char *dir, const char *endpoint, const cJSON *run,
                      const char *local_run_id, const char *run_id, const cJSON *emission)
{
    char path[1100];
    cJSON *line = cJSON_CreateObject();
    char *text = NULL;
    int fd = -1, rc = -1;

    if (!line)
        return -1;
    cJSON_AddStringToObject(line, "endpoint", endpoint);
    cJSON_AddStringToObject(line, "local_run_id", local_run_id ? local_run_id : "");
    if (run_id)
        cJSON_AddStringToObject(line, "run_id", run_id);
    else
        cJSON_AddNullToObject(line, "run_id");
    cJSON_AddItemToObject(line, "run", cJSON_Duplicate(run, 1));
    cJSON_AddItemToObject(line, "emission", cJSON_Duplicate(emission, 1));
    text = cJSON_PrintUnformatted(line);
    if (!text)
        goto done;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: written with its length, never as a string */
    cct_spool__path(dir, endpoint, path, sizeof(path));
    fd = cct_spool__open_locked(path);
    if (fd < 0)
        goto done;
    /* One write per line: lines from several processes never interleave. A line the disk
     * could hold only part of is cut off again (we hold the lock: nobody appended since), or
     * the next line appended would be glued to it and lost on replay too. */
    struct stat st;
    off_t size0 = fstat(fd, &st) == 0 ? st.st_size : -1;
    ssize_t n = write(fd, text, len + 1);
    rc = n == (ssize_t)(len + 1) ? 0 : -1;
    if (rc != 0 && n > 0 && size0 >= 0) {
        if (ftruncate(fd, size0) != 0) {
            /* Left as it is: the replayer skips a torn line (and loses the next one). */
        }
    }
done:
    if (fd >= 0)
        close(fd);
    free(text);
    cJSON_Delete(line);
    return rc;
}

char *cct_spool__claim(const char *dir, const char *endpoint)
{
    static atomic_uint counter;
    char path[1100], claimed[1200];

    cct_spool__path(dir, endpoint, path, sizeof(path));
    snprintf(claimed, sizeof(claimed), "%s.replay-%ld-%u", path, (long)getpid(),
             atomic_fetch_add(&counter, 1));
    /* rename is atomic: of two processes replaying at once, one gets the lines. */
    if (rename(path, claimed) != 0)
        return NULL;
    return strdup(claimed);
}
