/*
 * `ccbench bisect GOOD BAD --metric SCENARIO.METRIC`: which commit made the metric worse, as
 * asv find and git bisect run answer it. The first-parent commits between GOOD and BAD are
 * walked with libgit2; each step is one live compare of GOOD against a commit (live.c: ABBA
 * rounds, the verdict, the confirm round), so a step says exactly what `compare` would. Only
 * commits whose tracker/ tree is new are built (the build cache); equal trees take the
 * verdict already known. A commit that does not build is skipped, and the answer is then a
 * range. Exit: 1 a culprit (or range) found, 0 no regression, 2 bad input, 3 GOOD or BAD do
 * not build, 130 ^C. The user's HEAD, index, refs and work tree are never touched.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bisect_report.h"
#include "build.h"
#include "cli.h"
#include "commands.h"
#include "counts.h"
#include "error.h"
#include "gitref.h"
#include "live.h"
#include "paths.h"
#include "revwalk.h"

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

/* 12 blocks is the least at which the signed-rank test can reach p < 0.01 after Holm over a
 * scenario's few timing metrics (2 / 2^12); the quick profile's 6 never could. */
#define MIN_STEP_BLOCKS 12

/* A step's time budget: builds (~10 s each) dominate a bisect, so a step measures for a few
 * seconds more than the minimum blocks need (cold_init's 12 blocks take ~0.5 s), which
 * makes a 30% change in a noisy start_us decided, not inconclusive. full: fixed blocks. */
static unsigned int step_budget_ms(ccb_profile profile)
{
    switch (profile) {
    case CCB_PROFILE_QUICK:
        return 4000;
    case CCB_PROFILE_DEFAULT:
        return 15000;
    case CCB_PROFILE_FULL:
        return 0;
    }
    return 0;
}

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
        if (o->blocks < MIN_STEP_BLOCKS)
            o->blocks = MIN_STEP_BLOCKS;
        o->budget_ms = step_budget_ms(o->profile);
    }
    if (!o->seed_given)
        o->seed = ccb_abba_default_seed();
    return 0;
}

/* --metric SCENARIO.METRIC against the catalog, with the nearest name when it is not there. */
static int find_metric(const char *text, const ccb_scenario_def **sd, const ccb_metric_def **md)
{
    char scenario[128];
    const char *dot = strchr(text, '.');
    if (!dot || (size_t)(dot - text) >= sizeof(scenario))
        return ccb_error_set("bisect: --metric '%s': expected SCENARIO.METRIC (e.g. "
                             "cold_init.start_us; 'ccbench list' shows them)",
                             text);
    memcpy(scenario, text, (size_t)(dot - text));
    scenario[dot - text] = '\0';
    *sd = ccb_catalog_find(scenario);
    if (!*sd || (*sd)->selftest)
        return ccb_error_set("bisect: --metric '%s': no scenario '%s' ('ccbench list' shows "
                             "them)",
                             text, scenario);
    *md = ccb_catalog_metric(*sd, dot + 1);
    if (*md)
        return 0;
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; i < (*sd)->metric_count && n < 64; i++)
        names[n++] = (*sd)->metrics[i].name;
    const char *near = ccb_cli_nearest(dot + 1, names, n);
    return ccb_error_set("bisect: --metric '%s': scenario %s has no metric '%s'%s%s%s "
                         "('ccbench list' shows them)",
                         text, scenario, dot + 1, near ? "; did you mean " : "", near ? near : "",
                         near ? "?" : "");
}

typedef struct bisect_run {
    bisect_options o;
    ccb_build_ctx ctx;
    ccb_selection sel; /* the metric's scenario alone */
    ccb_operand good;
    ccb_bisect_report rep;
    uint64_t seed; /* of the next step */
    ccb_progress_mode mode;
    ccb_counts counts; /* the count processes: on for a count metric only */
} bisect_run;

