/*
 * Declarations shared between the files of the cctracker library and its tests. Nothing here
 * is exported: the library is built with hidden visibility, and only cctracker.h is public.
 * Naming: cct_<module>__<fn> for a helper shared between files.
 */
#ifndef CCT_INTERNAL_H
#define CCT_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "cctracker.h"

#define CCT_NS_PER_S 1000000000ULL
#define CCT_J_PER_KWH 3.6e6
#define CCT_WORLD_INTENSITY_G_KWH 475.0
/* The TDP of a CPU model not in the table, per thread (CodeCarbon's DEFAULT_POWER_PER_CORE,
 * which it multiplies by the thread count). */
#define CCT_TDP_PER_THREAD_W 4.0
/* Readings younger than this are reused (extrapolated) instead of re-read: the hot path
 * must not read /proc or sysfs twice in a row. */
#define CCT_READING_REUSE_NS 1000000ULL

/* ---- error.c ---- */
/* Set the calling thread's detail message; returns `code` so callers can `return` it. */
int cct_error__set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cct_error__clear(void);

/* ---- clock ---- */
static inline uint64_t cct_clock__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * CCT_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline double cct_clock__real_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- fsread.c: small files under a moved root ---- */
/* Read `root` + `rel` (whole file, NUL-terminated, at most cap-1 bytes). Returns the length
 * or -1 with errno set. */
long cct_fs__read(const char *root, const char *rel, char *buf, size_t cap);
/* Read one unsigned integer from a file; 0 on success. */
int cct_fs__read_u64(const char *path, uint64_t *out);

/* ---- rapl.c ---- */
typedef enum cct_rapl_kind { CCT_RAPL_PACKAGE, CCT_RAPL_DRAM, CCT_RAPL_PSYS } cct_rapl_kind;

#define CCT_RAPL_MAX_DOMAINS 16
typedef struct cct_rapl_domain {
    char energy_path[512];
    char name[32];
    cct_rapl_kind kind;
    uint64_t max_range_uj;
    uint64_t last_uj;
} cct_rapl_domain;

typedef struct cct_rapl {
    cct_rapl_domain domains[CCT_RAPL_MAX_DOMAINS];
    int count;
    int has_cpu; /* at least one package (or psys alone) domain to measure the CPU */
    int has_dram;
    char unreadable[600];   /* why RAPL exists but cannot be used ("" if usable or absent) */
    unsigned long skipped;  /* intervals left out: a counter went down with no known range */
    char skipped_path[512]; /* the energy_uj of the first one */
} cct_rapl;

/* Discover powercap domains under sysfs_root; takes the first reading of each. */
void cct_rapl__discover(cct_rapl *r, const char *sysfs_root);
/* Energy since the previous call, in joules, wrap-corrected: CPU (packages, or psys when
 * there is no package) and DRAM. A drop that no max_energy_range_uj explains counts 0 for
 * that domain and interval (r->skipped). Returns 0, or -1 if a counter could not be read. */
int cct_rapl__read(cct_rapl *r, double *cpu_j, double *dram_j);

/* ---- cpuload.c ---- */
typedef struct cct_cpu_times {
    uint64_t total; /* all jiffies of all CPUs, idle included */
    uint64_t busy;  /* total - idle - iowait */
    uint64_t steal;
} cct_cpu_times;
int cct_cpuload__read_machine(const char *procfs_root, cct_cpu_times *out);
/* The same, reading the file into buf (cap bytes), and the number of online CPUs (its
 * per-CPU lines) in *online, or 0 when they did not all fit. */
int cct_cpuload__read_machine_online(const char *procfs_root, char *buf, size_t cap,
                                     cct_cpu_times *out, unsigned int *online);
/* utime + stime of this process, in jiffies. */
int cct_cpuload__read_self(const char *procfs_root, uint64_t *out);
/* The machine-mode model: TDP x (0.1 + 0.9 x load^3), load in [0,1]. */
double cct_cpuload__machine_power(double tdp_w, double load);

