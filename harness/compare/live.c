/*
 * A live compare's rounds and verdicts (see live.h), shared by compare and bisect. The
 * confirm round is here, not in a command, so both gate on the same rule: a regression
 * counts only when a fresh interleaved round says so again.
 */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "noise.h"

/* The stored noise floors (ccbench noise) of both builds, at this profile only, into CMP
 * before it is analysed: the verdict builds them in. */
static void load_floors(ccb_live *l, ccb_compare *cmp)
{
    for (int side = 0; side < 2; side++) {
        if (l->op[side] && l->op[side]->kind != CCB_OPERAND_FILE)
            ccb_noise_load(l->op[side], cmp, ccb_profile_name(l->round.profile), &l->floor_profile);
    }
}

/* Confirm before failing: only the regressed metrics' scenarios, in a fresh round whose Holm
 * family is those scenarios' metrics alone. */
static int confirm_regressions(ccb_live *l)
{
    int rc = -1, failed2 = 0;
    ccb_result *again_results[2] = {NULL, NULL};
    ccb_compare round2;
    ccb_selection again = {.n = 0};
    const char *names[CCB_SELECTION_MAX];
    size_t nre = ccb_compare_regressed_scenarios(l->cmp, names, CCB_SELECTION_MAX);

    ccb_compare_init(&round2, 1);
    if (nre == 0 || l->scenario_failed) {
        rc = 0;
        goto done;
    }
    for (size_t i = 0; i < nre; i++)
        again.defs[again.n++] = ccb_catalog_find(names[i]);
    l->cmp->confirm_seed = ccb_compare_derive_seed(l->round.seed);
    if (!l->quiet)
        fprintf(stderr,
                "ccbench: %zu scenario(s) regressed: confirming in a fresh "
                "interleaved round (seed %llu)\n",
                nre, (unsigned long long)l->cmp->confirm_seed);
    for (int side = 0; side < 2; side++) {
        again_results[side] = ccb_result_new();
        if (!again_results[side]) {
            ccb_error_set("out of memory");
            goto done;
        }
    }
    ccb_abba_round spec = l->round;
    spec.sel = &again;
    spec.seed = l->cmp->confirm_seed;
    spec.budget_ms = l->confirm_budget_ms ? l->confirm_budget_ms : l->round.budget_ms / 4;
    spec.guard = l->confirm_guard;
    if (ccb_abba_round_run(&spec, again_results, &round2, &failed2, &l->outcome) != 0)
        goto done;
    if (l->outcome == CCB_MEASURE_INTERRUPTED) {
        rc = 0;
        goto done;
    }
    load_floors(l, &round2);
    if (ccb_compare_analyse(&round2, l->thresholds) != 0)
        goto done;
    ccb_compare_apply_confirm(l->cmp, &round2);
    l->scenario_failed |= failed2;
    rc = 0;
done:
    for (int side = 0; side < 2; side++)
        ccb_result_free(again_results[side]);
    ccb_compare_release(&round2);
    return rc;
}

int ccb_live_run(ccb_live *l)
{
    l->outcome = CCB_MEASURE_DONE;
    if (ccb_abba_round_run(&l->round, l->results, l->cmp, &l->scenario_failed, &l->outcome) != 0)
        return -1;
    if (l->outcome == CCB_MEASURE_INTERRUPTED)
        return 0;
    load_floors(l, l->cmp);
    if (ccb_compare_analyse(l->cmp, l->thresholds) != 0)
        return -1;
    return confirm_regressions(l);
}
