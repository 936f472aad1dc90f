/*
 * Tests for the emissions arithmetic of tracker.c (energy x PUE x carbon intensity) and the
 * carbon intensity table of tables.c. The CPU's TDP and the RAM power are forced, the fake
 * /proc/stat stays at its since-boot 50% load, and the GPU is the fake NVML with an exact
 * energy counter, so every component is known exactly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "tracker_fixtures.h"

#define REL 1e-12
/* The forced 100 W TDP in the load model at 50% load: 100 x (0.1 + 0.9 x 0.5^3). */
#define CPU_W (100 * (0.1 + 0.9 * 0.125))

typedef struct fixture {
    fx_tree tree;
    cct_config cfg;
    const char *library;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    fx_tree_init(&f->tree, "emissions");
    f->library = fx_fake_nvml_begin(&f->tree);
    fx_config(&f->cfg);
    f->cfg.force_cpu_power_w = 100;
    f->cfg.force_ram_power_w = 10;
    fx_write_file(f->tree.dir, "nvml-state", "count 1\nname Fake GPU\nenergy0 0\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fx_fake_nvml_end();
    fx_tree_free(&f->tree);
    free(f);
    return 0;
}

/* 21.25 W CPU, 10 W RAM, and 3.6e6 mJ = 0.001 kWh of GPU between start and stop. */
static void run(fixture *f, cct_emissions *e)
{
    cct_tracker *t = NULL;

    fx_tree_activate(&f->tree, f->library);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    uint64_t started = fx_mono_ns();
    fx_write_file(f->tree.dir, "nvml-state", "count 1\nname Fake GPU\nenergy0 3600000\n");
    fx_wait_mono(started, FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, e));
    cct_tracker_free(t);
}

/* The components at `pue`: energies carry it, powers do not. */
static void check_components(const cct_emissions *e, double pue)
{
    double d = e->duration_s;

    assert_true(d > 0);
    assert_int_equal(e->cpu_source, CCT_SOURCE_CPU_LOAD);
    assert_int_equal(e->ram_source, CCT_SOURCE_CONSTANT);
    assert_int_equal(e->gpu_source, CCT_SOURCE_NVML);
    assert_within(e->cpu_energy_kwh, CPU_W * d * pue / 3.6e6, 0, REL);
    assert_within(e->ram_energy_kwh, 10 * d * pue / 3.6e6, 0, REL);
    assert_near(e->gpu_energy_kwh, 0.001 * pue, 1e-12);
    assert_within(e->cpu_power_w, CPU_W, 0, REL);
    assert_within(e->ram_power_w, 10, 0, REL);
}

static void test_emissions__pue_and_country_intensity(void **state)
{
    fixture *f = *state;
    const cct_country *fra = cct_intensity__find("FRA");
    cct_emissions e = CCT_EMISSIONS_INIT;

    assert_non_null(fra);
    f->cfg.pue = 1.5;
    run(f, &e);
    check_components(&e, 1.5);

    double d = e.duration_s;
    double energy = ((CPU_W + 10) * d / 3.6e6 + 0.001) * 1.5;
    double emissions = energy * fra->g_per_kwh / 1000.0;
    assert_within(e.energy_kwh, energy, 0, REL);
    /* The columns add up: the PUE is inside each, as in CodeCarbon. */
    assert_within(e.energy_kwh, e.cpu_energy_kwh + e.gpu_energy_kwh + e.ram_energy_kwh, 0, REL);
    assert_within(e.carbon_intensity_g_kwh, fra->g_per_kwh, 0, 0);
    assert_within(e.emissions_kg, emissions, 0, REL);
    assert_within(e.emissions_rate_kg_s, emissions / d, 0, REL);
    assert_within(e.pue, 1.5, 0, 0);
    assert_string_equal(e.country_iso_code, "FRA");
    assert_string_equal(e.country_name, "France");
    assert_int_equal(e.fallbacks, 0);
    assert_true(isnan(e.longitude) && isnan(e.latitude));
}

static void test_emissions__lowercase_code_is_accepted(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    f->cfg.country_iso_code = "deu";
    run(f, &e);
    assert_string_equal(e.country_iso_code, "DEU");
    assert_within(e.carbon_intensity_g_kwh, cct_intensity__find("DEU")->g_per_kwh, 0, 0);
    assert_int_equal(e.fallbacks & CCT_FALLBACK_INTENSITY, 0);
}

static void test_emissions__unknown_country_uses_world_average(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    f->cfg.country_iso_code = "ZZZ";
    run(f, &e);
    check_components(&e, 1.0);
    assert_within(e.carbon_intensity_g_kwh, 475, 0, 0);
    assert_within(e.energy_kwh, (CPU_W + 10) * e.duration_s / 3.6e6 + 0.001, 0, REL);
    assert_within(e.emissions_kg, e.energy_kwh * 475 / 1000.0, 0, REL);
    assert_true(e.fallbacks & CCT_FALLBACK_INTENSITY);
    assert_string_equal(e.country_iso_code, "");
    assert_string_equal(e.country_name, "");
}