/* ---- meminfo.c ---- */
typedef struct cct_meminfo {
    double used_gb;       /* psutil's "used", GiB (CodeCarbon's ram_used_gb) */
    double used_fraction; /* 1 - MemAvailable / MemTotal (ram_utilization_percent / 100) */
} cct_meminfo;
/* One read of /proc/meminfo; 0, or -1 when it cannot be read or parsed. */
int cct_meminfo__read(const char *procfs_root, cct_meminfo *out);

/* ---- nvml.c ---- */
#define CCT_NVML_MAX_DEVICES 16
typedef struct cct_nvml cct_nvml;
/* Whether an NVIDIA driver is loaded: without one, looking for libnvidia-ml costs a failed
 * dlopen that probes ~100 library paths (~100 us of every cold start) for nothing. */
int cct_nvml__driver_present(const char *procfs_root);
/* dlopen NVML; NULL if absent or no device (that is not an error). */
cct_nvml *cct_nvml__open(const char *library);
void cct_nvml__close(cct_nvml *n);
unsigned int cct_nvml__count(const cct_nvml *n);
const char *cct_nvml__model(const cct_nvml *n);
/* Energy of all devices since the previous call (J), from the energy counter when the device
 * has one, else power x elapsed time. */
double cct_nvml__read(cct_nvml *n, uint64_t now_ns);

/* ---- tables (generated from the CSV files of tracker/data) ---- */
typedef struct cct_country {
    const char *iso3;
    const char *name;
    double g_per_kwh;
    int year;
} cct_country;
/* Sorted by iso3. */
extern const cct_country cct_country_table[];
extern const unsigned int cct_country_count;
/* The table's codes, 4 bytes each ("FRA\0"), and for each letter A..Z the index of the first
 * code starting with it (index 26: the count). */
extern const char cct_country_iso3[][4];
extern const unsigned short cct_country_by_letter[27];
typedef struct cct_region {
    const char *iso3;
    const char *region; /* lowercase */
    double g_per_kwh;
    int year;
} cct_region;
/* Sorted by (iso3, region) in strcmp order. */
extern const cct_region cct_region_table[];
extern const unsigned int cct_region_count;
typedef struct cct_cpu_tdp {
    const char *model; /* normalised, see cct_tdp__normalise */
    double tdp_w;
} cct_cpu_tdp;
extern const cct_cpu_tdp cct_cpu_tdp_table[];
extern const unsigned int cct_cpu_tdp_count;
/* Indices into cct_cpu_tdp_table in strcmp order of the model (unique names). */
extern const unsigned short cct_cpu_tdp_by_model[];

const cct_country *cct_intensity__find(const char *iso3);
/* The row of `region` (any case) in country `iso3` (uppercase, a table code); NULL if none.
 * O(log n) in the regions, no allocation. */
const cct_region *cct_intensity__find_region(const char *iso3, const char *region);
/* Whether the region table has rows for `iso3` (a region given there should be one). */
int cct_intensity__has_regions(const char *iso3);
void cct_tdp__normalise(const char *model, char *out, size_t cap);
/* TDP of one package for a /proc/cpuinfo model name; *found = 0 and 0 W when unknown. */
double cct_tdp__lookup(const char *model, int *found);

/* ---- hardware.c: the process-wide hardware cache ---- */
typedef struct cct_hardware {
    char sysfs_root[256];
    char procfs_root[256];
    char cpu_model[128];
    unsigned int cpu_count;
    unsigned int cpu_sockets; /* 0: unknown (then 1 is assumed), see set_tdp */
    uint64_t mem_total_kb;
    double ram_total_gb;
    double ram_power_w; /* the RAM model: CodeCarbon 3.x's per-module estimate, see hardware.c */
    double tdp_w;       /* of the whole machine: per package x sockets, or 4 W per thread */
    int tdp_known;
    cct_source cpu_source; /* RAPL or CPU_LOAD */
    char rapl_fallback_reason[600];
    int rapl_has_dram;
    char os[200];
    unsigned int gpu_count;
    char gpu_model[128];
    uint64_t seed; /* for run ids */
} cct_hardware;

