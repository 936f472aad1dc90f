/*
 * The mock CodeCarbon API (see mockapi.h), on libmicrohttpd with a thread per connection so
 * injected latency and hangs block only their own connection. Bodies are checked field by
 * field with cJSON the way the real API's schemas would (422 naming the field), and the
 * x-api-token header is required (401). It binds 127.0.0.1 only, never another address.
 * A connection idle for connection_timeout_s (a half-sent request) is closed.
 */
#include "mockapi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "error.h"

#define MAX_BODY (64 * 1024)
#define MAX_RUNS 4096
#define MAX_SEEN 65536
#define HANG_LIMIT_S 120 /* a hung request still ends, so a forgotten server cannot hang CI */
#define DEFAULT_CONNECTION_TIMEOUT_S 30

struct ccb_mockapi {
    struct MHD_Daemon *daemon;
    unsigned int port;
    char url[64];
    char *api_key;
    char geo_country[4];
    pthread_mutex_t lock;
    pthread_cond_t stopping_cond;
    int stopping;
    unsigned int latency_ms;
    ccb_mock_fault fault;
    unsigned int fault_left;
    char fault_path[32]; /* "": every request */
    int geo_hold;
    ccb_mockapi_stats stats;
    unsigned long run_seq;
    char (*runs)[40];  /* ids handed out, to check run_id of emissions */
    size_t nruns;
    uint64_t *seen;    /* hashes of the Idempotency-Keys accepted, to count duplicates */
    size_t nseen;
    uint64_t *arrivals; /* when each request arrived, for requests_before */
    size_t narrivals;
};

