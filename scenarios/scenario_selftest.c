/*
 * Failure-injection scenarios, compiled only with -DCCBENCH_SELFTEST_SCENARIOS=ON (the test
 * build): a child that crashes, hangs, writes garbage, or meets a wrong tracker answer. They
 * prove the driver turns each into a failed sample, and that the answer check rejects.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocol.h"
#include "scenario.h"

int ccb_scenario_selftest_crash(const ccb_params *p, ccb_sample *s)
{
    /* Back to the default action first: a sanitizer's SIGSEGV handler would turn the
     * signal into an ordinary exit(1), and the driver must see a death by signal. */
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    abort(); /* not reached */
}

int ccb_scenario_selftest_hang(const ccb_params *p, ccb_sample *s)
{
    for (;;)
        pause(); /* until the driver's timeout kills us */
}

int ccb_scenario_selftest_garbage(const ccb_params *p, ccb_sample *s)
{
    static const char garbage[] = "{not json";

    /* One short write to a pipe is atomic; a failure here is the driver's business. */
    if (write(s->result_fd, garbage, sizeof garbage - 1) < 0)
        return -1;
    close(s->result_fd);
    s->raw_written = 1;
    return 0;
}

int ccb_scenario_selftest_wrong(const ccb_params *p, ccb_sample *s)
{
    ccb_outdir dir = {.owned = 0};
    cct_config cfg;
    cct_emissions em;
    ccb_expect expect;
    ccb_instants in;
    uint64_t t[5];
    int ret = -1;

    if (ccb_outdir_open(&dir, NULL, 0))
        goto done;
    ccb_config_init(&cfg, dir.path, 0);
    expect = ccb_config_expect(&cfg);
    if (ccb_lifecycle(&cfg, &em, t, &s->failure))
        goto measured;
    if (ccb_sample_add_one(s, "value_us", (double)(t[4] - t[0]) / 1e3))
        goto done;
    /* The injected fault: a negative energy, through the very check every scenario uses. */
    em.energy_kwh = -1.0;
    in = ccb_lifecycle_instants(t);
    if (ccb_check_emissions(&em, &in, &expect, &s->failure))
        ccb_failure_prefix(&s->failure, "lifecycle 1: ");
measured:
    ret = 0;
done:
    ccb_outdir_close(&dir);
    return ret;
}
