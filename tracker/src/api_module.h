/*
 * The ABI between the tracker core and its HTTP module (libcctracker-api.so). The core never
 * links libcurl: an offline process must not pay for mapping libcurl, libssl and libcrypto
 * (~3.4 ms and 33 shared objects per process start on the reference machine). The module is
 * dlopen()ed the first time a tracker needs the network and exports one symbol,
 * CCT_API_MODULE_SYMBOL, returning this table. All network work happens on the module's one
 * worker thread; no function here blocks on the network except the bounded waits named so.
 */
#ifndef CCT_API_MODULE_H
#define CCT_API_MODULE_H

#include <string.h>

#include "cctracker.h"

#define CCT_API_MODULE_ABI 3
#define CCT_API_MODULE_SYMBOL "cct_api_module_v3"
#define CCT_API_MODULE_FILE "libcctracker-api.so"

/* The longest endpoint (api_endpoint, geo_endpoint) cct_tracker_new accepts: the buffers that
 * hold a URL on either side of this ABI are sized from it. */
#define CCT_URL_MAX 1024

/* `url` for a log line or a stored file: userinfo ("user:password@") in the authority becomes
 * "***@", so credentials in an endpoint are never written anywhere. Always NUL-terminates. */
static inline void cct_url__redact(const char *url, char *out, size_t cap)
{
    const char *scheme = url ? strstr(url, "://") : NULL;
    const char *authority = scheme ? scheme + 3 : NULL;
    size_t host_len = authority ? strcspn(authority, "/?#") : 0;
    const char *at = NULL;

    for (size_t i = 0; i < host_len; i++) {
        if (authority[i] == '@')
            at = authority + i; /* the last one: a password may hold '@' */
    }
    if (cap == 0)
        return;
    if (!at) {
        size_t n = url ? strlen(url) : 0;
        n = n < cap - 1 ? n : cap - 1;
        memcpy(out, url ? url : "", n);
        out[n] = '\0';
        return;
    }
    size_t head = (size_t)(authority - url), used = 0;
    const char *parts[] = {url, "***", at};
    size_t lens[] = {head, 3, strlen(at)};
    for (int i = 0; i < 3; i++) {
        size_t n = lens[i] < cap - 1 - used ? lens[i] : cap - 1 - used;
        memcpy(out + used, parts[i], n);
        used += n;
    }
    out[used] = '\0';
}

/* What POST /runs says about the run; copied by session_new. */
typedef struct cct_api_run_info {
    const char *endpoint; /* e.g. "http://127.0.0.1:8008" */
    const char *api_key;  /* sent as x-api-token only; never logged or spooled */
    const char *experiment_id;
    const char *local_run_id; /* the tracker's UUID: groups spooled emissions of one run */
    const char *spool_dir;    /* output_dir */
    unsigned int timeout_ms;
    const char *os;
    const char *cpu_model;
    const char *gpu_model;
    const char *region;
    unsigned int cpu_count;
    unsigned int gpu_count;
    double ram_total_gb;
    double longitude, latitude; /* NaN when unknown */
    const char *tracking_mode;
    cct_log_fn log_fn;
    void *log_payload;
    cct_log_level log_level;
} cct_api_run_info;

/* One emission upload: the delta since the previous upload of the session. */
typedef struct cct_api_emission {
    double timestamp; /* measurement time, Unix seconds */
    double duration_s;
    double emissions_kg;
    double emissions_rate_kg_s;
    double cpu_power_w, gpu_power_w, ram_power_w;
    double cpu_energy_kwh, gpu_energy_kwh, ram_energy_kwh, energy_kwh;
} cct_api_emission;

typedef struct cct_api_session cct_api_session;

typedef struct cct_geo {
    char country_iso_code[4];
    char country_name[64];
    char region[64];
    double longitude, latitude;
} cct_geo;

struct cct_api_module {
    unsigned int abi; /* CCT_API_MODULE_ABI */
    const char *(*describe)(void);
    /* A session is one tracker's run on one endpoint. NULL on allocation failure. */
    cct_api_session *(*session_new)(const cct_api_run_info *info);
    /* Queue an upload for the worker thread; never waits for the network. */
    int (*submit)(cct_api_session *s, const cct_api_emission *e);
    /* Wait at most wait_ms for the session's queued uploads, spool what is left, release. */
    void (*session_free)(cct_api_session *s, unsigned int wait_ms);
    /* Start the geo lookup on a thread of its own (once per process; later calls are
     * no-ops). It never delays an upload. */
    void (*geo_start)(const char *url, unsigned int timeout_ms);
    /* Wait at most wait_ms (0: only look) for the geo answer: 0 and *out filled; 1 still
     * under way (or not started yet); -1 it failed or timed out, for good. */
    int (*geo_wait)(cct_geo *out, unsigned int wait_ms);
};

typedef const struct cct_api_module *(*cct_api_module_entry)(void);

#endif
