/*
 * libcctracker-api.so: the HTTP side of the tracker, the only code that links libcurl.
 * One worker thread per process does the uploads: lazy run creation (POST /runs before a
 * run's first emission), emission uploads with jittered retries, and the replay of spooled
 * emissions. The geo lookup has a thread of its own, so a hung geo service never delays an
 * upload (nor a free() waiting for one). Callers only queue work and, in session_free and
 * geo_wait, wait for it with a bound.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api_internal.h"

#define MAX_ATTEMPTS 5
/* What became of one request: delivered, retry later, give up for now (the spool), or
 * refused for good (the dead-letter file: a 4xx, see cct_deadletter__final). */
enum { SENT = 0, RETRY = 1, SPOOL = 2, REJECTED = 3 };
#define BACKOFF_BASE_NS 100000000ULL /* 100 ms, doubled per attempt, jittered x[0.5, 1.5) */

/* The identity of an upload, sent as its Idempotency-Key header and kept with it in the
 * spool: "<local run id>.<n>", n counting the session's uploads. A replay after a lost answer
 * carries the same key, so a server (the mock API does) can recognise the duplicate. */
#define KEY_MAX 64

typedef struct job {
    struct job *next;
    cct_api_session *session;
    cct_api_emission e;
    char key[KEY_MAX];
    int attempts;
    uint64_t due_ns;
} job;

struct cct_api_session {
    int refs;             /* owner + queued jobs; under W.lock */
    int pending;          /* jobs queued or in flight; under W.lock */
    int freed;            /* the owner is gone: failures spool at once; under W.lock */
    unsigned int uploads; /* keys handed out; under W.lock */
    int orphans_checked;  /* claims left by gone replayers were looked for; worker only */
    char *endpoint, *api_key, *spool_dir, *local_run_id;
    char *shown; /* endpoint with its userinfo redacted: what logs and the spool show */
    unsigned int timeout_ms;
    cJSON *run; /* POST /runs body, immutable */
    /* The server's id: written by the worker under W.lock, read freely by the worker and
     * under W.lock by other threads. */
    char run_id[128];
    int rejection_logged; /* the first refusal is logged as an error, the rest at debug */
    cct_log_fn log_fn;
    void *log_payload;
    cct_log_level log_level;
};

enum geo_state { GEO_NONE, GEO_QUEUED, GEO_RUNNING, GEO_DONE, GEO_FAILED };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the worker: new work */
    pthread_cond_t done; /* waiters: a job finished or the geo answer came (geo thread) */
    job *queue;          /* sorted by due_ns */
    job *inflight;
    int started;
    int exiting; /* the process exits: the worker ends, new uploads are spooled at once */
    pthread_t thread;
    enum geo_state geo_state;
    char geo_url[CCT_URL_MAX];
    unsigned int geo_timeout_ms;
    cct_geo geo;
    uint64_t rng;
} W;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_ok;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct timespec deadline_ts(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    return ts;
}

static void slog(const cct_api_session *s, cct_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void slog(const cct_api_session *s, cct_log_level level, const char *fmt, ...)
{
    char line[768];
    va_list ap;

    if (level < s->log_level || s->log_level >= CCT_LOG_NONE)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (s->log_fn)
        s->log_fn(level, line, s->log_payload);
    else
        fprintf(stderr, "cctracker: %s\n", line);
}

static void session_unref_locked(cct_api_session *s)
{
    if (--s->refs > 0)
        return;
    cJSON_Delete(s->run);
    if (s->api_key)
        memset(s->api_key, 0, strlen(s->api_key));
    free(s->endpoint);
    free(s->shown);
    free(s->api_key);
    free(s->spool_dir);
    free(s->local_run_id);
    free(s);
}

/* OpenSSL 3 (libcurl's TLS library on Debian) keeps per-thread error state that is not freed
 * on every thread's exit: the thread that ran its initialisation (curl_global_init, often
 * the tracker's sampler thread) keeps it for good, and a leak checker reports it once that
 * thread is joined at exit. Our threads free theirs when they are done with TLS. With
 * another TLS library the symbol is absent and there is nothing to do. */
static void (*openssl_thread_stop)(void);

static void find_openssl_thread_stop(void)
{
    /* RTLD_NEXT: the objects after this module in its own lookup scope, which holds
     * libcurl's dependencies even though the module was loaded RTLD_LOCAL. */
    *(void **)&openssl_thread_stop = dlsym(RTLD_NEXT, "OPENSSL_thread_stop");
}

static void tls_thread_done(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, find_openssl_thread_stop);
    if (openssl_thread_stop)
        openssl_thread_stop();
}

