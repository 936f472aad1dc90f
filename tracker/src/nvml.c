/*
 * NVIDIA GPUs through NVML, loaded with dlopen so a machine without the driver needs
 * nothing and maps nothing. Energy comes from the total-energy counter (mJ) where the device
 * has one (Volta and later), else from power x elapsed time. The model string counts the
 * devices per name, as CodeCarbon does ("2 x NVIDIA A100"). CCT_NVML_LIBRARY moves the
 * library, which is how the tests drive this file with a fake NVML.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The few NVML types we use, declared here: nvml.h is not packaged with Debian. */
typedef int nvml_return;
typedef struct nvml_device_st *nvml_device;
#define NVML_SUCCESS 0

struct cct_nvml {
    void *lib;
    nvml_return (*shutdown)(void);
    nvml_return (*energy)(nvml_device, unsigned long long *);
    nvml_return (*power)(nvml_device, unsigned int *);
    unsigned int count;
    char model[128];
    struct {
        nvml_device handle;
        int has_energy;
        unsigned long long last_mj;
        uint64_t last_ns;
    } dev[CCT_NVML_MAX_DEVICES];
};

int cct_nvml__driver_present(const char *procfs_root)
{
    char path[300];

    snprintf(path, sizeof(path), "%s/driver/nvidia/version", procfs_root);
    return access(path, F_OK) == 0 || access("/dev/nvidiactl", F_OK) == 0;
}

/* "N x name" per distinct name, in device order, joined with ", " ("2 x A100, 1 x T4").
 * CodeCarbon writes the same counts with no separator ("1 x A1001 x T4"); one name, the
 * common case, reads the same in both. O(n^2) in devices; n <= 16. */
static void describe(char names[][96], unsigned int count, char *out, size_t cap)
{
    size_t len = 0;

    out[0] = '\0';
    for (unsigned int i = 0; i < count; i++) {
        unsigned int same = 0, first = 1;
        for (unsigned int j = 0; j < count; j++) {
            if (strcmp(names[i], names[j]) != 0)
                continue;
            first &= j >= i;
            same++;
        }
        if (!first)
            continue; /* counted with its first device */
        int w = snprintf(out + len, cap - len, "%s%u x %s", len ? ", " : "", same, names[i]);
        if (w < 0 || (size_t)w >= cap - len)
            break; /* truncated: what fits stays */
        len += (size_t)w;
    }
}

cct_nvml *cct_nvml__open(const char *library)
{
    nvml_return (*init)(void);
    nvml_return (*get_count)(unsigned int *);
    nvml_return (*by_index)(unsigned int, nvml_device *);
    nvml_return (*get_name)(nvml_device, char *, unsigned int);
    cct_nvml *n = NULL;
    unsigned int count = 0;
    char names[CCT_NVML_MAX_DEVICES][96];
    void *lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);

    if (!lib)
        return NULL; /* no driver: no GPU, not an error */
    *(void **)&init = dlsym(lib, "nvmlInit_v2");
    *(void **)&get_count = dlsym(lib, "nvmlDeviceGetCount_v2");
    *(void **)&by_index = dlsym(lib, "nvmlDeviceGetHandleByIndex_v2");
    *(void **)&get_name = dlsym(lib, "nvmlDeviceGetName");
    n = calloc(1, sizeof(*n));
    if (!n || !init || !get_count || !by_index || !get_name)
        goto fail;
    *(void **)&n->shutdown = dlsym(lib, "nvmlShutdown");
    *(void **)&n->energy = dlsym(lib, "nvmlDeviceGetTotalEnergyConsumption");
    *(void **)&n->power = dlsym(lib, "nvmlDeviceGetPowerUsage");
    if (init() != NVML_SUCCESS)
        goto fail;
    if (get_count(&count) != NVML_SUCCESS || count == 0)
        goto fail_shutdown;
    if (count > CCT_NVML_MAX_DEVICES)
        count = CCT_NVML_MAX_DEVICES;
    uint64_t now = cct_clock__mono_ns();
    for (unsigned int i = 0; i < count; i++) {
        if (by_index(i, &n->dev[n->count].handle) != NVML_SUCCESS)
            continue;
        if (get_name(n->dev[n->count].handle, names[n->count], sizeof(names[0])) != NVML_SUCCESS)
            strcpy(names[n->count], "NVIDIA GPU");
        n->dev[n->count].has_energy =
            n->energy &&
            n->energy(n->dev[n->count].handle, &n->dev[n->count].last_mj) == NVML_SUCCESS;
        n->dev[n->count].last_ns = now;
        n->count++;
    }
    if (n->count == 0)
        goto fail_shutdown;
    describe(names, n->count, n->model, sizeof(n->model));
    n->lib = lib;
    return n;

fail_shutdown:
    if (n && n->shutdown)
        n->shutdown();
fail:
    free(n);
    dlclose(lib);
    return NULL;
}

void cct_nvml__close(cct_nvml *n)
{
    if (!n)
        return;
    if (n->shutdown)
        n->shutdown();
    dlclose(n->lib);
    free(n);
}

unsigned int cct_nvml__count(const cct_nvml *n)
{
    return n ? n->count : 0;
}

const char *cct_nvml__model(const cct_nvml *n)
{
    return n ? n->model : "";
}

double cct_nvml__read(cct_nvml *n, uint64_t now_ns)
{
    double joules = 0;

    if (!n)
        return 0;
    for (unsigned int i = 0; i < n->count; i++) {
        unsigned long long mj;
        unsigned int mw;

        if (n->dev[i].has_energy && n->energy(n->dev[i].handle, &mj) == NVML_SUCCESS) {
            /* The counter only resets with the driver, and restarts from 0: after a drop its
             * value is the energy since the reset. The part of the interval before the
             * reset is unknown and left out, never counted negative (CodeCarbon's delta
             * goes negative here). */
            if (mj >= n->dev[i].last_mj)
                joules += (double)(mj - n->dev[i].last_mj) / 1000.0;
            else
                joules += (double)mj / 1000.0;
            n->dev[i].last_mj = mj;
        } else if (n->power && n->power(n->dev[i].handle, &mw) == NVML_SUCCESS) {
            joules += (double)mw / 1000.0 * (double)(now_ns - n->dev[i].last_ns) / 1e9;
        }
        n->dev[i].last_ns = now_ns;
    }
    return joules;
}
