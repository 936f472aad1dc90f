/*
 * `ccbench history [FILES... | --notes RANGE] [--metric SCENARIO.METRIC]`: a metric's median
 * and CI over results in time order (files by created_at, notes by commit order), only for
 * the machine fingerprint of the newest result; the skipped ones are counted on stderr.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bisect_read.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "options.h"
#include "history.h"
#include "notes.h"

typedef struct history_options {
    const char *notes, *metric, *bisect;
    ccb_format format;
} history_options;

static const ccb_option history_option_table[] = {
    {CCB_OPT_STRING, "notes", .offset = offsetof(history_options, notes), .arg = "RANGE",
     .usage = "",
     .help = "read results from git notes (refs/notes/ccbench, written by\n"
             "'ccbench run --save-note') of RANGE: A..B, or one revision\n"
             "for all of its history. A commit without a note is a gap row;\n"
             "first parents only"},
    {CCB_OPT_STRING, "metric", .offset = offsetof(history_options, metric), .arg = "S.M",
     .usage = "[--metric SCENARIO.METRIC]", .help = "one metric only (default: every metric)"},
    {CCB_OPT_STRING, "bisect", .offset = offsetof(history_options, bisect), .arg = "FILE",
     .help = "with --notes: mark the first bad commit of a ccbench-bisect/1\n"
             "file (bisect --format json) in its row"},
    {CCB_OPT_FORMAT, "format", .offset = offsetof(history_options, format), .arg = "F",
     .usage = "[--format table|json|markdown]",
     .help = "table (default), markdown or json (schema ccbench-history/1)"},
    {CCB_OPT_END},
};

const ccb_command_spec cmd_history_spec = {
    .name = "history",
    .operands = "[FILES... | --notes RANGE]",
    .summary = "a metric's median and CI over results or commits, oldest first",
    .options = history_option_table,
    .details =
        "Files are ordered by their created_at, notes by commit order. Only results measured on\n"
        "the same machine fingerprint as the newest one (CPU model, CPUs, kernel major version,\n"
        "compiler) are shown; how many were skipped, and why, goes to stderr. Share notes with\n"
        "'git push origin refs/notes/ccbench' and 'git fetch origin\n"
        "refs/notes/ccbench:refs/notes/ccbench'.\n",
};

int cmd_history(int argc, char **argv)
{
    int status = -1; /* an exit status once done; -1: the last error's class says it */
    history_options o = {.format = CCB_FORMAT_TABLE};
    ccb_history h;
    ccb_bisect_doc *doc = NULL;
    memset(&h, 0, sizeof(h));

    int first = ccb_options_parse(&cmd_history_spec, &o, argc, argv);
    if (first < 0)
        goto done;
    const char *notes = o.notes, *metric = o.metric;
    ccb_format format = o.format;
    size_t nfiles = (size_t)(argc - first);
    if (notes && nfiles > 0) {
        ccb_error_setc(CCB_ERROR_USAGE, "history: either result FILES or --notes RANGE, not both");
        goto done;
    }
    if (o.bisect && !notes) {
        ccb_error_setc(CCB_ERROR_USAGE, "history: --bisect FILE marks a commit of --notes RANGE; "
                                        "give the range too");
        goto done;
    }
    if (o.bisect && ccb_bisect_read_file(o.bisect, &doc) != 0)
        goto done;
    if (!notes && nfiles == 0) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "history: which results? Usage: ccbench history FILE... or ccbench "
                       "history --notes RANGE (e.g. main~20..main)");
        goto done;
    }
    if (notes ? ccb_notes_load_range(&h, notes)
              : ccb_history_load_files(&h, argv + first, nfiles)) {
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
    if (ccb_history_keep_one_machine(&h, "history") != 0)
        goto done;
    if (notes && h.without_note)
        fprintf(stderr, "ccbench: history: %zu of %zu commits in '%s' have no ccbench note\n",
                h.without_note, h.walked, notes);
    if (doc) {
        char note[1024];
        ccb_bisect_read_mark(doc, &h, note, sizeof(note));
        if (note[0])
            fprintf(stderr, "ccbench: history: %s\n", note);
    }
    if (ccb_history_write(stdout, &h, metric, format) == 0)
        status = CCB_EXIT_OK;
done:
    ccb_history_release(&h);
    ccb_bisect_read_free(doc);
    /* What went wrong says what the process reports (exit_status.c). */
    return status >= 0 ? status : cmd_exit_status();
}
