/*
 * Tests for tracker/src/csv.c: CodeCarbon 3.3's 38 columns in order, the header once, RFC 4180
 * quoting, the utilisation and memory columns measured, a file with another header moved
 * aside (never appended under), and rows that never interleave when 8 threads and 2
 * processes append to one file.
 * Rows are checked with an independent RFC 4180 parser below, never with the library's own
 * column table.
 */
#include <errno.h>
#include <locale.h>
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tinyfs.h"
#include "tracker_fixtures.h"

/* CodeCarbon 3.3's emissions.csv, in order: the fields of EmissionsData
 * (codecarbon/output_methods/emissions_data.py, mlco2/codecarbon b05965e). Deliberately a
 * copy of cct_csv_columns: an independent reference, so that a wrong column in the tracker's
 * list fails this test instead of passing it. */
static const char *const codecarbon_columns[] = {
    "timestamp",
    "project_name",
    "run_id",
    "experiment_id",
    "duration",
    "emissions",
    "emissions_rate",
    "cpu_power",
    "gpu_power",
    "ram_power",
    "cpu_energy",
    "gpu_energy",
    "ram_energy",
    "energy_consumed",
    "water_consumed",
    "country_name",
    "country_iso_code",
    "region",
    "cloud_provider",
    "cloud_region",
    "os",
    "python_version",
    "codecarbon_version",
    "cpu_count",
    "cpu_model",
    "gpu_count",
    "gpu_model",
    "longitude",
    "latitude",
    "ram_total_size",
    "tracking_mode",
    "cpu_utilization_percent",
    "gpu_utilization_percent",
    "ram_utilization_percent",
    "ram_used_gb",
    "on_cloud",
    "pue",
    "wue",
};
#define NCOL 38

/* What psutil's virtual_memory() says of the fixture's meminfo: CodeCarbon's RAM columns. */
#define USED_GB                                                                                    \
    ((double)(FX_MEM_TOTAL_KB - FX_MEM_FREE_KB - FX_MEM_BUFFERS_KB - FX_MEM_CACHED_KB -            \
              FX_MEM_SRECLAIMABLE_KB) /                                                            \
     1048576.0)
#define USED_PERCENT                                                                               \
    (100.0 * (double)(FX_MEM_TOTAL_KB - FX_MEM_AVAILABLE_KB) / (double)FX_MEM_TOTAL_KB)

typedef struct fixture {
    fx_tree tree;
    cct_config cfg;
    char csv[600];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    fx_tree_init(&f->tree, "csv");
    fx_config(&f->cfg);
    f->cfg.no_save_to_file = 0;
    f->cfg.output_dir = f->tree.out;
    f->cfg.force_cpu_power_w = 42;
    f->cfg.force_ram_power_w = 5;
    snprintf(f->csv, sizeof(f->csv), "%s/emissions.csv", f->tree.out);
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

/* ---- an independent RFC 4180 line parser ---- */

typedef struct fields {
    int n;
    char *v[64];
} fields;

static void fields_free(fields *fs)
{
    for (int i = 0; i < fs->n; i++)
        free(fs->v[i]);
    fs->n = 0;
}

/* Parse one record (no line break inside); -1 if malformed. */
static int parse_record(const char *line, size_t len, fields *out)
{
    size_t i = 0;

    out->n = 0;
    for (;;) {
        char *buf = malloc(len + 1);
        size_t k = 0;
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    free(buf);
                    return -1; /* unterminated quote */
                }
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        buf[k++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[k++] = line[i++];
            }
            if (i < len && line[i] != ',') {
                free(buf);
                return -1; /* text after a closing quote */
            }
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"') {
                    free(buf);
                    return -1; /* a quote inside an unquoted field */
                }
                buf[k++] = line[i++];
            }
        }
        buf[k] = '\0';
        if (out->n == (int)FX_N_ELEMS(out->v)) {
            free(buf);
            return -1;
        }
        out->v[out->n++] = buf;
        if (i >= len)
            return 0;
        i++; /* the comma */
    }
}

static char *header_line(void)
{
    static char h[1024];
    h[0] = '\0';
    for (int i = 0; i < NCOL; i++) {
        if (i)
            strcat(h, ",");
        strcat(h, codecarbon_columns[i]);
    }
    return h;
}

/* Split the file into lines (each must end with '\n'). Returns the count; lines point into
 * `text`, which is modified. */