static ccb_bisect_step *new_step(bisect_run *b, size_t commit)
{
    ccb_bisect_step *s = &b->rep.steps[b->rep.nsteps++]; /* sized for every commit */
    memset(s, 0, sizeof(*s));
    s->commit = commit;
    return s;
}

/* An undecided step S: is its estimate nearer BAD's change than no change? Ratios compare
 * in log space (a 2x slowdown is as far from 1 as a halving), differences as they are. */
static int nearer_bad(bisect_run *b, ccb_bisect_step *s)
{
    const ccb_bisect_step *bad = &b->rep.steps[0]; /* BAD is always judged first */
    if (!bad->measured || isnan(bad->est) || isnan(s->est) ||
        bad->as_difference != s->as_difference)
        return 0;
    double x = s->as_difference ? s->est : log(s->est);
    double y = bad->as_difference ? bad->est : log(bad->est);
    s->by_nearness = 1;
    return fabs(x - y) < fabs(x);
}

/* S (not BAD's own step) has its whole interval nearer one side: no change, or BAD's. */
static int clearly_one_side(bisect_run *b, const ccb_bisect_step *s)
{
    const ccb_bisect_step *bad = &b->rep.steps[0];
    if (s == bad || !bad->measured || isnan(bad->est) || isnan(s->low) || isnan(s->high) ||
        bad->as_difference != s->as_difference)
        return 0;
    double mid = (bad->as_difference ? bad->est : log(bad->est)) / 2;
    double lo = s->as_difference ? s->low : log(s->low);
    double hi = s->as_difference ? s->high : log(s->high);
    return (lo > mid && hi > mid) || (lo < mid && hi < mid);
}

/* One live compare of GOOD against CAND into step S: the metric's verdict, re-measured once
 * with more blocks when inconclusive. Returns 0 (*stopped on ^C) or -1. */
static int measure(bisect_run *b, const ccb_operand *cand, ccb_bisect_step *s, int *stopped)
{
    unsigned int blocks = (unsigned int)b->o.blocks, budget_ms = b->o.budget_ms;
    int rc = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        ccb_compare cmp;
        ccb_compare_init(&cmp, 1);
        ccb_result *results[2] = {ccb_result_new(), ccb_result_new()};
        ccb_live live = {.round = {.sel = &b->sel,
                                   .profile = b->o.profile,
                                   .cpu = b->o.cpu,
                                   .blocks = blocks,
                                   .budget_ms = budget_ms,
                                   .seed = b->seed,
                                   .mode = b->mode,
                                   .side = {&b->good.out, &cand->out},
                                   .counts = &b->counts},
                         .op = {&b->good, cand},
                         .thresholds = &b->o.thresholds,
                         /* A wrong step costs a wrong answer, and builds dominate: the
                          * confirm round gets the whole budget, not compare's quarter. */
                         .confirm_budget_ms = budget_ms,
                         .quiet = b->o.quiet,
                         .cmp = &cmp,
                         .results = {results[0], results[1]}};
        b->seed = ccb_compare_derive_seed(b->seed);
        int live_rc =
            results[0] && results[1] ? ccb_live_run(&live) : ccb_error_set("out of memory");
        free(live.floor_profile);
        ccb_result_free(results[0]);
        ccb_result_free(results[1]);
        const ccb_compare_metric *m =
            ccb_compare_find(&cmp, b->rep.scenario->name, b->rep.metric->name);
        int again = 0;
        if (live_rc == 0 && live.outcome == CCB_MEASURE_INTERRUPTED) {
            *stopped = 1;
        } else if (live_rc == 0) {
            s->measured = m && !live.scenario_failed; /* else: no valid sample on a side */
            s->blocks = cmp.nrounds ? cmp.rounds[0].blocks : blocks; /* the budget's */
            s->remeasured = attempt > 0;
            if (!s->measured) {
                s->verdict = CCB_VERDICT_INCONCLUSIVE;
                s->est = s->low = s->high = NAN;
            } else {
                s->verdict = m->verdict;
                s->confirmed = m->confirm == CCB_CONFIRM_CONFIRMED;
                s->as_difference = m->as_difference;
                s->est = m->as_difference ? m->diff : m->ratio.ratio;
                s->low = m->as_difference ? m->diff_low : m->ratio.ci_low;
                s->high = m->as_difference ? m->diff_high : m->ratio.ci_high;
                s->rejected = m->confirm == CCB_CONFIRM_REJECTED;
                /* Undecided by compare's rules: measure again, unless the whole interval
                 * already lies on one side of the middle between no change and BAD's. */
                again = (m->verdict == CCB_VERDICT_INCONCLUSIVE ||
                         m->verdict == CCB_VERDICT_BELOW_NOISE || s->rejected) &&
                        attempt == 0 && !clearly_one_side(b, s);
                if (again) {
                    unsigned int more = (unsigned int)m->more_blocks;
                    blocks = more > 2 * blocks ? more : 2 * blocks;
                    if (blocks > CCB_ABBA_MAX_BLOCKS)
                        blocks = CCB_ABBA_MAX_BLOCKS;
                    budget_ms *= 2;
                    if (!b->o.quiet)
                        fprintf(stderr,
                                "ccbench: bisect: %.12s %s: measuring again with at least %u "
                                "blocks\n",
                                cand->text,
                                s->rejected ? "regressed but not confirmed" : "inconclusive",
                                blocks);
                }
            }
        }
        ccb_compare_release(&cmp);
        if (live_rc != 0)
            goto done;
        if (!again)
            break;
    }
    rc = 0;
