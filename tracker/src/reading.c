/*
 * The process-wide energy reading: cumulative joules per component since detection, and
 * the power of each over the last interval. A tracker's energy is the difference of two
 * readings, so trackers never touch the sources themselves. The CPU load model is kept per
 * watt of TDP (TDP-seconds): power is linear in the TDP, so every tracker applies its own,
 * the detected one or a forced one, to the same integral.
 *
 * Cost model: sources (sysfs, /proc, NVML) are read at most once per CCT_READING_REUSE_NS;
 * inside that window a reading is the last one extrapolated with its power. The last reading
 * is published through a seqlock of atomics, so the hot path (start/stop) takes no lock and
 * never waits: when the reading is stale, one thread refreshes it (trylock) and the others
 * extrapolate meanwhile.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* CPU load and process share need a window of at least a few jiffies (10 ms at HZ=100):
 * over a shorter one they read as 0% or 100%. Inside the window the last power carries on
 * and /proc/stat is not read at all. */
#define LOAD_WINDOW_NS 10000000ULL

/* C_RAPL: RAPL CPU J; C_RAPL_SHARE: that x this process's share; C_LOAD: the load model per
 * W of TDP (0.1 + 0.9 load^3, s); C_SHARE: the process share (s). The last three are what the
 * CSV averages over a run (CodeCarbon 3.3's utilisation columns): the machine's CPU load
 * (fraction), the memory in use (GiB) and its share (fraction). Their "power" is the last
 * value read, extrapolated as the energies are, so a run's average costs the hot path no read
 * of its own. */
enum {
    C_RAPL,
    C_RAPL_SHARE,
    C_LOAD,
    C_SHARE,
    C_RAM,
    C_DRAM,
    C_GPU,
    C_UTIL,
    C_MEM_USED,
    C_MEM_UTIL,
    C_COUNT
};

static struct {
    pthread_mutex_t lock; /* guards everything but the published snapshot */
    cct_hardware *hw;
    cct_rapl rapl;
    int use_rapl;
    cct_nvml *nvml;
    cct_cpu_times load_base;
    uint64_t load_base_ns;
    uint64_t self_base;
    int self_valid;
    double joules[C_COUNT];
    double watts[C_COUNT];
    uint64_t last_ns;
    uint64_t mem_since_ns; /* first /proc/meminfo reading (0: none yet; C_MEM_* are 0 till then) */
} state = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The published snapshot. Every field is atomic so readers and the writer never race;
 * `seq` is odd while a write is in progress. Two flags that start()/stop() read ride in its
 * first cache line, which they read anyway: separate statics would be one more cold page
 * (a fault) in a fresh process's first start or stop. */
static struct {
    atomic_uint_fast64_t seq;
    /* CCT_WANT_* bits of what the readings track beyond RAPL, RAM and GPU. Grows only (until
     * a reset); start() reads it with one atomic load, and primes what a tracker adds. */
    atomic_uint wanted;
    /* The first RAPL interval left out (rapl.c), for one warning per process: 0 none, 1 noted
     * and not yet logged, 2 logged. skip_note is written once, before the release store of 1. */
    atomic_int skip_state;
    atomic_uint_fast64_t ns;
    atomic_uint_fast64_t mem_since_ns;
    _Atomic double joules[C_COUNT];
    _Atomic double watts[C_COUNT];
} published;

static char skip_note[512];

static void publish_locked(void)
{
    uint_fast64_t seq = atomic_load_explicit(&published.seq, memory_order_relaxed);

    atomic_store_explicit(&published.seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&published.ns, state.last_ns, memory_order_relaxed);
    atomic_store_explicit(&published.mem_since_ns, state.mem_since_ns, memory_order_relaxed);
    for (int i = 0; i < C_COUNT; i++) {
        atomic_store_explicit(&published.joules[i], state.joules[i], memory_order_relaxed);
        atomic_store_explicit(&published.watts[i], state.watts[i], memory_order_relaxed);
    }
    atomic_store_explicit(&published.seq, seq + 2, memory_order_release);
}

