/*
 * `ccbench plot FILE... [--kind distribution|history|compare] [--out PATH.png|.svg]`: write a
 * self-contained gnuplot script next to the image (PATH with .gp) and run gnuplot on it.
 * Without gnuplot the script is still written and the exit status is 2 with the install line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "compare_report.h"
#include "error.h"
#include "gitref.h"
#include "history.h"
#include "notes.h"
#include "paths.h"
#include "plot.h"
#include "result.h"

static const struct option longopts[] = {
    {"kind", required_argument, NULL, 'k'},
    {"out", required_argument, NULL, 'o'},
    {"metric", required_argument, NULL, 'm'},
    {"notes", required_argument, NULL, 'N'},
    {NULL, 0, NULL, 0},
};

/* The script text of KIND, in memory (one write, then rename: never a half script). */
static int make_script(ccb_plot_kind kind, const ccb_plot_target *t, char **files, size_t nfiles,
                       const char *notes, const char *metric, char **text, size_t *len, char **data,
                       size_t *data_len)
{
    int rc = -1;
    FILE *gp = NULL, *dat = NULL;
    ccb_history h;
    ccb_compare_doc *doc = NULL;
    memset(&h, 0, sizeof(h));
    *text = NULL;
    *len = 0;
    *data = NULL;
    *data_len = 0;

    if (kind == CCB_PLOT_COMPARE) {
        /* One compare file: nothing to merge or filter, the rows are the report's. */
        if (ccb_compare_read_file(files[0], &doc) != 0)
            goto done;
    } else if (kind == CCB_PLOT_HISTORY) {
        if (notes ? ccb_notes_load_range(&h, notes) : ccb_history_load_files(&h, files, nfiles))
            goto done;
        if (h.n == 0) {
            ccb_error_set("plot: no result to plot%s", notes ? " (no commit in the range has a "
                                                               "ccbench note)"
                                                             : "");
            goto done;
        }
        if (ccb_history_keep_one_machine(&h, "plot") != 0)
            goto done;
    } else {
        /* distribution: the files in the order given (the first is the baseline). */
        for (size_t i = 0; i < nfiles; i++) {
            ccb_result *r = NULL;
            if (ccb_result_read_file(files[i], &r) != 0 ||
                ccb_history_add(&h, r, files[i], NULL) != 0)
                goto done;
        }
    }
    if (h.duplicates)
        fprintf(stderr,
                "ccbench: plot: %zu file(s) held a result already given (results/latest.json "
                "is a copy of the newest run): shown once\n",
                h.duplicates);
    gp = open_memstream(text, len);
    dat = kind == CCB_PLOT_DISTRIBUTION ? open_memstream(data, data_len) : NULL;
    if (!gp || (kind == CCB_PLOT_DISTRIBUTION && !dat)) {
        ccb_error_set("out of memory");
        goto done;
    }
    if (kind == CCB_PLOT_COMPARE) {
        rc = ccb_plot_compare(gp, t, doc);
    } else if (kind == CCB_PLOT_HISTORY) {
        rc = ccb_plot_history(gp, t, &h, metric);
    } else {
        rc = ccb_plot_distribution(gp, dat, t, &h, metric);
    }
done:
    if (gp && fclose(gp) != 0 && rc == 0)
        rc = ccb_error_set("out of memory writing the plot script");
    if (dat && fclose(dat) != 0 && rc == 0)
        rc = ccb_error_set("out of memory writing the plot data");
    if (rc != 0) {
        free(*text);
        *text = NULL;
        free(*data);
        *data = NULL;
    }
    ccb_history_release(&h);
    ccb_compare_read_free(doc);
    return rc;
}

/* Without --out a picture goes where results go, under plots/ (results/plots/ in a checkout,
 * which git ignores): a plot made by the book never marks the tree dirty. */
static int default_plot_path(ccb_plot_kind kind, char **out)
{
    ccb_git_info git;
    char *workdir = NULL, *dir = NULL, *plots = NULL;
    int rc = -1;
    memset(&git, 0, sizeof(git));
    if (ccb_gitref_describe_cwd(&git, &workdir) != 0)
        ccb_error_clear(); /* outside a repository: ./results, as run does */
    if (ccb_paths_results_dir(workdir, &dir) != 0)
        goto done;
    if (asprintf(&plots, "%s/plots", dir) < 0) {
        plots = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    if (ccb_paths_mkdir_p(plots, 0755) != 0)
        goto done;
    if (asprintf(out, "%s/ccbench-%s.png", plots,
                 kind == CCB_PLOT_HISTORY   ? "history"
                 : kind == CCB_PLOT_COMPARE ? "compare"
                                            : "distribution") < 0) {
        *out = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    rc = 0;
done:
    ccb_result_git_info_release(&git);
    free(workdir);
    free(dir);
    free(plots);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    int status = CCB_EXIT_USAGE;
    ccb_plot_kind kind = CCB_PLOT_DISTRIBUTION;
    const char *out = NULL, *metric = NULL, *notes = NULL;
    char *text = NULL, *default_out = NULL, *data = NULL;
    size_t len = 0, data_len = 0;
    ccb_plot_target t;
    memset(&t, 0, sizeof(t));

    opterr = 0;
    optind = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == 'k') {
            if (ccb_plot_kind_parse(optarg, &kind) != 0)
                goto done;
        } else if (opt == 'o') {
            out = optarg;
        } else if (opt == 'm') {
            metric = optarg;
        } else if (opt == 'N') {
            notes = optarg;
        } else {
            ccb_cli_option_error("plot", opt, argv[optind - 1], longopts);
            goto done;
        }
    }
    char **files = argv + optind;
    size_t nfiles = (size_t)(argc - optind);
    if (kind == CCB_PLOT_COMPARE && (nfiles != 1 || notes || metric)) {
        ccb_error_set("plot --kind compare takes one %s file (ccbench compare BASE CANDIDATE "
                      "--format json > FILE) and no --notes or --metric",
                      CCB_COMPARE_SCHEMA);
        goto done;
    }
    if (notes && (kind != CCB_PLOT_HISTORY || nfiles > 0)) {
        ccb_error_set("plot: --notes RANGE goes with --kind history and no FILE");
        goto done;
    }
    if (!notes && nfiles == 0) {
        ccb_error_set("plot: which result files? Usage: ccbench plot FILE... [--kind K] "
                      "[--out PATH.png|.svg]");
        goto done;
    }
    if (!out) {
        if (default_plot_path(kind, &default_out) != 0)
            goto done;
        out = default_out;
    }
    if (ccb_plot_target_init(&t, out) != 0)
        goto done;
    if (make_script(kind, &t, files, nfiles, notes, metric, &text, &len, &data, &data_len) != 0)
        goto done;
    /* The data first: a script never points at a data file that is not there. */
    if ((data && ccb_plot_write_data(&t, data, data_len) != 0) ||
        ccb_plot_write_script(&t, text, len) != 0)
        goto done;
    status = ccb_plot_run_gnuplot(&t) == 0 ? CCB_EXIT_OK : cmd_exit_status();
    if (status == CCB_EXIT_OK)
        fprintf(stderr, "ccbench: plot written to %s (script: %s)\n", t.image, t.script);
done:
    free(text);
    free(data);
    free(default_out);
    ccb_plot_target_release(&t);
    return status;
}
