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

int ccb_scenario_cold_init(const ccb_params *p, ccb_sample *s)
{
    ccb_outdir dir = {.owned = 0};
    cct_config cfg;
    cct_tracker *tr = NULL;
    cct_emissions em;
    ccb_expect expect;
    loaded libs = {0, 0};
    uint64_t t_new[2], t_start[2], t_stop[2];
    size_t rows_before = 0;
    int ret = -1;

    memset(&em, 0, sizeof em);
    if (ccb_outdir_open(&dir, p->output_dir, (int)p->save_to_file))
        goto done;
    ccb_config_init(&cfg, dir.path, (int)p->save_to_file);
    /* Still the tracker's configuration (the sampler's period), though nothing waits for it. */
    cfg.measure_interval_ms = (unsigned int)p->measure_interval_ms;
    expect = ccb_config_expect(&cfg);
    if (p->save_to_file && ccb_outdir_rows(&dir, &rows_before, &s->failure))
        goto measured;

    if (ccb_new_and_start(&cfg, &tr, t_new, t_start, &s->failure))
        goto measured;
    if (ccb_stop_and_check(&tr, t_start, t_stop, &expect, &em, &s->failure))
        goto measured;
    /* After free: what the whole lifecycle left mapped in the process. */
    dl_iterate_phdr(count_object, &libs);
    if (ccb_outdir_check(&dir, (int)p->save_to_file, rows_before, 1, &s->failure))
        goto measured;

    if (ccb_sample_add_call_times(s, t_new, t_start, t_stop))
        goto done;
    if (ccb_sample_add_one(s, "libs_loaded", libs.objects))
        goto done;
    if (ccb_sample_add_one(s, "curl_loaded", libs.curl))
        goto done;
measured:
    ret = 0; /* a sample was produced, ok or failed */
done:
    cct_tracker_free(tr);
    ccb_outdir_close(&dir);
    return ret;
}