typedef struct request {
    char *body;
    size_t len;
    int too_big;
} request;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Set while a request under CCB_MOCK_FAULT_LOSE_ANSWER is handled (thread per connection:
 * this thread's request): it is processed and counted, but not answered. */
static _Thread_local int lose_this_answer;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *json)
{
    struct MHD_Response *r;
    enum MHD_Result rc;

    if (lose_this_answer)
        return MHD_YES;
    r = MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* 422 with the field named, as FastAPI (CodeCarbon's API) does. Caller holds m->lock. */
static enum MHD_Result reject_locked(ccb_mockapi *m, struct MHD_Connection *c,
                                     unsigned int status, const char *detail)
{
    char json[400];
    cJSON *o = cJSON_CreateObject();
    char *text;

    m->stats.answers_4xx++;
    snprintf(m->stats.last_error, sizeof(m->stats.last_error), "%s", detail);
    cJSON_AddStringToObject(o, "detail", detail);
    text = cJSON_PrintUnformatted(o);
    snprintf(json, sizeof(json), "%s", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
    return answer(c, status, json);
}

typedef enum { F_STRING, F_NUMBER, F_NUMBER_OR_NULL } field_type;
typedef struct field {
    const char *name;
    field_type type;
} field;

static const field run_fields[] = {
    {"timestamp", F_STRING},     {"experiment_id", F_STRING},     {"os", F_STRING},
    {"python_version", F_STRING}, {"codecarbon_version", F_STRING}, {"cpu_count", F_NUMBER},
    {"cpu_model", F_STRING},     {"gpu_count", F_NUMBER},         {"gpu_model", F_STRING},
    {"longitude", F_NUMBER_OR_NULL}, {"latitude", F_NUMBER_OR_NULL}, {"region", F_STRING},
    {"provider", F_STRING},      {"ram_total_size", F_NUMBER},    {"tracking_mode", F_STRING},
};

static const field emission_fields[] = {
    {"timestamp", F_STRING},     {"run_id", F_STRING},      {"duration", F_NUMBER},
    {"emissions_sum", F_NUMBER}, {"emissions_rate", F_NUMBER}, {"cpu_power", F_NUMBER},
    {"gpu_power", F_NUMBER},     {"ram_power", F_NUMBER},   {"cpu_energy", F_NUMBER},
    {"gpu_energy", F_NUMBER},    {"ram_energy", F_NUMBER},  {"energy_consumed", F_NUMBER},
};

/* "" when the body matches the schema, else what is wrong, naming the field. */
static void check_schema(const cJSON *o, const field *fields, size_t n, char *why, size_t cap)
{
    why[0] = '\0';
    if (!cJSON_IsObject(o)) {
        snprintf(why, cap, "body: expected a JSON object");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, fields[i].name);
        int ok;
        if (!v) {
            snprintf(why, cap, "field %s: missing", fields[i].name);
            return;
        }
        switch (fields[i].type) {
        case F_STRING:
            ok = cJSON_IsString(v);
            break;
        case F_NUMBER:
            ok = cJSON_IsNumber(v);
            break;
        case F_NUMBER_OR_NULL:
            ok = cJSON_IsNumber(v) || cJSON_IsNull(v);
            break;
        default:
            ok = 0;
        }
        if (!ok) {
            snprintf(why, cap, "field %s: wrong type", fields[i].name);
            return;
        }
    }
}

static int known_run_locked(const ccb_mockapi *m, const char *id)
{
    for (size_t i = 0; i < m->nruns; i++) {
        if (strcmp(m->runs[i], id) == 0)
            return 1;
    }
    return 0;
}

/* Whether this request's Idempotency-Key was accepted before (and remember it). Runs and
 * emissions share the table: their keys differ ("<run>" and "<run>.<n>"). */
static int seen_before_locked(ccb_mockapi *m, struct MHD_Connection *c)
{
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    uint64_t h;

    if (!key || !*key) {
        m->stats.requests_without_key++;
        return 0;
    }
    h = fnv1a(key, strlen(key));
    for (size_t i = 0; i < m->nseen; i++) {
        if (m->seen[i] == h)
            return 1;
    }
    if (m->nseen < MAX_SEEN)
        m->seen[m->nseen++] = h;
    return 0;
}

static enum MHD_Result handle_runs_locked(ccb_mockapi *m, struct MHD_Connection *c,
                                          const cJSON *body)
{
    char why[200], id[40], json[80];

    check_schema(body, run_fields, sizeof(run_fields) / sizeof(run_fields[0]), why,
                 sizeof(why));
    if (why[0])
        return reject_locked(m, c, MHD_HTTP_UNPROCESSABLE_CONTENT, why);
    if (seen_before_locked(m, c))
        m->stats.runs_duplicated++;
    m->run_seq++;
    snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012lx", m->run_seq);
    if (m->nruns < MAX_RUNS)
        snprintf(m->runs[m->nruns++], sizeof(m->runs[0]), "%s", id);
    m->stats.runs_created++;
    snprintf(json, sizeof(json), "{\"id\": \"%s\"}", id);
    return answer(c, MHD_HTTP_CREATED, json);
}

static enum MHD_Result handle_emissions_locked(ccb_mockapi *m, struct MHD_Connection *c,
                                               const cJSON *body)
{
    char why[200];
    const cJSON *run_id;

    check_schema(body, emission_fields, sizeof(emission_fields) / sizeof(emission_fields[0]),
                 why, sizeof(why));
    if (why[0])
        return reject_locked(m, c, MHD_HTTP_UNPROCESSABLE_CONTENT, why);
    run_id = cJSON_GetObjectItemCaseSensitive(body, "run_id");
    if (!known_run_locked(m, run_id->valuestring))
        return reject_locked(m, c, MHD_HTTP_UNPROCESSABLE_CONTENT,
                             "field run_id: no such run (create it with POST /runs)");
    if (seen_before_locked(m, c))
        m->stats.emissions_duplicated++;
    m->stats.emissions_accepted++;
    if (!m->stats.first_emission_ns)
        m->stats.first_emission_ns = mono_ns();
    return answer(c, MHD_HTTP_CREATED, "{}");
}

static enum MHD_Result handle_geo_locked(ccb_mockapi *m, struct MHD_Connection *c)
{
    char json[256];

    while (m->geo_hold && !m->stopping)
        pthread_cond_wait(&m->stopping_cond, &m->lock);
    if (m->stopping)
        return MHD_NO;
    m->stats.geo_requests++;
    /* geojs sends the coordinates as strings; the tracker must cope. */
    snprintf(json, sizeof(json),
             "{\"country_code3\": \"%s\", \"country\": \"%s\", \"region\": \"Mock Region\", "
             "\"latitude\": \"48.8582\", \"longitude\": \"2.3387\"}",
             m->geo_country, strcmp(m->geo_country, "FRA") == 0 ? "France" : m->geo_country);
    return answer(c, MHD_HTTP_OK, json);
}

/* Sleep `ms` or until the server stops. Caller holds m->lock. */
static void wait_locked(ccb_mockapi *m, uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t end = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + ms * 1000000ULL;
    ts.tv_sec = (time_t)(end / 1000000000ULL);
    ts.tv_nsec = (long)(end % 1000000000ULL);
    while (!m->stopping && mono_ns() < end)
        pthread_cond_timedwait(&m->stopping_cond, &m->lock, &ts);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    ccb_mockapi *m = cls;
    request *req = *req_cls;
    enum MHD_Result rc;
    cJSON *body = NULL;
    const char *token;

    (void)version;
    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (req->len + *upload_data_size > MAX_BODY) {
            req->too_big = 1;
        } else {
            char *grown = realloc(req->body, req->len + *upload_data_size + 1);
            if (!grown)
                return MHD_NO;
            req->body = grown;
            memcpy(req->body + req->len, upload_data, *upload_data_size);
            req->len += *upload_data_size;
            req->body[req->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    pthread_mutex_lock(&m->lock);
    m->stats.requests_total++;
    uint64_t arrived = mono_ns();
    if (!m->stats.first_request_ns)
        m->stats.first_request_ns = arrived;
    if (m->narrivals < MAX_SEEN)
        m->arrivals[m->narrivals++] = arrived;
    if (m->latency_ms)
        wait_locked(m, m->latency_ms);
    ccb_mock_fault fault = CCB_MOCK_FAULT_NONE;
    if (m->fault != CCB_MOCK_FAULT_NONE && m->fault_left > 0 &&
        (!m->fault_path[0] || strcmp(url, m->fault_path) == 0)) {
        fault = m->fault;
        m->fault_left--;
    }
    if (fault != CCB_MOCK_FAULT_NONE && fault != CCB_MOCK_FAULT_LOSE_ANSWER) {
        if (fault == CCB_MOCK_FAULT_5XX) {
            m->stats.answers_5xx++;
            rc = answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, "{\"detail\": \"injected fault\"}");
        } else {
            if (fault == CCB_MOCK_FAULT_HANG)
                wait_locked(m, (uint64_t)HANG_LIMIT_S * 1000);
            rc = MHD_NO; /* closes the connection without an answer */
        }
        pthread_mutex_unlock(&m->lock);
        return rc;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/geo.json") == 0) {
        rc = handle_geo_locked(m, c);
        goto done;
    }
    if (strcmp(method, "POST") != 0 || (strcmp(url, "/runs") != 0 &&
                                        strcmp(url, "/emissions") != 0)) {
        rc = reject_locked(m, c, MHD_HTTP_NOT_FOUND, "no such endpoint");
        goto done;
    }
    token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-token");
    if (!token || !*token || (m->api_key && strcmp(token, m->api_key) != 0)) {
        rc = reject_locked(m, c, MHD_HTTP_UNAUTHORIZED, "header x-api-token: missing or wrong");
        goto done;
    }
    if (req->too_big) {
        rc = reject_locked(m, c, MHD_HTTP_CONTENT_TOO_LARGE, "body: too large");
        goto done;
    }
    body = req->body ? cJSON_ParseWithLength(req->body, req->len) : NULL;
    if (!body) {
        rc = reject_locked(m, c, MHD_HTTP_UNPROCESSABLE_CONTENT, "body: not valid JSON");
        goto done;
    }
    lose_this_answer = fault == CCB_MOCK_FAULT_LOSE_ANSWER;
    if (strcmp(url, "/runs") == 0)
        rc = handle_runs_locked(m, c, body);
    else
        rc = handle_emissions_locked(m, c, body);
    lose_this_answer = 0;
    if (fault == CCB_MOCK_FAULT_LOSE_ANSWER) {
        /* Stored, but the answer never comes: the client times out and sends it again. */
        wait_locked(m, (uint64_t)HANG_LIMIT_S * 1000);
        rc = MHD_NO;
    }
done:
    pthread_mutex_unlock(&m->lock);
    cJSON_Delete(body);
    return rc;
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    request *req = *req_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (req) {
        free(req->body);
        free(req);
        *req_cls = NULL;
    }
}

static void connection_event(void *cls, struct MHD_Connection *c, void **socket_context,
                             enum MHD_ConnectionNotificationCode toe)
{
    ccb_mockapi *m = cls;
    (void)c;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&m->lock);
        m->stats.connections++;
        pthread_mutex_unlock(&m->lock);
    }
}

int ccb_mockapi_start(const ccb_mockapi_config *cfg, ccb_mockapi **out)
{
    ccb_mockapi *m = calloc(1, sizeof(*m));
    struct sockaddr_in addr;
    const union MHD_DaemonInfo *info;
    pthread_condattr_t attr;

    *out = NULL;
    if (!m)
        return ccb_error_set("mock API: out of memory");
    m->runs = calloc(MAX_RUNS, sizeof(*m->runs));
    m->seen = calloc(MAX_SEEN, sizeof(*m->seen));
    m->arrivals = calloc(MAX_SEEN, sizeof(*m->arrivals));
    m->api_key = cfg->api_key ? strdup(cfg->api_key) : NULL;
    if (!m->runs || !m->seen || !m->arrivals || (cfg->api_key && !m->api_key)) {
        ccb_mockapi_stop(m);
        return ccb_error_set("mock API: out of memory");
    }
    snprintf(m->geo_country, sizeof(m->geo_country), "%s",
             cfg->geo_country ? cfg->geo_country : "FRA");
    m->latency_ms = cfg->latency_ms;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&m->stopping_cond, &attr);
    pthread_condattr_destroy(&attr);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never another address */
    m->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC, 0, NULL,
        NULL, handle, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, m, MHD_OPTION_NOTIFY_CONNECTION,
        connection_event, m, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->connection_timeout_s ? cfg->connection_timeout_s : DEFAULT_CONNECTION_TIMEOUT_S,
        MHD_OPTION_END);
    if (!m->daemon) {
        ccb_mockapi_stop(m);
        return ccb_error_set("mock API: cannot listen on 127.0.0.1:%u (port in use? try "
                             "another --port, or 0 for any)",
                             cfg->port);
    }
    info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : cfg->port;
    snprintf(m->url, sizeof(m->url), "http://127.0.0.1:%u", m->port);
    *out = m;
    return 0;
}