/* Recompute the load model and the process share when the window is long enough, and the
 * memory in use with them. When no tracker needs the load for its power (RAPL in machine
 * mode), only the sampler's periodic reading (`periodic`) reads them, never the hot path. */
static void update_load_locked(uint64_t now, int periodic)
{
    cct_cpu_times times;
    cct_meminfo mem;
    uint64_t self = 0;
    unsigned int want = atomic_load_explicit(&published.wanted, memory_order_relaxed);
    int track_self = (want & CCT_WANT_SHARE) != 0;

    if (now - state.load_base_ns < LOAD_WINDOW_NS ||
        (!periodic && !(want & (CCT_WANT_LOAD | CCT_WANT_SHARE))))
        return;
    if (cct_cpuload__read_machine(state.hw->procfs_root, &times) != 0)
        return; /* keep the last power; the log said why at detection */
    if (cct_meminfo__read(state.hw->procfs_root, &mem) == 0) {
        state.watts[C_MEM_USED] = mem.used_gb;
        state.watts[C_MEM_UTIL] = mem.used_fraction;
        /* The value is integrated from the last reading on (refresh_locked), so that is
         * where the integral starts. */
        if (!state.mem_since_ns)
            state.mem_since_ns = state.last_ns ? state.last_ns : now;
    }
    int have_self = track_self && cct_cpuload__read_self(state.hw->procfs_root, &self) == 0;
    uint64_t dtotal = times.total - state.load_base.total;
    if (dtotal > 0) {
        double load = (double)(times.busy - state.load_base.busy) / (double)dtotal;
        state.watts[C_UTIL] = load;
        state.watts[C_LOAD] = cct_cpuload__machine_power(1.0, load);
        if (have_self && state.self_valid) {
            double share = (double)(self - state.self_base) / (double)dtotal;
            if (share > 1)
                share = 1;
            /* Process mode: TDP x share without RAPL, RAPL power x share with it. */
            state.watts[C_SHARE] = share;
            state.watts[C_RAPL_SHARE] = state.watts[C_RAPL] * share;
        }
        state.load_base = times;
        state.load_base_ns = now;
    }
    if (have_self) {
        state.self_base = self;
        state.self_valid = 1;
    }
}

static void refresh_locked(uint64_t now, int periodic)
{
    double dt = (double)(now - state.last_ns) / 1e9;

    if (now <= state.last_ns)
        return;
    if (state.use_rapl) {
        double cpu_j, dram_j;
        if (cct_rapl__read(&state.rapl, &cpu_j, &dram_j) == 0) {
            state.watts[C_RAPL] = cpu_j / dt;
            state.watts[C_DRAM] = dram_j / dt;
        }
        if (state.rapl.skipped &&
            atomic_load_explicit(&published.skip_state, memory_order_relaxed) == 0) {
            snprintf(skip_note, sizeof(skip_note), "%s", state.rapl.skipped_path);
            atomic_store_explicit(&published.skip_state, 1, memory_order_release);
        }
    }
    update_load_locked(now, periodic);
    /* Every component integrates its power over [last, now]; for RAPL and NVML that power
     * was just derived from the counters, so this is exactly their energy delta. */
    for (int i = 0; i < C_COUNT; i++) {
        if (i == C_GPU)
            continue;
        state.joules[i] += state.watts[i] * dt;
    }
    if (state.nvml) {
        double gpu_j = cct_nvml__read(state.nvml, now);
        state.watts[C_GPU] = gpu_j / dt;
        state.joules[C_GPU] += gpu_j;
    }
    state.last_ns = now;
    publish_locked();
}

