/*
 * The estimate and test of one timing metric of two result files: two independent samples,
 * no pairing (see compare.h). The live compare's paired analysis is paired.c.
 */
#include <math.h>

#include "compare.h"
#include "error.h"

int ccb_compare_estimate_unpaired(ccb_compare_metric *m)
{
    if (ccb_stats_ratio_unpaired(m->base, m->nbase, m->cand, m->ncand, CCB_STATS_DEFAULT_SEED,
                                 &m->ratio) != 0)
        return ccb_error_set("out of memory computing the ratio of %s.%s", m->scenario, m->name);
    m->p = ccb_stats_mann_whitney(m->base, m->nbase, m->cand, m->ncand, NULL);
    if (isnan(m->p))
        return ccb_error_set("out of memory computing the test of %s.%s", m->scenario, m->name);
    return 0;
}