void ccb_mockapi_stop(ccb_mockapi *m)
{
    if (!m)
        return;
    if (m->daemon) {
        pthread_mutex_lock(&m->lock);
        m->stopping = 1;
        pthread_cond_broadcast(&m->stopping_cond);
        pthread_mutex_unlock(&m->lock);
        MHD_stop_daemon(m->daemon);
        pthread_cond_destroy(&m->stopping_cond);
        pthread_mutex_destroy(&m->lock);
    }
    free(m->runs);
    free(m->seen);
    free(m->arrivals);
    free(m->api_key);
    free(m);
}

unsigned int ccb_mockapi_port(const ccb_mockapi *m)
{
    return m->port;
}

const char *ccb_mockapi_url(const ccb_mockapi *m)
{
    return m->url;
}

void ccb_mockapi_get_stats(ccb_mockapi *m, ccb_mockapi_stats *out)
{
    pthread_mutex_lock(&m->lock);
    *out = m->stats;
    pthread_mutex_unlock(&m->lock);
}

void ccb_mockapi_reset_stats(ccb_mockapi *m)
{
    pthread_mutex_lock(&m->lock);
    memset(&m->stats, 0, sizeof(m->stats));
    m->nseen = 0;
    m->narrivals = 0;
    pthread_mutex_unlock(&m->lock);
}

