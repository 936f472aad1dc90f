/*
 * Tests for scenarios/check.c, the answer checks every scenario applies: a correct
 * cct_emissions passes, each kind of wrong answer is rejected naming the field, and the CSV
 * checker accepts CodeCarbon's layout and rejects torn or mis-shaped files. The expected
 * header is spelled out here from DESIGN.md, not taken from check.c's own table.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "protocol.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define S_NS 1000000000ull

/* CodeCarbon 3.3's 38 columns. */
static const char header[] =
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,"
    "gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,"
    "country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,"
    "codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,"
    "ram_total_size,tracking_mode,cpu_utilization_percent,gpu_utilization_percent,"
    "ram_utilization_percent,ram_used_gb,on_cloud,pue,wue";

/* A row of 38 fields, quoting and all: a model name with a comma, a quote and a line break. */
static const char row_a[] =
    "2026-11-21T10:00:00,cctracker,3f2c9a4e-1b7d-4c2a-9e8f-0123456789ab,,0.5,1.2e-08,2.4e-08,"
    "42,0,3,5.8e-06,0,4e-07,6.2e-06,0,France,FRA,,,,Linux,,0.1.0,4,"
    "\"Intel(R) Xeon(R), \"\"fast\"\"\nedition\",0,,,,15.6,machine,50,0,88.1,11.5,N,1.0,0";
static const char row_b[] =
    "2026-11-21T10:00:01,cctracker,7d1e2b3c-4a5f-4e6d-8c7b-abcdefabcdef,exp,0.25,1e-09,4e-09,"
    "42,0,3,1e-06,0,1e-07,1.1e-06,0,France,FRA,,,,Linux,,0.1.0,4,plain cpu,0,,,,15.6,machine,"
    "12.5,,,,N,1.0,0";

static cct_emissions good_emissions(void)
{
    cct_emissions e = CCT_EMISSIONS_INIT;

    memset(&e, 0, sizeof e);
    e.timestamp = 1.7e9;
    e.duration_s = 0.5;
    e.cpu_energy_kwh = 1e-6 * 1.2; /* each component carries the PUE */
    e.gpu_energy_kwh = 0.0;
    e.ram_energy_kwh = 2e-7 * 1.2;
    e.pue = 1.2;
    e.energy_kwh = e.cpu_energy_kwh + e.gpu_energy_kwh + e.ram_energy_kwh;
    e.carbon_intensity_g_kwh = 56.0;
    e.emissions_kg = e.energy_kwh * 56.0 / 1000.0;
    e.emissions_rate_kg_s = e.emissions_kg / 0.5;
    e.cpu_power_w = 7.2;
    e.ram_power_w = 1.44;
    strcpy(e.run_id, "3f2c9a4e-1b7d-4c2a-9e8f-0123456789ab");
    strcpy(e.country_iso_code, "FRA");
    return e;
}

/* start() took 10 us, stop() 10 us, 0.49998 s between them: duration 0.5 s fits. */
static const ccb_instants good_window = {10 * S_NS, 10 * S_NS + 10000, 10 * S_NS + S_NS / 2 - 10000,
                                         10 * S_NS + S_NS / 2 + 10000};
static const ccb_expect expect_fra = {"FRA", 1.2};

static void assert_rejected(const cct_emissions *e, const char *reason, const char *needle)
{
    ccb_failure f;

    memset(&f, 0, sizeof f);
    assert_int_equal(ccb_check_emissions(e, &good_window, &expect_fra, &f), -1);
    assert_true(f.failed);
    assert_string_equal(f.reason, reason);
    if (!strstr(f.detail, needle))
        fail_msg("detail \"%s\" does not name \"%s\"", f.detail, needle);
}

