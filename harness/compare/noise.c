/*
 * The noise floor of a build (see noise.h): the A/A round through compare's measurement, and
 * <build>/noise.json written and read back. `ccbench noise` (cmd_noise.c) and
 * `compare --noise` call it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abba.h"
#include "atomic.h"
#include "error.h"
#include "noise.h"
#include "paths.h"
#include "result.h"

#define NOISE_SCHEMA "ccbench-noise/1"

int ccb_noise_measure(const ccb_operand *op, const ccb_selection *sel, ccb_profile profile,
                      long cpu, unsigned int blocks, unsigned int budget_ms, uint64_t seed,
                      ccb_progress_mode mode, ccb_compare *out, int *scenario_failed,
                      ccb_measure_outcome *outcome)
{
    int rc = -1;
    ccb_result *results[2] = {ccb_result_new(), ccb_result_new()};
    ccb_thresholds t;
    ccb_thresholds_init(&t);
    ccb_compare_init(out, 1);
    /* A/A: the same build on both sides. */
    const ccb_abba_round round = {.sel = sel,
                                  .profile = profile,
                                  .cpu = cpu,
                                  .blocks = blocks,
                                  .budget_ms = budget_ms,
                                  .seed = seed,
                                  .mode = mode,
                                  .side = {&op->out, &op->out}};
    if (!results[0] || !results[1]) {
        ccb_error_set("out of memory");
        goto done;
    }
    if (ccb_abba_round_run(&round, results, out, scenario_failed, outcome) != 0)
        goto done;
    if (*outcome == CCB_MEASURE_DONE && ccb_compare_analyse(out, &t) != 0)
        goto done;
    rc = 0;
done:
    ccb_result_free(results[0]);
    ccb_result_free(results[1]);
    return rc;
}

int ccb_noise_save(const ccb_operand *op, const ccb_compare *aa, const char *profile)
{
    int rc = -1;
    char *path = ccb_build_noise_path(op), *text = NULL;
    cJSON *root = cJSON_CreateObject();
    char stamp[32];
    ccb_paths_iso8601(stamp, sizeof(stamp), time(NULL));
    if (!path || !root) {
        ccb_error_set("out of memory");
        goto done;
    }
    cJSON_AddStringToObject(root, "schema", NOISE_SCHEMA);
    cJSON_AddStringToObject(root, "created_at", stamp);
    cJSON_AddStringToObject(root, "profile", profile);
    cJSON_AddNumberToObject(root, "blocks", aa->blocks);
    cJSON *metrics = cJSON_AddArrayToObject(root, "metrics");
    for (size_t i = 0; metrics && i < aa->n; i++) {
        double floor = ccb_compare_noise_floor(&aa->metrics[i]);
        if (isnan(floor))
            continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddItemToArray(metrics, m);
        cJSON_AddStringToObject(m, "scenario", aa->metrics[i].scenario);
        cJSON_AddStringToObject(m, "name", aa->metrics[i].name);
        cJSON_AddNumberToObject(m, "noise_floor", floor);
    }
    text = cJSON_Print(root);
    if (!text) {
        ccb_error_set("out of memory");
        goto done;
    }
    /* Through the one atomic write: the FILE this used to leak when fputs failed is gone. */
    if (ccb_atomic_write(path, text, strlen(text)) != 0)
        goto done;
    rc = 0;
done:
    cJSON_free(text);
    cJSON_Delete(root);
    free(path);
    return rc;
}

int ccb_noise_load(const ccb_operand *op, ccb_compare *cmp, const char *profile,
                   char **other_profile)
{
    char *path = ccb_build_noise_path(op);
    FILE *fp = path ? fopen(path, "r") : NULL;
    char *buf = NULL;
    size_t cap = 0;
    cJSON *root = NULL;
    if (fp) {
        ssize_t len = getdelim(&buf, &cap, '\0', fp);
        fclose(fp);
        root = len > 0 ? cJSON_Parse(buf) : NULL;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(root, "metrics");
    const cJSON *measured_at = cJSON_GetObjectItemCaseSensitive(root, "profile");
    int same_profile =
        cJSON_IsString(measured_at) && strcmp(measured_at->valuestring, profile) == 0;
    if (cJSON_IsString(measured_at) && !same_profile && other_profile && !*other_profile)
        *other_profile = strdup(measured_at->valuestring);
    /* A stale or foreign file only costs the warning, never the compare. */
    if (same_profile && cJSON_IsString(schema) && strcmp(schema->valuestring, NOISE_SCHEMA) == 0 &&
        cJSON_IsArray(metrics)) {
        const cJSON *m;
        cJSON_ArrayForEach(m, metrics)
        {
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(m, "scenario");
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(m, "name");
            const cJSON *fl = cJSON_GetObjectItemCaseSensitive(m, "noise_floor");
            if (!cJSON_IsString(sc) || !cJSON_IsString(nm) || !cJSON_IsNumber(fl))
                continue;
            ccb_compare_metric *cm = ccb_compare_find(cmp, sc->valuestring, nm->valuestring);
            if (cm && (isnan(cm->noise_floor) || fl->valuedouble > cm->noise_floor))
                cm->noise_floor = fl->valuedouble;
        }
    }
    cJSON_Delete(root);
    free(buf);
    free(path);
    return 0;
}
