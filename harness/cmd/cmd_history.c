/*
 * `ccbench history [FILES... | --notes RANGE] [--metric SCENARIO.METRIC]`: a metric's median
 * and CI over results in time order (files by created_at, notes by commit order), only for
 * the machine fingerprint of the newest result; the skipped ones are counted on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bisect_read.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "history.h"
#include "notes.h"

static const struct option longopts[] = {
    {"notes", required_argument, NULL, 'N'},
    {"metric", required_argument, NULL, 'm'},
    {"format", required_argument, NULL, 'f'},
    {"bisect", required_argument, NULL, 'B'},
    {NULL, 0, NULL, 0},
};

int cmd_history(int argc, char **argv)
{
    int status = CCB_EXIT_USAGE;
    const char *notes = NULL, *metric = NULL, *bisect = NULL;
    ccb_bisect_doc *doc = NULL;
    ccb_format format = CCB_FORMAT_TABLE;
    ccb_history h;
    memset(&h, 0, sizeof(h));

    opterr = 0;
    optind = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == 'N') {
            notes = optarg;
        } else if (opt == 'm') {
            metric = optarg;
        } else if (opt == 'B') {
            bisect = optarg;
        } else if (opt == 'f') {
            if (ccb_cli_parse_format("history: --format", optarg, &format) != 0)
                goto done;
        } else {
            ccb_cli_option_error("history", opt, argv[optind - 1], longopts);
            goto done;
        }
    }
    size_t nfiles = (size_t)(argc - optind);
    if (notes && nfiles > 0) {
        ccb_error_setc(CCB_ERROR_USAGE, "history: either result FILES or --notes RANGE, not both");
        goto done;
    }
    if (bisect && !notes) {
        ccb_error_setc(CCB_ERROR_USAGE, "history: --bisect FILE marks a commit of --notes RANGE; "
                                        "give the range too");
        goto done;
    }
    if (bisect && ccb_bisect_doc_read_file(bisect, &doc) != 0)
        goto done;
    if (!notes && nfiles == 0) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "history: which results? Usage: ccbench history FILE... or ccbench "
                       "history --notes RANGE (e.g. main~20..main)");
        goto done;
    }
    if (notes ? ccb_notes_load_range(&h, notes)
              : ccb_history_load_files(&h, argv + optind, nfiles)) {
        /* A file or a range the user gave could not be read: bad input (exit 2). */
        if (ccb_error_last_class() == CCB_ERROR_IO)
            ccb_error_classify(CCB_ERROR_INPUT);
        goto done;
    }
    if (notes && h.n == 0) {
        ccb_error_setc(CCB_ERROR_INPUT,
                       "history: none of the %zu commits of '%s' has a ccbench note; record "
                       "one with 'ccbench run --save-note', or fetch them with 'git fetch origin "
                       "refs/notes/ccbench:refs/notes/ccbench'",
                       h.walked, notes);
        goto done;
    }
    if (ccb_history_filter_machine(&h) != 0)
        goto done;
    char summary[1024];
    ccb_history_skip_summary(&h, summary, sizeof(summary));
    if (summary[0])
        fprintf(stderr, "ccbench: history: %s\n", summary);
    if (notes && h.without_note)
        fprintf(stderr, "ccbench: history: %zu of %zu commits in '%s' have no ccbench note\n",
                h.without_note, h.walked, notes);
    if (doc) {
        char warning[1024];
        ccb_bisect_doc_mark(doc, &h, warning, sizeof(warning));
        if (warning[0])
            fprintf(stderr, "ccbench: history: warning: %s\n", warning);
        else if (!doc->regression)
            fprintf(stderr, "ccbench: history: %s found no regression: no commit to mark\n",
                    bisect);
    }
    if (ccb_history_write(stdout, &h, metric, format) == 0)
        status = CCB_EXIT_OK;
done:
    ccb_history_release(&h);
    ccb_bisect_doc_free(doc);
    /* What went wrong says what the process reports (exit_status.c). */
    return status == CCB_EXIT_OK ? status : cmd_exit_status();
}
