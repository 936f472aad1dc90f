/*
 * The one --scenario parser (see selection.h), shared by run, compare and noise so one
 * mistake gets one message whatever the command.
 */
#include "selection.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "measure.h"

int ccb_selection_option(void *field, const char *command, const char *arg)
{
    return ccb_selection_add(field, command, arg);
}

int ccb_selection_add(ccb_selection *s, const char *command, const char *arg)
{
    int rc = -1;
    char *copy = strdup(arg), *save = NULL;
    if (!copy)
        return ccb_error_set("out of memory");
    if (arg[0] == '\0' || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
        ccb_error_set("%s: --scenario '%s': expected NAME[,NAME...]", command, arg);
        goto done;
    }
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const ccb_scenario_def *def = ccb_catalog_find(name);
        if (!def) {
            size_t count = 0;
            const ccb_scenario_def *all = ccb_catalog_scenarios(&count);
            const char *names[64];
            size_t n = 0;
            for (size_t i = 0; i < count && n < 64; i++)
                names[n++] = all[i].name;
            const char *near = ccb_cli_nearest(name, names, n);
            if (near)
                ccb_error_set("%s: unknown scenario '%s'. Did you mean '%s'?", command, name, near);
            else
                ccb_error_set("%s: unknown scenario '%s'. 'ccbench list' shows them all.", command,
                              name);
            goto done;
        }
        if (def->needs_mock_api && !ccb_measure_mock_api_available()) {
            ccb_error_set("%s: scenario %s needs the mock API, which this build lacks. Leave "
                          "it out of --scenario.",
                          command, name);
            goto done;
        }
        int dup = 0;
        for (size_t i = 0; i < s->n; i++)
            dup |= s->defs[i] == def;
        if (dup)
            continue;
        if (s->n == CCB_SELECTION_MAX) {
            ccb_error_set("%s: too many scenarios", command);
            goto done;
        }
        s->defs[s->n++] = def;
    }
    rc = 0;
done:
    free(copy);
    return rc;
}

void ccb_selection_default(ccb_selection *s)
{
    size_t count = 0;
    const ccb_scenario_def *all = ccb_catalog_scenarios(&count);
    for (size_t i = 0; i < count && s->n < CCB_SELECTION_MAX; i++) {
        if (!all[i].selftest && (!all[i].needs_mock_api || ccb_measure_mock_api_available()))
            s->defs[s->n++] = &all[i];
    }
}