static void to_reading(const double *joules, uint64_t ns, uint64_t mem_since_ns, cct_reading *out)
{
    out->mono_ns = ns;
    out->util_s = joules[C_UTIL];
    out->mem_used_gb_s = joules[C_MEM_USED];
    out->mem_util_s = joules[C_MEM_UTIL];
    out->mem_since_ns = mem_since_ns;
    out->rapl_j = joules[C_RAPL];
    out->rapl_share_j = joules[C_RAPL_SHARE];
    out->load_s = joules[C_LOAD];
    out->share_s = joules[C_SHARE];
    out->ram_j = joules[C_RAM];
    out->dram_j = joules[C_DRAM];
    out->gpu_j = joules[C_GPU];
}

static void atfork_child(void)
{
    /* A lock held by a thread of the parent would never be released in the child. */
    pthread_mutex_init(&state.lock, NULL);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, atfork_child);
}

int cct_reading__init(cct_hardware *hw)
{
    static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
    const char *lib;
    cct_cpu_times times;

    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&state.lock);
    state.hw = hw;
    memset(state.joules, 0, sizeof(state.joules));
    memset(state.watts, 0, sizeof(state.watts));
    cct_rapl__discover(&state.rapl, hw->sysfs_root);
    state.use_rapl = state.rapl.has_cpu;
    hw->rapl_has_dram = state.rapl.has_dram;
    hw->cpu_source = state.use_rapl ? CCT_SOURCE_RAPL : CCT_SOURCE_CPU_LOAD;
    snprintf(hw->rapl_fallback_reason, sizeof(hw->rapl_fallback_reason), "%s",
             state.rapl.unreadable);
    state.last_ns = cct_clock__mono_ns();
    state.load_base_ns = state.last_ns;
    state.self_valid = 0;
    state.mem_since_ns = 0;
    /* One read gives the load baseline and, when detection has no CPU count yet, the
     * online CPUs: cheaper than sysconf, which reads sysfs (~20 us on a first call). */
    static char stat_text[16384]; /* guarded by state.lock; ~250 CPUs' lines */
    unsigned int online;
    if (cct_cpuload__read_machine_online(hw->procfs_root, stat_text, sizeof(stat_text), &times,
                                         &online) == 0) {
        if (hw->cpu_count == 0)
            hw->cpu_count = online;
        state.load_base = times;
        /* Until a first window completes, the load since boot is the best estimate. */
        if (times.total > 0) {
            state.watts[C_UTIL] = (double)times.busy / (double)times.total;
            state.watts[C_LOAD] = cct_cpuload__machine_power(1.0, state.watts[C_UTIL]);
        }
    } else {
        state.watts[C_LOAD] = cct_cpuload__machine_power(1.0, 0.5);
    }
    /* Without RAPL the load model is the CPU figure: always tracked. */
    atomic_store(&published.wanted, state.use_rapl ? 0u : CCT_WANT_LOAD);
    state.watts[C_RAM] = hw->ram_power_w;
    lib = getenv("CCT_NVML_LIBRARY");
    if (lib && *lib)
        state.nvml = cct_nvml__open(lib);
    else if (cct_nvml__driver_present(hw->procfs_root))
        state.nvml = cct_nvml__open("libnvidia-ml.so.1");
    else
        state.nvml = NULL;
    hw->gpu_count = cct_nvml__count(state.nvml);
    snprintf(hw->gpu_model, sizeof(hw->gpu_model), "%s", cct_nvml__model(state.nvml));
    publish_locked();
    pthread_mutex_unlock(&state.lock);
    return 0;
}

void cct_reading__reset(void)
{
    pthread_mutex_lock(&state.lock);
    cct_nvml__close(state.nvml);
    state.nvml = NULL;
    atomic_store(&published.wanted, 0);
    atomic_store(&published.skip_state, 0);
    pthread_mutex_unlock(&state.lock);
}

int cct_reading__take_rapl_skip_note(char *out, size_t cap)
{
    int noted = 1;

    /* One atomic load on stop()/flush(): the exchange happens only when there is a note. */
    if (atomic_load_explicit(&published.skip_state, memory_order_acquire) != 1 ||
        !atomic_compare_exchange_strong(&published.skip_state, &noted, 2))
        return 0;
    snprintf(out, cap, "%s", skip_note);
    return 1;
}

