/*
 * `ccbench plot FILE... [--kind distribution|history|compare] [--out PATH.png|.svg]`: write a
 * self-contained gnuplot script next to the image (PATH with .gp) and run gnuplot on it.
 * Without gnuplot the script is still written and the exit status is 2 with the install line.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bisect_read.h"
#include "cli.h"
#include "commands.h"
#include "compare_report.h"
#include "error.h"
#include "gitref.h"
#include "history.h"
#include "notes.h"
#include "options.h"
#include "paths.h"
#include "plot.h"
#include "result.h"
#include "thresholds.h"

typedef struct plot_options {
    ccb_plot_kind kind;
    const char *out, *metric, *notes, *bisect;
} plot_options;

#define OPT(member) offsetof(plot_options, member)
static const ccb_option plot_option_table[] = {
    {CCB_OPT_CALL, "kind", .offset = OPT(kind), .call = ccb_plot_kind_option, .arg = "K",
     .usage = "[--kind distribution|history|compare]",
     .help = "distribution (default): box plots of each file's raw samples,\n"
             "one box per file, one panel per metric. history: each\n"
             "metric's median over the files in time order, with its 95%\n"
             "CI band (same loader and machine filter as 'ccbench history').\n"
             "compare: FILE is a ccbench-compare/1 file (ccbench compare\n"
             "A B --format json > FILE); a bar per metric: the ratio with\n"
             "its 95% CI, its ±threshold band, coloured by verdict"},
    {CCB_OPT_STRING, "out", .offset = OPT(out), .arg = "PATH", .usage = "[--out PATH.png|.svg]",
     .help = "the image: .png (pngcairo) or .svg. Default:\n"
             "results/plots/ccbench-KIND.png (ignored by git)"},
    {CCB_OPT_STRING, "metric", .offset = OPT(metric), .arg = "S.M",
     .usage = "[--metric SCENARIO.METRIC]", .help = "one metric only (e.g. cold_init.init_us)"},
    {CCB_OPT_STRING, "notes", .offset = OPT(notes), .arg = "RANGE",
     .help = "--kind history over the git notes of RANGE instead of files:\n"
             "x is the commit order (first parents), a commit without a\n"
             "result a labelled gap, y from 0 with a ±threshold band\n"
             "around the first commit's median"},
    {CCB_OPT_STRING, "bisect", .offset = OPT(bisect), .arg = "FILE",
     .help = "with --notes: mark the first bad commit of a ccbench-bisect/1\n"
             "file (bisect --format json) and plot its metric"},
    {CCB_OPT_END},
};
#undef OPT

const ccb_command_spec cmd_plot_spec = {
    .name = "plot",
    .operands = "FILE...",
    .summary = "plot results with gnuplot: sample distributions, a metric's history, or a compare",
    .options = plot_option_table,
    .details =
        "The gnuplot script is written next to the image (PATH with .gp), self-contained (the\n"
        "data inline), so it can be edited and rerun with 'gnuplot PATH.gp'. Axes whose values\n"
        "span more than two decades are logarithmic (compare: ratios spanning more than 4x).\n"
        "\n"
        "exit status: 0 done; 2 bad usage or input, or gnuplot not on PATH (the script is still\n"
        "written; install it with: apt-get install gnuplot-nox); 3 gnuplot failed\n",
};

/* --bisect FILE: read it strictly, mark its first bad commit in H's commits (one outside the
 * range is a warning), and take its threshold. BISECTED (NULL when --metric chose): the
 * bisect's "scenario.metric" when the notes have it (malloc'd), else NULL (every metric). */
static int mark_bisect(const char *path, ccb_history *h, ccb_bisect_doc **doc, char **bisected,
                       double *threshold)
{
    char note[1024], *name = NULL;
    if (ccb_bisect_read_file(path, doc) != 0)
        return -1;
    ccb_bisect_read_mark(*doc, h, note, sizeof(note));
    if (note[0])
        fprintf(stderr, "ccbench: plot: %s\n", note);
    *threshold = (*doc)->threshold;
    if (!bisected) /* --metric chose */
        return 0;
    /* The bisected metric, when the notes have it; else every metric, as without --bisect. */
    const ccb_result **rs = calloc(h->n ? h->n : 1, sizeof(*rs));
    ccb_series *list = NULL;
    size_t count = 0;
    if (!rs || asprintf(&name, "%s.%s", (*doc)->scenario, (*doc)->name) < 0) {
        free(rs);
        return ccb_error_set("out of memory");
    }
    for (size_t i = 0; i < h->n; i++)
        rs[i] = h->entries[i].result;
    if (ccb_history_series_collect(rs, h->n, name, &list, &count) == 0) {
        *bisected = name;
        name = NULL;
    } else {
        ccb_error_clear();
        fprintf(stderr,
                "ccbench: plot: warning: the notes have no %s.%s (the metric of %s): "
                "plotting every metric\n",
                (*doc)->scenario, (*doc)->name, path);
    }
    free(list);
    free(rs);
    free(name);
    return 0;
}

