/*
 * `ccbench show` of a ccbench-compare/1 file: the document read back (compare_read.c) is put
 * into the compare model and rendered by the same writer that printed it the first time, so
 * the two never drift apart. What the file does not keep (raw samples, p before Holm, the
 * blocks' values) is simply not shown.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_report.h"
#include "error.h"
#include "result.h"

int ccb_compare_show_accepts(const char *path)
{
    cJSON *json = NULL;
    if (ccb_result_read_json(path, "a ccbench file", &json) != 0) {
        ccb_error_clear();
        return 0;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(json, "schema");
    int is = cJSON_IsString(schema) && strcmp(schema->valuestring, CCB_COMPARE_SCHEMA) == 0;
    cJSON_Delete(json);
    return is;
}

int ccb_compare_show_write(FILE *out, const ccb_compare_doc *d, ccb_format format, int color)
{
    int rc = -1;
    ccb_compare c;
    ccb_thresholds t;
    ccb_compare_init(&c, d->paired);
    ccb_thresholds_init(&t);
    t.global = d->threshold;
    c.seed = strtoull(d->seed ? d->seed : "0", NULL, 10);
    c.blocks = d->blocks;
    c.confirm_ran = d->confirm_ran;
    for (size_t i = 0; i < d->n; i++) {
        const ccb_compare_doc_metric *dm = &d->metrics[i];
        ccb_compare_metric *m =
            ccb_compare_metric_get(&c, dm->scenario, dm->name, dm->unit, dm->direction, dm->kind);
        if (!m)
            goto done;
        m->base_median = dm->base_median;
        m->cand_median = dm->cand_median;
        m->nbase = dm->nbase; /* the counts only: the file keeps no samples */
        m->ncand = dm->ncand;
        m->ratio.ratio = dm->ratio;
        m->ratio.ci_low = dm->ci_low;
        m->ratio.ci_high = dm->ci_high;
        m->p_holm = dm->p_holm;
        m->threshold = dm->threshold;
        m->verdict = dm->verdict;
        m->first_verdict = dm->first_verdict;
        m->confirm = dm->confirm;
        m->floor_used = dm->floor;
        m->paired = d->paired;
        m->diff = m->diff_low = m->diff_high = m->aa_floor = m->min_p = NAN;
    }
    ccb_compare_report rep = {.cmp = &c, .thresholds = &t, .profile = d->profile};
    for (int side = 0; side < 2; side++)
        rep.side[side] =
            (ccb_compare_side_info){.operand = d->operand[side], .kind = d->side_kind[side]};
    rc = ccb_compare_report_write(out, &rep, format, color);
done:
    /* The metrics own no sample arrays here: release frees NULLs. */
    for (size_t i = 0; i < c.n; i++)
        c.metrics[i].nbase = c.metrics[i].ncand = 0;
    ccb_compare_release(&c);
    ccb_thresholds_release(&t);
    return rc;
}
