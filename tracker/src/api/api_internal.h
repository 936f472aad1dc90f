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
    long status;      /* HTTP status, or 0 when no answer came (refused, timeout, reset) */
    char error[256];  /* transport error text when status == 0 */
    char body[4096];  /* the start of the answer body */
} cct_http_reply;
int cct_http__init(void);
/* POST a JSON body to endpoint + path with the x-api-token header. */
void cct_http__post(const char *endpoint, const char *path, const char *api_key,
                    const char *json, unsigned int timeout_ms, cct_http_reply *reply);
void cct_http__get(const char *url, unsigned int timeout_ms, cct_http_reply *reply);
/* Whether a failed exchange is worth retrying (5xx, no answer) or final (4xx). */
int cct_http__retryable(const cct_http_reply *reply);

/* ---- payload.c: CodeCarbon API bodies (cJSON) ---- */
cJSON *cct_payload__run(const cct_api_run_info *info, double timestamp);
cJSON *cct_payload__emission(const cct_api_emission *e, const char *run_id);
void cct_payload__iso_time(double unix_s, char out[32]);

/* ---- spool.c: what could not be delivered, kept in output_dir, replayed later ---- */
/* Append one undeliverable emission (run payload included, never the api key). */
int cct_spool__append(const char *dir, const char *endpoint, const cJSON *run,
                      const char *local_run_id, const char *run_id, const cJSON *emission);
/* Claim the spool of an endpoint for replay (atomic rename); NULL if there is none. The
 * caller reads it with cct_spool__read_claimed and removes it. */
char *cct_spool__claim(const char *dir, const char *endpoint);
void cct_spool__path(const char *dir, const char *endpoint, char *out, size_t cap);
/* The spool at `path` opened for appending under an exclusive flock (see spool.c); -1. */
int cct_spool__open_locked(const char *path);

/* ---- deadletter.c: what is never sent again, beside the spool (<spool file>.dead) ---- */
typedef struct cct_reject {
    long status;         /* the server's 4xx */
    const char *request; /* "POST /runs" or "POST /emissions" */
    char message[512];   /* the server's reason, naming the field (cct_deadletter__message) */
} cct_reject;
/* Whether an HTTP status refuses the request for good (a 4xx but 401, 403, 408 and 429). */
int cct_deadletter__final(long status);
void cct_deadletter__path(const char *dir, const char *endpoint, char *out, size_t cap);
/* "field duration: Input should be ..." from FastAPI's 422 body, else the body's start;
 * control characters replaced. */
void cct_deadletter__message(const char *body, char *out, size_t cap);
/* Append a refused emission (with its run) or an unreadable spool line; `path` gets the
 * file's name. 0, or -1 when it could not be written. */
int cct_deadletter__append(const char *dir, const char *endpoint, const cct_reject *why,
                           const char *local_run_id, const char *run_id, const cJSON *run,
                           const cJSON *emission, char *path, size_t cap);
int cct_deadletter__append_unreadable(const char *dir, const char *endpoint, const char *text,
                                      char *path, size_t cap);

#endif