static size_t split_lines(char *text, size_t len, char ***out)
{
    size_t n = 0, cap = 64;
    char **lines = malloc(cap * sizeof(*lines));

    if (len > 0 && text[len - 1] != '\n')
        fail_msg("file does not end with a newline");
    for (char *p = text; p < text + len;) {
        char *eol = memchr(p, '\n', (size_t)(text + len - p));
        *eol = '\0';
        if (n == cap)
            lines = realloc(lines, (cap *= 2) * sizeof(*lines));
        lines[n++] = p;
        p = eol + 1;
    }
    *out = lines;
    return n;
}

static void assert_number(const char *field, double expect)
{
    char *end;
    errno = 0;
    double v = strtod(field, &end);
    if (end == field || *end != '\0' || errno != 0)
        fail_msg("\"%s\" is not a number", field);
    /* 15 significant digits are written: 1e-14 relative is rounding, not a different value. */
    assert_within(v, expect, 1e-300, 1e-14);
    /* ... and written exactly as printf("%.15g") writes them (the tracker does not use it). */
    char want[64];
    snprintf(want, sizeof(want), "%.15g", expect);
    assert_string_equal(field, want);
}

/* cct_fmt__g15 against printf for one value: byte for byte. */
static void assert_g15(double v)
{
    char got[64], want[64];
    size_t n = cct_fmt__g15(v, got, sizeof(got));

    snprintf(want, sizeof(want), "%.15g", v);
    if (n != strlen(want) || strcmp(got, want) != 0)
        fail_msg("%.17g: cct_fmt__g15 wrote \"%s\" (%zu), printf writes \"%s\"", v, got, n, want);
}

static uint64_t next_random(uint64_t *s)
{
    /* splitmix64: a fixed sequence, so a failure names a value that reproduces. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* printf follows the rounding mode (fesetround): so must the CSV's numbers. And they always
 * use '.', whatever LC_NUMERIC says: a "0,5" would split a comma-separated field in two. */
static void test_csv__number_format_rounding_mode_and_locale(void **state)
{
    static const double values[] = {0.1,     2.0 / 3.0,        123456.789, -0.7,
                                    1.5e-20, 42 * 0.5 / 3.6e6, 8.77,       1.0e300 / 7.0};
    static const int modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    char dir[] = "/tmp/ccb-test-locale-XXXXXX", cmd[300], got[64], want[64];
    (void)state;

    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        assert_int_equal(fesetround(modes[m]), 0);
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
            assert_g15(values[i]);
        assert_int_equal(fesetround(FE_TONEAREST), 0);
    }

    /* A locale with a decimal comma, built for the test (Debian ships its sources). */
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "note: localedef could not build de_DE here: locale part skipped\n");
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
        return;
    }
    setenv("LOCPATH", dir, 1);
    assert_non_null(setlocale(LC_NUMERIC, "de_DE.UTF-8"));
    assert_string_equal(localeconv()->decimal_point, ",");
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    assert_non_null(c);
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        locale_t old = uselocale(c);
        snprintf(want, sizeof(want), "%.15g", values[i]);
        uselocale(old);
        assert_true(cct_fmt__g15(values[i], got, sizeof(got)) > 0);
        assert_string_equal(got, want);
        assert_null(strchr(got, ','));
    }
    freelocale(c);
    setlocale(LC_NUMERIC, "C");
    unsetenv("LOCPATH");
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_csv__number_format_matches_printf(void **state)
{
    static const double edges[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.1,
                                   0.5,
                                   1.5,
                                   2.5,
                                   1e-5,
                                   9.99999999999999e-5,
                                   9.999999999999995e-5,
                                   1e-4,
                                   0.0001234,
                                   123456789012345.5,
                                   999999999999999.4,
                                   999999999999999.5,
                                   1e15,
                                   1e16,
                                   1e21,
                                   1e-300,
                                   5e-324,
                                   1.7976931348623157e308,
                                   42 * 0.5 / 3.6e6,
                                   8.77,
                                   475.0,
                                   1.25,
                                   16.0,
                                   3.0e-12,
                                   2.2250738585072014e-308};
    uint64_t seed = 20261121;
    (void)state;

    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        assert_g15(edges[i]);
    assert_g15(1.0 / 0.0);
    assert_g15(-1.0 / 0.0);
    /* Powers of ten and their neighbours: where the exponent and %g's notation switch. */
    for (int k = -40; k <= 40; k++) {
        char text[16];
        snprintf(text, sizeof(text), "1e%d", k);
        double p = strtod(text, NULL);
        uint64_t bits;
        memcpy(&bits, &p, sizeof(bits));
        for (int d = -3; d <= 3; d++) {
            uint64_t b = bits + (uint64_t)(int64_t)d;
            double v;
            memcpy(&v, &b, sizeof(v));
            assert_g15(v);
            assert_g15(-v);
        }
    }
    /* Exact halves at the 16th digit: N.5 x 10^k, the ties printf rounds to even. */
    for (int i = 0; i < 20000; i++) {
        uint64_t n = 100000000000000ULL + next_random(&seed) % 900000000000000ULL;
        double v = (double)n + 0.5; /* exact below 2^52 */
        assert_g15(v);
        assert_g15(v / 1024.0); /* still exact: a power of two */
    }
    /* Any bit pattern, and the magnitudes a tracker writes (1e-16 .. 1e6), log-uniform. */
    for (int i = 0; i < 200000; i++) {
        uint64_t b = next_random(&seed);
        double v;
        memcpy(&v, &b, sizeof(v));
        if (v == v) /* not NaN: the CSV writes NaN as an empty field */
            assert_g15(v);
        double u = (double)(next_random(&seed) >> 11) / 9007199254740992.0;
        char text[32];
        snprintf(text, sizeof(text), "%.17ge%d", 1.0 + u * 9.0,
                 (int)(next_random(&seed) % 23) - 16);
        assert_g15(strtod(text, NULL));
    }
}

