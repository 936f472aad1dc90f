/*
 * The mock CodeCarbon API (see mockapi.h), on libmicrohttpd with a thread per connection so
 * injected latency and hangs block only their own connection. Bodies are checked field by
 * field with cJSON exactly as the real server's schemas check them (see check_schema: 422
 * naming the field), and the x-api-token header is required (401). It binds 127.0.0.1
 * only, never another address. A connection idle for connection_timeout_s (a half-sent
 * request) is closed.
 */
#include "mockapi.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
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
    char (*runs)[40]; /* ids handed out, to check run_id of emissions */
    size_t nruns;
    uint64_t *seen; /* hashes of the Idempotency-Keys accepted, to count duplicates */
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
static enum MHD_Result reject_locked(ccb_mockapi *m, struct MHD_Connection *c, unsigned int status,
                                     const char *detail)
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

/*
 * The real server's request schemas, rule for rule: RunCreate and EmissionCreate in
 * carbonserver/carbonserver/api/schemas.py (mlco2/codecarbon, commit b05965e, CodeCarbon
 * 3.3.0). FastAPI validates the parsed JSON with pydantic v2 in lax mode, so a field takes
 * what pydantic would coerce: an int takes an integral number, a bool or an integer string
 * (not 1.5); a float takes a number, a bool or a numeric string; a str only a string; a UUID
 * the simple, hyphenated, braced or urn form; a datetime an ISO 8601 string or a Unix time.
 * Fields not in the schema are ignored (pydantic's default). A failure is FastAPI's 422:
 * {"detail": [{"type", "loc": ["body", field], "msg"}, ...]}, with pydantic's messages.
 */
typedef enum { T_DATETIME, T_UUID, T_INT, T_FLOAT, T_STR } field_type;

#define REQUIRED 0x1u /* must be present (Field(...) or no default) */
#define NULLABLE 0x2u /* Optional[...]: null is a value */
#define GT0 0x4u      /* gt=0 */
#define GE0 0x8u      /* ge=0 */
#define LE100 0x10u   /* le=100 */

typedef struct field {
    const char *name;
    field_type type;
    unsigned int rules;
} field;

static const field run_fields[] = {
    {"timestamp", T_DATETIME, REQUIRED},
    {"experiment_id", T_UUID, REQUIRED},
    {"os", T_STR, NULLABLE},
    {"python_version", T_STR, NULLABLE},
    {"codecarbon_version", T_STR, NULLABLE},
    {"cpu_count", T_INT, NULLABLE},
    {"cpu_model", T_STR, NULLABLE},
    {"gpu_count", T_INT, NULLABLE},
    {"gpu_model", T_STR, NULLABLE},
    {"longitude", T_FLOAT, NULLABLE},
    {"latitude", T_FLOAT, NULLABLE},
    {"region", T_STR, NULLABLE},
    {"provider", T_STR, NULLABLE},
    {"ram_total_size", T_FLOAT, NULLABLE},
    {"tracking_mode", T_STR, NULLABLE},
};

#define ENERGY (REQUIRED | NULLABLE | GE0) /* Optional[float] = Field(..., ge=0) */
static const field emission_fields[] = {
    {"timestamp", T_DATETIME, REQUIRED},
    {"run_id", T_UUID, REQUIRED},
    {"duration", T_INT, REQUIRED | GT0},
    {"emissions_sum", T_FLOAT, ENERGY},
    {"emissions_rate", T_FLOAT, ENERGY},
    {"energy_consumed", T_FLOAT, ENERGY},
    {"cpu_power", T_FLOAT, ENERGY},
    {"gpu_power", T_FLOAT, ENERGY},
    {"ram_power", T_FLOAT, ENERGY},
    {"cpu_energy", T_FLOAT, ENERGY},
    {"gpu_energy", T_FLOAT, ENERGY},
    {"ram_energy", T_FLOAT, ENERGY},
    {"cpu_utilization_percent", T_FLOAT, NULLABLE | GE0 | LE100},
    {"gpu_utilization_percent", T_FLOAT, NULLABLE | GE0 | LE100},
    {"ram_utilization_percent", T_FLOAT, NULLABLE | GE0 | LE100},
    {"wue", T_FLOAT, NULLABLE | GE0},
};

/* The errors of one body: FastAPI's detail list, and the first as "field X: msg". */
typedef struct verdict {
    cJSON *detail;
    char first[200];
} verdict;

