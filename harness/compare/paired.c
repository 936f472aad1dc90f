/*
 * The estimate and test of one timing metric of a live compare (see compare.h). The
 * replicate is the ABBA block, not the process: processes of one block share whatever the
 * machine was doing, so they are not independent, while blocks nearly are. Per block
 *
 *   d = mean(log candidate values) - mean(log baseline values)   (log of the geomean ratio)
 *
 * over the block's processes that gave a value; the signed-rank test on the d's, their
 * Hodges-Lehmann estimate and its interval come from one model (signrank.h). Each block also
 * holds a contrast with no change in it: half of (log A2 - log A1) + (log B2 - log B1), the
 * same variance as d under no change, so the interval those contrasts get is the resolution
 * this compare has at its block count (aa_floor). Two-file compares are unpaired.c.
 *
 * A metric with a value <= 0 has no logarithm: it is compared as differences of means, in
 * its unit, by the same test (as_difference).
 */
#include <math.h>
#include <stdlib.h>

#include "compare.h"
#include "error.h"
#include "signrank.h"

#define ESTIMATE_TEXT "Hodges-Lehmann of per-block log ratios (signed-rank test on ABBA blocks)"
#define ESTIMATE_DIFF_TEXT                                                                         \
    "Hodges-Lehmann of per-block differences (signed-rank test on ABBA blocks)"

static double transform(double v, int diff)
{
    return diff ? v : log(v);
}

/* Mean of the finite transformed values of V[0..2); NAN when none. */
static double side_mean(const double *v, int diff)
{
    double sum = 0;
    int n = 0;
    for (int i = 0; i < 2; i++) {
        if (isfinite(v[i])) {
            sum += transform(v[i], diff);
            n++;
        }
    }
    return n ? sum / n : NAN;
}

/* The widest |bound| of an interval, as a fraction of change. */
static double half_width(const ccb_signrank *s, int diff, double base_median)
{
    if (!isfinite(s->ci_low) || !isfinite(s->ci_high))
        return NAN;
    double w = fmax(fabs(s->ci_low), fabs(s->ci_high));
    if (!diff)
        return expm1(w);
    return base_median != 0 && isfinite(base_median) ? w / fabs(base_median) : NAN;
}

int ccb_compare_estimate_paired(ccb_compare_metric *m)
{
    int rc = -1, diff = 0;
    size_t nb = m->nblocks;
    double *d = malloc((nb ? nb : 1) * sizeof(*d));
    double *e = malloc((nb ? nb : 1) * sizeof(*e));
    if (!d || !e) {
        ccb_error_set("out of memory comparing %s.%s", m->scenario, m->name);
        goto done;
    }
    for (size_t i = 0; i < 4 * nb; i++) {
        if (isfinite(m->blocks[i]) && m->blocks[i] <= 0)
            diff = 1;
    }
    for (size_t j = 0; j < nb; j++) {
        const double *b = m->blocks + 4 * j;
        d[j] = side_mean(b + 2, diff) - side_mean(b, diff);
        int all = isfinite(b[0]) && isfinite(b[1]) && isfinite(b[2]) && isfinite(b[3]);
        e[j] = all ? 0.5 * ((transform(b[1], diff) - transform(b[0], diff)) +
                            (transform(b[3], diff) - transform(b[2], diff)))
                   : NAN;
    }
    ccb_signrank s, null;
    if (ccb_signrank_test(d, nb, 0.95, &s) != 0 || ccb_signrank_test(e, nb, 0.95, &null) != 0) {
        ccb_error_set("out of memory testing %s.%s", m->scenario, m->name);
        goto done;
    }
    ccb_compare_set_estimate(m, diff, diff ? ESTIMATE_DIFF_TEXT : ESTIMATE_TEXT, s.estimate,
                             s.ci_low, s.ci_high, s.p, s.min_p, s.n);
    m->ratio.n_used = s.n;
    m->ratio.skipped = nb - s.n;
    m->aa_floor = half_width(&null, diff, m->base_median);
    rc = 0;
done:
    free(d);
    free(e);
    return rc;
}