/* `run_id`: the session's run id as read by the caller ("" when the run does not exist). */
static void spool_job(const job *j, const char *run_id)
{
    const cct_api_session *s = j->session;
    cJSON *emission = cct_payload__emission(&j->e, NULL);

    if (!emission || cct_spool__append(s->spool_dir, s->endpoint, s->shown, s->run, s->local_run_id,
                                       run_id[0] ? run_id : NULL, j->key, emission) != 0)
        slog(s, CCT_LOG_ERROR, "could not spool an emission for %s to %s: %s", s->shown,
             s->spool_dir, strerror(emission ? errno : ENOMEM));
    cJSON_Delete(emission);
}

/* Keep a refused emission in the dead-letter file, and say so: the first time for a session
 * as an error naming the field, later ones at debug level (one cause, one line). Worker
 * thread only. */
static void dead_letter(cct_api_session *s, const cct_reject *why, const char *local_run_id,
                        const char *run_id, const cJSON *run, const cJSON *emission)
{
    char path[1200];
    int rc = cct_deadletter__append(s->spool_dir, s->endpoint, s->shown, why, local_run_id, run_id,
                                    run, emission, path, sizeof(path));
    cct_log_level level = s->rejection_logged ? CCT_LOG_DEBUG : CCT_LOG_ERROR;

    s->rejection_logged = 1;
    if (rc == 0)
        slog(s, level,
             "%s%s refused an emission (HTTP %ld: %s); it is kept in %s and will not "
             "be sent again",
             s->shown, why->request + 4, why->status, why->message, path);
    else
        slog(s, CCT_LOG_ERROR,
             "%s%s refused an emission (HTTP %ld: %s) and it could not be "
             "kept in %s: %s",
             s->shown, why->request + 4, why->status, why->message, path, strerror(errno));
}

static void dead_letter_job(const job *j, const cct_reject *why, const char *run_id)
{
    cct_api_session *s = j->session;
    cJSON *emission = cct_payload__emission(&j->e, NULL);

    if (emission)
        dead_letter(s, why, s->local_run_id, run_id[0] ? run_id : NULL, s->run, emission);
    cJSON_Delete(emission);
}

/* A status that is neither success nor worth retrying: REJECTED with the reason, or SPOOL. */
static int refusal(const cct_http_reply *reply, const char *request, cct_reject *why)
{
    if (!cct_deadletter__final(reply->status))
        return cct_http__retryable(reply) ? RETRY : SPOOL;
    why->status = reply->status;
    why->request = request;
    cct_deadletter__message(reply->body, why->message, sizeof(why->message));
    return REJECTED;
}

/* POST /runs with `run`, whose identity is the tracker's local run id; the id goes to out.
 * SENT, RETRY, SPOOL or REJECTED (with `why`). */
static int create_run(const cct_api_session *s, const cJSON *run, const char *local_run_id,
                      char *out, size_t cap, cct_reject *why)
{
    cct_http_reply reply;
    char *body = cJSON_PrintUnformatted(run);
    cJSON *answer = NULL, *id;
    int rc = 2;

    if (!body)
        return 1;
    cct_http__post(s->endpoint, "/runs", s->api_key, local_run_id[0] ? local_run_id : NULL, body,
                   s->timeout_ms, &reply);
    free(body);
    if (reply.status != 201 && reply.status != 200) {
        if (!cct_deadletter__final(reply.status)) /* a refusal is logged by dead_letter */
            slog(s, CCT_LOG_WARNING, "POST %s/runs: %s", s->shown,
                 reply.status ? "HTTP error" : reply.error);
        return refusal(&reply, "POST /runs", why);
    }
    answer = cJSON_Parse(reply.body);
    id = cJSON_GetObjectItemCaseSensitive(answer, "id");
    if (cJSON_IsString(id) && id->valuestring[0]) {
        snprintf(out, cap, "%s", id->valuestring);
        rc = 0;
    } else {
        slog(s, CCT_LOG_ERROR, "POST %s/runs answered without an \"id\"", s->shown);
    }
    cJSON_Delete(answer);
    return rc;
}

