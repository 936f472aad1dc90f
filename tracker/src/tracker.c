/*
 * The tracker lifecycle: new -> start -> (flush)* -> stop -> free. A tracker holds its
 * config (strings copied into the same allocation), its start reading and its link in the
 * sampler. Energy is the difference between two process-wide readings, so start() and
 * stop() cost a clock read and a seqlock read, not a trip to /proc.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api_module.h"
#include "internal.h"

enum tracker_state { STATE_NEW, STATE_RUNNING, STATE_STOPPED };

struct cct_tracker {
    cct_config cfg; /* its strings point into `strings` */
    enum tracker_state state;
    const cct_hardware *hw;
    const cct_country *country; /* NULL: world average */
    const cct_region *region;   /* NULL: the country's figure */
    uint64_t start_ns;
    double start_real;
    cct_reading start_reading;
    cct_sampler_link link;
    char run_id[37];
    struct tracker_net *net; /* NULL unless the config needs the network (needs_network) */
    char strings[];          /* the copied config strings, NUL-separated */
};

/* The network side of a tracker, in the same allocation after the strings, and only when
 * save_to_api or a geo lookup is on: an offline tracker is a third of the size (~400 bytes),
 * so its allocation rarely touches a fresh page. `lock` guards what the sampler thread and
 * the owner both touch: sent, sent_s and the geo answer. */
struct tracker_net {
    const cct_api_module *api;
    cct_api_session *session;
    int lock_ready;
    pthread_mutex_t lock;
    cct_emissions sent; /* totals as far as uploaded (each never goes down), see api_delta */
    double sent_s;      /* whole seconds uploaded so far */
    int geo_pending;
    unsigned int geo_fallbacks;
    cct_geo geo;
};

static int needs_network(const cct_config *c)
{
    return c->save_to_api || (!c->offline && !c->country_iso_code);
}

static atomic_int logged_hardware_notes;

/* The size of a config of each version the library reads (0: not one); see the growth
 * policy in cctracker.h. Version 1 gave zero other meanings (DEBUG logging, no CSV...). */
static size_t config_size(unsigned int version)
{
    return version == CCT_CONFIG_VERSION ? sizeof(cct_config) : 0;
}

static int bad_config_version(const char *who, unsigned int version)
{
    return cct_error__set(CCT_EINVALID,
                          "%s version is %u: this library reads config version %u (initialise "
                          "the config with CCT_CONFIG_INIT or cct_config_init(&cfg, "
                          "CCT_CONFIG_VERSION) and rebuild against this cctracker.h)",
                          who, version, CCT_CONFIG_VERSION);
}

CCT_EXTERN(int) cct_config_init(cct_config *cfg, unsigned int version)
{
    if (!cfg)
        return cct_error__set(CCT_EINVALID, "cct_config_init: cfg is NULL");
    if (config_size(version) == 0)
        return bad_config_version("cct_config_init:", version);
    memset(cfg, 0, config_size(version));
    cfg->version = version;
    return 0;
}

/* Every zero field stands for its default (cctracker.h); after this the tracker reads
 * effective values only. */
static void apply_defaults(cct_config *c)
{
    if (!c->project_name)
        c->project_name = CCT_DEFAULT_PROJECT_NAME;
    if (c->measure_interval_ms == 0)
        c->measure_interval_ms = CCT_DEFAULT_MEASURE_INTERVAL_MS;
    if (c->api_call_interval == 0)
        c->api_call_interval = CCT_DEFAULT_API_CALL_INTERVAL;
    if (!c->output_dir)
        c->output_dir = CCT_DEFAULT_OUTPUT_DIR;
    if (!c->output_file)
        c->output_file = CCT_DEFAULT_OUTPUT_FILE;
    if (c->api_timeout_ms == 0)
        c->api_timeout_ms = CCT_DEFAULT_API_TIMEOUT_MS;
    if (c->pue == 0.0)
        c->pue = 1.0;
    if (c->log_level == CCT_LOG_DEFAULT)
        c->log_level = CCT_LOG_WARNING;
}

static int is_alpha3(const char *s)
{
    for (int i = 0; i < 3; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return 0;
    }
    return s[3] == '\0';
}

/* A string that reaches an HTTP header or a URL: no control character may smuggle in a
 * header line (CR/LF) or cut a request. */
static int check_header_safe(const char *field, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; s && *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return cct_error__set(CCT_EINVALID,
                                  "config field %s holds a control character (byte 0x%02x at "
                                  "offset %zu): it is sent in an HTTP header or URL",
                                  field, *p, (size_t)(p - (const unsigned char *)s));
    }
    return 0;
}