/* Detect once per process (thread-safe); later calls return the cache. NULL on failure. */
const cct_hardware *cct_hardware__get(void);
/* The RAM model: watts for `gb` GiB of installed memory (arm: ARM modules). */
double cct_hardware__ram_model_w(double gb, int arm);
/* Logical CPUs per package as CPUID tells them (x86, bare metal); 0 when unknown or under a
 * hypervisor. For the tests. */
unsigned int cct_hardware__cpuid_logical_per_package(void);

/* ---- reading.c: process-wide cumulative energy, cached for ~1 ms ---- */
typedef struct cct_reading {
    uint64_t mono_ns;
    double rapl_j;       /* RAPL CPU energy (0 without RAPL) */
    double rapl_share_j; /* RAPL CPU energy x this process's share (process mode) */
    double load_s;       /* the CPU load model per W of TDP: integral of 0.1 + 0.9 load^3 */
    double share_s;      /* this process's share of all CPU time, integrated (s) */
    double ram_j;        /* the RAM model */
    double dram_j;       /* RAPL dram domains (0 without them) */
    double gpu_j;
    /* Integrals over time of what the CSV averages over a run (reading.c): CPU load
     * (fraction x s), memory in use (GiB x s) and its share (fraction x s), the last two
     * zero before mem_since_ns, the first /proc/meminfo reading (0: none yet). */
    double util_s;
    double mem_used_gb_s;
    double mem_util_s;
    uint64_t mem_since_ns;
} cct_reading;
/* Initialise the reading state (called once by hardware detection). */
int cct_reading__init(cct_hardware *hw);
void cct_reading__reset(void);
/* A reading for now: reused and extrapolated if the last one is younger than
 * CCT_READING_REUSE_NS, else taken fresh (or extrapolated if another thread is taking it). */
void cct_reading__now(cct_reading *out);
/* Always re-read the sources (the sampler's periodic tick), the load and memory in use too
 * (once the load window has passed), whatever the power source. */
void cct_reading__refresh(cct_reading *out);
/* The energy_uj of the first RAPL interval left out (a counter went down with no known
 * range), exactly once per process: 1 and `out` filled the first time, else 0. */
int cct_reading__take_rapl_skip_note(char *out, size_t cap);
/* What a tracker needs tracked beyond RAPL, RAM and GPU. */
#define CCT_WANT_LOAD 0x1u  /* the load model (always, without RAPL) */
#define CCT_WANT_SHARE 0x2u /* this process's CPU share (process mode) */
/* The start reading of a tracker that needs `wants`: as cct_reading__now() when every want is
 * already tracked; else a fresh reading that also starts the new baselines (once per process
 * and want: it reads /proc/self/stat, and /proc/stat unless just read). */
void cct_reading__start(unsigned int wants, cct_reading *out);

/* ---- tracker.c internals (the tests compute emissions from chosen readings) ---- */
typedef struct cct_tracker cct_tracker;
/* Fill `out` with the totals from the tracker's start to `now` (a reading). */
void cct_tracker__compute(const cct_tracker *t, const cct_reading *now, cct_emissions *out);
/* Log the detection notes again at the next start() (after cct__reset_process_cache). */
void cct_tracker__reset_notes(void);
/* The config the tracker runs with: the caller's, defaults applied (tests). */
const cct_config *cct_tracker__config(const cct_tracker *t);

/* ---- sampler.c: one process-wide thread for periodic measurements ---- */
/* The sampler knows nothing of trackers: whoever links in registers a timer callback and its
 * context, as redis's ae does for time events. Called on the sampler thread with the link's
 * shard locked, so it must not add or remove links; `now` is the one fresh reading taken for
 * every link due at this wake-up, `measurements` counts this link's calls from 1. */
