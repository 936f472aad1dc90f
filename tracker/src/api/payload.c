/*
 * The bodies of CodeCarbon's API, built with cJSON: POST /runs describes the run (sent once,
 * lazily, before its first emission) and POST /emissions carries one delta.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "api_internal.h"

void cct_payload__iso_time(double unix_s, char out[32])
{
    struct tm tm;
    time_t secs = (time_t)unix_s;
    int ms = (int)((unix_s - (double)secs) * 1000.0);

    char date[24];

    gmtime_r(&secs, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03dZ", date, ms < 0 ? 0 : ms % 1000);
}

static void add_number_or_null(cJSON *o, const char *name, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddNumberToObject(o, name, v);
}

cJSON *cct_payload__run(const cct_api_run_info *info, double timestamp)
{
    char stamp[32];
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cct_payload__iso_time(timestamp, stamp);
    cJSON_AddStringToObject(o, "timestamp", stamp);
    cJSON_AddStringToObject(o, "experiment_id", info->experiment_id ? info->experiment_id : "");
    cJSON_AddStringToObject(o, "os", info->os ? info->os : "");
    cJSON_AddStringToObject(o, "python_version", "");
    cJSON_AddStringToObject(o, "codecarbon_version", CCT_VERSION);
    cJSON_AddNumberToObject(o, "cpu_count", info->cpu_count);
    cJSON_AddStringToObject(o, "cpu_model", info->cpu_model ? info->cpu_model : "");
    cJSON_AddNumberToObject(o, "gpu_count", info->gpu_count);
    cJSON_AddStringToObject(o, "gpu_model", info->gpu_model ? info->gpu_model : "");
    add_number_or_null(o, "longitude", info->longitude);
    add_number_or_null(o, "latitude", info->latitude);
    cJSON_AddStringToObject(o, "region", info->region ? info->region : "");
    cJSON_AddStringToObject(o, "provider", "");
    cJSON_AddNumberToObject(o, "ram_total_size", info->ram_total_gb);
    cJSON_AddStringToObject(o, "tracking_mode",
                            info->tracking_mode ? info->tracking_mode : "machine");
    return o;
}

cJSON *cct_payload__emission(const cct_api_emission *e, const char *run_id)
{
    char stamp[32];
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cct_payload__iso_time(e->timestamp, stamp);
    cJSON_AddStringToObject(o, "timestamp", stamp);
    if (run_id)
        cJSON_AddStringToObject(o, "run_id", run_id);
    cJSON_AddNumberToObject(o, "duration", e->duration_s);
    cJSON_AddNumberToObject(o, "emissions_sum", e->emissions_kg);
    cJSON_AddNumberToObject(o, "emissions_rate", e->emissions_rate_kg_s);
    cJSON_AddNumberToObject(o, "cpu_power", e->cpu_power_w);
    cJSON_AddNumberToObject(o, "gpu_power", e->gpu_power_w);
    cJSON_AddNumberToObject(o, "ram_power", e->ram_power_w);
    cJSON_AddNumberToObject(o, "cpu_energy", e->cpu_energy_kwh);
    cJSON_AddNumberToObject(o, "gpu_energy", e->gpu_energy_kwh);
    cJSON_AddNumberToObject(o, "ram_energy", e->ram_energy_kwh);
    cJSON_AddNumberToObject(o, "energy_consumed", e->energy_kwh);
    return o;
}
