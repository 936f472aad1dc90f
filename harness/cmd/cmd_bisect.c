/*
 * `ccbench bisect GOOD BAD --metric SCENARIO.METRIC`: which commit made the metric worse. The
 * search is compare/bisect.c; this file parses the options, runs it, writes the report
 * (report/bisect_report.c) and maps the outcome. Exit: 1 a culprit (or range) found, 0 no
 * regression, 2 bad input, 3 GOOD or BAD do not build, 130 ^C.
 */
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abba.h"
#include "bisect.h"
#include "bisect_report.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "options.h"
#include "shared_options.h"
#include "paths.h"

typedef struct bisect_options {
    const char *good, *bad, *metric, *repo;
    ccb_thresholds thresholds;
    ccb_profile profile;
    unsigned long blocks;   /* per step's first round; 0: the profile's, at least 12 */
    unsigned int budget_ms; /* per step's first round (0 with --blocks): more blocks while it
                               lasts */
    uint64_t seed;
    int seed_given, quiet;
    long cpu;
    ccb_format format;
} bisect_options;

#define OPT(member) offsetof(bisect_options, member)
static const ccb_option bisect_option_table[] = {
    {CCB_OPT_STRING, "metric", .offset = OPT(metric), .arg = "S.M",
     .usage = "--metric SCENARIO.METRIC", .help = "the metric to bisect (e.g. cold_init.start_us)"},
    {CCB_OPT_CALL, "threshold", .offset = OPT(thresholds), .call = ccb_thresholds_option,
     .arg = "PCT", .help = "how much worse counts as bad (as compare's --threshold)"},
    {CCB_OPT_PROFILE, "profile", .offset = OPT(profile), .arg = "P",
     .help = "quick, default or full (default: default)"},
    {CCB_OPT_ULONG, "blocks", .offset = OPT(blocks), .lo = 2, .hi = CCB_ABBA_MAX_BLOCKS, .arg = "N",
     .help = "exactly N ABBA blocks per step and round (default: at least\n"
             "12, more while the step's budget lasts: quick 4 s, default\n"
             "15 s; full: 30 blocks)"},
    CCB_OPTION_SEED(bisect_options, "seed of the first step's block order (default: the clock)"),
    CCB_OPTION_CPU(bisect_options),
    CCB_OPTION_REPO(bisect_options),
    {CCB_OPT_FORMAT, "format", .offset = OPT(format), .arg = "F",
     .usage = "[--format table|json|markdown]",
     .help = "table (default), markdown, or json (ccbench-bisect/1)"},
    CCB_OPTION_QUIET(bisect_options),
    {CCB_OPT_END},
};
#undef OPT

const ccb_command_spec cmd_bisect_spec = {
    .name = "bisect",
    .operands = "GOOD BAD",
    .summary = "find the first commit between GOOD and BAD that made a metric worse",
    .options = bisect_option_table,
    .details =
        "Walks the first-parent commits from GOOD (an ancestor of BAD) to BAD with libgit2. Each\n"
        "step is one live compare of GOOD against a commit, the metric's scenario only: ABBA\n"
        "blocks, compare's verdict, a regression confirmed in a fresh round. A step still\n"
        "undecided (inconclusive, below noise, a regression not confirmed) is measured once\n"
        "more with twice the blocks, then counts as bad when its estimate is nearer BAD's\n"
        "change than no change (the steps say so). First BAD is checked: when it is not\n"
        "worse than GOOD the answer is 'no regression between GOOD and BAD'. Only commits with\n"
        "a new tracker/ tree are built (build cache); an equal tree takes the verdict already\n"
        "known. A commit that does not build is skipped, as git bisect skip, and the answer is\n"
        "then a range. The user's HEAD, index, refs and work tree are never touched.\n"
        "\n"
        "exit status: 0 no regression between GOOD and BAD; 1 the first bad commit (or the\n"
        "range) found; 2 bad usage, unknown metric or revision, GOOD not an ancestor of BAD;\n"
        "3 GOOD or BAD does not build, or a scenario failed\n",
};

static int parse_options(int argc, char **argv, bisect_options *o)
{
    memset(o, 0, sizeof(*o));
    ccb_thresholds_init(&o->thresholds);
    o->profile = CCB_PROFILE_DEFAULT;
    o->cpu = -1;
    int first = ccb_options_parse(&cmd_bisect_spec, o, argc, argv);
    if (first < 0)
        return -1;
    if (argc - first != 2)
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "bisect: give GOOD and BAD (two revisions, GOOD an ancestor of "
                              "BAD). Usage: ccbench bisect GOOD BAD --metric SCENARIO.METRIC");
    o->good = argv[first];
    o->bad = argv[first + 1];
    if (!o->metric)
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "bisect: which metric? Give --metric SCENARIO.METRIC (e.g. "
                              "cold_init.start_us; 'ccbench list' shows them)");
    if (!o->blocks) {
        o->blocks = ccb_abba_default_blocks(o->profile);
        if (o->blocks < CCB_BISECT_MIN_BLOCKS)
            o->blocks = CCB_BISECT_MIN_BLOCKS;
        o->budget_ms = ccb_bisect_step_budget_ms(o->profile);
    }
    if (!o->seed_given)
        o->seed = ccb_abba_default_seed();
    return 0;
}

int cmd_bisect(int argc, char **argv)
{
    int status = -1; /* an exit status once done; -1: the last error's class says it */
    bisect_options o;
    ccb_bisect_report rep;
    memset(&rep, 0, sizeof(rep));
    if (parse_options(argc, argv, &o) != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    ccb_bisect_options bo = {.good = o.good,
                             .bad = o.bad,
                             .repo = o.repo,
                             .thresholds = &o.thresholds,
                             .profile = o.profile,
                             .blocks = o.blocks,
                             .budget_ms = o.budget_ms,
                             .seed = o.seed,
                             .cpu = o.cpu,
                             .quiet = o.quiet};
    /* An unknown metric, or a TMPDIR that cannot take the children's logs: the user's to fix. */
    if (ccb_bisect_find_metric(o.metric, &bo.scenario, &bo.metric) != 0 ||
        ccb_paths_tempdir_check() != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    if (ccb_bisect_run(&bo, &rep) != 0 || ccb_bisect_report_write(stdout, &rep, o.format) != 0)
        goto done;
    if (!rep.regression) {
        if (!o.quiet)
            fprintf(stderr, "ccbench: bisect: no regression between %s and %s on %s.%s (%s)\n",
                    o.good, o.bad, rep.scenario->name, rep.metric->name,
                    rep.steps[0].verdict == CCB_VERDICT_INCONCLUSIVE ||
                            rep.steps[0].verdict == CCB_VERDICT_BELOW_NOISE
                        ? "not shown worse even with more blocks: raise --blocks or --threshold"
                        : "BAD is not worse than GOOD beyond the threshold");
        status = CCB_EXIT_OK;
        goto done;
    }
    if (rep.first == rep.last)
        ccb_error_set("bisect: %s.%s regressed first at %.12s", rep.scenario->name,
                      rep.metric->name, rep.commits[rep.first].sha);
    else
        ccb_error_set("bisect: %s.%s regressed first at one of the %zu commits %.12s..%.12s "
                      "(skipped ones leave a range)",
                      rep.scenario->name, rep.metric->name, rep.last - rep.first + 1,
                      rep.commits[rep.first].sha, rep.commits[rep.last].sha);
    status = CCB_EXIT_REGRESSION;
done:
    ccb_bisect_report_release(&rep);
    ccb_thresholds_release(&o.thresholds);
    return status >= 0 ? status : cmd_exit_status();
}