static void fail_field(verdict *v, const char *name, const char *type, const char *msg)
{
    cJSON *e = cJSON_CreateObject();
    cJSON *loc = cJSON_CreateArray();

    cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
    if (name)
        cJSON_AddItemToArray(loc, cJSON_CreateString(name));
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddItemToObject(e, "loc", loc);
    cJSON_AddStringToObject(e, "msg", msg);
    cJSON_AddItemToArray(v->detail, e);
    if (!v->first[0])
        snprintf(v->first, sizeof(v->first), "field %s: %s", name ? name : "body", msg);
}

/* Python's str.strip() of ASCII whitespace, into buf; NULL when it does not fit. */
static const char *trimmed(const char *s, char *buf, size_t cap)
{
    size_t len;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        s++;
    len = strlen(s);
    while (len > 0 && strchr(" \t\n\r\f\v", s[len - 1]))
        len--;
    if (len >= cap)
        return NULL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* float in lax mode: 0 and *out, or -1 with the pydantic error. */
static int lax_float(const cJSON *v, double *out, const char **type, const char **msg)
{
    char buf[128], *end;
    const char *t;

    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? 1.0 : 0.0;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v)) {
        *type = "float_type";
        *msg = "Input should be a valid number";
        return -1;
    }
    t = trimmed(v->valuestring, buf, sizeof(buf));
    if (t && *t && !strpbrk(t, "xX")) { /* strtod reads hex, Python's float() does not */
        *out = strtod(t, &end);
        if (*end == '\0')
            return 0;
    }
    *type = "float_parsing";
    *msg = "Input should be a valid number, unable to parse string as a number";
    return -1;
}

/* int in lax mode: an integral number, a bool, or a string of digits (".0" allowed). */
static int lax_int(const cJSON *v, double *out, const char **type, const char **msg)
{
    char buf[128];
    const char *t, *p;

    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? 1.0 : 0.0;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        if (!isfinite(v->valuedouble)) {
            *type = "finite_number";
            *msg = "Input should be a finite number";
            return -1;
        }
        if (v->valuedouble != floor(v->valuedouble)) {
            *type = "int_from_float";
            *msg = "Input should be a valid integer, got a number with a fractional part";
            return -1;
        }
        *out = v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v)) {
        *type = "int_type";
        *msg = "Input should be a valid integer";
        return -1;
    }
    t = trimmed(v->valuestring, buf, sizeof(buf));
    p = t ? t + (*t == '+' || *t == '-') : NULL;
    if (p && isdigit((unsigned char)*p)) {
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '.') /* "5.0" and "5." are integers to pydantic, "5.5" is not */
            for (p++; *p == '0'; p++)
                ;
        if (*p == '\0') {
            *out = strtod(t, NULL);
            return 0;
        }
    }
    *type = "int_parsing";
    *msg = "Input should be a valid integer, unable to parse string as an integer";
    return -1;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int hyphenated_uuid(const char *s, size_t len)
{
    return len == 36 && is_hex(s, 8) && s[8] == '-' && is_hex(s + 9, 4) && s[13] == '-' &&
           is_hex(s + 14, 4) && s[18] == '-' && is_hex(s + 19, 4) && s[23] == '-' &&
           is_hex(s + 24, 12);
}

/* pydantic-core parses a UUID string with the Rust uuid crate: simple (32 hex digits),
 * hyphenated, braced {..} or urn:uuid:.., any version. */
static int valid_uuid(const char *s)
{
    size_t len = strlen(s);

    if (len == 32)
        return is_hex(s, 32);
    if (len == 38 && s[0] == '{' && s[37] == '}')
        return hyphenated_uuid(s + 1, 36);
    if (len == 45 && strncmp(s, "urn:uuid:", 9) == 0)
        return hyphenated_uuid(s + 9, 36);
    return hyphenated_uuid(s, len);
}

/* n digits at *p as a number, advancing *p; -1 if they are not all digits. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

/* pydantic v2's datetime from a string: YYYY-MM-DD, optionally followed by T, t, space or _
 * and HH:MM[:SS[.ffffff]], then Z, z or +-HH[:]MM; or a number as a string (Unix time). */