/* An endpoint: http:// or https:// only (libcurl is held to those too), a bounded length. */
static int check_endpoint(const char *field, const char *url)
{
    int rc = check_header_safe(field, url);

    if (rc != 0 || !url)
        return rc;
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return cct_error__set(CCT_EINVALID, "config field %s must be an http:// or https:// URL",
                              field);
    if (strlen(url) >= CCT_URL_MAX - 64) /* room for "/emissions" and the like */
        return cct_error__set(CCT_EINVALID, "config field %s is longer than %d bytes", field,
                              CCT_URL_MAX - 64 - 1);
    return 0;
}

/* `c` has its defaults applied. */
static int validate(const cct_config *c)
{
    int rc;

    if ((rc = check_endpoint("api_endpoint", c->api_endpoint)) != 0 ||
        (rc = check_endpoint("geo_endpoint", c->geo_endpoint)) != 0 ||
        (rc = check_header_safe("api_key", c->api_key)) != 0)
        return rc;
    if (!isfinite(c->pue) || c->pue < 1.0)
        return cct_error__set(CCT_EINVALID,
                              "config field pue is %g: it must be >= 1.0 (or 0 for the "
                              "default, 1.0)",
                              c->pue);
    if (!isfinite(c->force_cpu_power_w) || c->force_cpu_power_w < 0)
        return cct_error__set(CCT_EINVALID, "config field force_cpu_power_w must be >= 0");
    if (!isfinite(c->force_ram_power_w) || c->force_ram_power_w < 0)
        return cct_error__set(CCT_EINVALID, "config field force_ram_power_w must be >= 0");
    if (c->tracking_mode != CCT_TRACKING_MACHINE && c->tracking_mode != CCT_TRACKING_PROCESS)
        return cct_error__set(CCT_EINVALID,
                              "config field tracking_mode is %d: use "
                              "CCT_TRACKING_MACHINE or CCT_TRACKING_PROCESS",
                              (int)c->tracking_mode);
    if (c->log_level < CCT_LOG_DEFAULT || c->log_level > CCT_LOG_NONE)
        return cct_error__set(CCT_EINVALID, "config field log_level is %d", (int)c->log_level);
    if (c->country_iso_code && !is_alpha3(c->country_iso_code))
        return cct_error__set(CCT_EINVALID,
                              "config field country_iso_code \"%.16s\" is not an ISO 3166-1 "
                              "alpha-3 code (three letters, e.g. \"FRA\")",
                              c->country_iso_code);
    if (!c->no_save_to_file && !*c->output_dir)
        return cct_error__set(CCT_EINVALID, "config field output_dir is empty (NULL means \".\")");
    if (!c->no_save_to_file && (!*c->output_file || strchr(c->output_file, '/')))
        return cct_error__set(CCT_EINVALID,
                              "config field output_file must be a file name without '/'");
    if (c->save_to_api && (!c->api_endpoint || !*c->api_endpoint))
        return cct_error__set(CCT_EINVALID, "config field api_endpoint is required with "
                                            "save_to_api");
    /* CodeCarbon's server refuses a run without one (RunCreate.experiment_id: UUID, required).
     * CodeCarbon's own default (its public demo experiment) is not adopted: a project's token
     * cannot write there, and data sent there would not be the user's (README, API output). */
    if (c->save_to_api && !cct_uuid__valid(c->experiment_id))
        return cct_error__set(CCT_EINVALID,
                              "config field experiment_id (%.40s) is not a UUID: save_to_api "
                              "needs the UUID of an experiment on the server, e.g. "
                              "\"8edb03e1-9a28-452a-9c93-a3b6560136d7\"",
                              c->experiment_id ? c->experiment_id : "unset");
    return 0;
}

/* Copy one config string into the tracker's tail; NULL stays NULL. */
static const char *copy_string(char **cursor, const char *s)
{
    char *dst;
    size_t len;

    if (!s)
        return NULL;
    len = strlen(s) + 1;
    dst = *cursor;
    memcpy(dst, s, len);
    *cursor += len;
    return dst;
}

#define STRING_FIELDS(X)                                                                           \
    X(project_name)                                                                                \
    X(experiment_id)                                                                               \
    X(output_dir)                                                                                  \
    X(output_file)                                                                                 \
    X(api_endpoint)                                                                                \
    X(api_key)                                                                                     \
    X(country_iso_code)                                                                            \
    X(region)                                                                                      \
    X(geo_endpoint)

