/*
 * cctracker: measures the energy a program uses and the CO2 it emits, in the spirit of
 * CodeCarbon's EmissionsTracker: new -> start -> (background sampling) -> stop, with the
 * results returned as a cct_emissions value and optionally written to a CSV file and/or
 * uploaded to a CodeCarbon-style HTTP API.
 *
 * Ownership, once for the whole API: whatever a function returns through `**out` belongs to
 * the caller and is released with the matching NULL-safe cct_*_free(). Strings passed in a
 * cct_config are copied by cct_tracker_new(); the caller may free them afterwards. Functions
 * returning `const char *` return borrowed strings valid until the noted point.
 *
 * Errors: every function returning int returns 0 on success or a negative CCT_E* code;
 * cct_last_error_message() then tells the detail (the path, field or errno text) for the
 * calling thread.
 *
 * Threads: any number of trackers may run in any number of threads at once. One tracker is
 * used by one thread at a time (as a FILE * is).
 */
#ifndef CCTRACKER_H
#define CCTRACKER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CCT_BUILDING_LIBRARY)
#define CCT_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define CCT_EXTERN(type) type
#endif

#define CCT_VERSION "0.1.0"

/** Error codes. */
typedef enum cct_error {
    CCT_OK = 0,            /**< Success. */
    CCT_EINVALID = -1,     /**< An argument or config field is invalid (the message names it). */
    CCT_ENOMEM = -2,       /**< Out of memory. */
    CCT_ESTATE = -3,       /**< Call not allowed in the tracker's current state. */
    CCT_EIO = -4,          /**< A file could not be read or written (the message names it). */
    CCT_ENOSOURCE = -5,    /**< No power source could be set up. */
    CCT_EUNAVAILABLE = -6, /**< An optional component (the HTTP module) could not be loaded. */
} cct_error;

/** Log levels, most verbose first. Zero is the default so that a zeroed config means it. */
typedef enum cct_log_level {
    CCT_LOG_DEFAULT = 0, /**< In a config: CCT_LOG_WARNING. Never passed to a cct_log_fn. */
    CCT_LOG_DEBUG = 1,
    CCT_LOG_INFO = 2,
    CCT_LOG_WARNING = 3,
    CCT_LOG_ERROR = 4,
    CCT_LOG_NONE = 5, /**< Log nothing. */
} cct_log_level;

/** What the energy is attributed to (CodeCarbon's tracking_mode). */
typedef enum cct_tracking_mode {
    CCT_TRACKING_MACHINE = 0, /**< The whole machine's consumption. */
    CCT_TRACKING_PROCESS = 1, /**< This process's share of CPU time. */
} cct_tracking_mode;

/** Where a component's figure came from. */
typedef enum cct_source {
    CCT_SOURCE_NONE = 0,     /**< Component absent (e.g. no GPU). */
    CCT_SOURCE_RAPL = 1,     /**< Intel/AMD RAPL energy counters (powercap sysfs). */
    CCT_SOURCE_CPU_LOAD = 2, /**< CPU load x TDP model. */
    CCT_SOURCE_CONSTANT = 3, /**< A constant power: the RAM model or force_ram_power_w. */
    CCT_SOURCE_NVML = 4,     /**< NVIDIA NVML. */
} cct_source;

/** Bits of cct_emissions.fallbacks: which figures rest on a default rather than data. */
#define CCT_FALLBACK_CPU_TDP 0x1u     /**< CPU model not in the TDP table: 4 W/thread assumed. */
#define CCT_FALLBACK_RAPL 0x2u        /**< RAPL present but unreadable: CPU load model used. */
#define CCT_FALLBACK_INTENSITY 0x4u   /**< Country unknown or unset: world average used. */
#define CCT_FALLBACK_GEO_TIMEOUT 0x8u /**< Geo lookup failed or timed out: for good. */
/** Geo lookup still under way: world average used for now; a later flush() or stop() (or
 * measure callback) of the tracker uses the answer once it comes, for the whole run. */
#define CCT_FALLBACK_GEO_PENDING 0x10u

/** Called for each log line; `msg` is valid for the duration of the call only. */
typedef void (*cct_log_fn)(cct_log_level level, const char *msg, void *payload);

struct cct_emissions;
/**
 * Called from the sampler thread after each periodic measurement of a running tracker,
 * with the totals since start(). Must return quickly and must not call into the tracker.
 */
typedef void (*cct_measure_fn)(const struct cct_emissions *sofar, void *payload);

/*
 * Growth policy of the two value structs, as libgit2's options structs: each starts with a
 * `version` the caller sets (CCT_CONFIG_VERSION, CCT_EMISSIONS_VERSION of the header it was
 * compiled with); fields are only ever added at the end, and each addition bumps that
 * version. The library reads (cct_config) or writes (cct_emissions) only the fields of the
 * version the caller states, so a program built against an older header keeps working with
 * a newer library; a version the library does not know is CCT_EINVALID naming the field.
 * Config version 1 (explicit defaults, log levels numbered from DEBUG = 0) is refused: its
 * zeros meant something else.
 */