done:
    return rc;
}

/* Judge commit I against GOOD: by an equal tree already judged, else built and measured.
 * Returns 0 (*stopped on ^C) or -1. */
static int judge(bisect_run *b, size_t i, int *stopped)
{
    ccb_bisect_commit *c = &b->rep.commits[i];
    ccb_bisect_step *s = new_step(b, i);
    for (size_t j = 0; j < b->rep.ncommits; j++) {
        const ccb_bisect_commit *o = &b->rep.commits[j];
        if (j != i && strcmp(o->tree, c->tree) == 0 &&
            (o->state == CCB_BISECT_GOOD || o->state == CCB_BISECT_BAD ||
             o->state == CCB_BISECT_NO_BUILD)) {
            c->state = o->state;
            s->build = "shared";
            s->shared_with = j;
            b->rep.shared++;
            if (!b->o.quiet)
                fprintf(stderr,
                        "ccbench: bisect: %.12s has the tracker/ tree of %.12s: %s "
                        "without building or measuring again\n",
                        c->sha, o->sha, c->state == CCB_BISECT_GOOD ? "good" : "bad");
            return 0;
        }
    }
    ccb_operand op;
    int rc = -1;
    if (ccb_build_operand_classify_as(&op, c->sha, CCB_FORCE_REV) != 0)
        return -1;
    if (ccb_build_resolve(&b->ctx, &op) != 0 || ccb_build_ensure(&b->ctx, &op) != 0) {
        if (ccb_error_last_class() == CCB_ERROR_INTERRUPTED) {
            *stopped = 1;
            rc = 0;
            goto done;
        }
        if (ccb_error_last_class() != CCB_ERROR_BUILD)
            goto done;
        if (!b->o.quiet)
            fprintf(stderr, "ccbench: bisect: %.12s does not build, skipped: %s\n", c->sha,
                    ccb_error_message());
        c->state = CCB_BISECT_NO_BUILD;
        s->build = "failed";
        rc = 0;
        goto done;
    }
    s->build = op.cached ? "cached" : "built";
    b->rep.cached += op.cached;
    b->rep.builds += !op.cached;
    if (measure(b, &op, s, stopped) != 0)
        goto done;
    if (!*stopped) {
        /* Bad is compare's failing verdict: regressed beyond the threshold, confirmed; good:
         * unchanged or improved. A step still inconclusive or below noise after measuring
         * again, or whose regression the confirm round did not repeat, goes to the side its
         * estimate is nearer to, GOOD's (no change) or BAD's
         * (the table says so): a change the size of BAD's is what is being looked for. No
         * valid sample: undecided, skipped as git bisect skip. */
        if (!s->measured)
            c->state = CCB_BISECT_UNDECIDED;
        else if (s->verdict == CCB_VERDICT_REGRESSED)
            c->state = CCB_BISECT_BAD;
        else if (((s->verdict == CCB_VERDICT_UNCHANGED || s->verdict == CCB_VERDICT_IMPROVED) &&
                  !s->rejected) ||
                 i == b->rep.ncommits - 1)
            c->state = CCB_BISECT_GOOD;
        else
            c->state = nearer_bad(b, s) ? CCB_BISECT_BAD : CCB_BISECT_GOOD;
        if (!b->o.quiet)
            fprintf(stderr, "ccbench: bisect: %.12s %s: %s\n", c->sha, c->subject,
                    c->state == CCB_BISECT_BAD    ? "bad"
                    : c->state == CCB_BISECT_GOOD ? "good"
                                                  : "undecided, skipped");
    }
    rc = 0;
done:
    ccb_build_operand_release(&op);
    return rc;
}

