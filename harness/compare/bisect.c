/*
 * `ccbench bisect`'s search (bisect.h). The first-parent commits between GOOD and BAD are
 * walked with libgit2; each step is one live compare of GOOD against a commit (live.c: ABBA
 * rounds, the verdict, the confirm round). Only commits whose tracker/ tree is new are built
 * (the build cache); equal trees take the verdict already known. A commit that does not build
 * is skipped, and the answer is then a range. The user's HEAD, index, refs and work tree are
 * never touched: builds check tracker/ out into the cache.
 */
#include "bisect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cli.h"
#include "count_verdict.h"
#include "counts.h"
#include "error.h"
#include "gitref.h"
#include "live.h"
#include "revwalk.h"

/* A step's time budget: builds (~10 s each) dominate a bisect, so a step measures for a few
 * seconds more than the minimum blocks need (cold_init's 12 blocks take ~0.5 s), which
 * makes a 30% change in a noisy start_us decided, not inconclusive. full: fixed blocks. */
unsigned int ccb_bisect_step_budget_ms(ccb_profile profile)
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

int ccb_bisect_find_metric(const char *text, const ccb_scenario_def **sd, const ccb_metric_def **md)
{
    char scenario[128];
    const char *dot = strchr(text, '.');
    if (!dot || (size_t)(dot - text) >= sizeof(scenario))
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "bisect: --metric '%s': expected SCENARIO.METRIC (e.g. "
                              "cold_init.start_us; 'ccbench list' shows them)",
                              text);
    memcpy(scenario, text, (size_t)(dot - text));
    scenario[dot - text] = '\0';
    *sd = ccb_catalog_find(scenario);
    if (!*sd || (*sd)->selftest)
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "bisect: --metric '%s': no scenario '%s' ('ccbench list' shows "
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
    return ccb_error_setc(CCB_ERROR_USAGE,
                          "bisect: --metric '%s': scenario %s has no metric '%s'%s%s%s "
                          "('ccbench list' shows them)",
                          text, scenario, dot + 1, near ? "; did you mean " : "", near ? near : "",
                          near ? "?" : "");
}

typedef struct bisect_run {
    const ccb_bisect_options *o;
    ccb_build_ctx ctx;
    ccb_selection sel; /* the metric's scenario alone */
    ccb_operand good;
    ccb_bisect_report *rep;
    uint64_t seed; /* of the next step */
    ccb_progress_mode mode;
    ccb_counts counts; /* the count processes: on for a count metric only */
    /* A count metric: GOOD's values from every step so far, and BAD's from the first. */
    double *good_values, *bad_values;
    size_t ngood, nbad;
} bisect_run;

static ccb_bisect_step *new_step(bisect_run *b, size_t commit)
{
    ccb_bisect_step *s = &b->rep->steps[b->rep->nsteps++]; /* sized for every commit */
    memset(s, 0, sizeof(*s));
    s->commit = commit;
    return s;
}

/* An undecided step S: is its estimate nearer BAD's change than no change? Ratios compare
 * in log space (a 2x slowdown is as far from 1 as a halving), differences as they are. */
static int nearer_bad(bisect_run *b, ccb_bisect_step *s)
{
    const ccb_bisect_step *bad = &b->rep->steps[0]; /* BAD is always judged first */
    if (!bad->measured || isnan(bad->est) || isnan(s->est) ||
        bad->as_difference != s->as_difference)
        return 0;
    double x = s->as_difference ? s->est : log(s->est);
    double y = bad->as_difference ? bad->est : log(bad->est);
    s->by_nearness = 1;
    return fabs(x - y) < fabs(x);
}

/* Which side S's (not BAD's own step's) whole interval lies on, against the middle between no
 * change and BAD's change: 1 BAD's, -1 no change's, 0 across it (or nothing to tell). */