static void assert_uuid_v4(const char *s)
{
    assert_int_equal(strlen(s), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(s[i], '-');
        else if (!strchr("0123456789abcdef", s[i]))
            fail_msg("run_id %s: '%c' at %d is not lowercase hex", s, s[i], i);
    }
    assert_int_equal(s[14], '4');
    assert_non_null(strchr("89ab", s[19]));
}

static void test_csv__header_once_with_codecarbon_columns(void **state)
{
    fixture *f = *state;
    char **lines;
    size_t len;

    fx_lifecycle(&f->cfg, NULL);
    fx_lifecycle(&f->cfg, NULL);
    char *text = fx_read_file(f->csv, &len);
    size_t n = split_lines(text, len, &lines);
    assert_int_equal(n, 3);
    assert_string_equal(lines[0], header_line());
    for (size_t i = 1; i < n; i++) {
        fields fs;
        assert_int_equal(parse_record(lines[i], strlen(lines[i]), &fs), 0);
        assert_int_equal(fs.n, NCOL);
        assert_string_not_equal(fs.v[0], "timestamp");
        fields_free(&fs);
    }
    free(lines);
    free(text);
}

static void test_csv__row_format_and_quoting(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    cct_emissions flushed = CCT_EMISSIONS_INIT, stopped = CCT_EMISSIONS_INIT;
    char **lines;
    size_t len;

    f->cfg.project_name = "my,\"proj\"";
    f->cfg.experiment_id = "exp-1";
    f->cfg.region = "west,eu";
    f->cfg.pue = 1.25;
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    /* Past the load window: the flush's reading reads /proc/stat and /proc/meminfo. */
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    assert_cct_ok(cct_tracker_flush(t, &flushed));
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, &stopped));
    cct_tracker_free(t);

    char *text = fx_read_file(f->csv, &len);
    /* RFC 4180: quoted because of the comma, the quotes doubled. */
    assert_non_null(strstr(text, ",\"my,\"\"proj\"\"\","));
    size_t n = split_lines(text, len, &lines);
    assert_int_equal(n, 3);
    assert_string_equal(lines[0], header_line());

    const cct_emissions *es[] = {&flushed, &stopped};
    for (int r = 0; r < 2; r++) {
        const cct_emissions *e = es[r];
        fields fs;
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        assert_int_equal(parse_record(lines[r + 1], strlen(lines[r + 1]), &fs), 0);
        assert_int_equal(fs.n, NCOL);
        const char *end = strptime(fs.v[0], "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end || *end)
            fail_msg("timestamp \"%s\" is not YYYY-MM-DDTHH:MM:SS", fs.v[0]);
        assert_true(llabs((long long)timegm(&tm) - (long long)e->timestamp) <= 1);
        {
            char want[32];
            struct tm utc;
            time_t secs = (time_t)e->timestamp;
            strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", gmtime_r(&secs, &utc));
            assert_string_equal(fs.v[0], want);
        }
        assert_string_equal(fs.v[1], "my,\"proj\"");
        assert_string_equal(fs.v[2], e->run_id);
        assert_uuid_v4(fs.v[2]);
        assert_string_equal(fs.v[3], "exp-1");
        assert_number(fs.v[4], e->duration_s);
        assert_number(fs.v[5], e->emissions_kg);
        assert_number(fs.v[6], e->emissions_rate_kg_s);
        assert_number(fs.v[7], e->cpu_power_w);
        assert_number(fs.v[8], e->gpu_power_w);
        assert_number(fs.v[9], e->ram_power_w);
        assert_number(fs.v[10], e->cpu_energy_kwh);
        assert_number(fs.v[11], e->gpu_energy_kwh);
        assert_number(fs.v[12], e->ram_energy_kwh);
        assert_number(fs.v[13], e->energy_kwh);
        assert_string_equal(fs.v[14], "0"); /* water_consumed: wue is 0 */
        assert_string_equal(fs.v[15], "France");
        assert_string_equal(fs.v[16], "FRA");
        assert_string_equal(fs.v[17], "west,eu");
        assert_string_equal(fs.v[18], ""); /* cloud_provider */
        assert_string_equal(fs.v[19], ""); /* cloud_region */
        assert_true(strlen(fs.v[20]) > 0); /* os */
        assert_string_equal(fs.v[21], ""); /* python_version */
        assert_string_equal(fs.v[22], CCT_VERSION);
        assert_string_equal(fs.v[23], "4");
        assert_string_equal(fs.v[24], FX_KNOWN_CPU);
        assert_string_equal(fs.v[25], "0");
        assert_string_equal(fs.v[26], "");
        assert_string_equal(fs.v[27], ""); /* longitude unknown */
        assert_string_equal(fs.v[28], ""); /* latitude unknown */
        assert_number(fs.v[29], 16.0);
        assert_string_equal(fs.v[30], "machine");
        /* The fixture's /proc/stat never moves: the load since boot, 50%, all along. */
        assert_within(strtod(fs.v[31], NULL), 50.0, 0, 1e-9);
        assert_string_equal(fs.v[32], "0"); /* no GPU: none used */
        /* The memory in use as psutil reads the fixture's meminfo, first read in this run. */
        assert_within(strtod(fs.v[33], NULL), USED_PERCENT, 0, 1e-9);
        assert_within(strtod(fs.v[34], NULL), USED_GB, 0, 1e-9);
        assert_string_equal(fs.v[35], "N");
        assert_number(fs.v[36], 1.25);
        assert_string_equal(fs.v[37], "0"); /* wue, not modelled */
        /* A non-trivial figure: a 42 W TDP at the tree's 50% load for the duration, x PUE. */
        assert_within(e->cpu_energy_kwh, 42 * (0.1 + 0.9 * 0.125) * e->duration_s * 1.25 / 3.6e6, 0,
                      1e-12);
        fields_free(&fs);
    }
    /* One run: same run_id, time moves on. */
    assert_string_equal(flushed.run_id, stopped.run_id);
    assert_true(stopped.duration_s > flushed.duration_s);
    free(lines);
    free(text);
}

