/*
 * cold_init: the first lifecycle of a fresh process, call by call: new, the first start
 * (hardware detection), stop, free; then what the process has mapped (an offline tracker must
 * not have loaded libcurl). Nothing waits in between, so the driver's process_ms is the
 * tracker's cost over the spawn floor (the wait for a periodic measurement is first_sample's).
 * One process = one sample of each.
 */
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"
#include "scenario.h"

typedef struct loaded {
    unsigned int objects;
    int curl;
} loaded;

static int count_object(struct dl_phdr_info *info, size_t size, void *data)
{
    loaded *l = data;

    l->objects++;
    if (info->dlpi_name && strstr(info->dlpi_name, "libcurl"))
        l->curl = 1;
    return 0;
}

static double us_between(uint64_t a, uint64_t b)
{
    return (double)(b - a) / 1e3;
}

int ccb_scenario_cold_init(const ccb_params *p, ccb_sample *s)
{
    ccb_outdir dir = {.owned = 0};
    cct_config cfg;
    cct_tracker *tr = NULL;
    cct_emissions em;
    ccb_expect expect;
    ccb_instants in;
    loaded libs = {0, 0};
    uint64_t t_new0, t_new1, t_start0, t_start1, t_stop0, t_stop1;
    size_t rows_before = 0;
    double v;
    int ret = -1, rc;

    memset(&em, 0, sizeof em);
    if (ccb_outdir_open(&dir, p->output_dir, (int)p->save_to_file))
        goto done;
    ccb_config_init(&cfg, dir.path, (int)p->save_to_file);
    /* Still the tracker's configuration (the sampler's period), though nothing waits for it. */
    cfg.measure_interval_ms = (unsigned int)p->measure_interval_ms;
    expect = ccb_config_expect(&cfg);
    if (p->save_to_file && ccb_outdir_rows(&dir, &rows_before, &s->failure))
        goto measured;

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
    t_stop0 = ccb_now_ns();
    rc = cct_tracker_stop(tr, &em);
    t_stop1 = ccb_now_ns();
    if (ccb_check_rc(rc, "cct_tracker_stop", &s->failure))
        goto measured;
    cct_tracker_free(tr);
    tr = NULL;
    /* After free: what the whole lifecycle left mapped in the process. */
    dl_iterate_phdr(count_object, &libs);

    /* The answer, outside every timed region. */
    in = (ccb_instants){t_start0, t_start1, t_stop0, t_stop1};
    if (ccb_check_emissions(&em, &in, &expect, &s->failure)) {
        ccb_failure_prefix(&s->failure, "stop(): ");
        goto measured;
    }
    if (ccb_outdir_check(&dir, (int)p->save_to_file, rows_before, 1, &s->failure))
        goto measured;

    v = us_between(t_new0, t_new1);
    if (ccb_sample_add(s, "init_us", &v, 1))
        goto done;
    v = us_between(t_start0, t_start1);
    if (ccb_sample_add(s, "start_us", &v, 1))
        goto done;
    v = us_between(t_stop0, t_stop1);
    if (ccb_sample_add(s, "stop_us", &v, 1))
        goto done;
    v = libs.objects;
    if (ccb_sample_add(s, "libs_loaded", &v, 1))
        goto done;
    v = libs.curl;
    if (ccb_sample_add(s, "curl_loaded", &v, 1))
        goto done;
measured:
    ret = 0; /* a sample was produced, ok or failed */
done:
    cct_tracker_free(tr);
    ccb_outdir_close(&dir);
    return ret;
}