CCT_EXTERN(int) cct_tracker_new(cct_tracker **out, const cct_config *caller_cfg)
{
    cct_config given = CCT_CONFIG_INIT;
    const cct_config *cfg = &given;
    cct_tracker *t;
    size_t strings = 0;
    char *cursor;
    int rc;

    if (!out)
        return cct_error__set(CCT_EINVALID, "cct_tracker_new: out is NULL");
    *out = NULL;
    if (caller_cfg) {
        /* Only the fields of the caller's version: its struct may be shorter than ours. */
        size_t size = config_size(caller_cfg->version);
        if (size == 0)
            return bad_config_version("config field", caller_cfg->version);
        memcpy(&given, caller_cfg, size);
    }
    apply_defaults(&given);
    rc = validate(cfg);
    if (rc != 0)
        return rc;
#define COUNT_STRING(f) strings += cfg->f ? strlen(cfg->f) + 1 : 0;
    STRING_FIELDS(COUNT_STRING)
#undef COUNT_STRING
    size_t size = sizeof(*t) + strings, net_at = 0;
    if (needs_network(cfg)) {
        net_at = (size + _Alignof(struct tracker_net) - 1) & ~(_Alignof(struct tracker_net) - 1);
        size = net_at + sizeof(struct tracker_net);
    }
    t = calloc(1, size);
    if (!t)
        return cct_error__set(CCT_ENOMEM, "cct_tracker_new: out of memory");
    t->net = net_at ? (struct tracker_net *)(void *)((char *)t + net_at) : NULL;
    t->cfg = *cfg;
    cursor = t->strings;
#define COPY_STRING(f) t->cfg.f = copy_string(&cursor, cfg->f);
    STRING_FIELDS(COPY_STRING)
#undef COPY_STRING
    /* The tables are compiled in: looking the country and region up here is no I/O. */
    t->country = t->cfg.country_iso_code ? cct_intensity__find(t->cfg.country_iso_code) : NULL;
    t->region = t->country ? cct_intensity__find_region(t->country->iso3, t->cfg.region) : NULL;
    t->state = STATE_NEW;
    *out = t;
    return 0;
}

const cct_config *cct_tracker__config(const cct_tracker *t)
{
    return &t->cfg;
}

void cct_tracker__reset_notes(void)
{
    atomic_store(&logged_hardware_notes, 0);
}

static int start_network(cct_tracker *t, int needs_geo);
static void tick(void *ctx, const cct_reading *now, unsigned long measurements);

static void log_hardware_notes_once(const cct_tracker *t)
{
    const cct_hardware *hw = t->hw;

    if (atomic_exchange(&logged_hardware_notes, 1))
        return;
    if (hw->rapl_fallback_reason[0])
        cct_log__write(t->cfg.log_fn, t->cfg.log_payload, t->cfg.log_level, CCT_LOG_WARNING,
                       "RAPL unusable (%s); using the CPU load x TDP model instead",
                       hw->rapl_fallback_reason);
    if (hw->cpu_source == CCT_SOURCE_CPU_LOAD && !hw->tdp_known)
        cct_log__write(t->cfg.log_fn, t->cfg.log_payload, t->cfg.log_level, CCT_LOG_WARNING,
                       "CPU model \"%s\" is not in the TDP table; assuming %.0f W per thread "
                       "x %u threads = %.0f W (set force_cpu_power_w to the real TDP)",
                       hw->cpu_model, CCT_TDP_PER_THREAD_W, hw->cpu_count, hw->tdp_w);
    cct_log__write(t->cfg.log_fn, t->cfg.log_payload, t->cfg.log_level, CCT_LOG_INFO,
                   "cpu: %s (%s), ram: %.1f GB (%.2f W model), gpus: %u", hw->cpu_model,
                   cct_source_name(hw->cpu_source), hw->ram_total_gb, hw->ram_power_w,
                   hw->gpu_count);
}

CCT_EXTERN(int) cct_tracker_start(cct_tracker *t)
{
    int rc;

    if (!t)
        return cct_error__set(CCT_EINVALID, "cct_tracker_start: tracker is NULL");
    if (t->state == STATE_RUNNING)
        return cct_error__set(CCT_ESTATE, "cct_tracker_start: tracker already started");
    if (t->state == STATE_STOPPED)
        return cct_error__set(CCT_ESTATE, "cct_tracker_start: tracker was stopped; create a "
                                          "new tracker for a new run");
    t->hw = cct_hardware__get();
    if (!t->hw)
        return cct_error__set(CCT_ENOSOURCE, "cct_tracker_start: hardware detection failed");
    if (!t->cfg.no_save_to_file && access(t->cfg.output_dir, W_OK | X_OK) != 0)
        return cct_error__set(CCT_EINVALID,
                              "config field output_dir \"%s\" is not a writable "
                              "directory: %s",
                              t->cfg.output_dir, strerror(errno));
    cct_uuid__v4(t->hw->seed, t->run_id);
    int needs_geo = !t->cfg.offline && !t->cfg.country_iso_code;
    if (t->net) { /* needs_network(): save_to_api or needs_geo */
        rc = start_network(t, needs_geo);
        if (rc != 0)
            return rc;
    }
    log_hardware_notes_once(t);
    if (t->country && t->cfg.region && !t->region && cct_intensity__has_regions(t->country->iso3))
        cct_log__write(t->cfg.log_fn, t->cfg.log_payload, t->cfg.log_level, CCT_LOG_WARNING,
                       "region \"%s\" is not in the regional table of %s; using the country's "
                       "carbon intensity (tracker/data/regional_intensity.csv lists the names)",
                       t->cfg.region, t->country->iso3);
    /* A forced TDP goes through the load model, which a RAPL machine does not track unless
     * asked; process mode needs the share. */
    unsigned int wants = t->cfg.tracking_mode == CCT_TRACKING_PROCESS ? CCT_WANT_SHARE
                         : t->cfg.force_cpu_power_w > 0               ? CCT_WANT_LOAD
                                                                      : 0u;
    cct_reading__start(wants, &t->start_reading);
    t->start_ns = t->start_reading.mono_ns;
    t->start_real = cct_clock__real_s();
    t->link.fn = tick;
    t->link.ctx = t;
    t->link.interval_ns = (uint64_t)t->cfg.measure_interval_ms * 1000000ULL;
    t->link.next_due_ns = t->start_ns + t->link.interval_ns;
    t->link.measurements = 0;
    rc = cct_sampler__add(&t->link);
    if (rc != 0)
        return rc;
    t->state = STATE_RUNNING;
    return 0;
}

