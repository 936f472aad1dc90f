/*
 * Shared helpers of the cctracker test suites (see tracker_fixtures.h).
 */
#include "tracker_fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

char *fx_temp_dir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path;

    if (!base || !*base)
        base = "/tmp";
    if (asprintf(&path, "%s/cct-%s-XXXXXX", base, tag) < 0)
        fail_msg("asprintf failed");
    if (!mkdtemp(path))
        fail_msg("mkdtemp %s: %s", path, strerror(errno));
    return path;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        return rmdir(path);
    return unlink(path);
}

void fx_remove_tree(const char *path)
{
    if (path)
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void fx_mkdirs(const char *path)
{
    char buf[1024];
    size_t len = strlen(path);

    if (len >= sizeof(buf))
        fail_msg("path too long: %s", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            fail_msg("mkdir %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", buf, strerror(errno));
}

void fx_write_file(const char *dir, const char *rel, const char *fmt, ...)
{
    char path[1024], tmp[1100];
    char *content = NULL;
    va_list ap;
    int len, fd;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    fx_mkdirs(path);
    *slash = '/';
    va_start(ap, fmt);
    len = vasprintf(&content, fmt, ap);
    va_end(ap);
    if (len < 0)
        fail_msg("vasprintf failed");
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail_msg("open %s: %s", tmp, strerror(errno));
    if (write(fd, content, (size_t)len) != len)
        fail_msg("write %s: %s", tmp, strerror(errno));
    close(fd);
    free(content);
    if (rename(tmp, path) != 0)
        fail_msg("rename %s: %s", path, strerror(errno));
}

char *fx_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;

    if (!f)
        fail_msg("open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
        fail_msg("read %s failed", path);
    buf[size] = '\0';
    fclose(f);
    if (len_out)
        *len_out = (size_t)size;
    return buf;
}

/* ---- fake trees ---- */

void fx_tree_init(fx_tree *t, const char *tag)
{
    memset(t, 0, sizeof(*t));
    t->dir = fx_temp_dir(tag);
    snprintf(t->sys, sizeof(t->sys), "%s/sys", t->dir);
    snprintf(t->proc, sizeof(t->proc), "%s/proc", t->dir);
    snprintf(t->out, sizeof(t->out), "%s/out", t->dir);
    fx_mkdirs(t->sys);
    fx_mkdirs(t->proc);
    fx_mkdirs(t->out);
    fx_write_cpuinfo(t, FX_KNOWN_CPU, FX_CPU_COUNT);
    fx_write_file(t->proc, "meminfo",
                  "MemTotal:       %llu kB\nMemFree:        %llu kB\nMemAvailable:   %llu kB\n"
                  "Buffers:        %llu kB\nCached:         %llu kB\nSwapCached:     7 kB\n"
                  "Slab:           %llu kB\nSReclaimable:   %llu kB\n",
                  FX_MEM_TOTAL_KB, FX_MEM_FREE_KB, FX_MEM_AVAILABLE_KB, FX_MEM_BUFFERS_KB,
                  FX_MEM_CACHED_KB, FX_MEM_SRECLAIMABLE_KB * 2, FX_MEM_SRECLAIMABLE_KB);
    fx_write_stat(t, 500, 0, 0, 500, 0, 0, 0, 0);
    fx_write_self_stat(t, 10, 5);
}

void fx_tree_free(fx_tree *t)
{
    fx_remove_tree(t->dir);
    free(t->dir);
    t->dir = NULL;
}

void fx_tree_activate(const fx_tree *t, const char *nvml_library)
{
    char missing[600];

    snprintf(missing, sizeof(missing), "%s/no-such-libnvidia-ml.so.1", t->dir);
    setenv("CCT_SYSFS_ROOT", t->sys, 1);
    setenv("CCT_PROCFS_ROOT", t->proc, 1);
    setenv("CCT_NVML_LIBRARY", nvml_library ? nvml_library : missing, 1);
    cct__reset_process_cache();
}

void fx_write_cpuinfo(const fx_tree *t, const char *model, unsigned int cpus)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    for (unsigned int i = 0; i < cpus; i++)
        fprintf(f,
                "processor\t: %u\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
                "model\t\t: 158\nmodel name\t: %s\ncpu MHz\t\t: 3200.000\n\n",
                i, model);
    fclose(f);
    fx_write_file(t->proc, "cpuinfo", "%s", text);
    free(text);
}

void fx_write_stat(const fx_tree *t, unsigned long long user, unsigned long long nice,
                   unsigned long long system, unsigned long long idle, unsigned long long iowait,
                   unsigned long long irq, unsigned long long softirq, unsigned long long steal)
{
    /* guest and guest_nice are inside user already: non-zero here to prove they are not
     * counted twice. */
    fx_write_file(t->proc, "stat",
                  "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu 0\n"
                  "cpu0 %llu %llu %llu %llu %llu %llu %llu %llu 0 0\n"
                  "intr 12345 0 0\nctxt 987654\nbtime 1700000000\nprocesses 4242\n",
                  user, nice, system, idle, iowait, irq, softirq, steal, user / 4, user / 4,
                  nice / 4, system / 4, idle / 4, iowait / 4, irq / 4, softirq / 4, steal / 4);
}

void fx_write_self_stat(const fx_tree *t, unsigned long long utime, unsigned long long stime)
{
    fx_write_file(t->proc, "self/stat",
                  "4242 (fake) (proc) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 %llu %llu 0 0 20 0 "
                  "1 0 100 1000000 100 18446744073709551615\n",
                  utime, stime);
}

void fx_write_rapl(const fx_tree *t, const char *dir, const char *name, unsigned long long uj,
                   unsigned long long max_uj)
{
    char rel[300];

    snprintf(rel, sizeof(rel), "class/powercap/%s/name", dir);
    fx_write_file(t->sys, rel, "%s\n", name);
    snprintf(rel, sizeof(rel), "class/powercap/%s/max_energy_range_uj", dir);
    fx_write_file(t->sys, rel, "%llu\n", max_uj);
    snprintf(rel, sizeof(rel), "class/powercap/%s/enabled", dir);
    fx_write_file(t->sys, rel, "1\n");
    fx_set_energy(t, dir, uj);
}

void fx_set_energy(const fx_tree *t, const char *dir, unsigned long long uj)
{
    char rel[300];

    snprintf(rel, sizeof(rel), "class/powercap/%s/energy_uj", dir);
    fx_write_file(t->sys, rel, "%llu\n", uj);
}

/* ---- tracker helpers ---- */

void fx_config(cct_config *cfg)
{
    assert_cct_ok(cct_config_init(cfg, CCT_CONFIG_VERSION));
    cfg->offline = 1;
    cfg->country_iso_code = "FRA";
    cfg->no_save_to_file = 1;
    cfg->log_level = CCT_LOG_NONE;
}

void fx_lifecycle(const cct_config *cfg, cct_emissions *out)
{
    cct_tracker *t = NULL;
    cct_emissions e = CCT_EMISSIONS_INIT;

    assert_cct_ok(cct_tracker_new(&t, cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_ok(cct_tracker_stop(t, out ? out : &e));
    cct_tracker_free(t);
}

/* ---- clock ---- */

uint64_t fx_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void fx_wait_mono(uint64_t since_ns, uint64_t delay_ns)
{
    while (fx_mono_ns() < since_ns + delay_ns) {
        struct timespec pause = {0, 200000}; /* yield the CPU between clock checks */
        nanosleep(&pause, NULL);
    }
}

/* ---- log capture ---- */

void fx_log_init(fx_log *l)
{
    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
}

void fx_log_free(fx_log *l)
{
    free(l->text);
    pthread_mutex_destroy(&l->lock);
}

void fx_log_fn(cct_log_level level, const char *msg, void *payload)
{
    fx_log *l = payload;
    size_t n = strlen(msg);

    (void)level;
    pthread_mutex_lock(&l->lock);
    char *grown = realloc(l->text, l->len + n + 2);
    if (grown) {
        l->text = grown;
        memcpy(l->text + l->len, msg, n);
        l->len += n;
        l->text[l->len++] = '\n';
        l->text[l->len] = '\0';
        l->lines++;
    }
    pthread_mutex_unlock(&l->lock);
}

unsigned int fx_log_count(fx_log *l, const char *needle)
{
    unsigned int count = 0;

    pthread_mutex_lock(&l->lock);
    for (char *line = l->text; line && *line;) {
        char *eol = strchr(line, '\n');
        *eol = '\0';
        count += strstr(line, needle) != NULL;
        *eol = '\n';
        line = eol + 1;
    }
    pthread_mutex_unlock(&l->lock);
    return count;
}

const char *fx_fake_nvml_begin(const fx_tree *t)
{
    char path[600];
    const char *library = getenv("FAKE_NVML_LIBRARY");

    if (!library || !*library)
        fail_msg("FAKE_NVML_LIBRARY is not set (run through ctest)");
    snprintf(path, sizeof(path), "%s/nvml-state", t->dir);
    setenv("FAKE_NVML_STATE", path, 1);
    return library;
}

void fx_fake_nvml_end(void)
{
    unsetenv("FAKE_NVML_STATE");
}
