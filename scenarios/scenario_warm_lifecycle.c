/*
 * warm_lifecycle: the steady-state cost of a whole tracker lifecycle (new -> start -> stop ->
 * free) once the process-wide caches are warm: un-measured warm-up lifecycles, then
 * `iterations` timed ones, one lifecycle_us sample each, and lifecycles_per_s over the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "count_probe.h"
#include "protocol.h"
#include "scenario.h"

/* malloc'd pages are mapped on first write; write them now so the timed loop takes no page
 * faults (a memset of zero after malloc may be turned into calloc and touch nothing). */
static void prefault(void *p, size_t n)
{
    volatile unsigned char *c = p;

    for (size_t i = 0; i < n; i += 4096)
        c[i] = 1;
    if (n)
        c[n - 1] = 1;
}

int ccb_scenario_warm_lifecycle(const ccb_params *p, ccb_sample *s)
{
    const size_t n = p->iterations;
    ccb_outdir dir = {.owned = 0};
    cct_config cfg;
    ccb_expect expect;
    ccb_instants in;
    cct_emissions warm_em, *em = NULL;
    uint64_t(*t)[5] = NULL;
    uint64_t warm_t[5], loop0, loop1;
    double *us = NULL, rate;
    size_t rows_before = 0, done_n = 0;
    int ret = -1;
    const ccb_count_probe *probe = NULL;

    em = malloc(n * sizeof *em);
    t = malloc(n * sizeof *t);
    us = malloc(n * sizeof *us);
    if (!em || !t || !us) {
        fprintf(stderr, "ccbench-scenario: out of memory for %zu lifecycles\n", n);
        goto done;
    }
    prefault(em, n * sizeof *em);
    prefault(t, n * sizeof *t);
    prefault(us, n * sizeof *us);
    if (ccb_outdir_open(&dir, p->output_dir, (int)p->save_to_file))
        goto done;
    ccb_config_init(&cfg, dir.path, (int)p->save_to_file);
    expect = ccb_config_expect(&cfg);
    if (p->save_to_file && ccb_outdir_rows(&dir, &rows_before, &s->failure))
        goto measured;

    /* Warm-up answers count as much as measured ones: checked, just not timed, and not
     * counted by the count runner either (the first lifecycle pays for first-use paths:
     * ~32k instructions against ~3.4k, and moved a process's median). */
    probe = ccb_count_probe_active;
    ccb_count_probe_active = NULL;
    for (unsigned long w = 0; w < p->warmup; w++) {
        if (ccb_lifecycle(&cfg, &warm_em, warm_t, &s->failure) == 0) {
            in = ccb_lifecycle_instants(warm_t);
            if (ccb_check_emissions(&warm_em, &in, &expect, &s->failure) == 0)
                continue;
        }
        ccb_failure_prefix(&s->failure, "warm-up lifecycle %lu: ", w + 1);
        goto measured;
    }

    ccb_count_probe_active = probe;

    /* The timed loop: tracker calls and clock reads only; answers are checked after it. */
    loop0 = ccb_now_ns();
    for (done_n = 0; done_n < n; done_n++) {
        if (ccb_lifecycle(&cfg, &em[done_n], t[done_n], &s->failure))
            break;
    }
    loop1 = ccb_now_ns();
    if (done_n < n) {
        ccb_failure_prefix(&s->failure, "lifecycle %zu: ", done_n + 1);
        goto measured;
    }

    for (size_t i = 0; i < n; i++) {
        in = ccb_lifecycle_instants(t[i]);
        if (ccb_check_emissions(&em[i], &in, &expect, &s->failure)) {
            ccb_failure_prefix(&s->failure, "lifecycle %zu: ", i + 1);
            goto measured;
        }
        us[i] = (double)(t[i][4] - t[i][0]) / 1e3;
    }
    if (ccb_outdir_check(&dir, (int)p->save_to_file, rows_before, p->warmup + n, &s->failure))
        goto measured;

    rate = (double)n / ((double)(loop1 - loop0) / 1e9);
    if (ccb_sample_add(s, "lifecycle_us", us, n) || ccb_sample_add(s, "lifecycles_per_s", &rate, 1))
        goto done;
measured:
    ret = 0;
done:
    ccb_outdir_close(&dir);
    free(us);
    free(t);
    free(em);
    return ret;
}