/* Ask for the HTTP module in the background (once per process) and for the geo lookup as
 * soon as it is loaded. Sends nothing and waits for nothing: the API session is opened at
 * the first upload (lazy run creation), which waits for the module at most api_timeout_ms. */
static int start_network(cct_tracker *t, int needs_geo)
{
    if (pthread_mutex_init(&t->net->lock, NULL) != 0)
        return cct_error__set(CCT_ENOMEM, "cct_tracker_start: cannot create a mutex");
    t->net->lock_ready = 1;
    t->net->geo_pending = needs_geo;
    cct_api__request(
        needs_geo ? (t->cfg.geo_endpoint ? t->cfg.geo_endpoint : CCT_DEFAULT_GEO_ENDPOINT) : NULL,
        t->cfg.api_timeout_ms);
    return 0;
}

/* The module: waited for at most wait_ms, or only if already loaded when wait_ms is 0. */
static const cct_api_module *api_module(unsigned int wait_ms)
{
    return wait_ms ? cct_api__wait(wait_ms) : cct_api__peek();
}

/* Open the API session (the run's description) once the module is there. Caller holds
 * net->lock. 0, or CCT_EUNAVAILABLE / CCT_ENOMEM; with wait_ms 0 and no module yet, 1 (later). */
static int open_session_locked(cct_tracker *t, unsigned int wait_ms)
{
    const cct_hardware *hw = t->hw;

    if (t->net->session)
        return 0;
    t->net->api = api_module(wait_ms);
    if (!t->net->api)
        return wait_ms ? CCT_EUNAVAILABLE : 1;
    cct_api_run_info info = {
        .endpoint = t->cfg.api_endpoint,
        .api_key = t->cfg.api_key,
        .experiment_id = t->cfg.experiment_id,
        .local_run_id = t->run_id,
        .spool_dir = t->cfg.output_dir,
        .timeout_ms = t->cfg.api_timeout_ms,
        .os = hw->os,
        .cpu_model = hw->cpu_model,
        .gpu_model = hw->gpu_model,
        .region = t->cfg.region,
        .cpu_count = hw->cpu_count,
        .gpu_count = hw->gpu_count,
        .ram_total_gb = hw->ram_total_gb,
        .longitude = NAN,
        .latitude = NAN,
        .tracking_mode = t->cfg.tracking_mode == CCT_TRACKING_PROCESS ? "process" : "machine",
        .log_fn = t->cfg.log_fn,
        .log_payload = t->cfg.log_payload,
        .log_level = t->cfg.log_level,
    };
    t->net->session = t->net->api->session_new(&info);
    if (!t->net->session) {
        char shown[CCT_URL_MAX];
        cct_url__redact(t->cfg.api_endpoint, shown, sizeof(shown));
        return cct_error__set(CCT_ENOMEM, "cannot open the API session for %s", shown);
    }
    return 0;
}

/* Take the geo answer if it came, waiting at most wait_ms (0, the default: only look).
 * Until it comes the world average is used and flagged pending; a later measurement takes
 * the answer then, for the whole run (energy since start x the country's intensity). Caller
 * holds net->lock. */