static void test_check__accepts_a_correct_answer(void **state)
{
    cct_emissions e = good_emissions();
    ccb_failure f;

    memset(&f, 0, sizeof f);
    assert_int_equal(ccb_check_emissions(&e, &good_window, &expect_fra, &f), 0);
    assert_false(f.failed);
    /* No expectations: any country, any pue >= 1. */
    strcpy(e.country_iso_code, "DEU");
    assert_int_equal(ccb_check_emissions(&e, &good_window, NULL, &f), 0);
    /* A zero-length run with zero energy is a correct answer too. */
    e = good_emissions();
    e.duration_s = 0;
    e.cpu_energy_kwh = e.ram_energy_kwh = e.energy_kwh = e.emissions_kg = 0;
    e.emissions_rate_kg_s = e.cpu_power_w = e.ram_power_w = 0;
    ccb_instants instant = {5, 5, 5, 5};
    assert_int_equal(ccb_check_emissions(&e, &instant, &expect_fra, &f), 0);
    assert_false(f.failed);
}

static void test_check__rejects_negative_and_non_finite(void **state)
{
    static const struct {
        size_t offset;
        const char *name;
    } fields[] = {
        {offsetof(cct_emissions, cpu_energy_kwh), "cpu_energy_kwh"},
        {offsetof(cct_emissions, gpu_energy_kwh), "gpu_energy_kwh"},
        {offsetof(cct_emissions, ram_energy_kwh), "ram_energy_kwh"},
        {offsetof(cct_emissions, energy_kwh), "energy_kwh"},
        {offsetof(cct_emissions, emissions_kg), "emissions_kg"},
    };
    const double bad[] = {-1e-12, -1.0, NAN, INFINITY, -INFINITY};

    for (size_t i = 0; i < N_ELEMS(fields); i++) {
        for (size_t j = 0; j < N_ELEMS(bad); j++) {
            cct_emissions e = good_emissions();

            memcpy((char *)&e + fields[i].offset, &bad[j], sizeof bad[j]);
            assert_rejected(&e, CCB_REASON_WRONG_ANSWER, fields[i].name);
        }
    }
}

static void test_check__rejects_an_inconsistent_total(void **state)
{
    cct_emissions e = good_emissions();

    e.energy_kwh *= 1.5; /* a PUE applied twice */
    e.emissions_kg = e.energy_kwh * 56.0 / 1000.0;
    e.emissions_rate_kg_s = e.emissions_kg / 0.5;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "energy_kwh");

    e = good_emissions();
    e.energy_kwh = (e.cpu_energy_kwh + e.ram_energy_kwh) * (1 + 1e-8); /* beyond 1e-9 */
    e.emissions_kg = e.energy_kwh * 56.0 / 1000.0;
    e.emissions_rate_kg_s = e.emissions_kg / 0.5;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "energy_kwh");
}

static void test_check__tolerates_rounding_only(void **state)
{
    cct_emissions e = good_emissions();
    ccb_failure f;

    memset(&f, 0, sizeof f);
    e.energy_kwh *= 1 + 1e-13;
    e.emissions_kg *= 1 + 1e-13;
    e.emissions_rate_kg_s *= 1 + 1e-13;
    assert_int_equal(ccb_check_emissions(&e, &good_window, &expect_fra, &f), 0);
}

static void test_check__rejects_inconsistent_emissions(void **state)
{
    cct_emissions e = good_emissions();

    e.emissions_kg = e.energy_kwh * 56.0; /* g/kg slip */
    e.emissions_rate_kg_s = e.emissions_kg / 0.5;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "emissions_kg");

    e = good_emissions();
    e.emissions_rate_kg_s *= 2;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "emissions_rate_kg_s");

    e = good_emissions();
    e.pue = 1.0;
    e.energy_kwh = e.cpu_energy_kwh + e.ram_energy_kwh;
    e.emissions_kg = e.energy_kwh * 56.0 / 1000.0;
    e.emissions_rate_kg_s = e.emissions_kg / 0.5;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "pue");
}