/* POST /emissions with the upload's identity `key` (NULL: none, a spool line from before
 * keys). SENT, RETRY, SPOOL or REJECTED (with `why`). */
static int post_emission(const cct_api_session *s, const cJSON *emission, const char *key,
                         cct_reject *why)
{
    cct_http_reply reply;
    char *body = cJSON_PrintUnformatted(emission);

    if (!body)
        return 1;
    cct_http__post(s->endpoint, "/emissions", s->api_key, key, body, s->timeout_ms, &reply);
    free(body);
    if (reply.status == 201 || reply.status == 200)
        return 0;
    if (reply.status == 0)
        slog(s, CCT_LOG_WARNING, "POST %s/emissions: %s", s->shown, reply.error);
    else if (!cct_deadletter__final(reply.status)) /* a refusal is logged by dead_letter */
        slog(s, CCT_LOG_WARNING, "POST %s/emissions: HTTP %ld", s->shown, reply.status);
    return refusal(&reply, "POST /emissions", why);
}

#define REPLAY_RUNS 64

/* The runs created during one replay, by local run id: the spooled lines of one run share it
 * (one POST /runs per tracker, not one per line). */
typedef struct replay_runs {
    unsigned int count;
    struct {
        char local[64];
        char id[128];
    } runs[REPLAY_RUNS];
} replay_runs;

static const char *replay_run_find(const replay_runs *r, const char *local)
{
    for (unsigned int i = 0; i < r->count; i++) {
        if (strcmp(r->runs[i].local, local) == 0)
            return r->runs[i].id;
    }
    return NULL;
}

static void replay_run_add(replay_runs *r, const char *local, const char *id)
{
    unsigned int i = r->count < REPLAY_RUNS ? r->count++ : REPLAY_RUNS - 1;
    snprintf(r->runs[i].local, sizeof(r->runs[i].local), "%s", local);
    snprintf(r->runs[i].id, sizeof(r->runs[i].id), "%s", id);
}

/* Worker thread only: publish the run id to session_free, which spools under W.lock. */
static void set_run_id(cct_api_session *s, const char *id)
{
    pthread_mutex_lock(&W.lock);
    snprintf(s->run_id, sizeof(s->run_id), "%s", id);
    pthread_mutex_unlock(&W.lock);
}

/* The claim being replayed, for the exit handler, which gives its undone lines back to the
 * spool. R.lock is taken by the worker around each line's outcome (mark done, append back)
 * and by the exit handler, which keeps it: lock order R, then W. */