static void resolve_geo_locked(cct_tracker *t, unsigned int wait_ms)
{
    const cct_api_module *m;
    uint64_t begin;
    int rc = 1;

    if (!t->net->geo_pending)
        return;
    begin = cct_clock__mono_ns();
    m = api_module(wait_ms);
    if (m) {
        /* One bound for the module load and the answer together. */
        uint64_t spent_ms = (cct_clock__mono_ns() - begin) / 1000000ULL;
        wait_ms = spent_ms < wait_ms ? wait_ms - (unsigned int)spent_ms : 0;
        cct_api__start_geo();
        rc = m->geo_wait(&t->net->geo, wait_ms);
    } else if (cct_api__failed()) {
        rc = -1; /* no HTTP module: no answer will ever come */
    }
    if (rc == 0) {
        t->country = cct_intensity__find(t->net->geo.country_iso_code);
        t->region = t->country
                        ? cct_intensity__find_region(
                              t->country->iso3, t->cfg.region ? t->cfg.region : t->net->geo.region)
                        : NULL;
        t->net->geo_pending = 0;
        t->net->geo_fallbacks = 0;
    } else if (rc < 0) {
        t->net->geo_pending = 0;
        t->net->geo_fallbacks = CCT_FALLBACK_GEO_TIMEOUT;
    } else {
        t->net->geo_fallbacks = CCT_FALLBACK_GEO_PENDING;
    }
}

static double joules_between(double from, double to)
{
    /* A reading extrapolated with the last power can run slightly ahead of the next real one;
     * energy is never negative. */
    return to > from ? to - from : 0.0;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= cap)
        len = cap - 1;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

void cct_tracker__compute(const cct_tracker *t, const cct_reading *now, cct_emissions *out)
{
    const cct_hardware *hw = t->hw;
    const cct_reading *s = &t->start_reading;
    double duration = now->mono_ns > t->start_ns ? (double)(now->mono_ns - t->start_ns) / 1e9 : 0;
    double cpu_j, ram_j, gpu_j, intensity;

    memset(out, 0, sizeof(*out));
    out->version = CCT_EMISSIONS_VERSION;
    int process = t->cfg.tracking_mode == CCT_TRACKING_PROCESS;
    /* The load model's TDP-seconds (or the share's) since start, times the TDP: a forced
     * power is that TDP, as CodeCarbon's force_cpu_power, and replaces RAPL too. */
    double model_s =
        process ? joules_between(s->share_s, now->share_s) : joules_between(s->load_s, now->load_s);
    if (t->cfg.force_cpu_power_w > 0) {
        cpu_j = t->cfg.force_cpu_power_w * model_s;
        out->cpu_source = CCT_SOURCE_CPU_LOAD;
    } else {
        if (hw->cpu_source == CCT_SOURCE_RAPL)
            cpu_j = process ? joules_between(s->rapl_share_j, now->rapl_share_j)
                            : joules_between(s->rapl_j, now->rapl_j);
        else
            cpu_j = hw->tdp_w * model_s;
        out->cpu_source = hw->cpu_source;
        if (hw->cpu_source == CCT_SOURCE_CPU_LOAD && !hw->tdp_known)
            out->fallbacks |= CCT_FALLBACK_CPU_TDP;
        if (hw->cpu_source == CCT_SOURCE_CPU_LOAD && hw->rapl_fallback_reason[0])
            out->fallbacks |= CCT_FALLBACK_RAPL;
    }
    if (t->cfg.force_ram_power_w > 0) {
        ram_j = t->cfg.force_ram_power_w * duration;
        out->ram_source = CCT_SOURCE_CONSTANT;
    } else if (t->cfg.rapl_include_dram && hw->rapl_has_dram) {
        ram_j = joules_between(s->dram_j, now->dram_j);
        out->ram_source = CCT_SOURCE_RAPL;
    } else {
        ram_j = joules_between(s->ram_j, now->ram_j);
        out->ram_source = CCT_SOURCE_CONSTANT;
    }
    gpu_j = joules_between(s->gpu_j, now->gpu_j);
    out->gpu_source = hw->gpu_count ? CCT_SOURCE_NVML : CCT_SOURCE_NONE;

    /* A region with its own figure (US state, Canadian province, Nordic zone) before the
     * country's, as CodeCarbon. */
    intensity = t->region    ? t->region->g_per_kwh
                : t->country ? t->country->g_per_kwh
                             : CCT_WORLD_INTENSITY_G_KWH;
    if (!t->country)
        out->fallbacks |= CCT_FALLBACK_INTENSITY;
    out->timestamp = t->start_real + duration;
    out->duration_s = duration;
    /* The PUE scales each component's energy, as CodeCarbon does, so the columns add up to
     * energy_consumed; the powers stay the components' own. */
    out->cpu_energy_kwh = cpu_j * t->cfg.pue / CCT_J_PER_KWH;
    out->gpu_energy_kwh = gpu_j * t->cfg.pue / CCT_J_PER_KWH;
    out->ram_energy_kwh = ram_j * t->cfg.pue / CCT_J_PER_KWH;
    out->energy_kwh = out->cpu_energy_kwh + out->gpu_energy_kwh + out->ram_energy_kwh;
    out->emissions_kg = out->energy_kwh * intensity / 1000.0;
    if (duration > 0) {
        out->cpu_power_w = cpu_j / duration;
        out->gpu_power_w = gpu_j / duration;
        out->ram_power_w = ram_j / duration;
        out->emissions_rate_kg_s = out->emissions_kg / duration;
    }
    out->carbon_intensity_g_kwh = intensity;
    out->pue = t->cfg.pue;
    out->ram_total_gb = hw->ram_total_gb;
    const cct_geo *geo = t->net && t->net->geo.country_iso_code[0] ? &t->net->geo : NULL;
    out->longitude = t->country && geo && !isnan(geo->longitude) ? geo->longitude : NAN;
    out->latitude = t->country && geo && !isnan(geo->latitude) ? geo->latitude : NAN;
    if (t->net)
        out->fallbacks |= t->net->geo_fallbacks;
    out->cpu_count = hw->cpu_count;
    out->gpu_count = hw->gpu_count;
    out->tracking_mode = t->cfg.tracking_mode;
    memcpy(out->run_id, t->run_id, sizeof(out->run_id));
    if (t->country) {
        copy_text(out->country_iso_code, sizeof(out->country_iso_code), t->country->iso3);
        copy_text(out->country_name, sizeof(out->country_name), t->country->name);
    }
    copy_text(out->region, sizeof(out->region),
              t->cfg.region ? t->cfg.region
              : t->net      ? t->net->geo.region
                            : NULL);
    copy_text(out->cpu_model, sizeof(out->cpu_model), hw->cpu_model);
    copy_text(out->gpu_model, sizeof(out->gpu_model), hw->gpu_model);
}

