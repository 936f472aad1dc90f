/*
 * api_latency: a fresh process whose tracker uploads to the mock API (served by the driver,
 * with injected latency): new, start, a few flushes, stop, free. The flushes of a run shorter
 * than a second upload nothing (the API counts whole seconds: their data goes with stop's).
 * The runner times the tracker calls; what only the server can see (requests before the first
 * upload was due, connections, runs created, when the first emission arrived) the driver reads from
 * the mock, using the instants this process reports in "marks" (CLOCK_MONOTONIC is system-wide).
 */
#include <stdio.h>
#include <string.h>

#include "protocol.h"
#include "scenario.h"

/* The driver's mock accepts this token; it is not a secret, and never logged anyway. */
#define MOCK_TOKEN "ccbench-mock-token"
/* CodeCarbon's API requires the run's experiment, a UUID (any: the mock keeps none). */
#define MOCK_EXPERIMENT "5ca1ab1e-0000-4000-8000-00000000cc01"

/* Which flushes upload, by the rule cctracker.h states: the API counts whole seconds, so a
 * flush uploads once a whole second has passed since the seconds already sent, and stop()
 * sends whatever is left. The driver checks the mock received exactly that many. */
typedef struct upload_count {
    unsigned long uploads;
    double sent_s, sent_kwh, sent_kg;
} upload_count;

static void count_flush(upload_count *u, const cct_emissions *e)
{
    double pending = e->duration_s - u->sent_s;

    if (pending < 1.0)
        return;
    u->uploads++;
    u->sent_s += (double)(unsigned long long)pending;
    u->sent_kwh = e->energy_kwh > u->sent_kwh ? e->energy_kwh : u->sent_kwh;
    u->sent_kg = e->emissions_kg > u->sent_kg ? e->emissions_kg : u->sent_kg;
}

static void count_stop(upload_count *u, const cct_emissions *e)
{
    if (e->duration_s > u->sent_s || e->energy_kwh > u->sent_kwh || e->emissions_kg > u->sent_kg)
        u->uploads++;
}

int ccb_scenario_api_latency(const ccb_params *p, ccb_sample *s)
{
    ccb_outdir dir = {.owned = 0};
    cct_config cfg;
    cct_tracker *tr = NULL;
    cct_emissions em;
    ccb_expect expect;
    upload_count count = {0};
    uint64_t t_new[2], t_start[2], t_due = 0, t_stop[2];
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
    cfg.experiment_id = MOCK_EXPERIMENT;
    /* Long enough for every upload to land through the injected latency before free()
     * gives up and spools (a spooled upload would make the sample fail the driver's check). */
    cfg.api_timeout_ms = 30000;
    expect = ccb_config_expect(&cfg);

    if (ccb_new_and_start(&cfg, &tr, t_new, t_start, &s->failure))
        goto measured;
    for (unsigned long i = 0; i < p->uploads; i++) {
        cct_emissions sofar;
        ccb_emissions_init(&sofar);
        if (i == 0)
            t_due = ccb_now_ns(); /* the first upload is due from here on, not before */
        rc = cct_tracker_flush(tr, &sofar);
        if (ccb_check_rc(rc, "cct_tracker_flush", &s->failure))
            goto measured;
        count_flush(&count, &sofar);
    }
    /* free() (inside) waits, bounded, for the queued uploads: the mock has them all after. */
    if (ccb_stop_and_check(&tr, t_start, t_stop, &expect, &em, &s->failure))
        goto measured;
    count_stop(&count, &em);
    if (!t_due)
        t_due = t_stop[0];
    if (ccb_outdir_check(&dir, 0, 0, 0, &s->failure))
        goto measured; /* a spool file here means an upload did not arrive */

    if (ccb_sample_add_call_times(s, t_new, t_start, t_stop))
        goto done;
    if (ccb_sample_mark(s, "start_begin_ns", t_start[0]) ||
        ccb_sample_mark(s, "first_upload_due_ns", t_due) ||
        ccb_sample_mark(s, "uploads_expected", count.uploads))
        goto done;
measured:
    ret = 0;
done:
    cct_tracker_free(tr);
    ccb_outdir_close(&dir);
    return ret;
}