static struct {
    pthread_mutex_t lock;
    int active;
    cct_spool_claim claim;
    const cct_api_session *session;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* One spooled line, parsed. */
typedef struct replay_entry {
    cJSON *doc;
    cJSON *run, *emission;
    const char *local;
    const char *key; /* NULL: a line from before keys */
    char run_id[128];
} replay_entry;

/* 0, or -1 for a line that cannot be delivered (torn or not a spool line). */
static int parse_entry(const char *line, replay_entry *e)
{
    cJSON *local, *rid, *key;

    memset(e, 0, sizeof(*e));
    e->doc = cJSON_Parse(line);
    e->run = cJSON_GetObjectItemCaseSensitive(e->doc, "run");
    e->emission = cJSON_GetObjectItemCaseSensitive(e->doc, "emission");
    local = cJSON_GetObjectItemCaseSensitive(e->doc, "local_run_id");
    rid = cJSON_GetObjectItemCaseSensitive(e->doc, "run_id");
    key = cJSON_GetObjectItemCaseSensitive(e->doc, "emission_key");
    if (!cJSON_IsObject(e->run) || !cJSON_IsObject(e->emission) || !cJSON_IsString(local))
        return -1;
    e->local = local->valuestring;
    e->key = cJSON_IsString(key) ? key->valuestring : NULL;
    if (cJSON_IsString(rid))
        snprintf(e->run_id, sizeof(e->run_id), "%s", rid->valuestring);
    return 0;
}

/* Create the entry's run if needed and post its emission, with the identities it was
 * spooled with. SENT, RETRY, SPOOL or REJECTED (with `why`). */
static int deliver_entry(cct_api_session *s, replay_entry *e, replay_runs *created, cct_reject *why)
{
    const char *known = replay_run_find(created, e->local);
    int rc = 1;

    if (!e->run_id[0] && known)
        snprintf(e->run_id, sizeof(e->run_id), "%s", known);
    else if (!e->run_id[0] && strcmp(e->local, s->local_run_id) == 0 && s->run_id[0])
        snprintf(e->run_id, sizeof(e->run_id), "%s", s->run_id);
    if (!e->run_id[0]) {
        rc = create_run(s, e->run, e->local, e->run_id, sizeof(e->run_id), why);
        if (rc != 0)
            return rc;
        replay_run_add(created, e->local, e->run_id);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(e->emission, "run_id");
    cJSON_AddStringToObject(e->emission, "run_id", e->run_id);
    rc = post_emission(s, e->emission, e->key, why);
    cJSON_DeleteItemFromObjectCaseSensitive(e->emission, "run_id");
    return rc;
}

/* Replay one claimed file: each line is delivered, refused for good (the dead-letter file),
 * or appended back to the spool, then marked done; a line that cannot be read goes to the
 * dead-letter file as it is. The first failure sets *api_down: the rest goes back untried.
 * The file is removed only when every line was read and is done; otherwise it stays,
 * unlocked, for a later replayer to reclaim. */
static void replay_claim(cct_api_session *s, cct_spool_claim *c, replay_runs *created,
                         int *api_down)
{
    unsigned int unreadable = 0, unkept = 0;
    char dead_path[1200] = "";
    int fd = dup(c->fd); /* shares the lock; closing it does not release it */
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    char *line = NULL;
    size_t cap = 0;
    long offset = 0;
    ssize_t n;
    int complete = f != NULL;

    if (!f && fd >= 0)
        close(fd);
    pthread_mutex_lock(&R.lock);
    R.active = 1;
    R.claim = *c;
    R.session = s;
    pthread_mutex_unlock(&R.lock);
    while (f && (n = getline(&line, &cap, f)) > 0) {
        long at = offset;
        replay_entry e;
        cct_reject why;
        int rc = RETRY;

        offset += (long)n;
        if (line[0] == '#')
            continue; /* done by an earlier replayer of this claim */
        int parsed = parse_entry(line, &e);
        if (parsed == 0 && !*api_down)
            rc = deliver_entry(s, &e, created, &why);
        if (parsed == 0 && rc != SENT && rc != REJECTED)
            *api_down = 1;
        pthread_mutex_lock(&R.lock);
        if (parsed != 0) {
            /* A torn line cannot be delivered (the rest can): kept, never dropped unseen. */
            unreadable++;
            if (cct_deadletter__append_unreadable(s->spool_dir, s->endpoint, s->shown, line,
                                                  dead_path, sizeof(dead_path)) == 0) {
                cct_spool__mark_done(c, at);
            } else {
                unkept++;
                complete = 0; /* it stays in the claim */
            }
        } else if (rc == SENT) {
            cct_spool__mark_done(c, at);
            if (strcmp(e.local, s->local_run_id) == 0 && !s->run_id[0])
                set_run_id(s, e.run_id);
        } else if (rc == REJECTED) {
            dead_letter(s, &why, e.local, e.run_id[0] ? e.run_id : NULL, e.run, e.emission);
            cct_spool__mark_done(c, at);
        } else if (cct_spool__append(s->spool_dir, s->endpoint, s->shown, e.run, e.local,
                                     e.run_id[0] ? e.run_id : NULL, e.key, e.emission) == 0) {
            cct_spool__mark_done(c, at);
        } else {
            complete = 0; /* it stays in the claim */
        }
        pthread_mutex_unlock(&R.lock);
        cJSON_Delete(e.doc);
    }
    if (f && ferror(f))
        complete = 0;
    free(line);
    if (unreadable)
        slog(s, CCT_LOG_ERROR, "%u unreadable line(s) in the spool for %s: %s %s", unreadable,
             s->shown, unkept ? "could not be kept in" : "kept in",
             dead_path[0] ? dead_path : "the dead-letter file");
    if (f)
        fclose(f);
    pthread_mutex_lock(&R.lock);
    R.active = 0;
    cct_spool__release(c, complete);
    pthread_mutex_unlock(&R.lock);
}

/* Say once per process that a spool file cannot be taken (not once per upload). Worker
 * thread only. */
static void log_unclaimable_once(const cct_api_session *s, const char *name, int err)
{
    static unsigned long long logged[8];
    static unsigned int count;
    unsigned long long h = 1469598103934665603ULL ^ (unsigned long long)err;

    for (const char *p = name; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    for (unsigned int i = 0; i < count; i++) {
        if (logged[i] == h)
            return;
    }
    if (count < sizeof(logged) / sizeof(logged[0]))
        logged[count++] = h;
    slog(s, CCT_LOG_ERROR, "cannot replay the spool %s/%s for %s: %s (it is left as it is)",
         s->spool_dir, name, s->shown, strerror(err));
}

#define MAX_CLAIMS 64

/* Replay what an earlier failure spooled for this endpoint, before new data goes out: first
 * (once per session) the claims of replayers that are gone, then the spool itself. */
static void replay_spool(cct_api_session *s)
{
    replay_runs created = {0}; /* 12 KB on the worker thread's stack */
    int api_down = 0;

    for (int round = 0; round < MAX_CLAIMS; round++) {
        cct_spool_claim c;
        char failed[128];
        int err;
        int rc = cct_spool__claim(s->spool_dir, s->endpoint, !s->orphans_checked, &c, failed,
                                  sizeof(failed), &err);
        if (failed[0])
            log_unclaimable_once(s, failed, err);
        if (rc != 0)
            break;
        int orphan = c.orphan;
        replay_claim(s, &c, &created, &api_down);
        if (!orphan)
            break; /* the spool itself is last: what failed now went back to a new one */
    }
    s->orphans_checked = 1;
}

/* SENT, RETRY (later), SPOOL (give up for now) or REJECTED (with `why`). */
static int deliver(job *j, cct_reject *why)
{
    cct_api_session *s = j->session;
    cJSON *emission;
    int rc;

    replay_spool(s);
    if (!s->run_id[0]) {
        /* Lazy run creation: the run exists on the server only once it has data. */
        char id[sizeof(s->run_id)];
        rc = create_run(s, s->run, s->local_run_id, id, sizeof(id), why);
        if (rc != 0)
            return rc;
        set_run_id(s, id);
    }
    emission = cct_payload__emission(&j->e, s->run_id);
    if (!emission)
        return 1;
    rc = post_emission(s, emission, j->key, why);
    cJSON_Delete(emission);
    return rc;
}

static void insert_sorted_locked(job *j)
{
    job **p = &W.queue;
    while (*p && (*p)->due_ns <= j->due_ns)
        p = &(*p)->next;
    j->next = *p;
    *p = j;
}

static uint64_t backoff_ns(int attempts)
{
    /* xorshift jitter: spreads the retries of many processes hitting one API */
    W.rng ^= W.rng << 13;
    W.rng ^= W.rng >> 7;
    W.rng ^= W.rng << 17;
    double jitter = 0.5 + (double)(W.rng % 1000) / 1000.0;
    return (uint64_t)((double)(BACKOFF_BASE_NS << (attempts - 1)) * jitter);
}

static void parse_geo(const char *body, cct_geo *g)
{
    cJSON *o = cJSON_Parse(body);
    const char *fields[] = {"country_code3", "country", "region"};
    char *dst[] = {g->country_iso_code, g->country_name, g->region};
    size_t caps[] = {sizeof(g->country_iso_code), sizeof(g->country_name), sizeof(g->region)};
    const char *coords[] = {"latitude", "longitude"};
    double *cdst[] = {&g->latitude, &g->longitude};

    memset(g, 0, sizeof(*g));
    g->latitude = g->longitude = NAN;
    for (int i = 0; i < 3; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, fields[i]);
        if (cJSON_IsString(v))
            snprintf(dst[i], caps[i], "%s", v->valuestring);
    }
    for (int i = 0; i < 2; i++) {
        /* geojs sends coordinates as strings; accept numbers too */
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, coords[i]);
        if (cJSON_IsNumber(v))
            *cdst[i] = v->valuedouble;
        else if (cJSON_IsString(v))
            *cdst[i] = strtod(v->valuestring, NULL);
    }
    cJSON_Delete(o);
}

/* The geo lookup, once per process, on its own short-lived thread (it may hang for the
 * whole api_timeout_ms of the first tracker that asked). */
static void *geo_main(void *arg)
{
    char url[sizeof(W.geo_url)];
    unsigned int timeout_ms;
    cct_http_reply reply;
    cct_geo g;

    (void)arg;
    pthread_mutex_lock(&W.lock);
    memcpy(url, W.geo_url, sizeof(url));
    timeout_ms = W.geo_timeout_ms;
    W.geo_state = GEO_RUNNING;
    pthread_mutex_unlock(&W.lock);
    cct_http__get(url, timeout_ms, &reply);
    if (reply.status == 200)
        parse_geo(reply.body, &g);
    pthread_mutex_lock(&W.lock);
    W.geo_state = reply.status == 200 && g.country_iso_code[0] ? GEO_DONE : GEO_FAILED;
    if (W.geo_state == GEO_DONE)
        W.geo = g;
    pthread_cond_broadcast(&W.done);
    pthread_mutex_unlock(&W.lock);
    tls_thread_done();
    return NULL;
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.lock);
    for (;;) {
        if (W.exiting)
            break;
        if (!W.queue) {
            pthread_cond_wait(&W.wake, &W.lock);
            continue;
        }
        uint64_t now = now_ns();
        if (W.queue->due_ns > now) {
            struct timespec ts = deadline_ts(W.queue->due_ns);
            pthread_cond_timedwait(&W.wake, &W.lock, &ts);
            continue;
        }
        job *j = W.queue;
        W.queue = j->next;
        W.inflight = j;
        pthread_mutex_unlock(&W.lock);
        cct_reject why;
        int rc = deliver(j, &why);
        pthread_mutex_lock(&W.lock);
        W.inflight = NULL;
        j->attempts++;
        if (rc == RETRY && !j->session->freed && j->attempts < MAX_ATTEMPTS) {
            j->due_ns = now_ns() + backoff_ns(j->attempts);
            insert_sorted_locked(j);
            continue;
        }
        if (rc == REJECTED) {
            pthread_mutex_unlock(&W.lock);
            dead_letter_job(j, &why, j->session->run_id);
            pthread_mutex_lock(&W.lock);
        } else if (rc != SENT) {
            pthread_mutex_unlock(&W.lock);
            spool_job(j, j->session->run_id);
            pthread_mutex_lock(&W.lock);
        }
        j->session->pending--;
        session_unref_locked(j->session);
        free(j);
        pthread_cond_broadcast(&W.done);
    }
    pthread_mutex_unlock(&W.lock);
    tls_thread_done();
    return NULL;
}