static void test_check__rejects_duration_outside_the_window(void **state)
{
    cct_emissions e = good_emissions();

    e.duration_s = 0.50001; /* after_stop - before_start, the widest the wall clock allows */
    e.emissions_rate_kg_s = e.emissions_kg / e.duration_s;
    {
        ccb_failure f;
        memset(&f, 0, sizeof f);
        assert_int_equal(ccb_check_emissions(&e, &good_window, &expect_fra, &f), 0);
    }
    e.duration_s = 0.6;
    e.emissions_rate_kg_s = e.emissions_kg / e.duration_s;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "duration_s");
    e.duration_s = 0.4;
    e.emissions_rate_kg_s = e.emissions_kg / e.duration_s;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "duration_s");
    e.duration_s = -0.1;
    e.emissions_rate_kg_s = 0;
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "duration_s");
}

static void test_check__rejects_a_bad_run_id(void **state)
{
    static const char *const bad[] = {
        "",
        "3F2C9A4E-1B7D-4C2A-9E8F-0123456789AB", /* not canonical: upper case */
        "3f2c9a4e-1b7d-1c2a-9e8f-0123456789ab", /* version 1 */
        "3f2c9a4e-1b7d-4c2a-7e8f-0123456789ab", /* variant 0xxx */
        "3f2c9a4e1b7d-4c2a-9e8f-0123456789ab-", /* dash misplaced */
        "3f2c9a4e-1b7d-4c2a-9e8f-0123456789a",  /* short */
        "3f2c9a4e-1b7d-4c2a-9e8f-0123456789ag", /* not hex */
        "{3f2c9a4e-1b7d-4c2a-9e8f-0123456789a}",
    };

    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        cct_emissions e = good_emissions();

        snprintf(e.run_id, sizeof e.run_id, "%s", bad[i]);
        assert_false(ccb_is_uuid_v4(e.run_id));
        assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "run_id");
    }
    /* 37 bytes with no terminator. */
    cct_emissions e = good_emissions();
    memset(e.run_id, 'a', sizeof e.run_id);
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "run_id");
    assert_true(ccb_is_uuid_v4("00000000-0000-4000-b000-000000000000"));
}

static void test_check__rejects_the_wrong_country(void **state)
{
    cct_emissions e = good_emissions();

    strcpy(e.country_iso_code, "DEU");
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "country_iso_code");
    e.country_iso_code[0] = '\0';
    assert_rejected(&e, CCB_REASON_WRONG_ANSWER, "country_iso_code");
}

static void test_check__keeps_the_first_failure(void **state)
{
    cct_emissions e = good_emissions();
    ccb_failure f;

    memset(&f, 0, sizeof f);
    e.emissions_kg = -1;
    assert_int_equal(ccb_check_emissions(&e, &good_window, &expect_fra, &f), -1);
    ccb_failure_prefix(&f, "lifecycle %d: ", 12);
    assert_string_equal(f.detail, "lifecycle 12: emissions_kg is -1 (must be finite and >= 0)");
    e = good_emissions();
    strcpy(e.run_id, "nope");
    assert_int_equal(ccb_check_emissions(&e, &good_window, &expect_fra, &f), -1);
    assert_non_null(strstr(f.detail, "emissions_kg"));
}

static void test_check__reports_tracker_errors(void **state)
{
    cct_config cfg = CCT_CONFIG_INIT;
    cct_tracker *t = NULL;
    ccb_failure f;
    char want[256];
    int rc;

    memset(&f, 0, sizeof f);
    assert_int_equal(ccb_check_rc(0, "cct_tracker_new", &f), 0);
    assert_false(f.failed);

    cfg.pue = 0.5; /* documented as invalid */
    rc = cct_tracker_new(&t, &cfg);
    assert_int_not_equal(rc, 0);
    assert_int_equal(ccb_check_rc(rc, "cct_tracker_new", &f), -1);
    assert_string_equal(f.reason, CCB_REASON_TRACKER_ERROR);
    snprintf(want, sizeof want, "cct_tracker_new returned %d (%s): %s", rc, cct_strerror(rc),
             cct_last_error_message());
    assert_string_equal(f.detail, want);
    assert_non_null(strstr(f.detail, "pue"));
    cct_tracker_free(t);
}