/* The commits: GOOD, then BAD's first parents after it, oldest first. */
static int load_commits(bisect_run *b)
{
    char good_sha[41], bad_sha[41], tree[41], range[100];
    git_oid good_oid, bad_oid;
    ccb_commit_list list = {.n = 0};
    int rc = -1;
    if (ccb_gitref_resolve(b->ctx.repo, b->o.good, good_sha, tree) != 0 ||
        ccb_gitref_resolve(b->ctx.repo, b->o.bad, bad_sha, tree) != 0)
        return ccb_error_classify(CCB_ERROR_INPUT); /* a bad name, or no tracker/ there */
    git_oid_fromstr(&good_oid, good_sha);
    git_oid_fromstr(&bad_oid, bad_sha);
    if (git_oid_equal(&good_oid, &bad_oid)) {
        ccb_error_set("bisect: GOOD '%s' and BAD '%s' are the same commit: give an older GOOD",
                      b->o.good, b->o.bad);
        return ccb_error_classify(CCB_ERROR_INPUT);
    }
    if (git_graph_descendant_of(b->ctx.repo, &bad_oid, &good_oid) != 1) {
        ccb_error_set("bisect: GOOD '%s' is not an ancestor of BAD '%s': give GOOD first, then "
                      "a later commit that contains it",
                      b->o.good, b->o.bad);
        return ccb_error_classify(CCB_ERROR_INPUT);
    }
    snprintf(range, sizeof(range), "%s..%s", good_sha, bad_sha);
    if (ccb_revwalk_list(b->ctx.repo, range, CCB_WALK_FIRST_PARENT, "bisect", &list) != 0)
        goto done;
    b->rep.ncommits = list.n + 1;
    b->rep.commits = calloc(b->rep.ncommits, sizeof(*b->rep.commits));
    b->rep.steps = calloc(b->rep.ncommits, sizeof(*b->rep.steps));
    if (!b->rep.commits || !b->rep.steps) {
        ccb_error_set("out of memory");
        goto done;
    }
    for (size_t i = 0; i < b->rep.ncommits; i++) {
        ccb_bisect_commit *c = &b->rep.commits[i];
        const git_oid *oid = i == 0 ? &good_oid : &list.oids[i - 1];
        char commit[41];
        git_oid_tostr(c->sha, sizeof(c->sha), oid);
        ccb_revwalk_describe(b->ctx.repo, oid, c->subject, sizeof(c->subject), c->author,
                             sizeof(c->author));
        /* A commit without tracker/ has nothing to build: its tree stays "" (unique). */
        if (ccb_gitref_resolve(b->ctx.repo, c->sha, commit, c->tree) != 0)
            snprintf(c->tree, sizeof(c->tree), "none-%zu", i);
    }
    if (strcmp(b->rep.commits[b->rep.ncommits - 1].sha, bad_sha) != 0) {
        ccb_error_set("bisect: BAD '%s' is not on its own first-parent line from GOOD", b->o.bad);
        goto done;
    }
    rc = 0;
done:
    ccb_revwalk_list_release(&list);
    return rc;
}

