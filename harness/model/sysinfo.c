/*
 * Machine and build metadata for result files (see sysinfo.h).
 * A result compared against another is only meaningful on the same machine and build, so
 * history and compare read these fields to say when two results do not belong together.
 */
#include "sysinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "error.h"

#ifndef CCBENCH_VERSION
#define CCBENCH_VERSION "0.0.0"
#endif
#ifndef CCBENCH_BUILD_TYPE
#define CCBENCH_BUILD_TYPE ""
#endif

const char *ccb_sysinfo_version(void)
{
    return CCBENCH_VERSION;
}

const char *ccb_sysinfo_build_type(void)
{
    return CCBENCH_BUILD_TYPE;
}

const char *ccb_sysinfo_compiler(void)
{
    /* GCC's __VERSION__ is a bare number; clang's already names itself. The runner is built
     * by the same toolchain in the same build tree, so this is its compiler too. */
#if defined(__GNUC__) && !defined(__clang__)
    return "gcc " __VERSION__;
#else
    return __VERSION__;
#endif
}

/* The value after "KEY<blanks>:" on the first line of FILE starting with KEY, trimmed; NULL
 * if none. Returned string is malloc'd. */
static char *proc_field(const char *file, const char *key)
{
    FILE *f = fopen(file, "re");
    char *line = NULL, *value = NULL;
    size_t cap = 0, keylen = strlen(key);
    if (!f)
        return NULL;
    while (getline(&line, &cap, f) >= 0) {
        if (strncmp(line, key, keylen) != 0)
            continue;
        const char *p = line + keylen;
        p += strspn(p, " \t");
        if (*p != ':')
            continue;
        p++;
        p += strspn(p, " \t");
        size_t len = strcspn(p, "\n");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        value = strndup(p, len);
        break;
    }
    free(line);
    fclose(f);
    return value;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

int ccb_sysinfo_collect(ccb_machine_info *out)
{
    int rc = -1;
    struct utsname un;
    char host[256] = "";
    char *model = NULL, *mem = NULL;

    if (uname(&un) != 0)
        memset(&un, 0, sizeof(un));
    if (gethostname(host, sizeof(host) - 1) != 0)
        host[0] = '\0';
    model = proc_field("/proc/cpuinfo", "model name");
    if (!model) /* arm64 kernels have no "model name" line */
        model = proc_field("/proc/cpuinfo", "Hardware");
    mem = proc_field("/proc/meminfo", "MemTotal");

    out->hostname = dup_or_empty(host);
    out->os = dup_or_empty(un.sysname[0] ? un.sysname : "Linux");
    out->kernel = dup_or_empty(un.release);
    out->cpu_model = dup_or_empty(model);
    out->compiler = dup_or_empty(ccb_sysinfo_compiler());
    out->build_type = dup_or_empty(ccb_sysinfo_build_type());
    out->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    out->mem_total_kb = mem ? strtol(mem, NULL, 10) : 0; /* "16318004 kB" */
    if (!out->hostname || !out->os || !out->kernel || !out->cpu_model || !out->compiler ||
        !out->build_type) {
        ccb_error_set("out of memory collecting machine information");
        goto done;
    }
    rc = 0;
done:
    free(model);
    free(mem);
    return rc;
}