#define CCT_CONFIG_VERSION 2

/* The defaults a zero config field stands for. */
#define CCT_DEFAULT_PROJECT_NAME "cctracker"
#define CCT_DEFAULT_MEASURE_INTERVAL_MS 15000u
#define CCT_DEFAULT_API_CALL_INTERVAL 8u
#define CCT_DEFAULT_OUTPUT_DIR "."
#define CCT_DEFAULT_OUTPUT_FILE "emissions.csv"
#define CCT_DEFAULT_API_TIMEOUT_MS 5000u
#define CCT_DEFAULT_GEO_ENDPOINT "https://get.geojs.io/v1/ip/geo.json"

/**
 * Tracker configuration. Every field's zero (0, 0.0, NULL) means its default, so
 * CCT_CONFIG_INIT only sets the version and a caller sets just what it wants changed. Fields
 * keep CodeCarbon's names where it has them (no_save_to_file is its save_to_file, inverted
 * so that zero is the default).
 */
typedef struct cct_config {
    unsigned int version;             /**< CCT_CONFIG_VERSION. */
    const char *project_name;         /**< NULL: "cctracker". */
    const char *experiment_id;        /**< NULL: none; with save_to_api, a UUID (required). */
    unsigned int measure_interval_ms; /**< Sampling period; 0: 15000. */
    unsigned int api_call_interval;   /**< Measurements between API uploads; 0: 8. */
    const char *output_dir;           /**< NULL: "."; "" is invalid. */
    const char *output_file;          /**< NULL: "emissions.csv"; a name without '/'. */
    int no_save_to_file;              /**< Nonzero: no CSV row at stop()/flush(). 0: write it. */
    int save_to_api;                  /**< Nonzero: upload to api_endpoint. */
    const char *api_endpoint;         /**< http:// or https:// URL, e.g. "http://127.0.0.1:8008". */
    const char *api_key;              /**< Sent as x-api-token; never logged or stored. */
    unsigned int api_timeout_ms;      /**< Bound on any wait for the network; 0: 5000. */
    int offline;                      /**< Nonzero: never touch the network for a geo lookup. */
    const char *country_iso_code;     /**< ISO 3166-1 alpha-3, e.g. "FRA"; NULL = look up. */
    const char *region;               /**< Free text, reported as is. */
    /**
     * Geo lookup URL (http:// or https://); NULL: CCT_DEFAULT_GEO_ENDPOINT. Process-wide:
     * the lookup is made once per process, from the geo_endpoint (and api_timeout_ms) of the
     * first tracker that starts one, and its answer serves every tracker; a later tracker's
     * different geo_endpoint is not asked.
     */
    const char *geo_endpoint;
    cct_tracking_mode tracking_mode; /**< 0: CCT_TRACKING_MACHINE. */
    double pue;                      /**< Power usage effectiveness; 0: 1.0; else >= 1. */
    double force_cpu_power_w;        /**< > 0: the CPU's TDP (W) for the load model, used instead
                                          of RAPL and of the TDP table (CodeCarbon's
                                          force_cpu_power; docs/tracker-model.md). */
    double force_ram_power_w;        /**< > 0: use this constant RAM power. */
    int rapl_include_dram;           /**< Nonzero: count RAPL dram domains as RAM energy. */
    cct_log_fn log_fn;               /**< NULL: WARNING and above go to stderr. */
    void *log_payload;
    cct_log_level log_level;   /**< 0 (CCT_LOG_DEFAULT): CCT_LOG_WARNING. */
    cct_measure_fn measure_fn; /**< Optional, see cct_measure_fn. */
    void *measure_payload;
    /**
     * Opt-in wait for the geo lookup: flush() and stop() wait at most this long for its
     * answer. 0: never wait: until the answer comes, the world average is used and the
     * result says CCT_FALLBACK_GEO_PENDING. stop() never blocks on the network otherwise.
     */
    unsigned int geo_wait_ms;
} cct_config;

/** A config of this header's version with every field at its default (a designated
 * initializer, so -Wmissing-field-initializers stays quiet; C++ before C++20: use
 * cct_config_init()). */
#define CCT_CONFIG_INIT                                                                            \
    {                                                                                              \
        .version = CCT_CONFIG_VERSION                                                              \
    }

#define CCT_EMISSIONS_VERSION 1

/**
 * The result of a measurement: a plain value, no pointers, nothing to free. The caller sets
 * `version` (CCT_EMISSIONS_INIT) before passing it to flush() or stop(); see the growth
 * policy above. In a cct_measure_fn, `version` is the library's: read a field added after
 * your header's CCT_EMISSIONS_VERSION only when sofar->version is at least the version that
 * added it.
 */
