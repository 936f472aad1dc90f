/*
 * Shared helpers of the cctracker test suites: temp dirs, fake sysfs/procfs trees that the
 * tracker reads through CCT_SYSFS_ROOT / CCT_PROCFS_ROOT, monotonic-clock waits for the
 * reading cache's windows, log capture, and assertions that say why a cct_* call failed.
 *
 * Every helper fails the current cmocka test (fail_msg) instead of returning an error, so a
 * test reads as its steps. Include after <cmocka.h>'s prerequisites; this header includes
 * them itself.
 */
#ifndef CCB_TRACKER_FIXTURES_H
#define CCB_TRACKER_FIXTURES_H

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cctracker.h"

#define FX_N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Fails the test with cct_last_error_message() when a cct_* call does not return 0. */
#define assert_cct_ok(expr)                                                                        \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != 0)                                                                              \
            fail_msg("%s returned %d (%s): %s", #expr, rc_, cct_strerror(rc_),                     \
                     cct_last_error_message());                                                    \
    } while (0)

/* The call returns `code` and the thread's error message contains `needle`. */
#define assert_cct_error(expr, code, needle)                                                       \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != (code))                                                                         \
            fail_msg("%s returned %d (%s), expected %d: %s", #expr, rc_, cct_strerror(rc_),        \
                     (int)(code), cct_last_error_message());                                       \
        if (!strstr(cct_last_error_message(), (needle)))                                           \
            fail_msg("%s: message \"%s\" does not name \"%s\"", #expr, cct_last_error_message(),   \
                     (needle));                                                                    \
    } while (0)

/* cmocka 1.1's assert_float_equal works in float precision; these checks need doubles.
 * |actual - expected| <= abs_tol + rel_tol * |expected|. */
#define assert_within(actual, expected, abs_tol, rel_tol)                                          \
    do {                                                                                           \
        double a_ = (actual), e_ = (expected), t_ = (abs_tol) + (rel_tol)*fabs(e_);                \
        if (!(fabs(a_ - e_) <= t_))                                                                \
            fail_msg("%s = %.17g, expected %.17g (+/- %g)", #actual, a_, e_, t_);                  \
    } while (0)
#define assert_near(actual, expected, tol) assert_within(actual, expected, tol, 0)

/* ---- files ---- */

/* A fresh directory under $TMPDIR (or /tmp); malloc'd path. */
char *fx_temp_dir(const char *tag);
/* rm -rf; NULL is a no-op. */
void fx_remove_tree(const char *path);
/* mkdir -p. */
void fx_mkdirs(const char *path);
/* Write `dir`/`rel` (parents created) atomically: a reader sees the old or the new content. */
void fx_write_file(const char *dir, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whole file, NUL-terminated, malloc'd; *len_out gets its length when not NULL. */
char *fx_read_file(const char *path, size_t *len_out);

/* ---- fake trees ---- */

typedef struct fx_tree {
    char *dir;      /* the temp dir holding both roots */
    char sys[512];  /* CCT_SYSFS_ROOT */
    char proc[512]; /* CCT_PROCFS_ROOT */
    char out[512];  /* an empty, writable output_dir */
} fx_tree;

/* CPU model of the default cpuinfo: in the TDP table at 65 W. */
#define FX_KNOWN_CPU "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz"
#define FX_KNOWN_CPU_TDP_W 65.0
#define FX_CPU_COUNT 4
/* MemTotal of the default meminfo: exactly 16 GiB. */
#define FX_MEM_TOTAL_KB 16777216ULL
/* The rest of the default meminfo: what psutil's virtual_memory() (CodeCarbon's RAM use) reads. */
#define FX_MEM_FREE_KB 1000000ULL
#define FX_MEM_AVAILABLE_KB 2000000ULL
#define FX_MEM_BUFFERS_KB 500000ULL
#define FX_MEM_CACHED_KB 3000000ULL
#define FX_MEM_SRECLAIMABLE_KB 200000ULL

/* A tree with cpuinfo (FX_KNOWN_CPU x FX_CPU_COUNT), meminfo, /stat (50% load) and
 * /self/stat, an empty sysfs (no RAPL) and an output dir. */
void fx_tree_init(fx_tree *t, const char *tag);
void fx_tree_free(fx_tree *t);
/* Point the tracker at the tree (and at a missing NVML library unless `nvml_library` is
 * given), then forget the process cache so the next start() detects from it. No tracker may
 * be running. */
void fx_tree_activate(const fx_tree *t, const char *nvml_library);

/* The fake libnvidia-ml built by the tests (FAKE_NVML_LIBRARY, failing the test when ctest did
 * not set it), answering from the state file "nvml-state" of the tree (FAKE_NVML_STATE).
 * fx_fake_nvml_end() forgets the state file. */
const char *fx_fake_nvml_begin(const fx_tree *t);
void fx_fake_nvml_end(void);

void fx_write_cpuinfo(const fx_tree *t, const char *model, unsigned int cpus);
/* /proc/stat "cpu" line (jiffies) followed by per-CPU lines. */
void fx_write_stat(const fx_tree *t, unsigned long long user, unsigned long long nice,
                   unsigned long long system, unsigned long long idle, unsigned long long iowait,
                   unsigned long long irq, unsigned long long softirq, unsigned long long steal);
/* /proc/self/stat with this utime and stime (and a comm holding ") " to test the parser). */
void fx_write_self_stat(const fx_tree *t, unsigned long long utime, unsigned long long stime);
/* A powercap domain: $sys/class/powercap/<dir>/{name,energy_uj,max_energy_range_uj}. */
void fx_write_rapl(const fx_tree *t, const char *dir, const char *name, unsigned long long uj,
                   unsigned long long max_uj);
void fx_set_energy(const fx_tree *t, const char *dir, unsigned long long uj);

/* ---- tracker helpers ---- */

/* Defaults for tests: offline, country FRA, no CSV, log level NONE. */
void fx_config(cct_config *cfg);
/* One full lifecycle with `cfg` (the first in a process detects the hardware). */
void fx_lifecycle(const cct_config *cfg, cct_emissions *out);

/* ---- clock ---- */
uint64_t fx_mono_ns(void);
/* Spin on CLOCK_MONOTONIC until it reaches `since_ns + delay_ns`. This is the condition
 * itself (the reading cache's age), not a sleep standing in for synchronisation. */
void fx_wait_mono(uint64_t since_ns, uint64_t delay_ns);
/* Long enough for the next reading to be fresh and to close a CPU-load window (10 ms). */
#define FX_FRESH_NS 12000000ULL

/* ---- log capture ---- */
typedef struct fx_log {
    pthread_mutex_t lock;
    char *text; /* every message, one per line */
    size_t len;
    unsigned int lines;
} fx_log;
void fx_log_init(fx_log *l);
void fx_log_free(fx_log *l);
/* A cct_log_fn; payload is an fx_log *. */
void fx_log_fn(cct_log_level level, const char *msg, void *payload);
/* Number of captured lines containing `needle`. */
unsigned int fx_log_count(fx_log *l, const char *needle);

#endif