enum upload { UPLOAD_NONE, UPLOAD, UPLOAD_FINAL };

static double grown(double now, double sent)
{
    return now > sent ? now - sent : 0.0;
}

static double larger(double a, double b)
{
    return a > b ? a : b;
}

/* Whole seconds of a duration (>= 0, far below 2^53): no libm for the tracker, whose every
 * shared object costs each process start. */
static double whole_seconds(double s)
{
    return (double)(uint64_t)s;
}

/*
 * The delta since the last upload, as CodeCarbon's server takes it (EmissionCreate in
 * carbonserver/carbonserver/api/schemas.py, mlco2/codecarbon b05965e): `duration` is a whole
 * number of seconds > 0, energies and emissions >= 0.
 * - Durations: an upload sends the whole seconds elapsed since the seconds already sent, and
 *   the fraction left carries into the next one. An upload (flush, sampler) less than 1 s
 *   after the last sends nothing: its time and energy carry whole into the next upload.
 * - The final upload (stop) sends what is left rounded up to whole seconds, at least 1: a run
 *   shorter than 1 s is uploaded as 1 s with its true energy, where CodeCarbon drops it
 *   (api_client.py, add_emission). So the durations of a run's uploads add up to its
 *   duration rounded up to the second, and nothing measured is lost.
 * - Energies and emissions are exact; powers and the rate are over the true time since the
 *   last upload. A total that went down (an extrapolated reading ran ahead of the next real
 *   one, or the geo answer lowered the intensity) sends 0 for that field until it is
 *   exceeded again: no negative delta, and the sum of the deltas is the largest total.
 * Returns 1 with `d` filled, or 0 when everything carries.
 */
static int api_delta(const struct tracker_net *net, const cct_emissions *now, int final,
                     cct_api_emission *d)
{
    const cct_emissions *sent = &net->sent;
    double pending = now->duration_s - net->sent_s;
    double true_s = now->duration_s - sent->duration_s;

    memset(d, 0, sizeof(*d));
    d->cpu_energy_kwh = grown(now->cpu_energy_kwh, sent->cpu_energy_kwh);
    d->gpu_energy_kwh = grown(now->gpu_energy_kwh, sent->gpu_energy_kwh);
    d->ram_energy_kwh = grown(now->ram_energy_kwh, sent->ram_energy_kwh);
    d->energy_kwh = grown(now->energy_kwh, sent->energy_kwh);
    d->emissions_kg = grown(now->emissions_kg, sent->emissions_kg);
    if (!final) {
        if (pending < 1.0)
            return 0;
        d->duration_s = whole_seconds(pending);
    } else {
        if (pending <= 0 && d->energy_kwh == 0 && d->emissions_kg == 0)
            return 0; /* stopped exactly on a whole second just uploaded: nothing is left */
        d->duration_s = whole_seconds(pending) < pending ? whole_seconds(pending) + 1.0
                                                         : whole_seconds(pending);
        if (d->duration_s < 1.0)
            d->duration_s = 1.0;
    }
    d->timestamp = now->timestamp;
    if (true_s > 0) {
        /* Energies carry the PUE, powers do not (cct_tracker__compute). */
        double j_per_kwh_s = CCT_J_PER_KWH / now->pue / true_s;
        d->cpu_power_w = d->cpu_energy_kwh * j_per_kwh_s;
        d->gpu_power_w = d->gpu_energy_kwh * j_per_kwh_s;
        d->ram_power_w = d->ram_energy_kwh * j_per_kwh_s;
        d->emissions_rate_kg_s = d->emissions_kg / true_s;
    }
    return 1;
}