/* Binary search between the last good (lo) and the first known bad (hi) commit; a skipped
 * commit makes the next step try the untested commit nearest the middle. */
static int search(bisect_run *b, int *stopped)
{
    size_t lo = 0, hi = b->rep.ncommits - 1;
    for (;;) {
        size_t mid = lo + (hi - lo) / 2, pick = 0;
        for (size_t d = 0; d < hi - lo && !pick; d++) {
            size_t cand[2] = {mid - d, mid + d + 1};
            for (int k = 0; k < 2 && !pick; k++)
                if (cand[k] > lo && cand[k] < hi &&
                    b->rep.commits[cand[k]].state == CCB_BISECT_UNKNOWN)
                    pick = cand[k];
        }
        if (!pick)
            break;
        if (!b->o.quiet)
            fprintf(stderr,
                    "ccbench: bisect: step %zu: %.12s (%zu commit(s) left to tell "
                    "apart)\n",
                    b->rep.nsteps + 1, b->rep.commits[pick].sha, hi - lo - 1);
        if (judge(b, pick, stopped) != 0)
            return -1;
        if (*stopped)
            return 0;
        if (b->rep.commits[pick].state == CCB_BISECT_GOOD)
            lo = pick;
        else if (b->rep.commits[pick].state == CCB_BISECT_BAD)
            hi = pick;
    }
    b->rep.first = lo + 1;
    b->rep.last = hi;
    return 0;
}

