/*
 * Declarations shared by the files of the HTTP module (libcctracker-api.so). Everything
 * here runs on the module's worker thread unless its comment says otherwise.
 */
#ifndef CCT_API_INTERNAL_H
#define CCT_API_INTERNAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "../api_module.h"

/* ---- http.c: one kept-alive curl handle per endpoint ---- */
typedef struct cct_http_reply {
    long status;     /* HTTP status, or 0 when no answer came (refused, timeout, reset) */
    char error[256]; /* transport error text when status == 0 */
    char body[4096]; /* the start of the answer body */
} cct_http_reply;
int cct_http__init(void);
/* POST a JSON body to endpoint + path with the x-api-token header and, when not NULL, an
 * Idempotency-Key header (the request's stable identity, see module.c). */
void cct_http__post(const char *endpoint, const char *path, const char *api_key,
                    const char *idempotency_key, const char *json, unsigned int timeout_ms,
                    cct_http_reply *reply);
void cct_http__get(const char *url, unsigned int timeout_ms, cct_http_reply *reply);
/* Whether a failed exchange is worth retrying (5xx, no answer) or final (4xx). */
int cct_http__retryable(const cct_http_reply *reply);

/* ---- payload.c: CodeCarbon API bodies (cJSON) ---- */
cJSON *cct_payload__run(const cct_api_run_info *info, double timestamp);
cJSON *cct_payload__emission(const cct_api_emission *e, const char *run_id);
void cct_payload__iso_time(double unix_s, char out[32]);

/* ---- spool.c: what could not be delivered, kept in output_dir, replayed later ---- */
/* ".cctracker-spool-<FNV-1a of endpoint>.jsonl": the spool's name in output_dir. */
void cct_spool__name(const char *endpoint, char *out, size_t cap);
/* output_dir (NULL: ".") as a directory descriptor, every file of the module is opened
 * through it with O_NOFOLLOW; -1 with errno. */
int cct_spool__open_dir(const char *dir);
/* `name` in dirfd opened for appending under an exclusive flock: created O_EXCL mode 0600
 * when absent, never through a symlink, a regular file only; -1 with errno. */
int cct_spool__open_append(int dirfd, const char *name);
/* Append one undeliverable emission (run payload included, never the api key; `shown` is
 * the endpoint with its userinfo redacted; `key` the upload's identity or NULL). 0, or -1
 * with errno. */
int cct_spool__append(const char *dir, const char *endpoint, const char *shown, const cJSON *run,
                      const char *local_run_id, const char *run_id, const char *key,
                      const cJSON *emission);
/* Append whole spool lines as they are, with one write. 0, or -1 with errno. */
int cct_spool__append_raw(const char *dir, const char *endpoint, const char *text, size_t len);

/* A spool file claimed for replay: open read-write and flocked until released. */
typedef struct cct_spool_claim {
    int dirfd;
    int fd;
    char name[128]; /* its name in the directory now: "<spool>.replay-<pid>-<n>" */
    int orphan;     /* it was a gone replayer's claim, not the spool */
} cct_spool_claim;
/* Claim, with `orphans`, a claim left by a replayer that is gone (its flock is free) if
 * there is one, else the spool itself. 0: claimed; 1: nothing (more) to replay. A file that
 * cannot be opened or renamed is left untouched and skipped: the first one's name goes to
 * `failed` ("" if none) and its errno to *err. */
int cct_spool__claim(const char *dir, const char *endpoint, int orphans, cct_spool_claim *c,
                     char *failed, size_t cap, int *err);
/* Mark the line starting at `offset` done (delivered, or appended back to the spool). */
int cct_spool__mark_done(const cct_spool_claim *c, long offset);
/* Append the lines not marked done back to the spool (the claim stays; release removes). */
int cct_spool__give_back(const cct_spool_claim *c, const char *dir, const char *endpoint);
/* Close the claim, removing the file first when `remove` (every line done). */
void cct_spool__release(cct_spool_claim *c, int remove);

/* ---- deadletter.c: what is never sent again, beside the spool (<spool file>.dead) ---- */
typedef struct cct_reject {
    long status;         /* the server's 4xx */
    const char *request; /* "POST /runs" or "POST /emissions" */
    char message[512];   /* the server's reason, naming the field (cct_deadletter__message) */
} cct_reject;
/* Whether an HTTP status refuses the request for good (a 4xx but 401, 403, 408 and 429). */
int cct_deadletter__final(long status);
/* "<spool name>.dead": the dead-letter file's name in output_dir. */
void cct_deadletter__name(const char *endpoint, char *out, size_t cap);
/* "field duration: Input should be ..." from FastAPI's 422 body, else the body's start;
 * control characters replaced. */
void cct_deadletter__message(const char *body, char *out, size_t cap);
/* Append a refused emission (with its run) or an unreadable spool line; `shown` is the
 * endpoint with its userinfo redacted (what the line records); `path` gets the file's path.
 * 0, or -1 with errno when it could not be written. */
int cct_deadletter__append(const char *dir, const char *endpoint, const char *shown,
                           const cct_reject *why, const char *local_run_id, const char *run_id,
                           const cJSON *run, const cJSON *emission, char *path, size_t cap);
int cct_deadletter__append_unreadable(const char *dir, const char *endpoint, const char *shown,
                                      const char *text, char *path, size_t cap);

#endif
