/*
 * The noise floor of a build (ccbench noise, compare --noise): an A/A run of one build
 * against itself, interleaved exactly as compare runs, and per metric the widest ratio that
 * noise alone produced. Kept in the build's cache dir as noise.json so later compares of
 * that build can warn when their threshold is below it.
 */
#ifndef CCB_NOISE_H
#define CCB_NOISE_H

#include "build.h"
#include "abba.h"

/* Run the A/A round for OP (built) over SEL and analyse it into *out (initialised here):
 * BLOCKS per scenario, then more while BUDGET_MS lasts (0: exactly BLOCKS), as a compare
 * at this profile measures, so the floor is the one a compare would see.
 * *scenario_failed as ccb_abba_round_run. Returns 0 (*outcome says ^C) or -1. */
int ccb_noise_measure(const ccb_operand *op, const ccb_selection *sel, ccb_profile profile,
                      long cpu, unsigned int blocks, unsigned int budget_ms, uint64_t seed,
                      ccb_progress_mode mode, ccb_compare *out, int *scenario_failed,
                      ccb_measure_outcome *outcome);

/* Write / read <build>/noise.json. Load sets noise_floor on every metric of CMP it knows
 * (taking the larger when called for both builds) when the file was measured at PROFILE; a
 * floor of another profile is never applied, and *OTHER_PROFILE (malloc'd, may stay NULL)
 * then names the profile it was measured at, for a warning. A missing file is not an error. */
int ccb_noise_save(const ccb_operand *op, const ccb_compare *aa, const char *profile);
int ccb_noise_load(const ccb_operand *op, ccb_compare *cmp, const char *profile,
                   char **other_profile);

#endif