typedef void (*cct_sampler_fn)(void *ctx, const cct_reading *now, unsigned long measurements);
typedef struct cct_sampler_link {
    cct_sampler_fn fn;
    void *ctx;
    struct cct_sampler_link *prev, *next;
    unsigned int shard;
    uint64_t next_due_ns;
    uint64_t interval_ns;
    unsigned long measurements;
} cct_sampler_link;
int cct_sampler__add(cct_sampler_link *link);
void cct_sampler__remove(cct_sampler_link *link);
void cct_sampler__shutdown(void);
/* Run fn once on the sampler thread (starting it if needed): slow one-off work that must not
 * happen on a caller's thread. A fn already waiting is not queued twice. 0, or -1 if the
 * thread cannot be started or too many jobs wait (the caller then does the work itself). */
int cct_sampler__defer(void (*fn)(void));

/* What CodeCarbon 3.3's CSV has beyond cct_emissions, averaged over the run; NaN when not
 * measured (an empty cell). Kept out of cct_emissions, whose size is part of the ABI. */
typedef struct cct_usage {
    double cpu_utilization_percent; /* the machine's CPU load */
    double gpu_utilization_percent; /* 0 without a GPU; not measured with one */
    double ram_utilization_percent; /* 100 x (1 - MemAvailable / MemTotal) */
    double ram_used_gb;             /* psutil's "used" (meminfo.c) */
} cct_usage;
/* The averages from the tracker's start to `now` (a reading). */
void cct_tracker__usage(const cct_tracker *t, const cct_reading *now, cct_usage *out);

/* ---- csv.c ---- */
#define CCT_CSV_COLUMNS 38
extern const char *const cct_csv_columns[CCT_CSV_COLUMNS];
/* Append one row (and the header if the file is new) with one write(2), to
 * cfg->output_dir/cfg->output_file. A file whose first line is not this header is moved
 * aside first (<file>.bak, as CodeCarbon does) and logged through cfg's log settings. */
int cct_csv__append(const cct_config *cfg, const cct_emissions *e, const cct_usage *u,
                    const cct_hardware *hw);

/* ---- numfmt.c ---- */
/* printf("%.15g", v) into out (cap >= 32 for the fast path); the length, 0 on failure. */
size_t cct_fmt__g15(double v, char *out, size_t cap);

/* ---- uuid.c ---- */
void cct_uuid__v4(uint64_t process_seed, char out[37]);
/* Whether `s` is a UUID in a form CodeCarbon's server accepts (see uuid.c); NULL is not. */
int cct_uuid__valid(const char *s);

/* ---- log.c ---- */
void cct_log__write(cct_log_fn fn, void *payload, cct_log_level min_level, cct_log_level level,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- api_loader.c: the lazily loaded HTTP side ---- */
typedef struct cct_api_module cct_api_module; /* api_module.h */
/* Ask for the HTTP module to be loaded in the background (once per process), and for a geo
 * lookup from `geo_url` (NULL: none) as soon as it is. Never blocks. */
void cct_api__request(const char *geo_url, unsigned int timeout_ms);
/* Make sure the requested geo lookup has been started (idempotent; module loaded): the
 * sampler thread starts it. */
void cct_api__start_geo(void);
/* Whether the module load has ended without a module (it never will be there). */
int cct_api__failed(void);
/* The module if loaded, else NULL (never blocks). */
const cct_api_module *cct_api__peek(void);
/* The module, loading it here if nobody has started to, waiting at most wait_ms for a load
 * under way; NULL with an error set (CCT_EUNAVAILABLE) otherwise. */
const cct_api_module *cct_api__wait(unsigned int wait_ms);

/* Forget the detected hardware: the next cct_hardware__get() detects again (reset.c). */
void cct_hardware__reset(void);

/* ---- reset.c: tests only, the top of the stack ---- */
/* Forget the hardware cache, readings, sampler and logged notes (no tracker may be running):
 * calls each module's own reset, so no module below needs to know the others. */
void cct__reset_process_cache(void);
/* Make a started tracker's run look `ns` older (its start moved back; the energy read so far
 * is unchanged): how the API tests get uploads whole seconds apart without waiting. */
void cct__age_tracker(cct_tracker *t, uint64_t ns);

#endif
