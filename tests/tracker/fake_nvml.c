/*
 * A fake libnvidia-ml for the tracker tests, loaded through CCT_NVML_LIBRARY. It exports the
 * NVML functions cctracker resolves and answers from a state file that the test rewrites
 * between readings; the file's path is in $FAKE_NVML_STATE. One "key value" per line:
 *   count N          devices (default 0)
 *   name TEXT        device name (default "Fake GPU")
 *   name<i> TEXT     device i's name, when it differs from `name`
 *   init_ok 0|1      nvmlInit_v2 succeeds (default 1)
 *   energy_ok 0|1    nvmlDeviceGetTotalEnergyConsumption succeeds (default 1)
 *   energy<i> MJ     device i's total energy counter, millijoules
 *   power<i> MW      device i's power, milliwatts
 * The file is read afresh on every call, so the fake holds no state of its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_MAX 16
#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3

typedef struct nvml_device_st *nvmlDevice_t;

typedef struct fake_state {
    unsigned int count;
    int init_ok;
    int energy_ok;
    char name[96];
    char names[FAKE_MAX][96];
    unsigned long long energy[FAKE_MAX];
    unsigned int power[FAKE_MAX];
} fake_state;

/* The exported API (prototypes for -Wmissing-prototypes). */
int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetCount_v2(unsigned int *count);
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
int nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length);
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy);
int nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power);

static void load(fake_state *s)
{
    const char *path = getenv("FAKE_NVML_STATE");
    char line[256];
    FILE *f;

    memset(s, 0, sizeof(*s));
    s->init_ok = 1;
    s->energy_ok = 1;
    strcpy(s->name, "Fake GPU");
    if (!path || !(f = fopen(path, "r")))
        return;
    while (fgets(line, sizeof(line), f)) {
        unsigned int i;
        unsigned long long v;
        line[strcspn(line, "\n")] = '\0';
        int at = 0;
        if (strncmp(line, "name ", 5) == 0)
            snprintf(s->name, sizeof(s->name), "%.*s", (int)sizeof(s->name) - 1, line + 5);
        else if (sscanf(line, "name%u %n", &i, &at) == 1 && at > 0 && i < FAKE_MAX)
            snprintf(s->names[i], sizeof(s->names[i]), "%.*s", (int)sizeof(s->names[i]) - 1,
                     line + at);
        else if (sscanf(line, "count %llu", &v) == 1)
            s->count = (unsigned int)v;
        else if (sscanf(line, "init_ok %llu", &v) == 1)
            s->init_ok = (int)v;
        else if (sscanf(line, "energy_ok %llu", &v) == 1)
            s->energy_ok = (int)v;
        else if (sscanf(line, "energy%u %llu", &i, &v) == 2 && i < FAKE_MAX)
            s->energy[i] = v;
        else if (sscanf(line, "power%u %llu", &i, &v) == 2 && i < FAKE_MAX)
            s->power[i] = (unsigned int)v;
    }
    fclose(f);
}

/* Handles are index + 1, so a NULL handle is never valid. */
static int device_index(nvmlDevice_t device, const fake_state *s, unsigned int *index)
{
    uintptr_t v = (uintptr_t)device;
    if (v == 0 || v > s->count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *index = (unsigned int)(v - 1);
    return NVML_SUCCESS;
}

int nvmlInit_v2(void)
{
    fake_state s;
    load(&s);
    return s.init_ok ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
}

int nvmlShutdown(void)
{
    return NVML_SUCCESS;
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
    fake_state s;
    load(&s);
    *count = s.count;
    return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    fake_state s;
    load(&s);
    if (index >= s.count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = (nvmlDevice_t)(uintptr_t)(index + 1);
    return NVML_SUCCESS;
}

int nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    fake_state s;
    unsigned int i;
    load(&s);
    if (device_index(device, &s, &i) != NVML_SUCCESS || length == 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    snprintf(name, length, "%s", s.names[i][0] ? s.names[i] : s.name);
    return NVML_SUCCESS;
}

int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)
{
    fake_state s;
    unsigned int i;
    load(&s);
    if (device_index(device, &s, &i) != NVML_SUCCESS)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (!s.energy_ok)
        return NVML_ERROR_NOT_SUPPORTED;
    *energy = s.energy[i];
    return NVML_SUCCESS;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    fake_state s;
    unsigned int i;
    load(&s);
    if (device_index(device, &s, &i) != NVML_SUCCESS)
        return NVML_ERROR_INVALID_ARGUMENT;
    *power = s.power[i];
    return NVML_SUCCESS;
}