static int interval_side(bisect_run *b, const ccb_bisect_step *s)
{
    const ccb_bisect_step *bad = &b->rep->steps[0];
    if (s == bad || !bad->measured || isnan(bad->est) || isnan(s->low) || isnan(s->high) ||
        bad->as_difference != s->as_difference)
        return 0;
    double y = bad->as_difference ? bad->est : log(bad->est), mid = y / 2;
    double lo = s->as_difference ? s->low : log(s->low);
    double hi = s->as_difference ? s->high : log(s->high);
    if (lo > mid && hi > mid)
        return y > 0 ? 1 : -1;
    if (lo < mid && hi < mid)
        return y < 0 ? 1 : -1;
    return 0;
}

static int append_values(double **to, size_t *n, const double *x, size_t nx)
{
    double *grown = realloc(*to, (*n + nx + 1) * sizeof(*grown));
    if (!grown)
        return ccb_error_set("out of memory");
    memcpy(grown + *n, x, nx * sizeof(*x));
    *to = grown;
    *n += nx;
    return 0;
}

/* A count metric's step S from M's per-process values: the counts shown, and whether they are
 * like BAD's. BAD's own step (the first) keeps its values as BAD's. GOOD's values are pooled
 * over the steps: a count does not drift, and more processes show every mode of a call with
 * two paths. */
static int count_step(bisect_run *b, const ccb_compare_metric *m, ccb_bisect_step *s)
{
    const char *name = b->rep->metric->name;
    if (append_values(&b->good_values, &b->ngood, m->base, m->nbase) != 0)
        return -1;
    s->count = 1;
    s->as_difference = 1;
    s->good_value = ccb_count_typical(name, m->base, m->nbase);
    s->value = ccb_count_typical(name, m->cand, m->ncand);
    s->est = s->value - s->good_value;
    s->low = s->high = NAN;
    s->like_bad = -1;
    if (s == &b->rep->steps[0]) {
        free(b->bad_values);
        b->bad_values = NULL;
        b->nbad = 0;
        return append_values(&b->bad_values, &b->nbad, m->cand, m->ncand);
    }
    s->like_bad = ccb_count_like_bad(name, b->good_values, b->ngood, b->bad_values, b->nbad,
                                     m->cand, m->ncand);
    return 0;
}

/* One live compare of GOOD against CAND into step S: the metric's verdict, re-measured once
 * with more blocks when inconclusive. Returns 0 (*stopped on ^C) or -1. */