/* What is uploaded is now sent: the totals only ever grow. */
static void mark_sent(struct tracker_net *net, const cct_emissions *now, double seconds)
{
    cct_emissions *sent = &net->sent;

    sent->cpu_energy_kwh = larger(sent->cpu_energy_kwh, now->cpu_energy_kwh);
    sent->gpu_energy_kwh = larger(sent->gpu_energy_kwh, now->gpu_energy_kwh);
    sent->ram_energy_kwh = larger(sent->ram_energy_kwh, now->ram_energy_kwh);
    sent->energy_kwh = larger(sent->energy_kwh, now->energy_kwh);
    sent->emissions_kg = larger(sent->emissions_kg, now->emissions_kg);
    sent->duration_s = now->duration_s;
    net->sent_s += seconds;
}

/* Queue the delta since the last upload (api_delta). Caller holds net->lock. With wait_ms 0
 * (the sampler) an upload before the module is loaded is simply left for the next one: the
 * delta keeps growing, nothing is lost. */
static int upload_delta_locked(cct_tracker *t, const cct_emissions *now, unsigned int wait_ms,
                               int final)
{
    cct_api_emission d;
    int rc = open_session_locked(t, wait_ms);

    if (rc != 0)
        return rc > 0 ? 0 : rc;
    if (!api_delta(t->net, now, final, &d))
        return 0;
    if (t->net->api->submit(t->net->session, &d) == 0) {
        mark_sent(t->net, now, d.duration_s);
        return 0;
    }
    char shown[CCT_URL_MAX];
    cct_url__redact(t->cfg.api_endpoint, shown, sizeof(shown));
    return cct_error__set(CCT_ENOMEM, "cannot queue an upload to %s (out of memory)", shown);
}

/* The reading for `now`, with the geo answer taken first (waiting at most geo_wait_ms) and
 * the upload queued after (waiting at most wait_ms for the HTTP module); 0: only what is
 * already there. Returns the upload's status. */
static int measure(cct_tracker *t, const cct_reading *now, unsigned int geo_wait_ms,
                   unsigned int wait_ms, enum upload upload, cct_emissions *out)
{
    int rc = 0;
    char skipped[512];

    if (cct_reading__take_rapl_skip_note(skipped, sizeof(skipped)))
        cct_log__write(t->cfg.log_fn, t->cfg.log_payload, t->cfg.log_level, CCT_LOG_WARNING,
                       "RAPL counter %s went down and its max_energy_range_uj is unreadable or "
                       "too small to undo the wrap: that interval's energy of the domain is "
                       "left out (logged once)",
                       skipped);

    if (!t->net || !t->net->lock_ready) {
        cct_tracker__compute(t, now, out);
        return 0;
    }
    pthread_mutex_lock(&t->net->lock);
    resolve_geo_locked(t, geo_wait_ms);
    cct_tracker__compute(t, now, out);
    if (upload != UPLOAD_NONE && t->cfg.save_to_api)
        rc = upload_delta_locked(t, out, wait_ms, upload == UPLOAD_FINAL);
    pthread_mutex_unlock(&t->net->lock);
    return rc;
}

/* The sampler's timer callback (see cct_sampler_fn): the measure callback, and an upload
 * every api_call_interval measurements. */
static void tick(void *ctx, const cct_reading *now, unsigned long measurements)
{
    cct_tracker *t = ctx;
    cct_emissions sofar;
    int upload = t->cfg.save_to_api && measurements % t->cfg.api_call_interval == 0;

    if (!t->cfg.measure_fn && !upload)
        return;
    /* The sampler never waits for the geo answer: it takes it only if it is there. */
    measure(t, now, 0, 0, upload ? UPLOAD : UPLOAD_NONE, &sofar);
    if (t->cfg.measure_fn)
        t->cfg.measure_fn(&sofar, t->cfg.measure_payload);
}

/* The average over `seconds` of an integral read at two instants, times `scale` (100 for a
 * percentage); never negative (an extrapolated reading may run ahead of the next one). */
static double average(double from, double to, double seconds, double scale)
{
    return to > from ? (to - from) / seconds * scale : 0.0;
}

