/*
 * --threshold (see thresholds.h): the global fraction and the per-metric overrides, checked
 * against the catalog when parsed so a typo fails before anything is built.
 */
#include "thresholds.h"

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "error.h"

void ccb_thresholds_init(ccb_thresholds *t)
{
    memset(t, 0, sizeof(*t));
    t->global = CCB_DEFAULT_THRESHOLD;
}

void ccb_thresholds_release(ccb_thresholds *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->overrides[i].key);
    free(t->overrides);
    t->overrides = NULL;
    t->n = 0;
}

/* "5", "5%", "2.5%" -> 0.05, 0.05, 0.025. */
static int parse_percent(const char *arg, const char *text, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || (*end && strcmp(end, "%") != 0) || !(v > 0 && v < 1000))
        return ccb_error_set("compare: --threshold '%s': expected a percentage in (0, 1000) "
                             "such as 5%% or 10, or SCENARIO.METRIC=PCT",
                             arg);
    *out = v / 100.0;
    return 0;
}

int ccb_thresholds_option(void *field, const char *command, const char *arg)
{
    (void)command; /* the messages name --threshold, which only compare and bisect take */
    return ccb_thresholds_parse(field, arg);
}

int ccb_thresholds_parse(ccb_thresholds *t, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return parse_percent(arg, arg, &t->global);

    double value = 0;
    if (parse_percent(arg, eq + 1, &value) != 0)
        return -1;
    size_t keylen = (size_t)(eq - arg);
    char key[256];
    if (keylen == 0 || keylen >= sizeof(key))
        return ccb_error_set("compare: --threshold '%s': expected SCENARIO.METRIC=PCT", arg);
    memcpy(key, arg, keylen);
    key[keylen] = '\0';
    char *dot = strchr(key, '.');
    if (!dot)
        return ccb_error_set("compare: --threshold '%s': '%s' is not SCENARIO.METRIC (e.g. "
                             "warm_lifecycle.lifecycle_us=10%%)",
                             arg, key);
    *dot = '\0';
    const ccb_scenario_def *def = ccb_catalog_find(key);
    if (!def || !ccb_catalog_metric(def, dot + 1)) {
        *dot = '.';
        return ccb_error_set("compare: --threshold '%s': no metric '%s'. 'ccbench list' shows "
                             "them all.",
                             arg, key);
    }
    *dot = '.';
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->overrides[i].key, key) == 0) {
            t->overrides[i].value = value;
            return 0;
        }
    }
    ccb_threshold_override *grown = realloc(t->overrides, (t->n + 1) * sizeof(*grown));
    if (!grown)
        return ccb_error_set("out of memory");
    t->overrides = grown;
    t->overrides[t->n].key = strdup(key);
    t->overrides[t->n].value = value;
    if (!t->overrides[t->n].key)
        return ccb_error_set("out of memory");
    t->n++;
    return 0;
}

double ccb_thresholds_for(const ccb_thresholds *t, const char *scenario, const char *metric)
{
    size_t slen = strlen(scenario);
    for (size_t i = 0; i < t->n; i++) {
        const char *k = t->overrides[i].key;
        if (strncmp(k, scenario, slen) == 0 && k[slen] == '.' && strcmp(k + slen + 1, metric) == 0)
            return t->overrides[i].value;
    }
    return t->global;
}
