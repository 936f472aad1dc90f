/*
 * api_latency: a fresh process whose tracker uploads to the mock API (served by the driver,
 * with injected latency): new, start, a few flushes, stop, free. The runner times the
 * tracker calls; what only the server can see (requests before the first upload was due,
 * connections, runs created, when the first emission arrived) the driver reads from the
 * mock, using the instants this process reports in "marks" (CLOCK_MONOTONIC is system-wide).
 */
#include <stdio.h>
#include <string.h>

#include "protocol.h"
#include "scenario.h"

/* The driver's mock accepts this token; it is not a secret, and never logged anyway. */
#define MOCK_TOKEN "ccbench-mock-token"

static double us_between(uint64_t a, uint64_t b)
{
    return (double)(b - a) / 1e3;
}

int ccb_scenario_api_latency(const ccb_params *p, ccb_sample *s)
{
    ccb_outdir dir = {.owned = 0};
    cct_config cfg;
    cct_tracker *tr = NULL;
    cct_emissions em;
    ccb_expect expect;
    ccb_instants in;
    uint64_t t_new0, t_new1, t_start0, t_start1, t_due = 0, t_stop0, t_stop1;
    double v;
    int ret = -1, rc;

    memset(&em, 0, sizeof em);
    if (!p->api_endpoint) {
        ccb_failure_set(&s->failure, CCB_REASON_TRACKER_ERROR,
                        "api_latency needs --param api_endpoint=URL (the driver's mock API)");
        return 0;
    }
    /* A real directory although nothing is saved to file: it is where the tracker spools
     * an upload that could not be delivered, and that must stay possible. */
    if (ccb_outdir_open(&dir, p->output_dir, 1))
        goto done;
    ccb_config_init(&cfg, dir.path, 0);
    cfg.save_to_api = 1;
    cfg.api_endpoint = p->api_endpoint;
    cfg.api_key = MOCK_TOKEN;
    /* Long enough for every upload to land through the injected latency before free()
     * gives up and spools (a spooled upload would make the sample fail the driver's check). */
    cfg.api_timeout_ms = 30000;
    expect = ccb_config_expect(&cfg);

    t_new0 = ccb_now_ns();
    rc = cct_tracker_new(&tr, &cfg);
    t_new1 = ccb_now_ns();
    if (ccb_check_rc(rc, "cct_tracker_new", &s->failure))
        goto measured;
    t_start0 = ccb_now_ns();
    rc = cct_tracker_start(tr);
    t_start1 = ccb_now_ns();
    if (ccb_check_rc(rc, "cct_tracker_start", &s->failure))
        goto measured;
    for (unsigned long i = 0; i < p->uploads; i++) {
        cct_emissions sofar;
        if (i == 0)
            t_due = ccb_now_ns(); /* the first upload is due from here on, not before */
        rc = cct_tracker_flush(tr, &sofar);
        if (ccb_check_rc(rc, "cct_tracker_flush", &s->failure))
            goto measured;
    }
    t_stop0 = ccb_now_ns();
    if (!t_due)
        t_due = t_stop0;
    rc = cct_tracker_stop(tr, &em);
    t_stop1 = ccb_now_ns();
    if (ccb_check_rc(rc, "cct_tracker_stop", &s->failure))
        goto measured;
    /* free() waits (bounded) for the queued uploads: the mock has them all afterwards. */
    cct_tracker_free(tr);
    tr = NULL;

    in = (ccb_instants){t_start0, t_start1, t_stop0, t_stop1};
    if (ccb_check_emissions(&em, &in, &expect, &s->failure)) {
        ccb_failure_prefix(&s->failure, "stop(): ");
        goto measured;
    }
    if (ccb_outdir_check(&dir, 0, 0, 0, &s->failure))
        goto measured; /* a spool file here means an upload did not arrive */

    v = us_between(t_new0, t_new1);
    if (ccb_sample_add(s, "init_us", &v, 1))
        goto done;
    v = us_between(t_start0, t_start1);
    if (ccb_sample_add(s, "start_us", &v, 1))
        goto done;
    v = us_between(t_stop0, t_stop1);
    if (ccb_sample_add(s, "stop_us", &v, 1))
        goto done;
    if (ccb_sample_mark(s, "start_begin_ns", t_start0) ||
        ccb_sample_mark(s, "first_upload_due_ns", t_due) ||
        ccb_sample_mark(s, "uploads_expected", p->uploads + 1))
        goto done;
measured:
    ret = 0;
done:
    cct_tracker_free(tr);
    ccb_outdir_close(&dir);
    return ret;
}