/* Field `index` of the last row of the CSV at `path`, malloc'd. */
static char *last_row_field(const char *path, int index)
{
    char **lines;
    size_t len;
    fields fs;
    char *text = fx_read_file(path, &len);
    size_t n = split_lines(text, len, &lines);

    assert_true(n >= 2);
    assert_string_equal(lines[0], header_line());
    assert_int_equal(parse_record(lines[n - 1], strlen(lines[n - 1]), &fs), 0);
    assert_int_equal(fs.n, NCOL);
    char *v = strdup(fs.v[index]);
    fields_free(&fs);
    free(lines);
    free(text);
    return v;
}

static void assert_last_row_number(const char *path, int index, double expect)
{
    char *v = last_row_field(path, index);
    char *end;
    double got = strtod(v, &end);
    if (end == v || *end)
        fail_msg("column %s: \"%s\" is not a number", codecarbon_columns[index], v);
    assert_within(got, expect, 0, 1e-9);
    free(v);
}

static void assert_last_row_empty(const char *path, int index)
{
    char *v = last_row_field(path, index);
    if (v[0])
        fail_msg("column %s: \"%s\", expected an empty cell", codecarbon_columns[index], v);
    free(v);
}

/* One lifecycle spanning a load window (so its stop reads what a window reads). */
static void lifecycle_over_a_window(const cct_config *cfg)
{
    cct_tracker *t = NULL;

    assert_cct_ok(cct_tracker_new(&t, cfg));
    assert_cct_ok(cct_tracker_start(t));
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    assert_cct_ok(cct_tracker_stop(t, NULL));
    cct_tracker_free(t);
}

enum { COL_CPU_UTIL = 31, COL_GPU_UTIL = 32, COL_RAM_UTIL = 33, COL_RAM_USED = 34 };

