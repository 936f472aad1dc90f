/*
 * `ccbench mockapi`: serve the mock CodeCarbon API on 127.0.0.1 until ^C, for trying the
 * tracker's API output by hand (point api_endpoint at the printed URL; any non-empty
 * x-api-token is accepted). On exit it prints what it saw.
 */
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "options.h"
#include "mockapi.h"

typedef struct mockapi_options {
    unsigned long port, latency_ms;
} mockapi_options;

static const ccb_option mockapi_option_table[] = {
    {CCB_OPT_ULONG, "port", .offset = offsetof(mockapi_options, port), .lo = 0, .hi = 65535,
     .arg = "N", .help = "listen on 127.0.0.1:N (default 0: any free port)"},
    {CCB_OPT_ULONG, "latency-ms", .offset = offsetof(mockapi_options, latency_ms), .lo = 0,
     .hi = 600000, .arg = "MS", .help = "delay added to every answer (default 0)"},
    {CCB_OPT_END},
};

const ccb_command_spec cmd_mockapi_spec = {
    .name = "mockapi",
    .summary = "serve the mock CodeCarbon API on 127.0.0.1 until ^C",
    .options = mockapi_option_table,
    .details =
        "Prints its URL on stdout. Speaks POST /runs, POST /emissions and GET /geo.json, checks\n"
        "every body against CodeCarbon's API schema (422 naming the field) and requires an\n"
        "x-api-token header (401). Never listens on any address but 127.0.0.1.\n"
        "\n"
        "exit status: 0 stopped by ^C; 2 bad usage, or the port cannot be listened on\n",
};

int cmd_mockapi(int argc, char **argv)
{
    mockapi_options o = {0};
    ccb_mockapi_config cfg = {0};
    ccb_mockapi *api = NULL;
    ccb_mockapi_stats st;
    sigset_t stop, old;
    int sig = 0;

    int first = ccb_options_parse(&cmd_mockapi_spec, &o, argc, argv);
    if (first < 0)
        return cmd_exit_status();
    if (first != argc) {
        ccb_error_setc(CCB_ERROR_USAGE, "mockapi: unexpected argument '%s'", argv[first]);
        return cmd_exit_status();
    }
    unsigned long latency = o.latency_ms;
    /* Blocked before the server's threads exist, so they inherit the mask and the signal
     * reaches sigwait below. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    cfg.port = (unsigned int)o.port;
    cfg.latency_ms = (unsigned int)latency;
    if (ccb_mockapi_start(&cfg, &api) != 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        /* The port is taken or not ours: the environment, not a build. */
        ccb_error_classify(CCB_ERROR_USAGE);
        return cmd_exit_status();
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
