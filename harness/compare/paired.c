/*
 * The estimate and test of one timing metric of a live compare, whose samples are paired
 * within ABBA blocks (see compare.h). Kept apart from the unpaired analysis of two result
 * files (unpaired.c): the two models answer the same question from different designs.
 */
#include <math.h>

#include "compare.h"
#include "error.h"

int ccb_compare_estimate_paired(ccb_compare_metric *m)
{
    if (ccb_stats_ratio_paired(m->base, m->cand, m->nbase, CCB_STATS_DEFAULT_SEED, &m->ratio) !=
        0)
        return ccb_error_set("out of memory computing the ratio of %s.%s", m->scenario, m->name);
    m->p = ccb_stats_mann_whitney(m->base, m->nbase, m->cand, m->ncand, NULL);
    if (isnan(m->p))
        return ccb_error_set("out of memory computing the test of %s.%s", m->scenario, m->name);
    return 0;
}