static void test_csv__utilisation_is_the_load_read_over_the_run(void **state)
{
    fixture *f = *state;
    cct_reading r;

    /* The fixture's /proc/stat: 50% busy since boot, which the first run reports. */
    fx_lifecycle(&f->cfg, NULL);
    assert_last_row_number(f->csv, COL_CPU_UTIL, 50.0);
    /* The machine then runs at 25%, window after window: a reading past the window reads
     * it (the CPU load model reads /proc/stat anyway), and a run inside it reports 25%. */
    fx_write_stat(&f->tree, 600, 0, 0, 800, 0, 0, 0, 0);
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    cct_reading__now(&r);
    fx_write_stat(&f->tree, 700, 0, 0, 1100, 0, 0, 0, 0);
    lifecycle_over_a_window(&f->cfg);
    assert_last_row_number(f->csv, COL_CPU_UTIL, 25.0);
    assert_last_row_number(f->csv, COL_GPU_UTIL, 0.0);
    assert_last_row_number(f->csv, COL_RAM_UTIL, USED_PERCENT);
    assert_last_row_number(f->csv, COL_RAM_USED, USED_GB);

    /* Half the memory freed: the next run, inside the new figure, reports it. */
    fx_write_file(f->tree.proc, "meminfo",
                  "MemTotal: %llu kB\nMemFree: %llu kB\nMemAvailable: %llu kB\nBuffers: 0 kB\n"
                  "Cached: 0 kB\n",
                  FX_MEM_TOTAL_KB, FX_MEM_TOTAL_KB / 2, FX_MEM_TOTAL_KB / 2);
    fx_write_stat(&f->tree, 800, 0, 0, 1400, 0, 0, 0, 0);
    fx_wait_mono(fx_mono_ns(), FX_FRESH_NS);
    cct_reading__now(&r);
    fx_write_stat(&f->tree, 900, 0, 0, 1700, 0, 0, 0, 0);
    lifecycle_over_a_window(&f->cfg);
    assert_last_row_number(f->csv, COL_RAM_UTIL, 50.0);
    assert_last_row_number(f->csv, COL_RAM_USED, 8.0);
}

/* With RAPL (machine mode) the power needs no load: the hot path reads neither /proc/stat
 * nor /proc/meminfo, and the columns come from the sampler's periodic reading. */
static void test_csv__with_rapl_only_the_sampler_reads_load_and_memory(void **state)
{
    fixture *f = *state;
    cct_reading r;

    /* A forced power goes through the load model, which would make the hot path read it. */
    f->cfg.force_cpu_power_w = 0;
    fx_write_rapl(&f->tree, "intel-rapl:0", "package-0", 1000000, 262143328850ULL);
    fx_tree_activate(&f->tree, NULL);
    fx_lifecycle(&f->cfg, NULL);                         /* detection: 50% since boot */
    fx_write_stat(&f->tree, 600, 0, 0, 800, 0, 0, 0, 0); /* 25% from here on */
    lifecycle_over_a_window(&f->cfg);
    /* Not re-read: the load since boot, and no memory figure yet (an empty cell). */
    assert_last_row_number(f->csv, COL_CPU_UTIL, 50.0);
    assert_last_row_empty(f->csv, COL_RAM_UTIL);
    assert_last_row_empty(f->csv, COL_RAM_USED);

    cct_reading__refresh(&r); /* the sampler's tick */
    fx_write_stat(&f->tree, 700, 0, 0, 1100, 0, 0, 0, 0);
    lifecycle_over_a_window(&f->cfg);
    assert_last_row_number(f->csv, COL_CPU_UTIL, 25.0);
    assert_last_row_number(f->csv, COL_RAM_UTIL, USED_PERCENT);
    assert_last_row_number(f->csv, COL_RAM_USED, USED_GB);
}

/* ---- a file with another header is never appended under ---- */

static fx_log g_log;

static void logged_config(fixture *f)
{
    f->cfg.log_fn = fx_log_fn;
    f->cfg.log_payload = &g_log;
    f->cfg.log_level = CCT_LOG_WARNING;
}

static void assert_file_is(const char *path, const char *expect)
{
    char *text = fx_read_file(path, NULL);
    assert_string_equal(text, expect);
    free(text);
}

/* The file holds our header and `rows` rows of 38 fields. */
static void assert_ours(const char *path, size_t rows)
{
    char **lines;
    size_t len;
    char *text = fx_read_file(path, &len);
    size_t n = split_lines(text, len, &lines);

    assert_int_equal(n, rows + 1);
    assert_string_equal(lines[0], header_line());
    for (size_t i = 1; i < n; i++) {
        fields fs;
        assert_int_equal(parse_record(lines[i], strlen(lines[i]), &fs), 0);
        assert_int_equal(fs.n, NCOL);
        fields_free(&fs);
    }
    free(lines);
    free(text);
}