static int measure(bisect_run *b, const ccb_operand *cand, ccb_bisect_step *s, int *stopped)
{
    unsigned int blocks = (unsigned int)b->o->blocks, budget_ms = b->o->budget_ms;
    int rc = -1, count = b->rep->metric->kind == CCB_KIND_COUNT;
    if (count) {
        blocks = CCB_BISECT_COUNT_BLOCKS;
        budget_ms = 0;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        ccb_compare cmp;
        ccb_compare_init(&cmp, 1);
        ccb_result *results[2] = {ccb_result_new(), ccb_result_new()};
        ccb_live live = {.round = {.sel = &b->sel,
                                   .profile = b->o->profile,
                                   .cpu = b->o->cpu,
                                   .blocks = blocks,
                                   .budget_ms = budget_ms,
                                   .seed = b->seed,
                                   .mode = b->mode,
                                   .side = {&b->good.out, &cand->out},
                                   .counts = &b->counts},
                         .op = {&b->good, cand},
                         .thresholds = b->o->thresholds,
                         /* A wrong step costs a wrong answer, and builds dominate: the
                          * confirm round gets the whole budget, not compare's quarter. */
                         .confirm_budget_ms = budget_ms,
                         .quiet = b->o->quiet,
                         .cmp = &cmp,
                         .results = {results[0], results[1]}};
        b->seed = ccb_compare_derive_seed(b->seed);
        int live_rc =
            results[0] && results[1] ? ccb_live_run(&live) : ccb_error_set("out of memory");
        free(live.floor_profile);
        ccb_result_free(results[0]);
        ccb_result_free(results[1]);
        const ccb_compare_metric *m =
            ccb_compare_find(&cmp, b->rep->scenario->name, b->rep->metric->name);
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
                /* BAD's own step (is there a regression at all?): compare's verdict, measured
                 * again when undecided by its rules. Any later step is BAD's change or no
                 * change, whatever the threshold: measured again unless its whole interval
                 * lies on one side of the middle between the two (and a regression the
                 * confirm round did not repeat is not taken on its first round's interval). */
                if (s == &b->rep->steps[0])
                    again = (m->verdict == CCB_VERDICT_INCONCLUSIVE ||
                             m->verdict == CCB_VERDICT_BELOW_NOISE || s->rejected) &&
                            attempt == 0;
                else
                    again = attempt == 0 &&
                            (interval_side(b, s) == 0 || (interval_side(b, s) > 0 && s->rejected));
                if (count && count_step(b, m, s) != 0)
                    live_rc = -1;
                /* A count step is decided by its values alone: again only when they are
                 * like neither side (BAD's own step: by compare's count verdict). */
                if (count && s != &b->rep->steps[0])
                    again = live_rc == 0 && s->like_bad < 0 && attempt == 0;
                if (again) {
                    unsigned int more = (unsigned int)m->more_blocks;
                    blocks = more > 2 * blocks ? more : 2 * blocks;
                    if (blocks > CCB_ABBA_MAX_BLOCKS)
                        blocks = CCB_ABBA_MAX_BLOCKS;
                    budget_ms *= 2;
                    if (!b->o->quiet)
                        fprintf(stderr,
                                "ccbench: bisect: %.12s %s: measuring again with at least %u "
                                "blocks\n",
                                cand->text,
                                s->rejected ? "regressed but not confirmed"
                                : s == &b->rep->steps[0] || count
                                    ? "inconclusive"
                                    : "between no change and BAD's change",
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
    ccb_bisect_commit *c = &b->rep->commits[i];
    ccb_bisect_step *s = new_step(b, i);
    for (size_t j = 0; j < b->rep->ncommits; j++) {
        const ccb_bisect_commit *o = &b->rep->commits[j];
        if (j != i && strcmp(o->tree, c->tree) == 0 &&
            (o->state == CCB_BISECT_GOOD || o->state == CCB_BISECT_BAD ||
             o->state == CCB_BISECT_NO_BUILD)) {
            c->state = o->state;
            s->build = "shared";
            s->shared_with = j;
            b->rep->shared++;
            if (!b->o->quiet)
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
        if (!b->o->quiet)
            fprintf(stderr, "ccbench: bisect: %.12s does not build, skipped: %s\n", c->sha,
                    ccb_error_message());
        c->state = CCB_BISECT_NO_BUILD;
        s->build = "failed";
        rc = 0;
        goto done;
    }
    s->build = op.cached ? "cached" : "built";
    b->rep->cached += op.cached;
    b->rep->builds += !op.cached;
    if (measure(b, &op, s, stopped) != 0)
        goto done;
    if (!*stopped) {
        /* BAD (the first check): bad is compare's failing verdict, regressed beyond the
         * threshold and confirmed. A later step is looked at against BAD's change, not the
         * threshold (a commit of a change the size of BAD's is what is being looked for,
         * and near the threshold compare may call it unchanged): bad when its whole interval
         * lies nearer BAD's change than no change, good when nearer no change; across the
         * middle even after measuring again, the side its estimate is nearer (the table
         * says which). A count step: by its counts. No valid sample: undecided, skipped as
         * git bisect skip. */
        int side = interval_side(b, s);
        if (!s->measured)
            c->state = CCB_BISECT_UNDECIDED;
        else if (i == b->rep->ncommits - 1)
            c->state = s->verdict == CCB_VERDICT_REGRESSED ? CCB_BISECT_BAD : CCB_BISECT_GOOD;
        else if (s->count)
            c->state = s->like_bad > 0    ? CCB_BISECT_BAD
                       : s->like_bad == 0 ? CCB_BISECT_GOOD
                                          : CCB_BISECT_UNDECIDED;
        else if (side != 0 && !(side > 0 && s->rejected))
            c->state = (s->by_interval = 1, side > 0) ? CCB_BISECT_BAD : CCB_BISECT_GOOD;
        else
            c->state = nearer_bad(b, s) ? CCB_BISECT_BAD : CCB_BISECT_GOOD;
        if (!b->o->quiet)
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
    ccb_bisect_report *r = b->rep;
    int rc = -1;
    if (ccb_gitref_resolve(b->ctx.repo, b->o->good, good_sha, tree) != 0 ||
        ccb_gitref_resolve(b->ctx.repo, b->o->bad, bad_sha, tree) != 0)
        return ccb_error_classify(CCB_ERROR_INPUT); /* a bad name, or no tracker/ there */
    git_oid_fromstr(&good_oid, good_sha);
    git_oid_fromstr(&bad_oid, bad_sha);
    if (git_oid_equal(&good_oid, &bad_oid))
        return ccb_error_setc(CCB_ERROR_INPUT,
                              "bisect: GOOD '%s' and BAD '%s' are the same commit: give an "
                              "older GOOD",
                              b->o->good, b->o->bad);
    if (git_graph_descendant_of(b->ctx.repo, &bad_oid, &good_oid) != 1)
        return ccb_error_setc(CCB_ERROR_INPUT,
                              "bisect: GOOD '%s' is not an ancestor of BAD '%s': give GOOD "
                              "first, then a later commit that contains it",
                              b->o->good, b->o->bad);
    snprintf(range, sizeof(range), "%s..%s", good_sha, bad_sha);
    if (ccb_revwalk_list(b->ctx.repo, range, CCB_WALK_FIRST_PARENT, "bisect", &list) != 0)
        goto done;
    r->ncommits = list.n + 1;
    r->commits = calloc(r->ncommits, sizeof(*r->commits));
    r->steps = calloc(r->ncommits, sizeof(*r->steps));
    if (!r->commits || !r->steps) {
        ccb_error_set("out of memory");
        goto done;
    }
    for (size_t i = 0; i < r->ncommits; i++) {
        ccb_bisect_commit *c = &r->commits[i];
        const git_oid *oid = i == 0 ? &good_oid : &list.oids[i - 1];
        char commit[41];
        git_oid_tostr(c->sha, sizeof(c->sha), oid);
        ccb_revwalk_describe(b->ctx.repo, oid, c->subject, sizeof(c->subject), c->author,
                             sizeof(c->author));
        /* A commit without tracker/ has nothing to build: its tree stays "" (unique). */
        if (ccb_gitref_resolve(b->ctx.repo, c->sha, commit, c->tree) != 0)
            snprintf(c->tree, sizeof(c->tree), "none-%zu", i);
    }
    if (strcmp(r->commits[r->ncommits - 1].sha, bad_sha) != 0) {
        ccb_error_set("bisect: BAD '%s' is not on its own first-parent line from GOOD", b->o->bad);
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
    size_t lo = 0, hi = b->rep->ncommits - 1;
    for (;;) {
        size_t mid = lo + (hi - lo) / 2, pick = 0;
        for (size_t d = 0; d < hi - lo && !pick; d++) {
            size_t cand[2] = {mid - d, mid + d + 1};
            for (int k = 0; k < 2 && !pick; k++)
                if (cand[k] > lo && cand[k] < hi &&
                    b->rep->commits[cand[k]].state == CCB_BISECT_UNKNOWN)
                    pick = cand[k];
        }
        if (!pick)
            break;
        if (!b->o->quiet)
            fprintf(stderr,
                    "ccbench: bisect: step %zu: %.12s (%zu commit(s) left to tell "
                    "apart)\n",
                    b->rep->nsteps + 1, b->rep->commits[pick].sha, hi - lo - 1);
        if (judge(b, pick, stopped) != 0)
            return -1;
        if (*stopped)
            return 0;
        if (b->rep->commits[pick].state == CCB_BISECT_GOOD)
            lo = pick;
        else if (b->rep->commits[pick].state == CCB_BISECT_BAD)
            hi = pick;
    }
    b->rep->first = lo + 1;
    b->rep->last = hi;
    return 0;
}

/* After load_commits: GOOD built, BAD judged, then the search. */
static int bisect(bisect_run *b, int *stopped)
{
    ccb_bisect_report *r = b->rep;
    size_t n = r->ncommits, bad = n - 1;
    if (!b->o->quiet)
        fprintf(stderr,
                "ccbench: bisect: %zu commit(s) after GOOD on the first-parent line to "
                "BAD: at most about %d steps, each at least %lu ABBA blocks (%.0f s budget), "
                "seed %llu\n",
                n - 1, n > 2 ? (int)(64 - __builtin_clzll((unsigned long long)(n - 1))) + 1 : 1,
                b->o->blocks, b->o->budget_ms / 1000.0, (unsigned long long)b->o->seed);
    /* GOOD and BAD must build: without them there is nothing to bisect. */
    r->commits[0].state = CCB_BISECT_GOOD;
    if (ccb_build_operand_classify_as(&b->good, r->commits[0].sha, CCB_FORCE_REV) != 0 ||
        ccb_build_resolve(&b->ctx, &b->good) != 0 || ccb_build_ensure(&b->ctx, &b->good) != 0)
        return -1;
    r->cached += b->good.cached;
    r->builds += !b->good.cached;
    if (!b->o->quiet)
        fprintf(stderr, "ccbench: bisect: first, is BAD %.12s worse than GOOD %.12s?\n",
                r->commits[bad].sha, r->commits[0].sha);
    if (judge(b, bad, stopped) != 0 || *stopped)
        return *stopped ? 0 : -1;
    if (r->commits[bad].state == CCB_BISECT_NO_BUILD)
        return ccb_error_setc(CCB_ERROR_BUILD,
                              "bisect: BAD '%s' does not build: give a BAD that builds", b->o->bad);
    if (r->commits[bad].state == CCB_BISECT_UNDECIDED)
        return ccb_error_setc(CCB_ERROR_SCENARIO,
                              "bisect: %s had no valid sample on GOOD or BAD: see the "
                              "failures with 'ccbench compare %s %s --scenario %s'",
                              r->scenario->name, b->o->good, b->o->bad, r->scenario->name);
    r->regression = r->commits[bad].state == CCB_BISECT_BAD;
    return r->regression ? search(b, stopped) : 0;
}

int ccb_bisect_run(const ccb_bisect_options *o, ccb_bisect_report *rep)
{
    bisect_run b;
    int rc = -1, stopped = 0;
    memset(&b, 0, sizeof(b));
    b.o = o;
    b.rep = rep;
    b.sel.defs[b.sel.n++] = o->scenario;
    rep->scenario = o->scenario;
    rep->metric = o->metric;
    rep->good_text = o->good;
    rep->bad_text = o->bad;
    rep->profile = ccb_profile_name(o->profile);
    rep->threshold = ccb_thresholds_for(o->thresholds, o->scenario->name, o->metric->name);
    rep->seed = o->seed;
    b.seed = o->seed;
    b.mode = ccb_progress_detect(o->quiet);
    /* A timing metric needs no count processes (they would only cost time); a count metric
     * is judged by compare's count rules, exactly. */
    if (ccb_counts_init(&b.counts,
                        o->metric->kind == CCB_KIND_COUNT ? CCB_COUNTS_DEFAULT : CCB_COUNTS_OFF,
                        o->profile, 0, NULL) != 0)
        goto done;
    /* Instructions cost ~0.35 s a process under valgrind: none unless the metric is one. */
    size_t len = strlen(o->metric->name);
    if (len < 13 || strcmp(o->metric->name + len - 13, "_instructions") != 0)
        b.counts.instr_procs = 0;
    if (ccb_build_ctx_open(&b.ctx, o->repo, b.mode) != 0)
        goto done;
    b.ctx.incremental = 1; /* the commits differ by a file or two: recompile only those */
    if (load_commits(&b) != 0)
        goto done;
    if (bisect(&b, &stopped) != 0)
        goto done;
    if (stopped) {
        ccb_error_setc(CCB_ERROR_INTERRUPTED,
                       "interrupted: the children were stopped; nothing was written");
        goto done;
    }
    rc = 0;
done:
    ccb_build_operand_release(&b.good);
    free(b.good_values);
    free(b.bad_values);
    ccb_counts_release(&b.counts);
    ccb_build_ctx_release(&b.ctx);
    return rc;
}

void ccb_bisect_report_release(ccb_bisect_report *rep)
{
    free(rep->commits);
    free(rep->steps);
    rep->commits = NULL;
    rep->steps = NULL;
}
