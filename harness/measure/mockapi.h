/*
 * A real HTTP/1.1 server on 127.0.0.1 (libmicrohttpd) that speaks the part of CodeCarbon's
 * API the tracker uses: POST /runs, POST /emissions, GET /geo.json. It checks every body
 * as the real API's schemas would, injects latency and faults on demand, and counts what
 * it saw, so the api_latency scenario and the tracker's tests measure against a real peer.
 * Duplicates are counted by the Idempotency-Key header the tracker sends with each request
 * (the real API ignores that header; see docs/ARCHITECTURE.md, "Delivery guarantees").
 */
#ifndef CCB_MOCKAPI_H
#define CCB_MOCKAPI_H

#include <stddef.h>
#include <stdint.h>

typedef enum ccb_mock_fault {
    CCB_MOCK_FAULT_NONE = 0,
    CCB_MOCK_FAULT_5XX = 1,   /* answer 503 to the first `fault_count` requests */
    CCB_MOCK_FAULT_RESET = 2, /* close the connection without answering (first fault_count) */
    CCB_MOCK_FAULT_HANG = 3,  /* never answer (until the server stops) the first fault_count */
    CCB_MOCK_FAULT_422 = 4,   /* refuse the next fault_count POST /emissions as the real server
                                 refuses a schema error (422 naming field duration) */
    CCB_MOCK_FAULT_LOSE_ANSWER = 5, /* store the request, then never answer it (first count) */
} ccb_mock_fault;

typedef struct ccb_mockapi_config {
    unsigned int port;                 /* 0: an ephemeral port */
    unsigned int latency_ms;           /* added before every answer */
    const char *api_key;               /* required x-api-token; NULL: any non-empty token */
    const char *geo_country;           /* ISO-3 answered by /geo.json, default "FRA" */
    unsigned int connection_timeout_s; /* an idle or half-sent request is closed; 0: 30 */
} ccb_mockapi_config;

typedef struct ccb_mockapi_stats {
    unsigned long requests_total;
    unsigned long runs_created;
    unsigned long emissions_accepted;
    unsigned long emissions_duplicated; /* accepted with an Idempotency-Key seen before */
    unsigned long runs_duplicated;      /* the same, for POST /runs */
    unsigned long requests_without_key; /* POST /runs or /emissions without the header */
    unsigned long geo_requests;
    unsigned long connections;
    unsigned long answers_4xx;
    unsigned long answers_5xx;
    uint64_t first_request_ns;           /* CLOCK_MONOTONIC, 0 if none */
    uint64_t first_emission_ns;          /* when the first emission was accepted, 0 if none */
    unsigned long long duration_s_total; /* sum of the accepted emissions' durations */
    double energy_kwh_total;             /* sum of their energy_consumed */
    char last_error[256]; /* the last 4xx detail ("field duration: Input should be...") */
} ccb_mockapi_stats;

typedef struct ccb_mockapi ccb_mockapi;

int ccb_mockapi_start(const ccb_mockapi_config *cfg, ccb_mockapi **out);
/* Stop serving (wakes hung requests) and free. NULL is a no-op. */
void ccb_mockapi_stop(ccb_mockapi *m);
unsigned int ccb_mockapi_port(const ccb_mockapi *m);
/* "http://127.0.0.1:PORT"; valid until stop. */
const char *ccb_mockapi_url(const ccb_mockapi *m);
void ccb_mockapi_get_stats(ccb_mockapi *m, ccb_mockapi_stats *out);
void ccb_mockapi_reset_stats(ccb_mockapi *m);
/* Requests that arrived (since the last reset) before `mono_ns` (CLOCK_MONOTONIC). */
unsigned long ccb_mockapi_requests_before(ccb_mockapi *m, uint64_t mono_ns);
void ccb_mockapi_set_fault(ccb_mockapi *m, ccb_mock_fault fault, unsigned int count);
/* The same, for requests to `path` ("/runs", "/emissions", "/geo.json") only. */
void ccb_mockapi_set_fault_on(ccb_mockapi *m, const char *path, ccb_mock_fault fault,
                              unsigned int count);
/* While `hold` is set, GET /geo.json waits (then answers normally once released, or closes
 * when the server stops): a hung geo service that a test can end. */
void ccb_mockapi_hold_geo(ccb_mockapi *m, int hold);
void ccb_mockapi_set_latency(ccb_mockapi *m, unsigned int latency_ms);

#endif