static void test_csv__a_32_column_file_is_moved_to_bak_and_logged(void **state)
{
    fixture *f = *state;
    char legacy[2048] = "", bak[700];
    static const char *const old_columns[] = {
        "timestamp",      "project_name",       "run_id",         "experiment_id",
        "duration",       "emissions",          "emissions_rate", "cpu_power",
        "gpu_power",      "ram_power",          "cpu_energy",     "gpu_energy",
        "ram_energy",     "energy_consumed",    "country_name",   "country_iso_code",
        "region",         "cloud_provider",     "cloud_region",   "os",
        "python_version", "codecarbon_version", "cpu_count",      "cpu_model",
        "gpu_count",      "gpu_model",          "longitude",      "latitude",
        "ram_total_size", "tracking_mode",      "on_cloud",       "pue",
    };

    /* What CodeCarbon <= 3.0 (and cctracker 0.1) wrote: 32 columns, one row. */
    for (size_t i = 0; i < FX_N_ELEMS(old_columns); i++) {
        strcat(legacy, old_columns[i]);
        strcat(legacy, i + 1 < FX_N_ELEMS(old_columns) ? "," : "\n");
    }
    strcat(legacy, "2024-01-01T00:00:00,p,r,e,1,0,0,1,0,0,0,0,0,0,France,FRA,,,,Linux,,2.8,4,"
                   "cpu,0,,,,16,machine,N,1\n");
    fx_write_file(f->tree.out, "emissions.csv", "%s", legacy);
    logged_config(f);
    unsigned int before = fx_log_count(&g_log, "emissions.csv.bak");

    fx_lifecycle(&f->cfg, NULL);
    fx_lifecycle(&f->cfg, NULL);
    snprintf(bak, sizeof(bak), "%s.bak", f->csv);
    assert_file_is(bak, legacy); /* moved whole, not a byte added */
    assert_ours(f->csv, 2);
    assert_int_equal(fx_log_count(&g_log, "emissions.csv.bak"), before + 1);
    assert_int_equal(fx_log_count(&g_log, "32 columns"), 1);
}

static void test_csv__a_foreign_header_is_moved_aside_keeping_older_backups(void **state)
{
    fixture *f = *state;
    char bak[700], bak0[700], bak1[700], swapped[2048] = "";

    snprintf(bak, sizeof(bak), "%s.bak", f->csv);
    snprintf(bak0, sizeof(bak0), "%s_0.bak", f->csv);
    snprintf(bak1, sizeof(bak1), "%s_1.bak", f->csv);
    fx_write_file(f->tree.out, "emissions.csv.bak", "an older backup\n");
    fx_write_file(f->tree.out, "emissions.csv", "a,b,c\n1,2,3\n");
    logged_config(f);

    fx_lifecycle(&f->cfg, NULL);
    assert_file_is(bak, "an older backup\n");
    assert_file_is(bak0, "a,b,c\n1,2,3\n");
    assert_ours(f->csv, 1);

    /* Our 38 names in another order: CodeCarbon would append under it (it compares sorted
     * names), which puts values in the wrong columns. Moved aside too. */
    for (int i = 0; i < NCOL; i++) {
        int k = i == 1 ? 2 : i == 2 ? 1 : i;
        strcat(swapped, codecarbon_columns[k]);
        strcat(swapped, i + 1 < NCOL ? "," : "\n");
    }
    fx_write_file(f->tree.out, "emissions.csv", "%s", swapped);
    fx_lifecycle(&f->cfg, NULL);
    assert_file_is(bak1, swapped);
    assert_ours(f->csv, 1);
}

static void test_csv__an_empty_file_gets_the_header_then_the_row(void **state)
{
    fixture *f = *state;
    char names[700];

    fx_write_file(f->tree.out, "emissions.csv", "%s", "");
    fx_lifecycle(&f->cfg, NULL);
    assert_ours(f->csv, 1);
    snprintf(names, sizeof(names), "%s.bak", f->csv);
    assert_int_equal(access(names, F_OK), -1);
}

static void test_csv__unwritable_file_is_eio_naming_it(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;

    /* The output file is a directory: the row cannot be written, whoever we are. */
    assert_int_equal(mkdir(f->csv, 0755), 0);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_error(cct_tracker_stop(t, NULL), CCT_EIO, f->csv);
    cct_tracker_free(t);
}

/* Issue 15 item 5: a symlink planted at the CSV's name is refused, not followed; a FIFO is
 * refused, not waited on (the open would block for a reader for ever). */
