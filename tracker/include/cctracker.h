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
    CCT_OK = 0,             /**< Success. */
    CCT_EINVALID = -1,      /**< An argument or config field is invalid (the message names it). */
    CCT_ENOMEM = -2,        /**< Out of memory. */
    CCT_ESTATE = -3,        /**< Call not allowed in the tracker's current state. */
    CCT_EIO = -4,           /**< A file could not be read or written (the message names it). */
    CCT_ENOSOURCE = -5,     /**< No power source could be set up. */
    CCT_EUNAVAILABLE = -6,  /**< An optional component (the HTTP module) could not be loaded. */
} cct_error;

/** Log levels, most verbose first. */
typedef enum cct_log_level {
    CCT_LOG_DEBUG = 0,
    CCT_LOG_INFO = 1,
    CCT_LOG_WARNING = 2,
    CCT_LOG_ERROR = 3,
    CCT_LOG_NONE = 4,       /**< Log nothing. */
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
#define CCT_FALLBACK_CPU_TDP 0x1u       /**< CPU model not in the TDP table: 4 W/thread assumed. */
#define CCT_FALLBACK_RAPL 0x2u          /**< RAPL present but unreadable: CPU load model used. */
#define CCT_FALLBACK_INTENSITY 0x4u     /**< Country unknown or unset: world average used. */
#define CCT_FALLBACK_GEO_TIMEOUT 0x8u   /**< Geo lookup gave no answer in time. */

/** Called for each log line; `msg` is valid for the duration of the call only. */
typedef void (*cct_log_fn)(cct_log_level level, const char *msg, void *payload);

struct cct_emissions;
/**
 * Called from the sampler thread after each periodic measurement of a running tracker,
 * with the totals since start(). Must return quickly and must not call into the tracker.
 */
typedef void (*cct_measure_fn)(const struct cct_emissions *sofar, void *payload);

#define CCT_CONFIG_VERSION 1

/**
 * Tracker configuration. Initialise with CCT_CONFIG_INIT or cct_config_init(); fields keep
 * CodeCarbon's names where it has them. New fields are only ever added at the end.
 */
typedef struct cct_config {
    unsigned int version;            /**< CCT_CONFIG_VERSION. */
    const char *project_name;        /**< Default "cctracker". */
    const char *experiment_id;       /**< Default NULL; with save_to_api, a UUID (required). */
    unsigned int measure_interval_ms; /**< Sampling period, default 15000; 0 is invalid. */
    unsigned int api_call_interval;  /**< Measurements between API uploads, default 8. */
    const char *output_dir;          /**< Default ".". */
    const char *output_file;         /**< Default "emissions.csv". */
    int save_to_file;                /**< Write a CSV row at stop()/flush(); default 1. */
    int save_to_api;                 /**< Upload to api_endpoint; default 0. */
    const char *api_endpoint;        /**< e.g. "http://127.0.0.1:8008"; default NULL. */
    const char *api_key;             /**< Sent as x-api-token; never logged or stored. */
    unsigned int api_timeout_ms;     /**< Bound on any wait for the network, default 5000. */
    int offline;                     /**< Never touch the network for geo lookup; default 0. */
    const char *country_iso_code;    /**< ISO 3166-1 alpha-3, e.g. "FRA"; NULL = look up. */
    const char *region;              /**< Free text, reported as is. */
    const char *geo_endpoint;        /**< Geo lookup URL; NULL = https://get.geojs.io/v1/ip/geo.json */
    cct_tracking_mode tracking_mode; /**< Default CCT_TRACKING_MACHINE. */
    double pue;                      /**< Power usage effectiveness, default 1.0; < 1 invalid. */
    double force_cpu_power_w;        /**< > 0: the CPU's TDP (W) for the load model, used instead
                                          of RAPL and of the TDP table (CodeCarbon's
                                          force_cpu_power; docs/tracker-model.md). */
    double force_ram_power_w;        /**< > 0: use this constant RAM power. */
    int rapl_include_dram;           /**< Count RAPL dram domains as RAM energy; default 0. */
    cct_log_fn log_fn;               /**< NULL: WARNING and above go to stderr. */
    void *log_payload;
    cct_log_level log_level;         /**< Default CCT_LOG_WARNING. */
    cct_measure_fn measure_fn;       /**< Optional, see cct_measure_fn. */
    void *measure_payload;
} cct_config;

#define CCT_CONFIG_INIT                                                                         \
    {                                                                                           \
        CCT_CONFIG_VERSION, "cctracker", NULL, 15000u, 8u, ".", "emissions.csv", 1, 0, NULL,    \
            NULL, 5000u, 0, NULL, NULL, NULL, CCT_TRACKING_MACHINE, 1.0, 0.0, 0.0, 0, NULL,     \
            NULL, CCT_LOG_WARNING, NULL, NULL                                                   \
    }

/** The result of a measurement: a plain value, no pointers, nothing to free. */
typedef struct cct_emissions {
    double timestamp;             /**< Measurement time, seconds since the Unix epoch. */
    double duration_s;            /**< Seconds since start(). */
    double cpu_power_w;           /**< Mean power over the duration (without the PUE). */
    double gpu_power_w;
    double ram_power_w;
    double cpu_energy_kwh;        /**< cpu_power_w x duration_s x pue (as CodeCarbon). */
    double gpu_energy_kwh;
    double ram_energy_kwh;
    double energy_kwh;            /**< cpu + gpu + ram energy (each with the PUE). */
    double emissions_kg;          /**< energy_kwh x carbon intensity. */
    double emissions_rate_kg_s;   /**< emissions_kg / duration_s (0 for a zero duration). */
    double carbon_intensity_g_kwh;
    double pue;
    double ram_total_gb;
    double longitude;             /**< NaN when unknown. */
    double latitude;              /**< NaN when unknown. */
    unsigned int cpu_count;
    unsigned int gpu_count;
    unsigned int fallbacks;       /**< CCT_FALLBACK_* bits. */
    cct_tracking_mode tracking_mode;
    cct_source cpu_source;
    cct_source gpu_source;
    cct_source ram_source;
    char run_id[37];              /**< UUID v4, set by start(). */
    char country_iso_code[4];     /**< Empty when unknown. */
    char country_name[64];
    char region[64];
    char cpu_model[128];
    char gpu_model[128];
} cct_emissions;

typedef struct cct_tracker cct_tracker;

/** Fill `cfg` with the defaults of CCT_CONFIG_INIT; `version` must be CCT_CONFIG_VERSION. */
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
 * even on error. An upload waits at most api_timeout_ms for the HTTP module (only the first
 * one of a process can) and returns CCT_EUNAVAILABLE if it cannot be loaded. The API counts
 * whole seconds: an upload sends the whole seconds since the last one and carries the rest,
 * so one less than 1 s after the last sends nothing (its data goes with the next upload).
 */
CCT_EXTERN(int) cct_tracker_flush(cct_tracker *t, cct_emissions *out);

/**
 * Take the final reading, write/upload it, and stop. `out` may be NULL and is filled even
 * on error. Waits for nothing, except as flush() for an HTTP module still loading. The final
 * upload sends what is left rounded up to whole seconds, at least 1 s (a run shorter than
 * 1 s is uploaded as 1 s with its true energy).
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