/* Start a baseline for what `fresh` adds, at `now`: the process's CPU time and the /proc/stat
 * window it is divided by. /proc/stat is not read again when its base is younger than
 * CCT_READING_REUSE_NS (detection or a window closed in this same call read it): the
 * jiffies cannot have moved by more than one tick since. */
static void prime_locked(uint64_t now, unsigned int fresh)
{
    cct_cpu_times times;
    uint64_t self;

    if (now - state.load_base_ns >= CCT_READING_REUSE_NS &&
        cct_cpuload__read_machine(state.hw->procfs_root, &times) == 0) {
        state.load_base = times;
        state.load_base_ns = now;
    }
    if ((fresh & CCT_WANT_SHARE) && cct_cpuload__read_self(state.hw->procfs_root, &self) == 0) {
        state.self_base = self;
        state.self_valid = 1;
    }
}

void cct_reading__start(unsigned int wants, cct_reading *out)
{
    unsigned int fresh;
    uint64_t now;

    /* The common case, what every earlier tracker already wanted: one atomic load. */
    if ((wants & ~atomic_load_explicit(&published.wanted, memory_order_acquire)) == 0) {
        cct_reading__now(out);
        return;
    }
    /* Once per process and want: a fresh reading, so the tracker starts exactly where the
     * new baseline does, and its first window measures from here instead of reporting 0 W
     * until a window that began before it closes. */
    pthread_mutex_lock(&state.lock);
    now = cct_clock__mono_ns();
    refresh_locked(now, 0);
    fresh = wants & ~atomic_load_explicit(&published.wanted, memory_order_relaxed);
    if (fresh)
        prime_locked(now, fresh);
    atomic_fetch_or(&published.wanted, wants);
    to_reading(state.joules, state.last_ns, state.mem_since_ns, out);
    pthread_mutex_unlock(&state.lock);
}

void cct_reading__refresh(cct_reading *out)
{
    pthread_mutex_lock(&state.lock);
    refresh_locked(cct_clock__mono_ns(), 1);
    to_reading(state.joules, state.last_ns, state.mem_since_ns, out);
    pthread_mutex_unlock(&state.lock);
}

void cct_reading__now(cct_reading *out)
{
    double joules[C_COUNT], watts[C_COUNT];
    uint_fast64_t seq1, seq2;
    uint64_t ns, mem_since, now = cct_clock__mono_ns();

    do {
        seq1 = atomic_load_explicit(&published.seq, memory_order_acquire);
        ns = atomic_load_explicit(&published.ns, memory_order_relaxed);
        mem_since = atomic_load_explicit(&published.mem_since_ns, memory_order_relaxed);
        for (int i = 0; i < C_COUNT; i++) {
            joules[i] = atomic_load_explicit(&published.joules[i], memory_order_relaxed);
            watts[i] = atomic_load_explicit(&published.watts[i], memory_order_relaxed);
        }
        atomic_thread_fence(memory_order_acquire);
        seq2 = atomic_load_explicit(&published.seq, memory_order_relaxed);
    } while (seq1 != seq2 || (seq1 & 1));

    if (now >= ns && now - ns >= CCT_READING_REUSE_NS && pthread_mutex_trylock(&state.lock) == 0) {
        refresh_locked(now, 0);
        to_reading(state.joules, state.last_ns, state.mem_since_ns, out);
        pthread_mutex_unlock(&state.lock);
        return;
    }
    /* Fresh enough, or someone else is refreshing: extrapolate with the last power. */
    double dt = now > ns ? (double)(now - ns) / 1e9 : 0.0;
    for (int i = 0; i < C_COUNT; i++)
        joules[i] += watts[i] * dt;
    to_reading(joules, now > ns ? now : ns, mem_since, out);
}