/* ---- CSV ---- */

static int check_text(const char *text, size_t *rows, ccb_failure *f)
{
    memset(f, 0, sizeof *f);
    return ccb_check_csv_text(text, strlen(text), rows, f);
}

static void assert_csv_rejected(const char *text, const char *needle)
{
    ccb_failure f;
    size_t rows = 99;

    assert_int_equal(check_text(text, &rows, &f), -1);
    assert_string_equal(f.reason, CCB_REASON_WRONG_ANSWER);
    if (!strstr(f.detail, needle))
        fail_msg("detail \"%s\" does not say \"%s\"", f.detail, needle);
}

static void test_check__csv_accepts_a_good_file(void **state)
{
    char text[4096];
    ccb_failure f;
    size_t rows = 0;

    snprintf(text, sizeof text, "%s\n%s\n%s\n", header, row_a, row_b);
    assert_int_equal(check_text(text, &rows, &f), 0);
    assert_int_equal(rows, 2);
    snprintf(text, sizeof text, "%s\r\n%s\r\n", header, row_b);
    assert_int_equal(check_text(text, &rows, &f), 0);
    assert_int_equal(rows, 1);
    snprintf(text, sizeof text, "%s\n", header);
    assert_int_equal(check_text(text, &rows, &f), 0);
    assert_int_equal(rows, 0);
    assert_string_equal(ccb_csv_columns[14], "water_consumed");
    assert_string_equal(ccb_csv_columns[36], "pue");
    assert_string_equal(ccb_csv_columns[37], "wue");
}

static void test_check__csv_rejects_a_torn_row(void **state)
{
    char text[4096];

    /* A row cut short by an interrupted or interleaved write. */
    snprintf(text, sizeof text, "%s\n%s\n%.60s", header, row_a, row_b);
    assert_csv_rejected(text, "row 2");
    /* Cut inside the quoted field: the quote never closes. */
    snprintf(text, sizeof text, "%s\n%.160s", header, row_a);
    assert_csv_rejected(text, "unterminated");
    /* All 38 fields but no line break: the end of the write is missing. */
    snprintf(text, sizeof text, "%s\n%s", header, row_b);
    assert_csv_rejected(text, "torn");
    /* Two rows interleaved onto one line. */
    snprintf(text, sizeof text, "%s\n%.50s%s\n", header, row_b, row_b);
    assert_csv_rejected(text, "row 1");
}

static void test_check__csv_rejects_a_wrong_column_count(void **state)
{
    char text[4096];

    snprintf(text, sizeof text, "%s\n%s,extra\n", header, row_b);
    assert_csv_rejected(text, "39 fields");
    snprintf(text, sizeof text, "%s\n%s\n%s\n", header, row_b, strchr(row_b, ',') + 1);
    assert_csv_rejected(text, "row 2 has 37 fields");
    snprintf(text, sizeof text, "%s\n%s\n\n", header, row_b);
    assert_csv_rejected(text, "row 2 has 1 fields");
}

static void test_check__csv_rejects_a_utilisation_out_of_range(void **state)
{
    char text[4096], row[1024];
    const char *cut;

    /* row_b with cpu_utilization_percent (12.5, the 32nd field) replaced. */
    cut = strstr(row_b, "machine,12.5,") + strlen("machine,");
    snprintf(row, sizeof row, "%.*s150%s", (int)(cut - row_b), row_b, cut + strlen("12.5"));
    snprintf(text, sizeof text, "%s\n%s\n", header, row);
    assert_csv_rejected(text, "cpu_utilization_percent is \"150\"");
    snprintf(row, sizeof row, "%.*s-1%s", (int)(cut - row_b), row_b, cut + strlen("12.5"));
    snprintf(text, sizeof text, "%s\n%s\n", header, row);
    assert_csv_rejected(text, "cpu_utilization_percent");
    snprintf(row, sizeof row, "%.*sbusy%s", (int)(cut - row_b), row_b, cut + strlen("12.5"));
    snprintf(text, sizeof text, "%s\n%s\n", header, row);
    assert_csv_rejected(text, "cpu_utilization_percent");
}

