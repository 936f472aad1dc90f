/*
 * The machine's memory in use, for the CSV's ram_used_gb and ram_utilization_percent, as
 * CodeCarbon gets them from psutil.virtual_memory() (psutil/_pslinux.py): used = MemTotal -
 * MemFree - Buffers - (Cached + SReclaimable), or MemTotal - MemFree when that is negative
 * (a container's distorted figures); percent = (MemTotal - MemAvailable) / MemTotal, with
 * MemFree + Cached standing in for a MemAvailable the kernel lacks (< 3.14). One read of
 * /proc/meminfo (~1.5 KB), parsed by hand; callers read it at most once per load window.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The kB value of "Name:   123 kB" in text, or -1 when absent. */
static long long field_kb(const char *text, const char *name)
{
    size_t len = strlen(name);
    const char *p = text;

    while ((p = strstr(p, name)) != NULL) {
        if ((p == text || p[-1] == '\n') && p[len] == ':')
            return strtoll(p + len + 1, NULL, 10);
        p += len;
    }
    return -1;
}

int cct_meminfo__read(const char *procfs_root, cct_meminfo *out)
{
    char buf[4096];
    long long total, free_kb, buffers, cached, reclaimable, available, used;

    if (cct_fs__read(procfs_root, "/meminfo", buf, sizeof(buf)) <= 0)
        return -1;
    total = field_kb(buf, "MemTotal");
    free_kb = field_kb(buf, "MemFree");
    if (total <= 0 || free_kb < 0)
        return -1;
    buffers = field_kb(buf, "Buffers");
    cached = field_kb(buf, "Cached");
    reclaimable = field_kb(buf, "SReclaimable");
    available = field_kb(buf, "MemAvailable");
    buffers = buffers < 0 ? 0 : buffers;
    cached = cached < 0 ? 0 : cached;
    used = total - free_kb - buffers - cached - (reclaimable < 0 ? 0 : reclaimable);
    if (used < 0)
        used = total - free_kb;
    if (available <= 0) /* absent, or 0 (a kernel bug psutil works around the same way) */
        available = free_kb + cached;
    if (available > total)
        available = free_kb;
    out->used_gb = (double)used / (1024.0 * 1024.0);
    out->used_fraction = (double)(total - available) / (double)total;
    return 0;
}
