/*
 * `ccbench mockapi`: serve the mock CodeCarbon API on 127.0.0.1 until ^C, for trying the
 * tracker's API output by hand (point api_endpoint at the printed URL; any non-empty
 * x-api-token is accepted). On exit it prints what it saw.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "mockapi.h"

static const struct option longopts[] = {
    {"port", required_argument, NULL, 'p'},
    {"latency-ms", required_argument, NULL, 'l'},
    {NULL, 0, NULL, 0},
};

int cmd_mockapi(int argc, char **argv)
{
    unsigned long port = 0, latency = 0;
    ccb_mockapi_config cfg = {0};
    ccb_mockapi *api = NULL;
    ccb_mockapi_stats st;
    sigset_t stop, old;
    int sig = 0;

    opterr = 0;
    optind = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == 'p' && ccb_cli_parse_uint("mockapi: --port", optarg, 0, 65535, &port) == 0)
            continue;
        if (opt == 'l' &&
            ccb_cli_parse_uint("mockapi: --latency-ms", optarg, 0, 600000, &latency) == 0)
            continue;
        if (opt != 'p' && opt != 'l')
            ccb_cli_option_error("mockapi", opt, argv[optind - 1], longopts);
        return CCB_EXIT_USAGE;
    }
    if (optind != argc) {
        ccb_error_set("mockapi: unexpected argument '%s'", argv[optind]);
        return CCB_EXIT_USAGE;
    }
    /* Blocked before the server's threads exist, so they inherit the mask and the signal
     * reaches sigwait below. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    cfg.port = (unsigned int)port;
    cfg.latency_ms = (unsigned int)latency;
    if (ccb_mockapi_start(&cfg, &api) != 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return CCB_EXIT_USAGE; /* the port is taken or not ours: the environment, not a build */
    }
    printf("%s\n", ccb_mockapi_url(api));
    fflush(stdout);
    fprintf(stderr,
            "ccbench: mock API on %s (POST /runs, POST /emissions, GET /geo.json), "
            "latency %lu ms; ^C stops\n",
            ccb_mockapi_url(api), latency);
    sigwait(&stop, &sig);
    ccb_mockapi_get_stats(api, &st);
    ccb_mockapi_stop(api);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(stderr,
            "ccbench: served %lu requests on %lu connections: %lu runs, %lu emissions, %lu "
            "geo, %lu answered 4xx%s%s\n",
            st.requests_total, st.connections, st.runs_created, st.emissions_accepted,
            st.geo_requests, st.answers_4xx, st.answers_4xx ? " (last: " : "",
            st.answers_4xx ? st.last_error : "");
    if (st.answers_4xx)
        fprintf(stderr, ")\n");
    return CCB_EXIT_OK;
}