static void test_check__csv_rejects_a_wrong_header(void **state)
{
    char text[4096];
    const char *swapped;

    assert_csv_rejected("", "empty");
    /* emissions and duration swapped. */
    swapped = "timestamp,project_name,run_id,experiment_id,emissions,duration,emissions_rate,"
              "cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,"
              "water_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,"
              "os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,"
              "longitude,latitude,ram_total_size,tracking_mode,cpu_utilization_percent,"
              "gpu_utilization_percent,ram_utilization_percent,ram_used_gb,on_cloud,pue,wue\n";
    assert_csv_rejected(swapped, "column 5");
    /* One column short (wue missing). */
    snprintf(text, sizeof text, "%.*s\n%s\n", (int)(strlen(header) - 4), header, row_b);
    assert_csv_rejected(text, "header has 37 columns");
    /* One extra. */
    snprintf(text, sizeof text, "%s,extra\n", header);
    assert_csv_rejected(text, "header has 39 columns");
    /* CodeCarbon <= 3.0's 32 columns: the 15th is country_name, not water_consumed. */
    assert_csv_rejected("timestamp,project_name,run_id,experiment_id,duration,emissions,"
                        "emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,"
                        "ram_energy,energy_consumed,country_name\n",
                        "column 15");
    /* A data row where the header should be. */
    snprintf(text, sizeof text, "%s\n", row_b);
    assert_csv_rejected(text, "header column 1");
}

static void test_check__csv_file(void **state)
{
    char dir[] = "/tmp/ccb-test-check-XXXXXX";
    char path[sizeof dir + 32];
    ccb_failure f;
    size_t rows = 0;
    FILE *fp;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/emissions.csv", dir);
    memset(&f, 0, sizeof f);
    assert_int_equal(ccb_check_csv_file(path, &rows, &f), -1); /* missing */
    assert_non_null(strstr(f.detail, path));

    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "%s\n%s\n%s\n", header, row_a, row_b);
    fclose(fp);
    memset(&f, 0, sizeof f);
    assert_int_equal(ccb_check_csv_file(path, &rows, &f), 0);
    assert_int_equal(rows, 2);

    fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("2026,cut", fp);
    fclose(fp);
    memset(&f, 0, sizeof f);
    assert_int_equal(ccb_check_csv_file(path, &rows, &f), -1);
    assert_non_null(strstr(f.detail, path)); /* the file is named */
    assert_non_null(strstr(f.detail, "row 3"));

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check__accepts_a_correct_answer),
        cmocka_unit_test(test_check__rejects_negative_and_non_finite),
        cmocka_unit_test(test_check__rejects_an_inconsistent_total),
        cmocka_unit_test(test_check__tolerates_rounding_only),
        cmocka_unit_test(test_check__rejects_inconsistent_emissions),
        cmocka_unit_test(test_check__rejects_duration_outside_the_window),
        cmocka_unit_test(test_check__rejects_a_bad_run_id),
        cmocka_unit_test(test_check__rejects_the_wrong_country),
        cmocka_unit_test(test_check__keeps_the_first_failure),
        cmocka_unit_test(test_check__reports_tracker_errors),
        cmocka_unit_test(test_check__csv_accepts_a_good_file),
        cmocka_unit_test(test_check__csv_rejects_a_torn_row),
        cmocka_unit_test(test_check__csv_rejects_a_wrong_column_count),
        cmocka_unit_test(test_check__csv_rejects_a_wrong_header),
        cmocka_unit_test(test_check__csv_rejects_a_utilisation_out_of_range),
        cmocka_unit_test(test_check__csv_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