static int valid_datetime_text(const char *s)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    char *end;
    int y, mo, d, h, mi, sec = 0;

    if (*s && !strpbrk(s, "xX") && isfinite(strtod(s, &end)) && *end == '\0')
        return 1; /* "1712345678.5": Unix time */
    if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 1 || mo > 12 ||
        *p++ != '-' || (d = digits(&p, 2)) < 1 || d > mdays[mo - 1])
        return 0;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 0;
    if (*p == '\0')
        return 1;
    if (!strchr("Tt _", *p++) || (h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
        (mi = digits(&p, 2)) < 0 || mi > 59)
        return 0;
    if (*p == ':') {
        p++;
        if ((sec = digits(&p, 2)) < 0 || sec > 59)
            return 0;
        if (*p == '.' || *p == ',') {
            int n = 0;
            for (p++; isdigit((unsigned char)*p); p++)
                n++;
            if (n < 1 || n > 6)
                return 0;
        }
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == '\0';
    if (*p == '+' || *p == '-') {
        p++;
        if ((h = digits(&p, 2)) < 0 || h > 23)
            return 0;
        if (*p == ':')
            p++;
        return (mi = digits(&p, 2)) >= 0 && mi <= 59 && *p == '\0';
    }
    return *p == '\0';
}

/* One field against its rule; *value gets a number field's value (NaN otherwise). */
static void check_field(const cJSON *body, const field *f, verdict *v, double *value)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(body, f->name);
    const char *type = NULL, *msg = NULL;
    double n = NAN;
    int rc = 0;

    *value = NAN;
    if (!x) {
        if (f->rules & REQUIRED)
            fail_field(v, f->name, "missing", "Field required");
        return;
    }
    if (cJSON_IsNull(x)) {
        if (!(f->rules & NULLABLE))
            fail_field(v, f->name,
                       f->type == T_INT     ? "int_type"
                       : f->type == T_FLOAT ? "float_type"
                       : f->type == T_STR   ? "string_type"
                       : f->type == T_UUID  ? "uuid_type"
                                            : "datetime_type",
                       "Input should not be null");
        return;
    }
    switch (f->type) {
    case T_STR:
        if (!cJSON_IsString(x))
            fail_field(v, f->name, "string_type", "Input should be a valid string");
        return;
    case T_UUID:
        if (!cJSON_IsString(x))
            fail_field(v, f->name, "uuid_type",
                       "UUID input should be a string, bytes or UUID object");
        else if (!valid_uuid(x->valuestring))
            fail_field(v, f->name, "uuid_parsing", "Input should be a valid UUID");
        return;
    case T_DATETIME:
        if (cJSON_IsNumber(x) ? !isfinite(x->valuedouble)
                              : !cJSON_IsString(x) || !valid_datetime_text(x->valuestring))
            fail_field(v, f->name,
                       cJSON_IsString(x) ? "datetime_from_date_parsing" : "datetime_type",
                       "Input should be a valid datetime");
        return;
    case T_INT:
        rc = lax_int(x, &n, &type, &msg);
        break;
    case T_FLOAT:
        rc = lax_float(x, &n, &type, &msg);
        break;
    }
    if (rc != 0) {
        fail_field(v, f->name, type, msg);
        return;
    }
    /* NaN fails every bound, as in Python. */
    if ((f->rules & GT0) && !(n > 0))
        fail_field(v, f->name, "greater_than", "Input should be greater than 0");
    else if ((f->rules & GE0) && !(n >= 0))
        fail_field(v, f->name, "greater_than_equal", "Input should be greater than or equal to 0");
    else if ((f->rules & LE100) && !(n <= 100))
        fail_field(v, f->name, "less_than_equal", "Input should be less than or equal to 100");
    else
        *value = n;
}

/* Check `o` against the schema; returns the number of errors, detailed in *v. `values` (one
 * per field) gets each number field's value. */
