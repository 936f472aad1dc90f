/*
 * `ccbench show FILE`: read a result file (or a compare file) strictly and render it as a
 * table, markdown or JSON. A malformed file exits 2 with the file and the first wrong field
 * named.
 */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "compare_report.h"
#include "error.h"
#include "report.h"
#include "result.h"

static const struct option longopts[] = {
    {"format", required_argument, NULL, 'f'},
    {"color", required_argument, NULL, 'C'},
    {"functions", no_argument, NULL, 'F'},
    {NULL, 0, NULL, 0},
};

int cmd_show(int argc, char **argv)
{
    ccb_format format = CCB_FORMAT_TABLE;
    ccb_color_mode color = CCB_COLOR_AUTO;
    ccb_result *r = NULL;
    int status = CCB_EXIT_USAGE, functions = 0;

    opterr = 0;
    optind = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == 'f' && ccb_cli_parse_report_format("show: --format", optarg, &format) == 0)
            continue;
        if (opt == 'C' && ccb_cli_parse_color("show: --color", optarg, &color) == 0)
            continue;
        if (opt == 'F') {
            functions = 1;
            continue;
        }
        if (opt != 'f' && opt != 'C')
            ccb_cli_option_error("show", opt, argv[optind - 1], longopts);
        goto done;
    }
    if (optind != argc - 1) {
        ccb_error_setc(CCB_ERROR_USAGE, optind == argc
                                            ? "show: which file? Usage: ccbench show FILE"
                                            : "show: one file at a time. Usage: ccbench show FILE");
        goto done;
    }
    int use_color = ccb_cli_use_color(color, STDOUT_FILENO);
    if (ccb_compare_doc_is(argv[optind])) {
        ccb_compare_doc *d = NULL;
        if (format != CCB_FORMAT_TABLE && format != CCB_FORMAT_MARKDOWN &&
            format != CCB_FORMAT_JSON) {
            ccb_error_setc(CCB_ERROR_USAGE,
                           "show: %s is a compare file: --format table, markdown or json",
                           argv[optind]);
            goto done;
        }
        if (ccb_compare_doc_read_file(argv[optind], &d) != 0) {
            ccb_error_classify(CCB_ERROR_INPUT);
            goto done;
        }
        status = ccb_compare_doc_write(stdout, d, format, use_color) == 0 ? CCB_EXIT_OK
                                                                          : CCB_EXIT_FAILURE;
        ccb_compare_doc_free(d);
        goto done;
    }
    if (ccb_result_read_file(argv[optind], &r) != 0)
        goto done;
    if (format == CCB_FORMAT_TABLE || format == CCB_FORMAT_MARKDOWN || functions)
        ccb_result_neutralize_controls(r);
    if (functions) {
        status = ccb_report_write_functions(stdout, r, 15) == 0 ? CCB_EXIT_OK : CCB_EXIT_USAGE;
        goto done;
    }
    status = ccb_report_write(stdout, r, format, use_color) == 0 ? CCB_EXIT_OK : CCB_EXIT_FAILURE;
done:
    ccb_result_free(r);
    /* A failure's class says the status (exit_status.c); a report that could not be written
     * keeps its own. */
    return status == CCB_EXIT_USAGE ? cmd_exit_status() : status;
}