void cct_tracker__usage(const cct_tracker *t, const cct_reading *now, cct_usage *out)
{
    const cct_reading *s = &t->start_reading;
    double run_s = (double)(now->mono_ns - s->mono_ns) / 1e9;

    out->cpu_utilization_percent = NAN;
    out->ram_utilization_percent = NAN;
    out->ram_used_gb = NAN;
    /* No GPU: none used (CodeCarbon writes 0 too). With one, NVML's utilisation is not read
     * (an extra call per device per reading): unknown, an empty cell. */
    out->gpu_utilization_percent = t->hw->gpu_count ? NAN : 0.0;
    if (now->mono_ns <= s->mono_ns)
        return;
    out->cpu_utilization_percent = average(s->util_s, now->util_s, run_s, 100.0);
    if (out->cpu_utilization_percent > 100.0)
        out->cpu_utilization_percent = 100.0;
    if (s->mem_since_ns) {
        out->ram_utilization_percent = average(s->mem_util_s, now->mem_util_s, run_s, 100.0);
        out->ram_used_gb = average(s->mem_used_gb_s, now->mem_used_gb_s, run_s, 1.0);
    } else if (now->mem_since_ns && now->mono_ns > now->mem_since_ns) {
        /* First read during the run: the average from then on (the integrals start at 0). */
        double known_s = (double)(now->mono_ns - now->mem_since_ns) / 1e9;
        out->ram_utilization_percent = average(0, now->mem_util_s, known_s, 100.0);
        out->ram_used_gb = average(0, now->mem_used_gb_s, known_s, 1.0);
    }
    if (out->ram_utilization_percent > 100.0)
        out->ram_utilization_percent = 100.0;
}

static int write_outputs(const cct_tracker *t, const cct_reading *now, const cct_emissions *e)
{
    cct_usage usage;

    if (t->cfg.no_save_to_file)
        return 0;
    cct_tracker__usage(t, now, &usage);
    return cct_csv__append(&t->cfg, e, &usage, t->hw);
}

/* The size of an emissions value of each version the library writes (0: not one). */
static size_t emissions_size(unsigned int version)
{
    return version == CCT_EMISSIONS_VERSION ? sizeof(cct_emissions) : 0;
}

/* Checked before anything happens: a refused `out` leaves the tracker as it was. */
static int check_out(const char *who, const cct_emissions *out)
{
    if (out && emissions_size(out->version) == 0)
        return cct_error__set(CCT_EINVALID,
                              "%s: out->version is %u: this library writes cct_emissions "
                              "version %u (initialise it with CCT_EMISSIONS_INIT)",
                              who, out->version, CCT_EMISSIONS_VERSION);
    return 0;
}

/* Only the fields of the caller's version: its struct may be shorter than ours. */
static void give_out(cct_emissions *out, const cct_emissions *e)
{
    if (!out)
        return;
    unsigned int version = out->version;
    memcpy(out, e, emissions_size(version));
    out->version = version;
}

CCT_EXTERN(int) cct_tracker_flush(cct_tracker *t, cct_emissions *out)
{
    cct_reading now;
    cct_emissions e;

    if (!t)
        return cct_error__set(CCT_EINVALID, "cct_tracker_flush: tracker is NULL");
    if (check_out("cct_tracker_flush", out) != 0)
        return CCT_EINVALID;
    if (t->state != STATE_RUNNING)
        return cct_error__set(CCT_ESTATE, "cct_tracker_flush: tracker is not running");
    cct_reading__now(&now);
    int rc = measure(t, &now, t->cfg.geo_wait_ms, t->cfg.api_timeout_ms, UPLOAD, &e);
    give_out(out, &e);
    int wrote = write_outputs(t, &now, &e);
    return rc ? rc : wrote;
}

CCT_EXTERN(int) cct_tracker_stop(cct_tracker *t, cct_emissions *out)
{
    cct_reading now;
    cct_emissions e;

    if (!t)
        return cct_error__set(CCT_EINVALID, "cct_tracker_stop: tracker is NULL");
    if (check_out("cct_tracker_stop", out) != 0)
        return CCT_EINVALID;
    if (t->state == STATE_NEW)
        return cct_error__set(CCT_ESTATE, "cct_tracker_stop: tracker was never started");
    if (t->state == STATE_STOPPED)
        return cct_error__set(CCT_ESTATE, "cct_tracker_stop: tracker already stopped");
    cct_sampler__remove(&t->link);
    t->state = STATE_STOPPED;
    cct_reading__now(&now);
    int rc = measure(t, &now, t->cfg.geo_wait_ms, t->cfg.api_timeout_ms, UPLOAD_FINAL, &e);
    give_out(out, &e);
    int wrote = write_outputs(t, &now, &e);
    return rc ? rc : wrote;
}

void cct__age_tracker(cct_tracker *t, uint64_t ns)
{
    t->start_ns -= ns;
    t->start_real -= (double)ns / 1e9;
}

CCT_EXTERN(void) cct_tracker_free(cct_tracker *t)
{
    if (!t)
        return;
    if (t->state == STATE_RUNNING)
        cct_sampler__remove(&t->link);
    if (t->net && t->net->session)
        t->net->api->session_free(t->net->session, t->cfg.api_timeout_ms);
    if (t->net && t->net->lock_ready)
        pthread_mutex_destroy(&t->net->lock);
    free(t);
}
