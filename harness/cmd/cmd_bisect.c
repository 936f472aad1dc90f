/*
 * `ccbench bisect GOOD BAD --metric SCENARIO.METRIC`: which commit made the metric worse. The
 * search is compare/bisect.c; this file parses the options, runs it, writes the report
 * (report/bisect_report.c) and maps the outcome. Exit: 1 a culprit (or range) found, 0 no
 * regression, 2 bad input, 3 GOOD or BAD do not build, 130 ^C.
 */
#include <getopt.h>
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

static const struct option longopts[] = {
    {"metric", required_argument, NULL, 'm'},  {"threshold", required_argument, NULL, 't'},
    {"profile", required_argument, NULL, 'p'}, {"blocks", required_argument, NULL, 'b'},
    {"seed", required_argument, NULL, 'S'},    {"cpu", required_argument, NULL, 'c'},
    {"format", required_argument, NULL, 'f'},  {"repo", required_argument, NULL, 'r'},
    {"quiet", no_argument, NULL, 'q'},         {NULL, 0, NULL, 0},
};

static int parse_options(int argc, char **argv, bisect_options *o)
{
    memset(o, 0, sizeof(*o));
    ccb_thresholds_init(&o->thresholds);
    o->profile = CCB_PROFILE_DEFAULT;
    o->cpu = -1;
    opterr = 0;
    optind = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":q", longopts, NULL);
        if (opt == -1)
            break;
        unsigned long v = 0;
        int profile;
        switch (opt) {
        case 'm':
            o->metric = optarg;
            break;
        case 't':
            if (ccb_thresholds_parse(&o->thresholds, optarg) != 0)
                return -1;
            break;
        case 'p':
            if (ccb_cli_parse_profile("bisect: --profile", optarg, &profile) != 0)
                return -1;
            o->profile = (ccb_profile)profile;
            break;
        case 'b':
            if (ccb_cli_parse_uint("bisect: --blocks", optarg, 2, CCB_ABBA_MAX_BLOCKS,
                                   &o->blocks) != 0)
                return -1;
            break;
        case 'S':
            if (ccb_cli_parse_uint("bisect: --seed", optarg, 0, ULONG_MAX, &v) != 0)
                return -1;
            o->seed = v;
            o->seed_given = 1;
            break;
        case 'c':
            if (ccb_cli_parse_cpu("bisect: --cpu", optarg, &o->cpu) != 0)
                return -1;
            break;
        case 'f':
            if (ccb_cli_parse_format("bisect: --format", optarg, &o->format) != 0)
                return -1;
            break;
        case 'r':
            o->repo = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        default:
            return ccb_cli_option_error("bisect", opt, argv[optind - 1], longopts);
        }
    }
    if (argc - optind != 2)
        return ccb_error_set("bisect: give GOOD and BAD (two revisions, GOOD an ancestor of "
                             "BAD). Usage: ccbench bisect GOOD BAD --metric SCENARIO.METRIC");
    o->good = argv[optind];
    o->bad = argv[optind + 1];
    if (!o->metric)
        return ccb_error_set("bisect: which metric? Give --metric SCENARIO.METRIC (e.g. "
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
    int status = CCB_EXIT_USAGE;
    bisect_options o;
    ccb_bisect_report rep;
    memset(&rep, 0, sizeof(rep));
    if (parse_options(argc, argv, &o) != 0)
        goto done;
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
    if (ccb_bisect_find_metric(o.metric, &bo.scenario, &bo.metric) != 0 ||
        ccb_paths_tempdir_check() != 0)
        goto done;
    if (ccb_bisect_run(&bo, &rep) != 0) {
        status = cmd_exit_status();
        goto done;
    }
    status = CCB_EXIT_FAILURE;
    if (ccb_bisect_report_write(stdout, &rep, o.format) != 0)
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
    return status;
}
