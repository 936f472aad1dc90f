/*
 * The process-wide hardware cache: CPU model, count and sockets, installed memory and the RAM
 * power model, TDP, OS string, and (through reading.c) the chosen power sources. Detected once
 * per process at the first start() and shared by every tracker; later starts pay one atomic
 * load. The models and their sources: docs/tracker-model.md.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"

/* RAM power: CodeCarbon 3.x's model (codecarbon/external/ram.py). Memory draws per module
 * (refresh, I/O, registers), not per GB, so it estimates the DIMMs from the size and gives
 * each 5 W (1.5 W on ARM), a little less for each module beyond 4, 8 and 16, and at least
 * 2 modules' worth. The DIMM count needs root (dmidecode); force_ram_power_w overrides it. */
#define CCT_RAM_DIMM_W 5.0
#define CCT_RAM_DIMM_W_ARM 1.5
/* statfs f_type of procfs (linux/magic.h). */
#define CCT_PROC_SUPER_MAGIC 0x9fa0

static pthread_mutex_t detect_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int detected;
static cct_hardware hw;

/* Distinct values of cpuinfo's "physical id" (x86 prints one per CPU): the sockets. A short
 * list, searched linearly; ids beyond it are not counted (more than 64 sockets). Under a
 * hypervisor the sockets are virtual and say nothing about physical packages: see set_tdp. */
typedef struct socket_ids {
    unsigned long ids[64];
    unsigned int count;
} socket_ids;

static void note_socket(socket_ids *s, const char *line, const char *eol)
{
    const char *colon = strchr(line, ':');
    char *end;

    if (!colon || (eol && colon > eol))
        return;
    unsigned long id = strtoul(colon + 1, &end, 10);
    if (end == colon + 1)
        return;
    for (unsigned int i = 0; i < s->count; i++)
        if (s->ids[i] == id)
            return;
    if (s->count < sizeof(s->ids) / sizeof(s->ids[0]))
        s->ids[s->count++] = id;
}

static void parse_cpuinfo(cct_hardware *h)
{
    /* 64 KiB holds cpuinfo of a few dozen CPUs; beyond that only the count can be short,
     * and sysconf corrects it. */
    static char buf[65536];
    unsigned int processors = 0;
    socket_ids sockets = {.count = 0};
    int flags_seen = 0, virtualised = 0;
    long n = cct_fs__read(h->procfs_root, "/cpuinfo", buf, sizeof(buf));

    if (n > 0) {
        char *line = buf;
        while (line && *line) {
            char *eol = strchr(line, '\n');
            if (strncmp(line, "processor", 9) == 0 && (line[9] == ' ' || line[9] == '\t'))
                processors++;
            else if (strncmp(line, "physical id", 11) == 0)
                note_socket(&sockets, line, eol);
            else if (!flags_seen && strncmp(line, "flags", 5) == 0) {
                /* x86 prints the CPUID hypervisor bit as the flag "hypervisor". The line is
                 * cut at its end for the search, so it never scans the CPUs after it. */
                if (eol)
                    *eol = '\0';
                for (const char *p = line; (p = strstr(p, " hypervisor")) != NULL; p++)
                    if (p[11] == ' ' || p[11] == '\0')
                        virtualised = 1;
                if (eol)
                    *eol = '\n';
                flags_seen = 1;
            }
            if (h->cpu_model[0] == '\0' && strncmp(line, "model name", 10) == 0) {
                char *colon = strchr(line, ':');
                if (colon && (!eol || colon < eol)) {
                    colon++;
                    colon += strspn(colon, " \t");
                    size_t len = eol ? (size_t)(eol - colon) : strlen(colon);
                    if (len >= sizeof(h->cpu_model))
                        len = sizeof(h->cpu_model) - 1;
                    memcpy(h->cpu_model, colon, len);
                    h->cpu_model[len] = '\0';
                }
            }
            line = eol ? eol + 1 : NULL;
        }
    }
    if (h->cpu_model[0] == '\0')
        strcpy(h->cpu_model, "Unknown CPU");
    if (processors == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        processors = online > 0 ? (unsigned int)online : 1;
    }
    h->cpu_count = processors;
    /* 0: cpuinfo does not say (not x86) */
    h->cpu_sockets = virtualised && sockets.count ? 1 : sockets.count;
}

/* Whether procfs is the machine's own /proc rather than a test's or a container's copy. */
static int real_procfs(const cct_hardware *h)
{
    return strcmp(h->procfs_root, "/proc") == 0;
}

#if defined(__x86_64__) || defined(__i386__)
/* The CPU's brand string, which is what the kernel prints as cpuinfo's "model name" (CPUID
 * 0x80000002..4, leading and trailing blanks trimmed): a few instructions instead of
 * generating /proc/cpuinfo for every CPU (30-70 us of a cold start here, more with more
 * CPUs); a VM restored on another host can differ, and then CPUID names the CPU it runs on.
 * 0, or -1 when the CPU has no brand string. */
