/*
 * The tracker program test_valgrind.sh runs under valgrind: three lifecycles with the
 * sampler ticking every millisecond, offline; or with API output to an endpoint where nothing
 * listens (the HTTP module's worker retries, then spools into the given directory); or with a
 * geo lookup there (its own thread; the module initialised on the sampler thread). It must
 * end with nothing lost or "possibly lost": the sampler and worker threads are joined at
 * exit, and OpenSSL's per-thread state is freed on the module's threads.
 * Usage: valgrind_probe [ENDPOINT SPOOL_DIR | geo GEO_URL]
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cctracker.h>

static atomic_uint ticks;

static void on_measure(const cct_emissions *sofar, void *payload)
{
    (void)sofar;
    (void)payload;
    atomic_fetch_add(&ticks, 1);
}

int main(int argc, char **argv)
{
    cct_config cfg = CCT_CONFIG_INIT;
    cct_emissions e = CCT_EMISSIONS_INIT;

    cfg.offline = 1;
    cfg.country_iso_code = "FRA";
    cfg.no_save_to_file = 1;
    cfg.measure_interval_ms = 1;
    cfg.measure_fn = on_measure;
    cfg.log_level = CCT_LOG_NONE;
    if (argc == 3 && strcmp(argv[1], "geo") == 0) {
        cfg.offline = 0;
        cfg.country_iso_code = NULL;
        cfg.geo_endpoint = argv[2];
        cfg.api_timeout_ms = 300;
    } else if (argc == 3) {
        cfg.save_to_api = 1;
        cfg.api_endpoint = argv[1];
        cfg.api_key = "valgrind-probe";
        cfg.experiment_id = "8edb03e1-9a28-452a-9c93-a3b6560136d7";
        cfg.output_dir = argv[2];
        cfg.api_timeout_ms = 300;
    }
    for (int i = 0; i < 3; i++) {
        cct_tracker *t = NULL;
        int rc = cct_tracker_new(&t, &cfg);
        if (rc == 0)
            rc = cct_tracker_start(t);
        if (rc == 0)
            rc = cct_tracker_flush(t, &e);
        /* A program that ran long enough for its geo lookup to end (here: be refused). */
        for (int n = 0; rc == 0 && (e.fallbacks & CCT_FALLBACK_GEO_PENDING) && n < 5000; n++) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
            rc = cct_tracker_flush(t, &e);
        }
        if (rc == 0)
            rc = cct_tracker_stop(t, &e);
        cct_tracker_free(t);
        if (rc != 0) {
            fprintf(stderr, "valgrind_probe: %s: %s\n", cct_strerror(rc), cct_last_error_message());
            return 1;
        }
    }
    printf("ok %s\n", e.run_id);
    return 0;
}