static void test_csv__never_written_through_a_symlink_or_into_a_fifo(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    char victim[700];
    struct stat st;

    snprintf(victim, sizeof(victim), "%s/victim", f->tree.dir);
    fx_write_file(f->tree.dir, "victim", "untouched\n");
    assert_int_equal(symlink(victim, f->csv), 0);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_error(cct_tracker_stop(t, NULL), CCT_EIO, f->csv);
    cct_tracker_free(t);
    char *text = fx_read_file(victim, NULL);
    assert_string_equal(text, "untouched\n");
    free(text);
    assert_int_equal(lstat(f->csv, &st), 0);
    assert_true(S_ISLNK(st.st_mode));

    assert_int_equal(unlink(f->csv), 0);
    assert_int_equal(mkfifo(f->csv, 0600), 0);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_error(cct_tracker_stop(t, NULL), CCT_EIO, f->csv);
    cct_tracker_free(t);
}

/* ---- 8 threads x 200 rows + 2 processes x 200 rows, one file ---- */

#define THREADS 8
#define PROCS 2
#define ROWS 200
#define WRITERS (THREADS + PROCS)

typedef struct writer {
    const fixture *f;
    int id;
    pthread_barrier_t *go;
    int failures;
    char error[512];
} writer;

/* A long experiment_id makes rows long enough that an interleaved write would show. */
static char long_experiment[301];

/* The disk fills up: rows go on landing while the file's last page has room, then stop()
 * says CCT_EIO naming the file and why, and the file holds exactly the rows written before,
 * no torn row (a row the disk could hold only part of is taken back off the end). */
static void test_csv__full_disk_is_eio_and_leaves_no_torn_row(void **state)
{
    fixture *f = *state;
    cct_tracker *t = NULL;
    char dir[300], why[300], csv[400];
    size_t len_before = 0, len_after;
    char *before = NULL;
    int rc = 0, rows = 0;

    if (tinyfs_mount(dir, sizeof(dir), 64, why, sizeof(why)) != 0)
        skip(); /* not root: no way to make a full file system here */
    f->cfg.output_dir = dir;
    snprintf(csv, sizeof(csv), "%s/emissions.csv", dir);
    assert_cct_ok(cct_tracker_new(&t, &f->cfg));
    assert_cct_ok(cct_tracker_start(t));
    assert_cct_ok(cct_tracker_stop(t, NULL));
    cct_tracker_free(t);
    assert_int_equal(tinyfs_fill(dir), 0);

    /* A page holds ~8 rows: one of the next 20 must need space there is not. */
    for (rows = 0; rows < 20 && rc == 0; rows++) {
        free(before);
        before = fx_read_file(csv, &len_before);
        assert_cct_ok(cct_tracker_new(&t, &f->cfg));
        assert_cct_ok(cct_tracker_start(t));
        rc = cct_tracker_stop(t, NULL);
        cct_tracker_free(t);
    }
    if (rc == 0)
        fail_msg("20 rows written to a full file system");
    assert_int_equal(rc, CCT_EIO);
    if (!strstr(cct_last_error_message(), csv) ||
        !strstr(cct_last_error_message(), "No space left on device"))
        fail_msg("the message does not name the file and why: %s", cct_last_error_message());

    char *after = fx_read_file(csv, &len_after);
    assert_int_equal(len_after, len_before);
    assert_memory_equal(after, before, len_before);
    assert_true(len_after > 0 && after[len_after - 1] == '\n');
    free(before);
    free(after);
    tinyfs_unmount(dir);
}

static int write_rows(const fixture *f, int id, char *error, size_t cap)
{
    char project[64];
    cct_config cfg = f->cfg;

    snprintf(project, sizeof(project), "writer %d, \"the\" writer", id);
    cfg.project_name = project;
    cfg.experiment_id = long_experiment;
    for (int i = 0; i < ROWS; i++) {
        cct_tracker *t = NULL;
        int rc = cct_tracker_new(&t, &cfg);
        if (rc == 0)
            rc = cct_tracker_start(t);
        if (rc == 0)
            rc = cct_tracker_stop(t, NULL);
        cct_tracker_free(t);
        if (rc != 0) {
            snprintf(error, cap, "writer %d row %d: %s: %s", id, i, cct_strerror(rc),
                     cct_last_error_message());
            return -1;
        }
    }
    return 0;
}

