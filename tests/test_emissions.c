/*
 * Tests for the emissions arithmetic of tracker.c (energy x PUE x carbon intensity) and the
 * carbon intensity table of tables.c. CPU and RAM power are forced and the GPU is the fake
 * NVML with an exact energy counter, so every component is known exactly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "tracker_fixtures.h"

#define REL 1e-12

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

/* 100 W CPU, 10 W RAM, and 3.6e6 mJ = 0.001 kWh of GPU between start and stop. */
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

static void check_components(const cct_emissions *e)
{
    double d = e->duration_s;

    assert_true(d > 0);
    assert_int_equal(e->cpu_source, CCT_SOURCE_CONSTANT);
    assert_int_equal(e->ram_source, CCT_SOURCE_CONSTANT);
    assert_int_equal(e->gpu_source, CCT_SOURCE_NVML);
    assert_within(e->cpu_energy_kwh, 100 * d / 3.6e6, 0, REL);
    assert_within(e->ram_energy_kwh, 10 * d / 3.6e6, 0, REL);
    assert_near(e->gpu_energy_kwh, 0.001, 1e-12);
    assert_within(e->cpu_power_w, 100, 0, REL);
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
    check_components(&e);

    double d = e.duration_s;
    double energy = (110 * d / 3.6e6 + 0.001) * 1.5;
    double emissions = energy * fra->g_per_kwh / 1000.0;
    assert_within(e.energy_kwh, energy, 0, REL);
    assert_within(e.energy_kwh, (e.cpu_energy_kwh + e.gpu_energy_kwh + e.ram_energy_kwh) * 1.5, 0,
                  REL);
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
    check_components(&e);
    assert_within(e.carbon_intensity_g_kwh, 475, 0, 0);
    assert_within(e.energy_kwh, 110 * e.duration_s / 3.6e6 + 0.001, 0, REL);
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
    static const char *const absent[] = {"AAA", "ZZZ", "XKX", "QQQ", "", "F",  "FR",
                                         "FRAN", "1AB", "@AB", "[AB", "FR1"};
    for (size_t i = 0; i < FX_N_ELEMS(absent); i++)
        if (cct_intensity__find(absent[i]))
            fail_msg("\"%s\" found in the table", absent[i]);
    assert_null(cct_intensity__find(NULL));
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
