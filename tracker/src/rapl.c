/*
 * RAPL energy counters through the powercap sysfs interface. Top-level domains are
 * de-duplicated by name: intel-rapl-mmio mirrors package-0 on recent Intel parts, and the
 * kernel names a zone after its physical package, so two zones of one name read the same
 * socket (CodeCarbon counts them once too). Every distinct package is summed (multi-socket),
 * dram only on request, and psys only when there is no package: it already contains them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int already_have(const cct_rapl *r, const char *key)
{
    for (int i = 0; i < r->count; i++) {
        if (strcmp(r->domains[i].name, key) == 0)
            return 1;
    }
    return 0;
}

/* Names of the domain directories of one control type, sorted so summing order is stable. */
static int list_domains(const char *base, const char *prefix, char ***out, int *n)
{
    DIR *dir = opendir(base);
    struct dirent *de;
    char **names = NULL;
    int count = 0, cap = 0;
    size_t plen = strlen(prefix);

    *out = NULL;
    *n = 0;
    if (!dir)
        return -1;
    while ((de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, prefix, plen) != 0)
            continue;
        if (count == cap) {
            int ncap = cap ? cap * 2 : 8;
            char **grown = realloc(names, (size_t)ncap * sizeof(*names));
            if (!grown)
                break;
            names = grown;
            cap = ncap;
        }
        names[count] = strdup(de->d_name);
        if (names[count])
            count++;
    }
    closedir(dir);
    *out = names;
    *n = count;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name that is already present is the same domain: the mmio mirror of package-0, or a
 * second zone the kernel registered for the same physical package (the zone name is
 * "package-<physical id>", or "package-<id>-die-<n>" when the dies have counters of their
 * own), which reads the same socket-wide counter. The first in directory order is kept. */
static void add_control_type(cct_rapl *r, const char *base, char **names, int n, const char *prefix)
{
    size_t plen = strlen(prefix);

    for (int i = 0; i < n && r->count < CCT_RAPL_MAX_DOMAINS; i++) {
        char path[700], name[32], key[32];
        cct_rapl_domain *d = &r->domains[r->count];
        if (strncmp(names[i], prefix, plen) != 0)
            continue;
        int subdomain = strchr(names[i] + plen, ':') != NULL;

        snprintf(path, sizeof(path), "%s/%s/name", base, names[i]);
        if (cct_fs__read(NULL, path, name, sizeof(name)) <= 0)
            continue;
        name[strcspn(name, "\n")] = '\0';
        if (strncmp(name, "package", 7) == 0 && !subdomain)
            d->kind = CCT_RAPL_PACKAGE;
        else if (strcmp(name, "dram") == 0)
            d->kind = CCT_RAPL_DRAM;
        else if (strcmp(name, "psys") == 0 && !subdomain)
            d->kind = CCT_RAPL_PSYS;
        else
            continue; /* core/uncore are parts of their package */
        /* A subdomain's name repeats under every package: key it by its directory. */
        if (subdomain)
            snprintf(key, sizeof(key), "%s", names[i] + strlen(prefix) - 1);
        else
            snprintf(key, sizeof(key), "%s", name);
        if (already_have(r, key))
            continue;
        snprintf(d->name, sizeof(d->name), "%s", key);
        snprintf(d->energy_path, sizeof(d->energy_path), "%s/%s/energy_uj", base, names[i]);
        snprintf(path, sizeof(path), "%s/%s/max_energy_range_uj", base, names[i]);
        if (cct_fs__read_u64(path, &d->max_range_uj) != 0)
            d->max_range_uj = 0;
        if (cct_fs__read_u64(d->energy_path, &d->last_uj) != 0) {
            /* Root-only since CVE-2020-8694: say which file, once, and fall back. */
            if (r->unreadable[0] == '\0' && d->kind != CCT_RAPL_DRAM)
                snprintf(r->unreadable, sizeof(r->unreadable), "cannot read %s: %s", d->energy_path,
                         strerror(errno ? errno : EIO));
            continue;
        }
        r->count++;
    }
}

void cct_rapl__discover(cct_rapl *r, const char *sysfs_root)
{
    char base[300];
    int packages = 0, psys = 0;

    /* Not a memset of the ~9 KiB of domain slots: each slot is filled whole when a domain is
     * added, and zeroing them page-faults three fresh pages in every process's first start. */
    r->count = 0;
    r->has_cpu = 0;
    r->has_dram = 0;
    r->unreadable[0] = '\0';
    r->skipped = 0;
    r->skipped_path[0] = '\0';
    snprintf(base, sizeof(base), "%s/class/powercap", sysfs_root);
    /* One directory scan for both control types (this runs in every process's first start).
     * intel-rapl first, so its package-0 wins over the mmio mirror of the same name. */
    char **names = NULL;
    int n = 0;
    if (list_domains(base, "intel-rapl", &names, &n) == 0) {
        if (n > 1) /* names is NULL when there is none: qsort(NULL, 0) is undefined */
            qsort(names, (size_t)n, sizeof(*names), compare_names);
        add_control_type(r, base, names, n, "intel-rapl:");
        add_control_type(r, base, names, n, "intel-rapl-mmio:");
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
    }
    for (int i = 0; i < r->count; i++) {
        packages += r->domains[i].kind == CCT_RAPL_PACKAGE;
        psys += r->domains[i].kind == CCT_RAPL_PSYS;
        r->has_dram |= r->domains[i].kind == CCT_RAPL_DRAM;
    }
    /* An unreadable package makes any CPU sum wrong: use none rather than a part. */
    r->has_cpu = r->unreadable[0] == '\0' && (packages > 0 || psys > 0);
}

int cct_rapl__read(cct_rapl *r, double *cpu_j, double *dram_j)
{
    int packages = 0;
    uint64_t cpu_uj = 0, dram_uj = 0;

    for (int i = 0; i < r->count; i++)
        packages += r->domains[i].kind == CCT_RAPL_PACKAGE;
    for (int i = 0; i < r->count; i++) {
        cct_rapl_domain *d = &r->domains[i];
        uint64_t now, delta;

        if (d->kind == CCT_RAPL_PSYS && packages > 0)
            continue;
        if (cct_fs__read_u64(d->energy_path, &now) != 0)
            return -1;
        /* A counter that went down wrapped at max_energy_range_uj. Without a range that
         * explains the drop (unreadable, or not above the last value) the wrap cannot be
         * undone: the domain's energy of this interval is left out (one interval, at most
         * measure_interval_ms, per wrap) rather than guessed, and the reading logs it once. */
        if (now >= d->last_uj) {
            delta = now - d->last_uj;
        } else if (d->max_range_uj > d->last_uj) {
            delta = d->max_range_uj - d->last_uj + now;
        } else {
            delta = 0;
            if (r->skipped++ == 0)
                snprintf(r->skipped_path, sizeof(r->skipped_path), "%s", d->energy_path);
        }
        d->last_uj = now;
        if (d->kind == CCT_RAPL_DRAM)
            dram_uj += delta;
        else
            cpu_uj += delta;
    }
    *cpu_j = (double)cpu_uj / 1e6;
    *dram_j = (double)dram_uj / 1e6;
    return 0;
}