static void *writer_thread(void *arg)
{
    writer *w = arg;
    pthread_barrier_wait(w->go);
    w->failures = write_rows(w->f, w->id, w->error, sizeof(w->error)) != 0;
    return NULL;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_csv__threads_and_processes_never_tear_a_row(void **state)
{
    fixture *f = *state;
    pthread_t threads[THREADS];
    writer writers[THREADS];
    pthread_barrier_t go;
    pid_t pids[PROCS];
    int pipes[PROCS][2];
    unsigned int per_writer[WRITERS] = {0};
    char **lines;
    size_t len;

    memset(long_experiment, 'x', sizeof(long_experiment) - 1);
    /* The parent tracked before forking: its children must still get their own run ids. */
    fx_lifecycle(&f->cfg, NULL);
    remove(f->csv);
    /* Fork while single-threaded (TSan cannot follow a child of a multi-threaded parent that
     * starts threads): the reset joins the sampler thread. */
    cct__reset_process_cache();
    for (int p = 0; p < PROCS; p++) {
        assert_int_equal(pipe(pipes[p]), 0);
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            char go_byte, error[512];
            close(pipes[p][1]);
            if (read(pipes[p][0], &go_byte, 1) != 1)
                _exit(2);
            if (write_rows(f, THREADS + p, error, sizeof(error)) != 0) {
                fprintf(stderr, "child: %s\n", error);
                _exit(1);
            }
            _exit(0);
        }
        close(pipes[p][0]);
    }

    assert_int_equal(pthread_barrier_init(&go, NULL, THREADS + 1), 0);
    for (int i = 0; i < THREADS; i++) {
        writers[i] = (writer){.f = f, .id = i, .go = &go};
        assert_int_equal(pthread_create(&threads[i], NULL, writer_thread, &writers[i]), 0);
    }
    for (int p = 0; p < PROCS; p++) {
        assert_int_equal(write(pipes[p][1], "g", 1), 1);
        close(pipes[p][1]);
    }
    pthread_barrier_wait(&go);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&go);
    for (int p = 0; p < PROCS; p++) {
        int status;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("writer process %d failed (status %d)", p, status);
    }
    for (int i = 0; i < THREADS; i++)
        if (writers[i].failures)
            fail_msg("%s", writers[i].error);

    char *text = fx_read_file(f->csv, &len);
    size_t n = split_lines(text, len, &lines);
    assert_int_equal(n, 1 + WRITERS * ROWS);
    assert_string_equal(lines[0], header_line());
    char **run_ids = calloc(n - 1, sizeof(*run_ids));
    for (size_t i = 1; i < n; i++) {
        fields fs;
        int id;
        if (parse_record(lines[i], strlen(lines[i]), &fs) != 0 || fs.n != NCOL)
            fail_msg("line %zu is torn or malformed: %s", i + 1, lines[i]);
        if (sscanf(fs.v[1], "writer %d,", &id) != 1 || id < 0 || id >= WRITERS)
            fail_msg("line %zu: unexpected project_name \"%s\"", i + 1, fs.v[1]);
        char expect[64];
        snprintf(expect, sizeof(expect), "writer %d, \"the\" writer", id);
        assert_string_equal(fs.v[1], expect);
        assert_string_equal(fs.v[3], long_experiment);
        assert_string_equal(fs.v[36], "1");
        assert_uuid_v4(fs.v[2]);
        run_ids[i - 1] = strdup(fs.v[2]);
        per_writer[id]++;
        fields_free(&fs);
    }
    for (int id = 0; id < WRITERS; id++)
        if (per_writer[id] != ROWS)
            fail_msg("writer %d has %u rows, expected %d", id, per_writer[id], ROWS);
    /* Every lifecycle is its own run, whichever thread or process ran it. */
    qsort(run_ids, n - 1, sizeof(*run_ids), compare_strings);
    for (size_t i = 1; i < n - 1; i++)
        if (strcmp(run_ids[i - 1], run_ids[i]) == 0)
            fail_msg("run_id %s appears twice", run_ids[i]);
    for (size_t i = 0; i < n - 1; i++)
        free(run_ids[i]);
    free(run_ids);
    free(lines);
    free(text);
}

int main(void)
{
    fx_log_init(&g_log);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv__header_once_with_codecarbon_columns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv__row_format_and_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv__utilisation_is_the_load_read_over_the_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv__with_rapl_only_the_sampler_reads_load_and_memory,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv__a_32_column_file_is_moved_to_bak_and_logged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_csv__a_foreign_header_is_moved_aside_keeping_older_backups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv__an_empty_file_gets_the_header_then_the_row, setup,
                                        teardown),
        cmocka_unit_test(test_csv__number_format_matches_printf),
        cmocka_unit_test(test_csv__number_format_rounding_mode_and_locale),
        cmocka_unit_test_setup_teardown(test_csv__full_disk_is_eio_and_leaves_no_torn_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv__never_written_through_a_symlink_or_into_a_fifo,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv__unwritable_file_is_eio_naming_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv__threads_and_processes_never_tear_a_row, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
