/*
 * The option-value parsers every command shares (harness/util/cli.c) and the build cache's
 * content hash (harness/revision/build.c), without running ccbench: strict numbers (no sign
 * games, no trailing junk, bounds named in the message), formats, colours, profiles, the
 * "did you mean" distance, and a hash that changes with content, names and the executable
 * bit and with nothing else.
 */
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "build.h"
#include "cli.h"
#include "error.h"
#include "options.h"
#include "report.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void expect_message(const char *fragment)
{
    if (!strstr(ccb_error_message(), fragment))
        fail_msg("message \"%s\" lacks \"%s\"", ccb_error_message(), fragment);
}

static void test_cli_parse__uint_is_strict(void **state)
{
    (void)state;
    unsigned long v = 0;
    assert_int_equal(ccb_cli_parse_uint("run: --samples", "12", 1, 100, &v), 0);
    assert_int_equal(v, 12);
    const char *bad[] = {
        "", "-1", "+3", " 3", "3 ", "3x", "0x10", "1e3", "101", "0", "99999999999999999999999"};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        if (ccb_cli_parse_uint("run: --samples", bad[i], 1, 100, &v) != -1)
            fail_msg("'%s' was accepted", bad[i]);
        expect_message("--samples");
    }
}

static void test_cli_parse__positive_numbers(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(ccb_cli_parse_positive("run: --duration", "0.5", 0.001, 3600, &v), 0);
    assert_true(v == 0.5);
    const char *bad[] = {"0", "-1", "nan", "inf", "1e9", "0.0001", "1s", ""};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        if (ccb_cli_parse_positive("run: --duration", bad[i], 0.001, 3600, &v) != -1)
            fail_msg("'%s' was accepted", bad[i]);
        expect_message("--duration");
    }
}

static void test_cli_parse__formats_colours_profiles(void **state)
{
    (void)state;
    ccb_format f;
    ccb_color_mode c;
    int p;
    assert_int_equal(ccb_cli_parse_format("x: --format", "markdown", &f), 0);
    assert_int_equal(f, CCB_FORMAT_MARKDOWN);
    /* The exports belong to single results only. */
    assert_int_equal(ccb_cli_parse_format("x: --format", "bencher", &f), -1);
    assert_int_equal(ccb_cli_parse_report_format("x: --format", "bencher", &f), 0);
    assert_int_equal(f, CCB_FORMAT_BENCHER);
    assert_int_equal(ccb_cli_parse_format("x: --format", "JSON", &f), -1);
    expect_message("--format");
    assert_int_equal(ccb_cli_parse_color("x: --color", "never", &c), 0);
    assert_int_equal(c, CCB_COLOR_NEVER);
    assert_int_equal(ccb_cli_parse_color("x: --color", "yes", &c), -1);
    assert_int_equal(ccb_cli_parse_profile("x: --profile", "quick", &p), 0);
    assert_int_equal(ccb_cli_parse_profile("x: --profile", "fast", &p), -1);
    expect_message("quick");
    /* NEVER wins over a terminal; ALWAYS over a pipe. */
    assert_int_equal(ccb_cli_use_color(CCB_COLOR_NEVER, STDERR_FILENO), 0);
    assert_int_equal(ccb_cli_use_color(CCB_COLOR_ALWAYS, -1), 1);
}

static void test_cli_parse__cpu_must_be_ours(void **state)
{
    (void)state;
    long cpu = -1;
    assert_int_equal(ccb_cli_parse_cpu("x: --cpu", "0", &cpu), 0);
    assert_int_equal(cpu, 0);
    assert_int_equal(ccb_cli_parse_cpu("x: --cpu", "100000", &cpu), -1);
    expect_message("--cpu");
    assert_int_equal(ccb_cli_parse_cpu("x: --cpu", "-1", &cpu), -1);
}

static void test_cli_parse__did_you_mean(void **state)
{
    (void)state;
    assert_int_equal(ccb_cli_edit_distance("samples", "samples"), 0);
    assert_int_equal(ccb_cli_edit_distance("samle", "samples"), 2);
    assert_int_equal(ccb_cli_edit_distance("smaples", "samples"), 1); /* one transposition */
    assert_int_equal(ccb_cli_edit_distance("", "abc"), 3);
    const char *opts[] = {"samples", "scenario", "seed"};
    assert_string_equal(ccb_cli_nearest("samle", opts, 3), "samples");
    assert_string_equal(ccb_cli_nearest("scen", opts, 3), "scenario"); /* a unique prefix */
    assert_null(ccb_cli_nearest("threads", opts, 3));
    static const struct option longopts[] = {{"samples", required_argument, NULL, 'n'},
                                             {NULL, 0, NULL, 0}};
    assert_int_equal(ccb_cli_option_error("run", '?', "--samle", longopts), -1);
    expect_message("--samples");
}

