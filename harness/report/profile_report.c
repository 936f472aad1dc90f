/*
 * `ccbench show FILE --functions`: a result's instruction profile (issue 13), per scenario
 * and tracker call, the functions with the most inclusive instructions first. The raw
 * callgrind dumps beside the file say more (callgrind_annotate, KCachegrind).
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "report.h"

int ccb_profile_report_write(FILE *out, const ccb_result *r, size_t top)
{
    int any = 0;
    for (size_t i = 0; i < r->nscenarios; i++) {
        const ccb_scenario_result *s = &r->scenarios[i];
        const cJSON *call = NULL;
        cJSON_ArrayForEach(call, s->profile)
        {
            const cJSON *total = cJSON_GetObjectItemCaseSensitive(call, "total");
            const cJSON *fns = cJSON_GetObjectItemCaseSensitive(call, "functions");
            double all = cJSON_IsNumber(total) ? total->valuedouble : 0;
            size_t k = 0;
            const cJSON *f = NULL;
            const cJSON *procs = cJSON_GetObjectItemCaseSensitive(call, "processes");
            char how_many[32] = "the";
            if (cJSON_IsNumber(procs))
                snprintf(how_many, sizeof(how_many), "%.0f", procs->valuedouble);
            fprintf(out,
                    "%s%s %s: %.0f instructions (median of %s callgrind processes on its "
                    "most common path)\n",
                    any ? "\n" : "", s->name, call->string, all, how_many);
            fprintf(out, "  %12s  %6s  %s\n", "inclusive", "share", "function");
            cJSON_ArrayForEach(f, fns)
            {
                if (k++ == top)
                    break;
                double v = cJSON_GetArrayItem(f, 1)->valuedouble;
                fprintf(out, "  %12.0f  %5.1f%%  %s\n", v, all > 0 ? 100 * v / all : 0,
                        cJSON_GetArrayItem(f, 0)->valuestring);
            }
            any = 1;
        }
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(s->unavailable, "instructions");
        if (cJSON_IsString(why))
            fprintf(out, "%s%s: instruction counts unavailable: %s\n", any ? "\n" : "", s->name,
                    why->valuestring);
        any |= cJSON_IsString(why);
    }
    if (!any)
        return ccb_error_setc(CCB_ERROR_INPUT,
                              "this result has no instruction profile: it was measured with "
                              "--no-counts or before count metrics existed; run it again");
    return 0;
}
