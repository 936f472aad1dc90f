/*
 * `ccbench list`: the scenarios a user can run and every metric they report, with unit,
 * direction (which way is better), origin (measured by the runner inside the child, or by
 * the driver around it) and kind. Straight from the catalog, which the runner shares, so the
 * list cannot drift from what is measured.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "options.h"

#define LIST_SCHEMA "ccbench-list/1"
#define BOLD "\033[1m"
#define CYAN "\033[36m"
#define RESET "\033[0m"

static const char *origin_name(ccb_metric_origin o)
{
    switch (o) { /* no default: a new origin must get a name here */
    case CCB_FROM_RUNNER:
        return "runner";
    case CCB_FROM_DRIVER:
        return "driver";
    case CCB_FROM_MOCK:
        return "mock";
    case CCB_FROM_COUNTS:
        return "counts";
    }
    return "?";
}

static const char *kind_name(ccb_metric_kind k)
{
    return k == CCB_KIND_COUNT ? "count" : "timing";
}

static void list_table(const ccb_scenario_def *all, size_t count, int color)
{
    int wname = 0, wunit = 0;
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < all[i].metric_count; j++) {
            int n = (int)strlen(all[i].metrics[j].name);
            int u = (int)strlen(all[i].metrics[j].unit);
            wname = n > wname ? n : wname;
            wunit = u > wunit ? u : wunit;
        }
    }
    int first = 1;
    for (size_t i = 0; i < count; i++) {
        const ccb_scenario_def *s = &all[i];
        if (s->selftest)
            continue;
        const ccb_profile_params *p = s->profiles;
        printf("%s%s%s%s  %s%s\n", first ? "" : "\n", color ? BOLD CYAN : "", s->name,
               color ? RESET : "", s->description,
               s->needs_mock_api ? " (needs the mock API)" : "");
        printf("  processes per profile: quick %u, default %u, full %u\n",
               p[CCB_PROFILE_QUICK].processes, p[CCB_PROFILE_DEFAULT].processes,
               p[CCB_PROFILE_FULL].processes);
        for (size_t j = 0; j < s->metric_count; j++) {
            const ccb_metric_def *m = &s->metrics[j];
            printf("  %-*s  %-*s  %-16s  %-6s  %-6s  %s\n", wname, m->name, wunit, m->unit,
                   ccb_direction_name(m->direction), origin_name(m->origin), kind_name(m->kind),
                   m->description);
        }
        first = 0;
    }
}

static void list_markdown(const ccb_scenario_def *all, size_t count)
{
    printf("| scenario | metric | unit | direction | origin | kind | description |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < count; i++) {
        const ccb_scenario_def *s = &all[i];
        if (s->selftest)
            continue;
        for (size_t j = 0; j < s->metric_count; j++) {
            const ccb_metric_def *m = &s->metrics[j];
            printf("| %s | `%s` | %s | %s | %s | %s | %s |\n", j == 0 ? s->name : "", m->name,
                   m->unit, ccb_direction_name(m->direction), origin_name(m->origin),
                   kind_name(m->kind), m->description);
        }
    }
}