/* ---------------------------------------------------------------------------------------- */
/* The build cache's content hash */

static char root[] = "/tmp/ccb-test-hash-XXXXXX";

static void write_file(const char *rel, const char *text, mode_t mode)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void hash(char *hex)
{
    const char *paths[] = {"tracker", "CMakeLists.txt"};
    assert_int_equal(ccb_build_hash_paths(root, paths, 2, hex), 0);
}

static void test_cli_parse__build_hash_follows_content_names_and_mode(void **state)
{
    (void)state;
    char dirpath[256], a[80], b[80];
    assert_non_null(mkdtemp(root));
    snprintf(dirpath, sizeof(dirpath), "%s/tracker", root);
    assert_int_equal(mkdir(dirpath, 0755), 0);
    write_file("tracker/a.c", "int a;\n", 0644);
    write_file("tracker/b.c", "int b;\n", 0644);
    write_file("CMakeLists.txt", "project(x)\n", 0644);
    hash(a);
    hash(b);
    assert_string_equal(a, b); /* deterministic */

    write_file("tracker/a.c", "int a; \n", 0644); /* content */
    hash(b);
    assert_string_not_equal(a, b);
    write_file("tracker/a.c", "int a;\n", 0644);
    hash(b);
    assert_string_equal(a, b); /* back to the same bytes: the same key */

    write_file("tracker/a.c", "int a;\n", 0755); /* the executable bit */
    hash(b);
    assert_string_not_equal(a, b);
    write_file("tracker/a.c", "int a;\n", 0644);

    char from[256], to[256];
    snprintf(from, sizeof(from), "%s/tracker/b.c", root);
    snprintf(to, sizeof(to), "%s/tracker/c.c", root);
    assert_int_equal(rename(from, to), 0); /* a name */
    hash(b);
    assert_string_not_equal(a, b);
    assert_int_equal(rename(to, from), 0);

    /* A file outside the hashed paths changes nothing. */
    write_file("README.md", "hello\n", 0644);
    hash(b);
    assert_string_equal(a, b);

    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

/* Numbers in tables: SI prefixes from 100,000 up (exact values stay in JSON). */
static void test_cli_parse__table_numbers_use_si_prefixes(void **state)
{
    (void)state;
    const struct {
        double v;
        const char *want;
    } cases[] = {{2483652, "2.48M"}, {74624, "74624"}, {250000, "250k"}, {1.5e9, "1.50G"},
                 {-3.2e6, "-3.20M"}, {0.371, "0.371"}, {12.8, "12.80"},  {999999, "1.00M"}};
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        char buf[32];
        ccb_report_format_number(buf, sizeof(buf), cases[i].v);
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("%g: \"%s\", expected \"%s\"", cases[i].v, buf, cases[i].want);
    }
}

/* A command's options as a table (options.h): what each kind stores, what it refuses, and
 * the synopsis and help drawn from the same table. */
typedef struct table_opts {
    int quiet, mode, seed_given;
    const char *label;
    unsigned long n;
    uint64_t seed;
    double secs;
    ccb_format format;
    int calls;
    char last[16];
} table_opts;

static int count_call(void *field, const char *command, const char *arg)
{
    table_opts *o = (table_opts *)((char *)field - offsetof(table_opts, calls));
    (void)command;
    if (strcmp(arg, "bad") == 0)
        return ccb_error_set("no");
    o->calls++;
    snprintf(o->last, sizeof(o->last), "%s", arg);
    return 0;
}

static const ccb_option test_table[] = {
    {CCB_OPT_FLAG, "quiet", 'q', .offset = offsetof(table_opts, quiet), .help = "quiet"},
    {CCB_OPT_STRING, "label", .offset = offsetof(table_opts, label), .arg = "TEXT",
     .help = "a label\non two lines"},
    {CCB_OPT_ULONG, "samples", .offset = offsetof(table_opts, n), .lo = 1, .hi = 9, .arg = "N"},
    {CCB_OPT_U64, "seed", .offset = offsetof(table_opts, seed),
     .given = CCB_OPT_GIVEN(table_opts, seed_given), .lo = 0, .hi = 1000, .arg = "N"},
    {CCB_OPT_POSITIVE, "duration", .offset = offsetof(table_opts, secs), .dlo = 0.5, .dhi = 2,
     .arg = "SEC"},
    {CCB_OPT_FORMAT, "format", .offset = offsetof(table_opts, format), .arg = "F",
     .usage = "[--format table|json|markdown]"},
    {CCB_OPT_CALL, "scenario", .offset = offsetof(table_opts, calls), .call = count_call,
     .arg = "NAME"},
    {CCB_OPT_HELP, "scenario", .arg = "S.M", .usage = "[--scenario S.M]", .help = "more"},
    {CCB_OPT_SET, "on", .offset = offsetof(table_opts, mode), .set = 1, .usage = "[--on|--off]",
     .label = "--on, --off", .help = "switch"},
    {CCB_OPT_SET, "off", .offset = offsetof(table_opts, mode), .set = 2, .usage = ""},
    {CCB_OPT_END},
};

