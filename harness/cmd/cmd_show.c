/*
 * `ccbench show FILE`: read a result file (or a compare file) strictly and render it as a
 * table, markdown or JSON. A malformed file exits 2 with the file and the first wrong field
 * named.
 */
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "compare_report.h"
#include "error.h"
#include "options.h"
#include "report.h"
#include "result.h"

typedef struct show_options {
    ccb_format format;
    ccb_color_mode color;
    int functions;
} show_options;

static const ccb_option show_option_table[] = {
    {CCB_OPT_REPORT_FORMAT, "format", .offset = offsetof(show_options, format), .arg = "F",
     .usage = "[--format table|json|markdown]",
     .help = "table (default), json or markdown; or an export:\n"
             "github-action-benchmark, github-action-benchmark-bigger or\n"
             "bencher (see 'ccbench help run')"},
    {CCB_OPT_COLOR, "color", .offset = offsetof(show_options, color), .arg = "WHEN", .usage = "",
     .help = "auto (default), always or never"},
    {CCB_OPT_FLAG, "functions", .offset = offsetof(show_options, functions),
     .help = "the result's instruction profile: per scenario and tracker\n"
             "call, the functions with the most inclusive instructions"},
    {CCB_OPT_END},
};

const ccb_command_spec cmd_show_spec = {
    .name = "show",
    .operands = "FILE",
    .summary = "render a result file (or a compare file)",
    .options = show_option_table,
    .details =
        "A ccbench-compare/1 file (compare --format json) is shown as compare printed it.\n"
        "The file is read strictly: another schema, truncated JSON or a missing or mistyped\n"
        "field exits 2 naming the file and the field.\n",
};

int cmd_show(int argc, char **argv)
{
    show_options o = {.format = CCB_FORMAT_TABLE, .color = CCB_COLOR_AUTO};
    ccb_result *r = NULL;
    int status = -1; /* an exit status once done; -1: the last error's class says it */

    int first = ccb_options_parse(&cmd_show_spec, &o, argc, argv);
    if (first < 0)
        goto done;
    ccb_format format = o.format;
    ccb_color_mode color = o.color;
    int functions = o.functions;
    if (first != argc - 1) {
        ccb_error_setc(CCB_ERROR_USAGE, first == argc
                                            ? "show: which file? Usage: ccbench show FILE"
                                            : "show: one file at a time. Usage: ccbench show FILE");
        goto done;
    }
    int use_color = ccb_cli_use_color(color, STDOUT_FILENO);
    if (ccb_compare_show_accepts(argv[first])) {
        ccb_compare_doc *d = NULL;
        if (format != CCB_FORMAT_TABLE && format != CCB_FORMAT_MARKDOWN &&
            format != CCB_FORMAT_JSON) {
            ccb_error_setc(CCB_ERROR_USAGE,
                           "show: %s is a compare file: --format table, markdown or json",
                           argv[first]);
            goto done;
        }
        if (ccb_compare_read_file(argv[first], &d) != 0) {
            ccb_error_classify(CCB_ERROR_INPUT);
            goto done;
        }
        if (ccb_compare_show_write(stdout, d, format, use_color) == 0)
            status = CCB_EXIT_OK;
        ccb_compare_read_free(d);
        goto done;
    }
    if (ccb_result_read_file(argv[first], &r) != 0)
        goto done;
    if (format == CCB_FORMAT_TABLE || format == CCB_FORMAT_MARKDOWN || functions)
        ccb_result_neutralize_controls(r);
    if (functions) {
        if (ccb_profile_report_write(stdout, r, 15) == 0)
            status = CCB_EXIT_OK;
        goto done;
    }
    if (ccb_report_write(stdout, r, format, use_color) == 0)
        status = CCB_EXIT_OK;
done:
    ccb_result_free(r);
    /* A failure's class says the status (exit_status.c). */
    return status >= 0 ? status : cmd_exit_status();
}