static cJSON *scenario_json(const ccb_scenario_def *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = cJSON_AddStringToObject(o, "name", s->name) &&
             cJSON_AddStringToObject(o, "description", s->description) &&
             cJSON_AddBoolToObject(o, "needs_mock_api", s->needs_mock_api) &&
             cJSON_AddStringToObject(o, "executable", s->executable) &&
             cJSON_AddNumberToObject(o, "timeout_ms", s->timeout_ms);
    cJSON *processes = ok ? cJSON_AddObjectToObject(o, "processes") : NULL;
    for (int p = 0; processes && p < CCB_PROFILE_COUNT; p++)
        ok &= cJSON_AddNumberToObject(processes, ccb_profile_name((ccb_profile)p),
                                      s->profiles[p].processes) != NULL;
    cJSON *metrics = ok && processes ? cJSON_AddArrayToObject(o, "metrics") : NULL;
    for (size_t j = 0; metrics && j < s->metric_count; j++) {
        const ccb_metric_def *m = &s->metrics[j];
        cJSON *mo = cJSON_CreateObject();
        if (!mo || !cJSON_AddItemToArray(metrics, mo)) {
            cJSON_Delete(mo);
            ok = 0;
            break;
        }
        ok &= cJSON_AddStringToObject(mo, "name", m->name) &&
              cJSON_AddStringToObject(mo, "unit", m->unit) &&
              cJSON_AddStringToObject(mo, "direction", ccb_direction_name(m->direction)) &&
              cJSON_AddStringToObject(mo, "origin", origin_name(m->origin)) &&
              cJSON_AddStringToObject(mo, "kind", kind_name(m->kind)) &&
              cJSON_AddStringToObject(mo, "description", m->description);
    }
    if (!ok || !metrics) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int list_json(const ccb_scenario_def *all, size_t count)
{
    int rc = -1;
    char *text = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *array = NULL;
    if (!root || !cJSON_AddStringToObject(root, "schema", LIST_SCHEMA))
        goto done;
    array = cJSON_AddArrayToObject(root, "scenarios");
    if (!array)
        goto done;
    for (size_t i = 0; i < count; i++) {
        if (all[i].selftest)
            continue;
        cJSON *s = scenario_json(&all[i]);
        if (!s || !cJSON_AddItemToArray(array, s)) {
            cJSON_Delete(s);
            goto done;
        }
    }
    text = cJSON_Print(root);
    if (!text)
        goto done;
    puts(text);
    rc = 0;
done:
    if (rc != 0)
        ccb_error_set("out of memory listing scenarios");
    free(text);
    cJSON_Delete(root);
    return rc;
}

typedef struct list_options {
    ccb_format format;
    ccb_color_mode color;
} list_options;

static const ccb_option list_option_table[] = {
    {CCB_OPT_FORMAT, "format", .offset = offsetof(list_options, format), .arg = "F",
     .usage = "[--format table|json|markdown]",
     .help = "table (default), json (schema ccbench-list/1) or markdown"},
    {CCB_OPT_COLOR, "color", .offset = offsetof(list_options, color), .arg = "WHEN", .usage = "",
     .help = "auto (default), always or never"},
    {CCB_OPT_END},
};

const ccb_command_spec cmd_list_spec = {
    .name = "list",
    .summary = "scenarios, their metrics, units and directions",
    .options = list_option_table,
    .details =
        "Each metric shows its unit, its direction (lower_is_better or higher_is_better), its\n"
        "origin (runner: timed inside the child; driver: measured by ccbench around it; mock:\n"
        "counted by ccbench's mock API) and its kind (timing: compared statistically; count:\n"
        "compared exactly).\n",
};

int cmd_list(int argc, char **argv)
{
    list_options o = {.format = CCB_FORMAT_TABLE, .color = CCB_COLOR_AUTO};
    int first = ccb_options_parse(&cmd_list_spec, &o, argc, argv);
    if (first < 0)
        return cmd_exit_status();
    if (first < argc) {
        ccb_error_setc(CCB_ERROR_USAGE, "list: unexpected argument '%s'. See 'ccbench help list'.",
                       argv[first]);
        return cmd_exit_status();
    }
    ccb_format format = o.format;
    ccb_color_mode color = o.color;
    size_t count = 0;
    const ccb_scenario_def *all = ccb_catalog_scenarios(&count);
    int rc = 0;
    if (format == CCB_FORMAT_JSON)
        rc = list_json(all, count);
    else if (format == CCB_FORMAT_MARKDOWN)
        list_markdown(all, count);
    else
        list_table(all, count, ccb_cli_use_color(color, STDOUT_FILENO));
    if (rc == 0 && fflush(stdout) != 0) {
        ccb_error_set("list: cannot write to stdout");
        rc = -1;
    }
    return rc == 0 ? CCB_EXIT_OK : cmd_exit_status();
}
