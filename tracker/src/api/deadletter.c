/*
 * The dead-letter file: what must never be sent again, kept for a person to read. Two kinds
 * of line go there: an emission the server refused for good (a 4xx answer: the body breaks
 * its schema, so every retry would be refused too), with the server's status and message;
 * and a spool line that cannot be read back (torn or corrupt), as it was. It lies beside the
 * spool, `<spool file>.dead`, one JSON object per line, never with the api key. Without it a
 * refused emission was spooled, replayed and refused again at every upload, for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"

int cct_deadletter__final(long status)
{
    /* 401/403: the key or its rights, which the user can fix, so the data stays in the spool;
     * 408/429: the server asks to come back later. Every other 4xx is about the request. */
    return status >= 400 && status < 500 && status != 401 && status != 403 && status != 408 &&
           status != 429;
}

void cct_deadletter__name(const char *endpoint, char *out, size_t cap)
{
    char spool[128];

    cct_spool__name(endpoint, spool, sizeof(spool));
    snprintf(out, cap, "%s.dead", spool);
}

/* Server text goes into logs: no control character (a terminal escape, a forged line). */
static void sanitize(char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
    }
}

/* One FastAPI validation error: "field a.b: msg", from loc (after "body") and msg. */
static size_t describe_error(const cJSON *item, char *out, size_t cap)
{
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(item, "loc");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(item, "msg");
    const cJSON *part;
    size_t n = 0;
    int named = 0;

    if (!cJSON_IsString(msg))
        return 0;
    if (!cJSON_IsArray(loc))
        loc = NULL; /* iterates over nothing */
    cJSON_ArrayForEach(part, loc)
    {
        char piece[64];
        if (cJSON_IsString(part) && strcmp(part->valuestring, "body") == 0 && part == loc->child &&
            part->next)
            continue; /* FastAPI's "body" prefix says nothing: every field is in the body */
        if (cJSON_IsString(part))
            snprintf(piece, sizeof(piece), "%s", part->valuestring);
        else if (cJSON_IsNumber(part))
            snprintf(piece, sizeof(piece), "%d", part->valueint);
        else
            continue;
        n +=
            (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", named ? "." : "field ", piece);
        named = 1;
        if (n >= cap)
            return cap;
    }
    n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", named ? ": " : "",
                          msg->valuestring);
    return n < cap ? n : cap;
}

void cct_deadletter__message(const char *body, char *out, size_t cap)
{
    cJSON *answer = cJSON_Parse(body);
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(answer, "detail");
    size_t n = 0;

    out[0] = '\0';
    if (cJSON_IsString(detail)) {
        snprintf(out, cap, "%s", detail->valuestring);
    } else if (cJSON_IsArray(detail)) {
        /* FastAPI's 422: {"detail": [{"loc": ["body", "duration"], "msg": ...}, ...]} */
        const cJSON *item;
        cJSON_ArrayForEach(item, detail)
        {
            if (n > 0 && n + 2 < cap) {
                memcpy(out + n, "; ", 3);
                n += 2;
            }
            if (n + 1 < cap)
                n += describe_error(item, out + n, cap - n);
            if (n + 1 >= cap)
                break;
        }
        if (n >= cap)
            out[cap - 1] = '\0';
    }
    if (!out[0]) /* not FastAPI's shape: the start of the body, as it came */
        snprintf(out, cap, "%.200s", body && *body ? body : "(no answer body)");
    cJSON_Delete(answer);
    sanitize(out);
}

/* Append one line (one write on an O_APPEND descriptor: lines never interleave). The file
 * is ours to create: through the directory's descriptor, never through a symlink, never
 * blocking on a FIFO, a regular file only, readable by its owner only. */
static int append_line(const char *dir, const char *endpoint, cJSON *line, char *path, size_t cap)
{
    char stamp[32], name[160];
    struct timespec now;
    struct stat st;
    char *text;
    int dirfd, fd = -1, rc = -1;

    clock_gettime(CLOCK_REALTIME, &now);
    cct_payload__iso_time((double)now.tv_sec + (double)now.tv_nsec / 1e9, stamp);
    cJSON_AddStringToObject(line, "dead_at", stamp);
    text = cJSON_PrintUnformatted(line);
    if (!text)
        return -1;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: written with its length, never as a string */
    cct_deadletter__name(endpoint, name, sizeof(name));
    snprintf(path, cap, "%s/%s", dir ? dir : ".", name);
    dirfd = cct_spool__open_dir(dir);
    if (dirfd >= 0)
        fd = openat(dirfd, name,
                    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        ssize_t n = write(fd, text, len + 1);
        rc = n == (ssize_t)(len + 1) ? 0 : -1;
    } else if (fd >= 0) {
        errno = EINVAL; /* not a regular file: nothing is written into it */
    }
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    free(text);
    return rc;
}

int cct_deadletter__append(const char *dir, const char *endpoint, const char *shown,
                           const cct_reject *why, const char *local_run_id, const char *run_id,
                           const cJSON *run, const cJSON *emission, char *path, size_t cap)
{
    cJSON *line = cJSON_CreateObject();
    int rc;

    if (!line)
        return -1;
    cJSON_AddStringToObject(line, "endpoint", shown);
    cJSON_AddNumberToObject(line, "status", (double)why->status);
    cJSON_AddStringToObject(line, "request", why->request);
    cJSON_AddStringToObject(line, "message", why->message);
    cJSON_AddStringToObject(line, "local_run_id", local_run_id ? local_run_id : "");
    if (run_id)
        cJSON_AddStringToObject(line, "run_id", run_id);
    else
        cJSON_AddNullToObject(line, "run_id");
    cJSON_AddItemToObject(line, "run", cJSON_Duplicate(run, 1));
    cJSON_AddItemToObject(line, "emission", cJSON_Duplicate(emission, 1));
    rc = append_line(dir, endpoint, line, path, cap);
    cJSON_Delete(line);
    return rc;
}

int cct_deadletter__append_unreadable(const char *dir, const char *endpoint, const char *shown,
                                      const char *text, char *path, size_t cap)
{
    cJSON *line = cJSON_CreateObject();
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    int rc = -1;

    if (!line || !copy)
        goto done;
    memcpy(copy, text, len + 1);
    if (len > 0 && copy[len - 1] == '\n')
        copy[len - 1] = '\0';
    cJSON_AddStringToObject(line, "endpoint", shown);
    cJSON_AddNumberToObject(line, "status", 0);
    cJSON_AddStringToObject(line, "message", "unreadable spool line");
    cJSON_AddStringToObject(line, "line", copy);
    rc = append_line(dir, endpoint, line, path, cap);
done:
    free(copy);
    cJSON_Delete(line);
    return rc;
}