static const ccb_command_spec test_spec = {
    .name = "demo", .operands = "FILE", .summary = "x", .options = test_table};

static int parse(table_opts *o, const char *const *args, size_t n)
{
    char *argv[16];
    argv[0] = (char *)"demo";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    memset(o, 0, sizeof(*o));
    ccb_error_clear();
    return ccb_options_parse(&test_spec, o, (int)n + 1, argv);
}

static void test_cli_parse__option_tables_store_each_kind(void **state)
{
    (void)state;
    table_opts o;
    const char *args[] = {"-q",     "file.json",  "--label=x y", "--samples", "3",
                          "--seed", "7",          "--duration",  "1.5",       "--format",
                          "json",   "--scenario", "a",           "--scen=b",  "--off"};
    int first = parse(&o, args, sizeof(args) / sizeof(args[0]));
    /* GNU permutation: the operand ends up after the options. */
    assert_int_equal(first, (int)(sizeof(args) / sizeof(args[0])));
    assert_int_equal(o.quiet, 1);
    assert_string_equal(o.label, "x y");
    assert_int_equal(o.n, 3);
    assert_true(o.seed == 7 && o.seed_given == 1);
    assert_true(o.secs == 1.5);
    assert_int_equal(o.format, CCB_FORMAT_JSON);
    assert_int_equal(o.calls, 2);
    assert_string_equal(o.last, "b");
    assert_int_equal(o.mode, 2);

    const char *none[] = {"f"};
    assert_int_equal(parse(&o, none, 1), 1);
    assert_int_equal(o.seed_given, 0); /* untouched when not given */
}

static void test_cli_parse__option_tables_refuse_with_usage_errors(void **state)
{
    (void)state;
    table_opts o;
    struct {
        const char *args[3];
        size_t n;
        const char *says;
    } bad[] = {
        {{"--samples", "10"}, 2, "--samples"},       /* above .hi */
        {{"--samples", "1x"}, 2, "--samples"},       /* junk */
        {{"--seed", "1001"}, 2, "--seed"},           /* U64 above .hi */
        {{"--duration", "0.1"}, 2, "--duration"},    /* below .dlo */
        {{"--format", "xml"}, 2, "--format"},        /* not a format */
        {{"--scenario", "bad"}, 2, "no"},            /* the callback's own message */
        {{"--sampels=3"}, 1, "--samples"},           /* a typo: did you mean */
        {{"--label"}, 1, "needs a value"},           /* missing value */
        {{"--on", "--off"}, 2, "exclude each other"} /* opposite settings of one field */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(&o, bad[i].args, bad[i].n), -1);
        assert_int_equal(ccb_error_last_class(), CCB_ERROR_USAGE);
        if (!strstr(ccb_error_message(), bad[i].says))
            fail_msg("case %zu: '%s' does not say '%s'", i, ccb_error_message(), bad[i].says);
    }
    /* The same setting twice is no contradiction. */
    const char *twice[] = {"--on", "--on"};
    assert_int_equal(parse(&o, twice, 2), 3);
    assert_int_equal(o.mode, 1);
}

static void test_cli_parse__option_tables_give_synopsis_and_help(void **state)
{
    (void)state;
    char syn[256];
    ccb_options_synopsis(&test_spec, syn, sizeof(syn));
    assert_string_equal(syn, "FILE [--quiet] [--label TEXT] [--samples N] [--seed N] "
                             "[--duration SEC] [--format table|json|markdown] [--scenario NAME] "
                             "[--scenario S.M] [--on|--off]");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    ccb_options_print_help(out, &test_spec);
    fclose(out);
    assert_string_equal(text, "options:\n"
                              "  --quiet                 quiet\n"
                              "  --label TEXT            a label\n"
                              "                          on two lines\n"
                              "  --scenario S.M          more\n"
                              "  --on, --off             switch\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_parse__uint_is_strict),
        cmocka_unit_test(test_cli_parse__option_tables_store_each_kind),
        cmocka_unit_test(test_cli_parse__option_tables_refuse_with_usage_errors),
        cmocka_unit_test(test_cli_parse__option_tables_give_synopsis_and_help),
        cmocka_unit_test(test_cli_parse__positive_numbers),
        cmocka_unit_test(test_cli_parse__formats_colours_profiles),
        cmocka_unit_test(test_cli_parse__cpu_must_be_ours),
        cmocka_unit_test(test_cli_parse__did_you_mean),
        cmocka_unit_test(test_cli_parse__table_numbers_use_si_prefixes),
        cmocka_unit_test(test_cli_parse__build_hash_follows_content_names_and_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