int cmd_bisect(int argc, char **argv)
{
    int status = CCB_EXIT_USAGE, stopped = 0;
    bisect_run b;
    memset(&b, 0, sizeof(b));
    if (parse_options(argc, argv, &b.o) != 0)
        goto done;
    if (find_metric(b.o.metric, &b.rep.scenario, &b.rep.metric) != 0)
        goto done;
    if (ccb_paths_tempdir_check() != 0)
        goto done;
    b.sel.defs[b.sel.n++] = b.rep.scenario;
    b.rep.good_text = b.o.good;
    b.rep.bad_text = b.o.bad;
    b.rep.profile = ccb_profile_name(b.o.profile);
    b.rep.threshold = ccb_thresholds_for(&b.o.thresholds, b.rep.scenario->name, b.rep.metric->name);
    b.rep.seed = b.o.seed;
    b.seed = b.o.seed;
    b.mode = ccb_progress_detect(b.o.quiet);
    /* A timing metric needs no count processes (they would only cost time); a count metric
     * is judged by compare's count rules, exactly. */
    if (ccb_counts_init(&b.counts,
                        b.rep.metric->kind == CCB_KIND_COUNT ? CCB_COUNTS_DEFAULT : CCB_COUNTS_OFF,
                        b.o.profile, 0, NULL) != 0) {
        status = cmd_exit_status();
        goto done;
    }
    if (ccb_build_ctx_open(&b.ctx, b.o.repo, b.mode) != 0 || load_commits(&b) != 0) {
        status = cmd_exit_status();
        goto done;
    }
    size_t n = b.rep.ncommits, bad = n - 1;
    if (!b.o.quiet)
        fprintf(stderr,
                "ccbench: bisect: %zu commit(s) after GOOD on the first-parent line to "
                "BAD: at most about %d steps, each at least %lu ABBA blocks (%.0f s budget), "
                "seed %llu\n",
                n - 1, n > 2 ? (int)(64 - __builtin_clzll((unsigned long long)(n - 1))) + 1 : 1,
                b.o.blocks, b.o.budget_ms / 1000.0, (unsigned long long)b.o.seed);
    /* GOOD and BAD must build: without them there is nothing to bisect. */
    b.rep.commits[0].state = CCB_BISECT_GOOD;
    if (ccb_build_operand_classify_as(&b.good, b.rep.commits[0].sha, CCB_FORCE_REV) != 0 ||
        ccb_build_resolve(&b.ctx, &b.good) != 0 || ccb_build_ensure(&b.ctx, &b.good) != 0) {
        status = cmd_exit_status();
        goto done;
    }
    b.rep.cached += b.good.cached;
    b.rep.builds += !b.good.cached;
    if (!b.o.quiet)
        fprintf(stderr, "ccbench: bisect: first, is BAD %.12s worse than GOOD %.12s?\n",
                b.rep.commits[bad].sha, b.rep.commits[0].sha);
    status = CCB_EXIT_FAILURE;
    if (judge(&b, bad, &stopped) != 0)
        goto done;
    if (!stopped && b.rep.commits[bad].state == CCB_BISECT_NO_BUILD) {
        ccb_error_set("bisect: BAD '%s' does not build: give a BAD that builds", b.o.bad);
        goto done;
    }
    if (!stopped && b.rep.commits[bad].state == CCB_BISECT_UNDECIDED) {
        ccb_error_set("bisect: %s had no valid sample on GOOD or BAD: see the failures with "
                      "'ccbench compare %s %s --scenario %s'",
                      b.rep.scenario->name, b.o.good, b.o.bad, b.rep.scenario->name);
        goto done;
    }
    b.rep.regression = b.rep.commits[bad].state == CCB_BISECT_BAD;
    if (!stopped && b.rep.regression && search(&b, &stopped) != 0)
        goto done;
    if (stopped) {
        ccb_error_set("interrupted: the children were stopped; nothing was written");
        status = CCB_EXIT_INTERRUPTED;
        goto done;
    }
    if (ccb_bisect_report_write(stdout, &b.rep, b.o.format) != 0)
        goto done;
    if (!b.rep.regression) {
        if (!b.o.quiet)
            fprintf(stderr, "ccbench: bisect: no regression between %s and %s on %s.%s (%s)\n",
                    b.o.good, b.o.bad, b.rep.scenario->name, b.rep.metric->name,
                    b.rep.steps[0].verdict == CCB_VERDICT_INCONCLUSIVE ||
                            b.rep.steps[0].verdict == CCB_VERDICT_BELOW_NOISE
                        ? "not shown worse even with more blocks: raise --blocks or --threshold"
                        : "BAD is not worse than GOOD beyond the threshold");
        status = CCB_EXIT_OK;
        goto done;
    }
    if (b.rep.first == b.rep.last)
        ccb_error_set("bisect: %s.%s regressed first at %.12s", b.rep.scenario->name,
                      b.rep.metric->name, b.rep.commits[b.rep.first].sha);
    else
        ccb_error_set("bisect: %s.%s regressed first at one of the %zu commits %.12s..%.12s "
                      "(skipped ones leave a range)",
                      b.rep.scenario->name, b.rep.metric->name, b.rep.last - b.rep.first + 1,
                      b.rep.commits[b.rep.first].sha, b.rep.commits[b.rep.last].sha);
    status = CCB_EXIT_REGRESSION;
done:
    free(b.rep.commits);
    free(b.rep.steps);
    ccb_build_operand_release(&b.good);
    ccb_thresholds_release(&b.o.thresholds);
    ccb_counts_release(&b.counts);
    ccb_build_ctx_release(&b.ctx);
    return status;
}