typedef struct cct_emissions {
    unsigned int version; /**< CCT_EMISSIONS_VERSION (set by the caller). */
    double timestamp;     /**< Measurement time, seconds since the Unix epoch. */
    double duration_s;    /**< Seconds since start(). */
    double cpu_power_w;   /**< Mean power over the duration (without the PUE). */
    double gpu_power_w;
    double ram_power_w;
    double cpu_energy_kwh; /**< cpu_power_w x duration_s x pue (as CodeCarbon). */
    double gpu_energy_kwh;
    double ram_energy_kwh;
    double energy_kwh;          /**< cpu + gpu + ram energy (each with the PUE). */
    double emissions_kg;        /**< energy_kwh x carbon intensity. */
    double emissions_rate_kg_s; /**< emissions_kg / duration_s (0 for a zero duration). */
    double carbon_intensity_g_kwh;
    double pue;
    double ram_total_gb;
    double longitude; /**< NaN when unknown. */
    double latitude;  /**< NaN when unknown. */
    unsigned int cpu_count;
    unsigned int gpu_count;
    unsigned int fallbacks; /**< CCT_FALLBACK_* bits. */
    cct_tracking_mode tracking_mode;
    cct_source cpu_source;
    cct_source gpu_source;
    cct_source ram_source;
    char run_id[37];          /**< UUID v4, set by start(). */
    char country_iso_code[4]; /**< Empty when unknown. */
    char country_name[64];
    char region[64];
    char cpu_model[128];
    char gpu_model[128];
} cct_emissions;

/** An emissions value of this header's version, ready for flush() or stop(). */
#define CCT_EMISSIONS_INIT                                                                         \
    {                                                                                              \
        .version = CCT_EMISSIONS_VERSION                                                           \
    }

typedef struct cct_tracker cct_tracker;

/** Set `cfg` to CCT_CONFIG_INIT: `version` (CCT_CONFIG_VERSION) and every field zero. */
CCT_EXTERN(int) cct_config_init(cct_config *cfg, unsigned int version);

/**
 * Create a tracker. Validates and copies the config; does no I/O and no system call beyond
 * memory allocation. A NULL `cfg` means the defaults.
 */
CCT_EXTERN(int) cct_tracker_new(cct_tracker **out, const cct_config *cfg);

/**
 * Start measuring. The first start() of a process detects the hardware (cached for every
 * later tracker) and starts the process-wide sampler thread; later ones only take a reading.
 * Never blocks on the network, and never waits for the HTTP module: with save_to_api (or a
 * geo lookup) it only asks for the module to be loaded in the background. Checks output_dir
 * is writable when save_to_file is set.
 */
CCT_EXTERN(int) cct_tracker_start(cct_tracker *t);

/**
 * Measure now and write/upload the result, and keep running. `out` may be NULL and is filled
 * even on error (but not when its version is refused: then nothing is measured). An upload
 * waits at most api_timeout_ms for the HTTP module (only the first one of a process can) and
 * returns CCT_EUNAVAILABLE if it cannot be loaded. The API counts whole seconds: an upload
 * sends the whole seconds since the last one and carries the rest, so one less than 1 s after
 * the last sends nothing (its data goes with the next upload).
 *
 * `out` comes last here and in stop(), against the rule that a single output parameter comes
 * first: these are actions on the tracker, which is their subject and comes first as in every
 * cct_tracker_* call, and `out` is an optional report of the action, not what the call is
 * for. Functions whose job is to produce `*out` (cct_tracker_new) take it first.
 */
CCT_EXTERN(int) cct_tracker_flush(cct_tracker *t, cct_emissions *out);

/**
 * Take the final reading, write/upload it, and stop. `out` may be NULL and is filled even
 * on error (but not when its version is refused: then the tracker keeps running). Waits for
 * nothing, except as flush() for an HTTP module still loading. The final upload sends what is
 * left rounded up to whole seconds, at least 1 s (a run shorter than 1 s is uploaded as 1 s
 * with its true energy). `out` last: see flush().
 */
CCT_EXTERN(int) cct_tracker_stop(cct_tracker *t, cct_emissions *out);

/** Release a tracker (stopping it without output if it still runs). NULL is a no-op. */
CCT_EXTERN(void) cct_tracker_free(cct_tracker *t);

/** One line describing an error code. Never NULL. */
CCT_EXTERN(const char *) cct_strerror(int error);

/** Detail of the calling thread's last error; "" if none. Valid until the next call. */
CCT_EXTERN(const char *) cct_last_error_message(void);

/** Name of a power source ("rapl", "cpu_load", "constant", "nvml", "none"). */
CCT_EXTERN(const char *) cct_source_name(cct_source source);

/** The library version, CCT_VERSION of the build. */
CCT_EXTERN(const char *) cct_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CCTRACKER_H */