static void test_emissions__unset_country_offline_uses_world_average(void **state)
{
    fixture *f = *state;
    cct_emissions e = CCT_EMISSIONS_INIT;

    f->cfg.country_iso_code = NULL;
    f->cfg.offline = 1;
    run(f, &e);
    assert_within(e.carbon_intensity_g_kwh, 475, 0, 0);
    assert_within(e.emissions_kg, e.energy_kwh * 475 / 1000.0, 0, REL);
    assert_true(e.fallbacks & CCT_FALLBACK_INTENSITY);
    assert_false(e.fallbacks & CCT_FALLBACK_GEO_TIMEOUT);
}

static void test_emissions__invalid_code_is_einvalid_naming_the_field(void **state)
{
    static const char *const bad[] = {"FR",
                                      "FRAN",
                                      "F1A",
                                      "",
                                      "FR ",
                                      "\xc3\x89"
                                      "X"};
    cct_config cfg;
    (void)state;

    for (size_t i = 0; i < FX_N_ELEMS(bad); i++) {
        cct_tracker *t = (cct_tracker *)&cfg; /* must be reset to NULL on failure */
        fx_config(&cfg);
        cfg.country_iso_code = bad[i];
        assert_cct_error(cct_tracker_new(&t, &cfg), CCT_EINVALID, "country_iso_code");
        assert_null(t);
    }
}

static void test_emissions__table_covers_eu_and_large_producers(void **state)
{
    /* All 27 EU states, and every country above ~0.3% of world generation. */
    static const char *const need[] = {
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU",
        "GRC", "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT",
        "ROU", "SVK", "SVN", "ESP", "SWE", "CHN", "USA", "IND", "RUS", "JPN", "BRA",
        "CAN", "KOR", "SAU", "IRN", "MEX", "IDN", "TUR", "GBR", "AUS", "ZAF", "VNM",
        "TWN", "EGY", "THA", "MYS", "NOR", "ARE", "UKR", "PAK", "KAZ", "ARG"};
    (void)state;

    for (size_t i = 0; i < FX_N_ELEMS(need); i++) {
        const cct_country *c = cct_intensity__find(need[i]);
        if (!c)
            fail_msg("%s is not in the carbon intensity table", need[i]);
        assert_string_equal(c->iso3, need[i]);
    }
    /* Sorted (the lookup's letter index assumes it), plausible, and every row findable,
     * in either case. */
    assert_true(cct_country_count >= FX_N_ELEMS(need));
    for (unsigned int i = 0; i < cct_country_count; i++) {
        const cct_country *c = &cct_country_table[i];
        if (i > 0 && strcmp(cct_country_table[i - 1].iso3, c->iso3) >= 0)
            fail_msg("table not sorted at %s", c->iso3);
        assert_true(c->g_per_kwh > 0 && c->g_per_kwh < 2000);
        assert_true(c->year >= 2015 && c->year <= 2030);
        assert_true(c->name && *c->name);
        assert_ptr_equal(cct_intensity__find(c->iso3), c);
        char lower[4] = {(char)(c->iso3[0] | 0x20), (char)(c->iso3[1] | 0x20),
                         (char)(c->iso3[2] | 0x20), '\0'};
        assert_ptr_equal(cct_intensity__find(lower), c);
    }
    /* Not codes, or codes of no row: before the first, after the last, a letter no code
     * starts with, the wrong length, not letters. */
    static const char *const absent[] = {"AAA", "ZZZ",  "XKX", "QQQ", "",    "F",
                                         "FR",  "FRAN", "1AB", "@AB", "[AB", "FR1"};
    for (size_t i = 0; i < FX_N_ELEMS(absent); i++)
        if (cct_intensity__find(absent[i]))
            fail_msg("\"%s\" found in the table", absent[i]);
    assert_null(cct_intensity__find(NULL));
}

/* One run in country `iso3` and region `region`; its carbon intensity. */
static double intensity_in(fixture *f, const char *iso3, const char *region, cct_emissions *e)
{
    f->cfg.country_iso_code = iso3;
    f->cfg.region = region;
    run(f, e);
    assert_within(e->emissions_kg, e->energy_kwh * e->carbon_intensity_g_kwh / 1000.0, 0, REL);
    return e->carbon_intensity_g_kwh;
}

/* A region with data of its own is used before the country, as CodeCarbon 3.3 does. The
 * expected figures are CodeCarbon's, worked out here from its source data (commit b05965e):
 * Quebec's 2023 mix (0.2% gas, 0.3% oil of 100.01%, at its fossil factors), Washington's
 * 186.844 lbs/MWh (2016), Sweden's zone SE1 18 g/kWh (2024). */