/* The script text of KIND, in memory (one write, then rename: never a half script). */
static int make_script(ccb_plot_kind kind, const ccb_plot_target *t, char **files, size_t nfiles,
                       const char *notes, const char *metric, const char *bisect, char **text,
                       size_t *len, char **data, size_t *data_len)
{
    int rc = -1;
    FILE *gp = NULL, *dat = NULL;
    ccb_history h;
    ccb_compare_doc *doc = NULL;
    ccb_bisect_doc *bis = NULL;
    char *bisected = NULL; /* --bisect without --metric: the bisected metric */
    double threshold = CCB_DEFAULT_THRESHOLD;
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
        if (notes && h.without_note)
            fprintf(stderr,
                    "ccbench: plot: %zu of %zu commits in '%s' have no ccbench note: gaps\n",
                    h.without_note, h.walked, notes);
        if (bisect && mark_bisect(bisect, &h, &bis, metric ? NULL : &bisected, &threshold) != 0)
            goto done;
        if (!metric)
            metric = bisected;
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
        rc = ccb_plot_history(gp, t, &h, metric, threshold);
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
    ccb_bisect_read_free(bis);
    free(bisected);
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
    int status = -1; /* an exit status once done; -1: the last error's class says it */
    plot_options o = {.kind = CCB_PLOT_DISTRIBUTION};
    char *text = NULL, *default_out = NULL, *data = NULL;
    size_t len = 0, data_len = 0;
    ccb_plot_target t;
    memset(&t, 0, sizeof(t));

    int first = ccb_options_parse(&cmd_plot_spec, &o, argc, argv);
    if (first < 0)
        goto done;
    ccb_plot_kind kind = o.kind;
    const char *out = o.out, *metric = o.metric, *notes = o.notes, *bisect = o.bisect;
    char **files = argv + first;
    size_t nfiles = (size_t)(argc - first);
    if (kind == CCB_PLOT_COMPARE && (nfiles != 1 || notes || metric)) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "plot --kind compare takes one %s file (ccbench compare BASE CANDIDATE "
                       "--format json > FILE) and no --notes or --metric",
                       CCB_COMPARE_SCHEMA);
        goto done;
    }
    if (notes && (kind != CCB_PLOT_HISTORY || nfiles > 0)) {
        ccb_error_setc(CCB_ERROR_USAGE, "plot: --notes RANGE goes with --kind history and no FILE");
        goto done;
    }
    if (bisect && !notes) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "plot: --bisect FILE marks a commit of --kind history --notes RANGE; give "
                       "the range too");
        goto done;
    }
    if (!notes && nfiles == 0) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "plot: which result files? Usage: ccbench plot FILE... [--kind K] "
                       "[--out PATH.png|.svg]");
        goto done;
    }
    if (!out && default_plot_path(kind, &default_out) != 0)
        goto input;
    if (ccb_plot_target_init(&t, out ? out : default_out) != 0 ||
        make_script(kind, &t, files, nfiles, notes, metric, bisect, &text, &len, &data,
                    &data_len) != 0)
        goto input;
    /* The data first: a script never points at a data file that is not there. */
    if ((data && ccb_plot_write_data(&t, data, data_len) != 0) ||
        ccb_plot_write_script(&t, text, len) != 0)
        goto input;
    if (ccb_plot_run_gnuplot(&t) != 0)
        goto done;
    fprintf(stderr, "ccbench: plot written to %s (script: %s)\n", t.image, t.script);
    status = CCB_EXIT_OK;
    goto done;
input:
    /* What the user gave (the files, the range, where the image goes) could not be read or
     * written: bad input, exit 2; gnuplot's own failures keep their class (plot.c). */
    if (ccb_error_last_class() == CCB_ERROR_IO)
        ccb_error_classify(CCB_ERROR_INPUT);
done:
    free(text);
    free(data);
    free(default_out);
    ccb_plot_target_release(&t);
    return status >= 0 ? status : cmd_exit_status();
}