#define EXIT_JOIN_S 1

/* At exit, whatever is still queued or in flight goes to the spool, and so do the undone
 * lines of a replay under way: nothing is dropped, nothing stays claimed. First the worker
 * is asked to end and joined, so nothing of it is left for a leak checker: it finishes the
 * upload in flight (delivered, or spooled by it) unless that takes over EXIT_JOIN_S; then
 * the upload is spooled here and the worker left (a duplicate if the server stores it after
 * all, recognisable by its key). A worker in a replay is not waited for: the replay's lines
 * go back to the spool here. */
static void spool_everything_at_exit(void)
{
    /* Both locks stay held: the worker must not mark, append or upload once exit is done. */
    pthread_mutex_lock(&R.lock);
    int replaying = R.active;
    if (R.active && cct_spool__give_back(&R.claim, R.session->spool_dir, R.session->endpoint) == 0)
        cct_spool__release(&R.claim, 1);
    /* else the claim stays; its lock dies with the process and a later replayer takes it */
    R.active = 0;
    pthread_mutex_lock(&W.lock);
    W.exiting = 1; /* the worker ends at its next look at the queue; submit() spools */
    if (W.started && !replaying) {
        struct timespec deadline;
        pthread_cond_broadcast(&W.wake);
        pthread_mutex_unlock(&W.lock);
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += EXIT_JOIN_S;
        pthread_timedjoin_np(W.thread, NULL, &deadline);
        pthread_mutex_lock(&W.lock);
    }
    if (W.inflight)
        spool_job(W.inflight, W.inflight->session->run_id);
    for (job *j = W.queue; j; j = j->next)
        spool_job(j, j->session->run_id);
    W.queue = NULL;
}