unsigned long ccb_mockapi_requests_before(ccb_mockapi *m, uint64_t when_ns)
{
    unsigned long n = 0;

    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->narrivals; i++)
        n += m->arrivals[i] < when_ns;
    pthread_mutex_unlock(&m->lock);
    return n;
}

void ccb_mockapi_set_fault(ccb_mockapi *m, ccb_mock_fault fault, unsigned int count)
{
    ccb_mockapi_set_fault_on(m, "", fault, count);
}

void ccb_mockapi_set_fault_on(ccb_mockapi *m, const char *path, ccb_mock_fault fault,
                              unsigned int count)
{
    pthread_mutex_lock(&m->lock);
    m->fault = fault;
    m->fault_left = count;
    snprintf(m->fault_path, sizeof(m->fault_path), "%s", path ? path : "");
    pthread_mutex_unlock(&m->lock);
}

void ccb_mockapi_hold_geo(ccb_mockapi *m, int hold)
{
    pthread_mutex_lock(&m->lock);
    m->geo_hold = hold;
    pthread_cond_broadcast(&m->stopping_cond);
    pthread_mutex_unlock(&m->lock);
}

void ccb_mockapi_set_latency(ccb_mockapi *m, unsigned int latency_ms)
{
    pthread_mutex_lock(&m->lock);
    m->latency_ms = latency_ms;
    pthread_mutex_unlock(&m->lock);
}