static int cpu_model_from_cpuid(char *out, size_t cap)
{
    unsigned int regs[12], eax, ebx, ecx, edx;
    char brand[sizeof(regs) + 1];
    char *p, *end;

    if (__get_cpuid_max(0x80000000u, NULL) < 0x80000004u)
        return -1;
    for (unsigned int leaf = 0; leaf < 3; leaf++) {
        __cpuid(0x80000002u + leaf, eax, ebx, ecx, edx);
        regs[leaf * 4] = eax;
        regs[leaf * 4 + 1] = ebx;
        regs[leaf * 4 + 2] = ecx;
        regs[leaf * 4 + 3] = edx;
    }
    memcpy(brand, regs, sizeof(regs));
    brand[sizeof(regs)] = '\0';
    p = brand + strspn(brand, " ");
    end = p + strlen(p);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    if (*p == '\0' || (size_t)(end - p) >= cap)
        return -1;
    memcpy(out, p, (size_t)(end - p) + 1);
    return 0;
}
/* Logical CPUs per package: leaf 0xB's core level (Intel, AMD Zen), else the thread count
 * of AMD's leaf 0x80000008. 0 when the CPU tells neither, and under a hypervisor (leaf 1,
 * ECX bit 31), whose virtual sockets are no physical packages (QEMU's "-smp 8" is 8 sockets
 * of one core each on older machine types). Up to four CPUID instructions, paid only when a
 * known TDP is used (set_tdp). */
static unsigned int logical_per_package(void)
{
    unsigned int eax, ebx, ecx, edx;

    __cpuid(1, eax, ebx, ecx, edx);
    if (ecx & (1u << 31))
        return 0;
    if (__get_cpuid_max(0, NULL) >= 0xBu) {
        for (unsigned int level = 0; level < 8; level++) {
            __cpuid_count(0xBu, level, eax, ebx, ecx, edx);
            unsigned int type = (ecx >> 8) & 0xffu;
            if (type == 0)
                break;
            if (type == 2 && (ebx & 0xffffu)) /* 2: core, the level below the package */
                return ebx & 0xffffu;
        }
    }
    if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000008u) {
        __cpuid(0x80000008u, eax, ebx, ecx, edx);
        if (ecx & 0xffu) /* reserved (0) on Intel */
            return (ecx & 0xffu) + 1;
    }
    return 0;
}
#else
static int cpu_model_from_cpuid(char *out, size_t cap)
{
    (void)out;
    (void)cap;
    return -1;
}

static unsigned int logical_per_package(void)
{
    return 0;
}
#endif

unsigned int cct_hardware__cpuid_logical_per_package(void)
{
    return logical_per_package();
}

/* The TDP of the load model. A known model: the table's figure, which is per package, x the
 * sockets (CodeCarbon: TDP x lscpu's "Socket(s)"), on bare metal; in a VM the sockets are
 * virtual and 1 is used. An unknown one: 4 W per thread, as CodeCarbon's
 * DEFAULT_POWER_PER_CORE x its thread count; the threads already span every socket, so
 * unlike CodeCarbon this is not multiplied by the sockets again. */
static void set_tdp(cct_hardware *h)
{
    double tdp = cct_tdp__lookup(h->cpu_model, &h->tdp_known);

    if (!h->tdp_known) {
        h->tdp_w = CCT_TDP_PER_THREAD_W * h->cpu_count;
        return;
    }
    /* Sockets matter only to the load model; with RAPL measuring, no CPUID is spent. */
    if (h->cpu_sockets == 0 && h->cpu_source == CCT_SOURCE_CPU_LOAD) {
        unsigned int per_package = logical_per_package();
        if (per_package)
            h->cpu_sockets = (h->cpu_count + per_package - 1) / per_package;
    }
    h->tdp_w = tdp * (h->cpu_sockets ? h->cpu_sockets : 1);
}

static void detect_cpu(cct_hardware *h)
{
    /* With the model from CPUID, cpu_count stays 0 here: the reading's first /proc/stat
     * read counts the online CPUs (cct_reading__init), and detect() falls back to sysconf. */
    if (real_procfs(h) && cpu_model_from_cpuid(h->cpu_model, sizeof(h->cpu_model)) == 0)
        return;
    parse_cpuinfo(h);
}

/* MemTotal without generating /proc/meminfo: sysinfo() reads the same kernel counter
 * (totalram_pages). Only when /proc/meminfo is procfs's own file: lxcfs (FUSE) or a bind
 * mount put a container's limit there, and that is the figure CodeCarbon (psutil) would
 * report. 0 or -1. */