static int check_schema(const cJSON *o, const field *fields, size_t n, verdict *v, double *values)
{
    v->first[0] = '\0';
    v->detail = cJSON_CreateArray();
    if (!cJSON_IsObject(o)) {
        fail_field(v, NULL, "model_attributes_type",
                   "Input should be a valid dictionary or object to extract fields from");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        check_field(o, &fields[i], v, &values[i]);
    return cJSON_GetArraySize(v->detail);
}

/* FastAPI's 422 with every error of the body. Caller holds m->lock. */
static enum MHD_Result reject_schema_locked(ccb_mockapi *m, struct MHD_Connection *c, verdict *v)
{
    cJSON *o = cJSON_CreateObject();
    char *text;
    enum MHD_Result rc;

    m->stats.answers_4xx++;
    snprintf(m->stats.last_error, sizeof(m->stats.last_error), "%s", v->first);
    cJSON_AddItemToObject(o, "detail", v->detail);
    v->detail = NULL;
    text = cJSON_PrintUnformatted(o);
    rc = answer(c, MHD_HTTP_UNPROCESSABLE_CONTENT, text ? text : "{}");
    free(text);
    cJSON_Delete(o);
    return rc;
}

static int known_run_locked(const ccb_mockapi *m, const char *id)
{
    for (size_t i = 0; i < m->nruns; i++) {
        if (strcmp(m->runs[i], id) == 0)
            return 1;
    }
    return 0;
}

/* The real server checks the token after the body (FastAPI validates the body first): a
 * bad body is 422 whatever the token. It answers 403 for a missing or wrong token
 * (project_token_service.py); this mock says 401, as DESIGN.md has it. */
static int token_ok(const ccb_mockapi *m, struct MHD_Connection *c)
{
    const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-token");
    return token && *token && (!m->api_key || strcmp(token, m->api_key) == 0);
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
    double values[sizeof(run_fields) / sizeof(run_fields[0])];
    char id[40], json[80];
    verdict v;

    if (check_schema(body, run_fields, sizeof(run_fields) / sizeof(run_fields[0]), &v, values) > 0)
        return reject_schema_locked(m, c, &v);
    cJSON_Delete(v.detail);
    if (!token_ok(m, c))
        return reject_locked(m, c, MHD_HTTP_UNAUTHORIZED, "header x-api-token: missing or wrong");
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
    enum { N = sizeof(emission_fields) / sizeof(emission_fields[0]) };
    double values[N];
    char json[80];
    verdict v;

    if (check_schema(body, emission_fields, N, &v, values) > 0)
        return reject_schema_locked(m, c, &v);
    cJSON_Delete(v.detail);
    if (!token_ok(m, c))
        return reject_locked(m, c, MHD_HTTP_UNAUTHORIZED, "header x-api-token: missing or wrong");
    /* The real server answers 403 for a run the token cannot see, which an unknown run is. */
    if (!known_run_locked(m, cJSON_GetObjectItemCaseSensitive(body, "run_id")->valuestring))
        return reject_locked(m, c, MHD_HTTP_FORBIDDEN,
                             "Not allowed to perform this action (field run_id: no such run; "
                             "create it with POST /runs)");
    if (seen_before_locked(m, c))
        m->stats.emissions_duplicated++;
    m->stats.emissions_accepted++;
    for (size_t i = 0; i < N; i++) {
        if (strcmp(emission_fields[i].name, "duration") == 0)
            m->stats.duration_s_total += (unsigned long long)values[i];
        else if (strcmp(emission_fields[i].name, "energy_consumed") == 0 && !isnan(values[i]))
            m->stats.energy_kwh_total += values[i];
    }
    if (!m->stats.first_emission_ns)
        m->stats.first_emission_ns = mono_ns();
    /* The real server answers the new emission's id, a JSON string. */
    snprintf(json, sizeof(json), "\"00000000-0000-4000-9000-%012lx\"", m->stats.emissions_accepted);
    return answer(c, MHD_HTTP_CREATED, json);
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
    if (m->fault == CCB_MOCK_FAULT_422 && m->fault_left > 0 && strcmp(url, "/emissions") == 0) {
        /* What the real server says to a fractional duration, whatever the body holds. */
        verdict v = {cJSON_CreateArray(), ""};
        m->fault_left--;
        fail_field(&v, "duration", "int_from_float",
                   "Input should be a valid integer, got a number with a fractional part");
        rc = reject_schema_locked(m, c, &v);
        pthread_mutex_unlock(&m->lock);
        return rc;
    }
    ccb_mock_fault fault = CCB_MOCK_FAULT_NONE;
    if (m->fault != CCB_MOCK_FAULT_NONE && m->fault != CCB_MOCK_FAULT_422 && m->fault_left > 0 &&
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
    if (strcmp(method, "POST") != 0 ||
        (strcmp(url, "/runs") != 0 && strcmp(url, "/emissions") != 0)) {
        rc = reject_locked(m, c, MHD_HTTP_NOT_FOUND, "no such endpoint");
        goto done;
    }
    if (req->too_big) {
        rc = reject_locked(m, c, MHD_HTTP_CONTENT_TOO_LARGE, "body: too large");
        goto done;
    }
    body = req->body ? cJSON_ParseWithLength(req->body, req->len) : NULL;
    if (!body) {
        verdict v = {cJSON_CreateArray(), ""};
        fail_field(&v, NULL, "json_invalid", "JSON decode error");
        rc = reject_schema_locked(m, c, &v);
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
