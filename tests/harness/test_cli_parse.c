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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_parse__uint_is_strict),
        cmocka_unit_test(test_cli_parse__positive_numbers),
        cmocka_unit_test(test_cli_parse__formats_colours_profiles),
        cmocka_unit_test(test_cli_parse__cpu_must_be_ours),
        cmocka_unit_test(test_cli_parse__did_you_mean),
        cmocka_unit_test(test_cli_parse__table_numbers_use_si_prefixes),
        cmocka_unit_test(test_cli_parse__build_hash_follows_content_names_and_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