static int mem_total_from_sysinfo(const cct_hardware *h, uint64_t *kb)
{
    struct statfs fs;
    struct sysinfo si;

    if (!real_procfs(h) || statfs("/proc/meminfo", &fs) != 0 || fs.f_type != CCT_PROC_SUPER_MAGIC ||
        sysinfo(&si) != 0 || si.totalram == 0)
        return -1;
    *kb = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1) / 1024;
    return 0;
}

/* CodeCarbon's module count for `gb` GiB: common configurations up to 128 GiB, above that
 * the largest module size that gives at least 8 modules, at most 32 modules. The steps are
 * CodeCarbon's own, kept for comparable figures: 200 GiB gives 13 x 16 GiB modules, 256 GiB
 * 8 x 32 GiB, so a larger machine can come out lower. */
static unsigned int estimate_dimms(double gb)
{
    static const double sizes[] = {128, 64, 32, 16, 8, 4};

    if (gb <= 2)
        return 1;
    if (gb <= 16)
        return 2;
    if (gb <= 64)
        return 4;
    if (gb <= 128)
        return 8;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i] <= gb / 8) {
            double n = gb / sizes[i]; /* rounded up below: no libm for one ceil() */
            if (n >= 32)
                return 32;
            unsigned int whole = (unsigned int)n;
            return whole < n ? whole + 1 : whole;
        }
    }
    return 8;
}

double cct_hardware__ram_model_w(double gb, int arm)
{
    double per = arm ? CCT_RAM_DIMM_W_ARM : CCT_RAM_DIMM_W;
    double floor_w = arm ? 3.0 : 2 * per;
    unsigned int n = estimate_dimms(gb);
    /* Full power for the first 4 modules, then 90%, 80% and 70% each past 4, 8 and 16. */
    double w = per * (n < 4 ? n : 4);
    if (n > 4)
        w += per * 0.9 * ((n < 8 ? n : 8) - 4);
    if (n > 8)
        w += per * 0.8 * ((n < 16 ? n : 16) - 8);
    if (n > 16)
        w += per * 0.7 * (n - 16);
    return w > floor_w ? w : floor_w;
}

static void parse_meminfo(cct_hardware *h, int arm)
{
    char buf[512];

    if (mem_total_from_sysinfo(h, &h->mem_total_kb) != 0 &&
        cct_fs__read(h->procfs_root, "/meminfo", buf, sizeof(buf)) > 0) {
        char *p = strstr(buf, "MemTotal:");
        if (p)
            h->mem_total_kb = strtoull(p + 9, NULL, 10);
    }
    h->ram_total_gb = (double)h->mem_total_kb / (1024.0 * 1024.0);
    h->ram_power_w = cct_hardware__ram_model_w(h->ram_total_gb, arm);
}

static int detect(cct_hardware *h)
{
    struct utsname u;
    const char *env;
    int arm = 0;

    memset(h, 0, sizeof(*h));
    env = getenv("CCT_SYSFS_ROOT");
    snprintf(h->sysfs_root, sizeof(h->sysfs_root), "%s", env && *env ? env : "/sys");
    env = getenv("CCT_PROCFS_ROOT");
    snprintf(h->procfs_root, sizeof(h->procfs_root), "%s", env && *env ? env : "/proc");
    detect_cpu(h);
    if (uname(&u) == 0) {
        snprintf(h->os, sizeof(h->os), "%s-%s-%s", u.sysname, u.release, u.machine);
        /* CodeCarbon's ARM test: the machine name holds "arm" or "aarch". */
        arm = strstr(u.machine, "arm") != NULL || strstr(u.machine, "aarch") != NULL;
    } else {
        strcpy(h->os, "Linux");
    }
    parse_meminfo(h, arm);
    if (getrandom(&h->seed, sizeof(h->seed), GRND_NONBLOCK) != (ssize_t)sizeof(h->seed))
        h->seed = cct_clock__mono_ns() ^ ((uint64_t)getpid() << 32);
    if (cct_reading__init(h) != 0)
        return -1;
    if (h->cpu_count == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        h->cpu_count = online > 0 ? (unsigned int)online : 1;
    }
    set_tdp(h); /* needs the CPU count and the source, known only now */
    return 0;
}

const cct_hardware *cct_hardware__get(void)
{
    const cct_hardware *result = &hw;

    if (atomic_load_explicit(&detected, memory_order_acquire))
        return result;
    pthread_mutex_lock(&detect_lock);
    if (!atomic_load_explicit(&detected, memory_order_relaxed)) {
        if (detect(&hw) == 0)
            atomic_store_explicit(&detected, 1, memory_order_release);
        else
            result = NULL;
    }
    pthread_mutex_unlock(&detect_lock);
    return result;
}

void cct_hardware__reset(void)
{
    pthread_mutex_lock(&detect_lock);
    atomic_store(&detected, 0);
    pthread_mutex_unlock(&detect_lock);
}