static void init_sync(void)
{
    pthread_condattr_t attr;

    pthread_mutex_init(&W.lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&W.wake, &attr);
    pthread_cond_init(&W.done, &attr);
    pthread_condattr_destroy(&attr);
}

/* A forked child has no worker thread and maybe a lock held by one of the parent's threads.
 * Its queue is the parent's work (the parent delivers it): the child starts empty, and
 * redoes the geo lookup if the parent's was still under way. */
static void atfork_child(void)
{
    /* The parent's claim is the parent's: our copies of its descriptors would keep its lock
     * held (and the claim unreclaimable) for as long as we live. */
    pthread_mutex_init(&R.lock, NULL);
    if (R.active) {
        close(R.claim.fd);
        close(R.claim.dirfd);
        R.active = 0;
    }
    init_sync();
    W.started = 0;
    W.exiting = 0;
    W.queue = NULL;
    W.inflight = NULL;
    if (W.geo_state == GEO_QUEUED || W.geo_state == GEO_RUNNING)
        W.geo_state = GEO_NONE;
}

static void init_module(void)
{
    if (cct_http__init() != 0)
        return;
    tls_thread_done(); /* whichever thread this is, it may end before the process */
    init_sync();
    pthread_atfork(NULL, NULL, atfork_child);
    W.rng = now_ns() ^ ((uint64_t)getpid() << 20) ^ 0x9e3779b97f4a7c15ULL;
    atexit(spool_everything_at_exit);
    init_ok = 1;
}

