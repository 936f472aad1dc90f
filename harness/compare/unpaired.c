/*
 * The estimate and test of one timing metric of two result files (see compare.h): two
 * independent samples of per-process values (a file keeps which samples each process gave;
 * older files count each sample as a process), no pairing and no blocks. The Mann-Whitney
 * test, the Hodges-Lehmann shift and Moses' interval come from one model (ranksum.h), on log
 * values, or on the values themselves when one is <= 0.
 *
 * Between-run drift: two runs minutes apart can differ by more than the threshold with no
 * change at all (the machine's state, not the code), and one run per side cannot estimate
 * that. So a file compare never judges below CCB_FILE_DRIFT_FLOOR: a smaller threshold is
 * judged at the floor, and only a change beyond it can regress (docs/statistics.md).
 */
#include <math.h>
#include <stdlib.h>

#include "compare.h"
#include "error.h"
#include "ranksum.h"

#define ESTIMATE_TEXT "Hodges-Lehmann shift of per-process log values (Mann-Whitney, two files)"
#define ESTIMATE_DIFF_TEXT "Hodges-Lehmann shift of per-process values (Mann-Whitney, two files)"

int ccb_compare_estimate_unpaired(ccb_compare_metric *m)
{
    int rc = -1, diff = 0;
    double *x = calloc(m->nbase ? m->nbase : 1, sizeof(*x));
    double *y = calloc(m->ncand ? m->ncand : 1, sizeof(*y));
    if (!x || !y) {
        ccb_error_set("out of memory comparing %s.%s", m->scenario, m->name);
        goto done;
    }
    for (size_t i = 0; i < m->nbase; i++)
        diff |= m->base[i] <= 0;
    for (size_t j = 0; j < m->ncand; j++)
        diff |= m->cand[j] <= 0;
    for (size_t i = 0; i < m->nbase; i++)
        x[i] = diff ? m->base[i] : log(m->base[i]);
    for (size_t j = 0; j < m->ncand; j++)
        y[j] = diff ? m->cand[j] : log(m->cand[j]);
    ccb_ranksum s;
    if (ccb_ranksum_test(x, m->nbase, y, m->ncand, 0.95, &s) != 0) {
        ccb_error_set("out of memory testing %s.%s", m->scenario, m->name);
        goto done;
    }
    ccb_compare_set_estimate(m, diff, diff ? ESTIMATE_DIFF_TEXT : ESTIMATE_TEXT, s.estimate,
                             s.ci_low, s.ci_high, s.p, s.min_p, s.nx < s.ny ? s.nx : s.ny);
    m->ratio.n_used = s.nx + s.ny;
    m->aa_floor = CCB_FILE_DRIFT_FLOOR;
    rc = 0;
done:
    free(x);
    free(y);
    return rc;
}
