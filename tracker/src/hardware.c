/*
 * The process-wide hardware cache: CPU model and count, installed memory and the RAM power
 * model, TDP, OS string, and (through reading.c) the chosen power sources. Detected once per
 * process at the first start() and shared by every tracker; later starts pay one atomic load.
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

/* RAM power model: 0.3725 W per GB of installed memory (3 W per 8 GB, CodeCarbon's long-
 * standing default). It needs only /proc/meminfo; a per-DIMM model would need the DIMM count,
 * which Linux does not expose without root (dmidecode), so it would be a guess either way. */
#define CCT_RAM_W_PER_GB 0.3725
/* statfs f_type of procfs (linux/magic.h). */
#define CCT_PROC_SUPER_MAGIC 0x9fa0

static pthread_mutex_t detect_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int detected;
static cct_hardware hw;

static void parse_cpuinfo(cct_hardware *h)
{
    /* 64 KiB holds cpuinfo of a few dozen CPUs; beyond that only the count can be short,
     * and sysconf corrects it. */
    static char buf[65536];
    unsigned int processors = 0;
    long n = cct_fs__read(h->procfs_root, "/cpuinfo", buf, sizeof(buf));

    if (n > 0) {
        char *line = buf;
        while (line && *line) {
            char *eol = strchr(line, '\n');
            if (strncmp(line, "processor", 9) == 0 && (line[9] == ' ' || line[9] == '\t'))
                processors++;
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
 * CPUs). 0, or -1 when the CPU has no brand string. */
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
#else
static int cpu_model_from_cpuid(char *out, size_t cap)
{
    (void)out;
    (void)cap;
    return -1;
}
#endif

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

    if (!real_procfs(h) || statfs("/proc/meminfo", &fs) != 0 ||
        fs.f_type != CCT_PROC_SUPER_MAGIC || sysinfo(&si) != 0 || si.totalram == 0)
        return -1;
    *kb = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1) / 1024;
    return 0;
}

static void parse_meminfo(cct_hardware *h)
{
    char buf[512];

    if (mem_total_from_sysinfo(h, &h->mem_total_kb) != 0 &&
        cct_fs__read(h->procfs_root, "/meminfo", buf, sizeof(buf)) > 0) {
        char *p = strstr(buf, "MemTotal:");
        if (p)
            h->mem_total_kb = strtoull(p + 9, NULL, 10);
    }
    h->ram_total_gb = (double)h->mem_total_kb / (1024.0 * 1024.0);
    h->ram_power_w = h->ram_total_gb * CCT_RAM_W_PER_GB;
}

static int detect(cct_hardware *h)
{
    struct utsname u;
    const char *env;

    memset(h, 0, sizeof(*h));
    env = getenv("CCT_SYSFS_ROOT");
    snprintf(h->sysfs_root, sizeof(h->sysfs_root), "%s", env && *env ? env : "/sys");
    env = getenv("CCT_PROCFS_ROOT");
    snprintf(h->procfs_root, sizeof(h->procfs_root), "%s", env && *env ? env : "/proc");
    detect_cpu(h);
    parse_meminfo(h);
    h->tdp_w = cct_tdp__lookup(h->cpu_model, &h->tdp_known);
    if (uname(&u) == 0)
        snprintf(h->os, sizeof(h->os), "%s-%s-%s", u.sysname, u.release, u.machine);
    else
        strcpy(h->os, "Linux");
    if (getrandom(&h->seed, sizeof(h->seed), GRND_NONBLOCK) != (ssize_t)sizeof(h->seed))
        h->seed = cct_clock__mono_ns() ^ ((uint64_t)getpid() << 32);
    if (cct_reading__init(h) != 0)
        return -1;
    if (h->cpu_count == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        h->cpu_count = online > 0 ? (unsigned int)online : 1;
    }
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