static int ensure_worker_locked(void)
{
    if (W.started)
        return 0;
    if (pthread_create(&W.thread, NULL, worker_main, NULL) != 0)
        return -1;
    W.started = 1; /* joinable: the exit handler joins it */
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static cct_api_session *session_new(const cct_api_run_info *info)
{
    cct_api_session *s;
    struct timespec ts;

    pthread_once(&init_once, init_module);
    if (!init_ok)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->refs = 1;
    s->endpoint = dup_or_null(info->endpoint);
    if (s->endpoint) {
        char shown[CCT_URL_MAX];
        cct_url__redact(s->endpoint, shown, sizeof(shown));
        s->shown = strdup(shown);
    }
    s->api_key = dup_or_null(info->api_key);
    s->spool_dir = dup_or_null(info->spool_dir ? info->spool_dir : ".");
    s->local_run_id = dup_or_null(info->local_run_id ? info->local_run_id : "");
    s->timeout_ms = info->timeout_ms;
    s->run = cct_payload__run(info, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
    s->log_fn = info->log_fn;
    s->log_payload = info->log_payload;
    s->log_level = info->log_level;
    if (!s->endpoint || !s->shown || !s->spool_dir || !s->local_run_id || !s->run ||
        (info->api_key && !s->api_key)) {
        pthread_mutex_lock(&W.lock);
        session_unref_locked(s);
        pthread_mutex_unlock(&W.lock);
        return NULL;
    }
    return s;
}

static int submit(cct_api_session *s, const cct_api_emission *e)
{
    job *j = calloc(1, sizeof(*j));
    int rc = 0;

    if (!j)
        return -1;
    j->session = s;
    j->e = *e;
    j->due_ns = now_ns();
    pthread_mutex_lock(&W.lock);
    if (W.exiting) {
        /* The worker is gone (exit runs): straight to the spool, nothing dropped. */
        snprintf(j->key, sizeof(j->key), "%.36s.%u", s->local_run_id, ++s->uploads);
        spool_job(j, s->run_id);
        free(j);
    } else if (ensure_worker_locked() != 0) {
        rc = -1;
        free(j);
    } else {
        snprintf(j->key, sizeof(j->key), "%.36s.%u", s->local_run_id, ++s->uploads);
        s->refs++;
        s->pending++;
        insert_sorted_locked(j);
        pthread_cond_signal(&W.wake);
    }
    pthread_mutex_unlock(&W.lock);
    return rc;
}

static void session_free(cct_api_session *s, unsigned int wait_ms)
{
    uint64_t deadline = now_ns() + (uint64_t)wait_ms * 1000000ULL;
    job *mine = NULL;
    char run_id[sizeof(s->run_id)];

    if (!s)
        return;
    pthread_mutex_lock(&W.lock);
    /* Retries go on during the wait (a 5xx burst shorter than wait_ms is delivered); only
     * once the time is up do failures spool at once. */
    while (s->pending > 0 && now_ns() < deadline) {
        struct timespec ts = deadline_ts(deadline);
        pthread_cond_timedwait(&W.done, &W.lock, &ts);
    }
    s->freed = 1;
    /* Out of time: take this session's queued jobs back and spool them. */
    for (job **p = &W.queue; *p;) {
        if ((*p)->session == s) {
            job *j = *p;
            *p = j->next;
            j->next = mine;
            mine = j;
        } else {
            p = &(*p)->next;
        }
    }
    memcpy(run_id, s->run_id, sizeof(run_id)); /* the worker may be creating the run */
    pthread_mutex_unlock(&W.lock);
    while (mine) {
        job *j = mine;
        mine = j->next;
        spool_job(j, run_id);
        pthread_mutex_lock(&W.lock);
        s->pending--;
        session_unref_locked(s);
        pthread_mutex_unlock(&W.lock);
        free(j);
    }
    pthread_mutex_lock(&W.lock);
    session_unref_locked(s);
    pthread_mutex_unlock(&W.lock);
}

static void geo_start(const char *url, unsigned int timeout_ms)
{
    pthread_once(&init_once, init_module);
    if (!init_ok)
        return;
    pthread_mutex_lock(&W.lock);
    if (W.geo_state == GEO_NONE) {
        pthread_t thread;
        snprintf(W.geo_url, sizeof(W.geo_url), "%s", url);
        W.geo_timeout_ms = timeout_ms;
        W.geo_state = GEO_QUEUED;
        if (pthread_create(&thread, NULL, geo_main, NULL) == 0) {
            pthread_detach(thread);
        } else {
            W.geo_state = GEO_FAILED;
            pthread_cond_broadcast(&W.done);
        }
    }
    pthread_mutex_unlock(&W.lock);
}

static int geo_wait(cct_geo *out, unsigned int wait_ms)
{
    uint64_t deadline = now_ns() + (uint64_t)wait_ms * 1000000ULL;
    int rc;

    pthread_once(&init_once, init_module); /* orders this thread after the lock's init */
    if (!init_ok)
        return -1;
    pthread_mutex_lock(&W.lock);
    /* GEO_NONE too: the lookup may be about to start (geo_start is deferred to the sampler). */
    while (W.geo_state != GEO_DONE && W.geo_state != GEO_FAILED && now_ns() < deadline) {
        struct timespec ts = deadline_ts(deadline);
        pthread_cond_timedwait(&W.done, &W.lock, &ts);
    }
    rc = W.geo_state == GEO_DONE ? 0 : W.geo_state == GEO_FAILED ? -1 : 1;
    if (rc == 0)
        *out = W.geo;
    pthread_mutex_unlock(&W.lock);
    return rc;
}

static const char *describe(void)
{
    return curl_version();
}

static const struct cct_api_module module = {
    CCT_API_MODULE_ABI, describe, session_new, submit, session_free, geo_start, geo_wait,
};

__attribute__((visibility("default"))) const struct cct_api_module *cct_api_module_v3(void);
const struct cct_api_module *cct_api_module_v3(void)
{
    return &module;
}