static void test_emissions__region_intensity_before_the_country(void **state)
{
    fixture *f = *state;
    double quebec = (0.2 * 743.8415916 + 0.3 * 816.6885263) / 100.01;
    double washington = 186.844 * 0.45359237;
    cct_emissions e = CCT_EMISSIONS_INIT;

    assert_within(intensity_in(f, "CAN", "Quebec", &e), quebec, 1e-3, 0);
    assert_string_equal(e.country_iso_code, "CAN");
    assert_string_equal(e.region, "Quebec"); /* reported as given */
    assert_int_equal(e.fallbacks & CCT_FALLBACK_INTENSITY, 0);
    assert_within(intensity_in(f, "usa", "WASHINGTON", &e), washington, 1e-3, 0);
    assert_within(intensity_in(f, "SWE", "se1", &e), 18, 0, 0);
    assert_within(intensity_in(f, "NOR", "NO4", &e), 18, 0, 0);
    assert_within(intensity_in(f, "FIN", "FI", &e), 72, 0, 0);
    /* Far from the countries' figures: the region is what changed the answer. */
    assert_true(quebec < cct_intensity__find("CAN")->g_per_kwh / 10);
    assert_true(washington < cct_intensity__find("USA")->g_per_kwh / 2);
}

/* A region the table does not hold for a country that has regions: the country's figure and
 * one warning naming the region. Elsewhere (no regional data, or no country) the region is
 * only reported, silently. */
static void test_emissions__unknown_region_uses_the_country(void **state)
{
    fixture *f = *state;
    fx_log log;
    cct_emissions e = CCT_EMISSIONS_INIT;

    fx_log_init(&log);
    f->cfg.log_fn = fx_log_fn;
    f->cfg.log_payload = &log;
    f->cfg.log_level = CCT_LOG_WARNING;
    double usa = cct_intensity__find("USA")->g_per_kwh;
    assert_within(intensity_in(f, "USA", "Atlantis", &e), usa, 0, 0);
    assert_within(intensity_in(f, "USA", "washington state", &e), usa, 0, 0);
    assert_within(intensity_in(f, "SWE", "quebec", &e), cct_intensity__find("SWE")->g_per_kwh, 0,
                  0);
    assert_within(intensity_in(f, "USA", NULL, &e), usa, 0, 0);
    assert_within(intensity_in(f, "FRA", "Ile-de-France", &e),
                  cct_intensity__find("FRA")->g_per_kwh, 0, 0);
    f->cfg.offline = 1;
    assert_within(intensity_in(f, NULL, "quebec", &e), 475, 0, 0);
    assert_true(e.fallbacks & CCT_FALLBACK_INTENSITY);
    assert_int_equal(fx_log_count(&log, "not in the regional table"), 3);
    assert_int_equal(fx_log_count(&log, "\"Atlantis\""), 1);
    fx_log_free(&log);
}

static void test_emissions__region_table_is_sorted_and_findable(void **state)
{
    char upper[64];
    (void)state;

    /* US states and DC, Canada's 13 provinces and territories, 10 Nordic zones. */
    assert_int_equal(cct_region_count, 51 + 13 + 10);
    for (unsigned int i = 0; i < cct_region_count; i++) {
        const cct_region *r = &cct_region_table[i];
        if (i > 0) {
            const cct_region *p = &cct_region_table[i - 1];
            int c = strcmp(p->iso3, r->iso3);
            if (c > 0 || (c == 0 && strcmp(p->region, r->region) >= 0))
                fail_msg("region table not sorted at %s %s", r->iso3, r->region);
        }
        assert_non_null(cct_intensity__find(r->iso3)); /* a country of the country table */
        assert_true(r->g_per_kwh >= 0 && r->g_per_kwh < 2000);
        assert_true(r->year >= 2015 && r->year <= 2030);
        assert_ptr_equal(cct_intensity__find_region(r->iso3, r->region), r);
        size_t n = strlen(r->region);
        assert_true(n < sizeof(upper));
        for (size_t k = 0; k <= n; k++)
            upper[k] = (char)(r->region[k] >= 'a' && r->region[k] <= 'z' ? r->region[k] - 32
                                                                         : r->region[k]);
        assert_ptr_equal(cct_intensity__find_region(r->iso3, upper), r);
        assert_true(cct_intensity__has_regions(r->iso3));
    }
    assert_false(cct_intensity__has_regions("FRA"));
    assert_false(cct_intensity__has_regions("AAA"));
    assert_false(cct_intensity__has_regions("ZZZ"));
    assert_null(cct_intensity__find_region("USA", ""));
    assert_null(cct_intensity__find_region("CAN", "washington"));
    assert_null(cct_intensity__find_region("USA", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_emissions__pue_and_country_intensity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emissions__lowercase_code_is_accepted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_emissions__unknown_country_uses_world_average, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_emissions__unset_country_offline_uses_world_average,
                                        setup, teardown),
        cmocka_unit_test(test_emissions__invalid_code_is_einvalid_naming_the_field),
        cmocka_unit_test(test_emissions__table_covers_eu_and_large_producers),
        cmocka_unit_test_setup_teardown(test_emissions__region_intensity_before_the_country, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_emissions__unknown_region_uses_the_country, setup,
                                        teardown),
        cmocka_unit_test(test_emissions__region_table_is_sorted_and_findable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
