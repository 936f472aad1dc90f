/*
 * Tests for the lazy loading of the HTTP side (tracker/src/api_loader.c): an offline tracker
 * process maps no libcurl, libssl or libcrypto. Its own executable, so nothing else in the
 * process maps them; the last test is the control that proves the check sees a mapping when
 * a tracker does need the network (the order of the tests matters here).
 */
#include <link.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "tracker_fixtures.h"

typedef struct mapped {
    unsigned int objects;
    int libc;
    char http[1024]; /* the HTTP-side objects found, for the failure message */
} mapped;

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
    static const char *const http_side[] = {"libcurl", "libssl", "libcrypto"};
    mapped *m = data;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    const char *base = strrchr(name, '/');

    (void)size;
    base = base ? base + 1 : name;
    m->objects++;
    if (strncmp(base, "libc.so", 7) == 0)
        m->libc = 1;
    for (size_t i = 0; i < FX_N_ELEMS(http_side); i++) {
        if (strncmp(base, http_side[i], strlen(http_side[i])) == 0) {
            size_t used = strlen(m->http);
            snprintf(m->http + used, sizeof(m->http) - used, "%s ", name);
        }
    }
    return 0;
}

static void scan(mapped *m)
{
    memset(m, 0, sizeof(*m));
    dl_iterate_phdr(visit, m);
    /* The walk itself works: it sees several objects, libc among them. */
    assert_true(m->objects > 2);
    assert_true(m->libc);
}

typedef struct fixture {
    fx_tree tree;
    cct_config cfg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fx_tree_init(&f->tree, "api-loader");
    fx_config(&f->cfg);
    f->cfg.no_save_to_file = 0;
    f->cfg.output_dir = f->tree.out;
    fx_tree_activate(&f->tree, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fx_tree_free(&f->tree);
    free(f);
    return 0;
}

static void full_lifecycle(const cct_config *cfg)
{
    cct_tracker *t = NULL;
    cct_emissions e = CCT_EMISSIONS_INIT;

    assert_cct_ok(cct_tracker_new(&t, cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_ok(cct_tracker_flush(t, &e));
    assert_cct_ok(cct_tracker_stop(t, &e));
    cct_tracker_free(t);
}

static void test_api_loader__offline_lifecycle_maps_no_http_library(void **state)
{
    fixture *f = *state;
    mapped m;

    scan(&m);
    if (m.http[0])
        fail_msg("mapped before any tracker ran (the test links them?): %s", m.http);

    /* Offline without a country: the world average, no geo lookup. */
    f->cfg.offline = 1;
    f->cfg.country_iso_code = NULL;
    full_lifecycle(&f->cfg);
    /* A country set: no geo lookup needed either, even when not offline. */
    f->cfg.offline = 0;
    f->cfg.country_iso_code = "FRA";
    full_lifecycle(&f->cfg);

    scan(&m);
    if (m.http[0])
        fail_msg("an offline tracker mapped the HTTP side: %s", m.http);
}

/* Control, last on purpose: a tracker that uploads loads the module, and the scan sees
 * libcurl. Without this, a scan that never matched anything would pass the test above. */
static void test_api_loader__network_tracker_maps_libcurl(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    mapped m;

    f->cfg.save_to_api = 1;
    f->cfg.api_endpoint = "http://127.0.0.1:9"; /* nothing is sent: start() sends nothing */
    f->cfg.experiment_id = "8edb03e1-9a28-452a-9c93-a3b6560136d7";
    f->cfg.api_timeout_ms = 200;
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    /* start() only asks for the module (the sampler thread loads it); wait for the load,
     * bounded, as the first upload would. */
    assert_non_null(cct_api__wait(5000));
    scan(&m);
    cct_tracker_free(t);
    if (!strstr(m.http, "libcurl"))
        fail_msg("the HTTP module did not map libcurl (found: \"%s\")", m.http);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_api_loader__offline_lifecycle_maps_no_http_library,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_loader__network_tracker_maps_libcurl, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
