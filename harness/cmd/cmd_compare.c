/*
 * `ccbench compare BASE [CANDIDATE]`: is the candidate slower than the baseline, with an
 * answer a CI gate can trust. Operands are resolved and BOTH built first (build.c), then
 * measured interleaved in ABBA blocks (compare.c), analysed, and every regression is
 * re-measured in a fresh round before it may fail the gate. Two result files compare
 * directly. Exit: 0 no confirmed regression, 1 a confirmed one, 2 bad input, 3 build or
 * scenario failure; a harness error is never 1.
 */
#include <stddef.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abba.h"
#include "build.h"
#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "compare_report.h"
#include "count_verdict.h"
#include "counts.h"
#include "error.h"
#include "gitref.h"
#include "live.h"
#include "noise.h"
#include "options.h"
#include "shared_options.h"
#include "paths.h"
#include "result.h"
#include "sysinfo.h"

#define MAX_WARNINGS 64

typedef struct compare_options {
    const char *operand[2], *repo;
    ccb_selection sel;
    int sel_given; /* --scenario was given: it also filters result-file operands */
    ccb_thresholds thresholds;
    ccb_profile profile;
    unsigned long blocks;
    unsigned int budget_ms; /* the first round's time budget; 0 with --blocks */
    uint64_t seed;
    int seed_given, quiet, no_fail, noise, strict, allow_mismatch;
    ccb_operand_force force; /* --rev / --file */
    long cpu;
    ccb_format format;
    ccb_color_mode color;
    ccb_counts_mode counts; /* --counts / --no-counts */
} compare_options;

#define OPT(member) offsetof(compare_options, member)
static const ccb_option compare_option_table[] = {
    {CCB_OPT_CALL, "threshold", .offset = OPT(thresholds), .call = ccb_thresholds_option,
     .arg = "PCT", .help = "smallest change that counts (default 5%): 5%, 10, 2.5%"},
    {CCB_OPT_HELP, "threshold", .arg = "S.M=PCT", .usage = "[--threshold METRIC=PCT]",
     .help = "for one metric, e.g. warm_lifecycle.lifecycle_us=10% (repeatable)"},
    {CCB_OPT_PROFILE, "profile", .offset = OPT(profile), .arg = "P",
     .help = "quick, default or full: sample sizes and a time budget per\n"
             "round (quick 26 s, default 120 s; at least 6 or 15 blocks\n"
             "per scenario, more while its share lasts); full: 30 blocks"},
    {CCB_OPT_CALL, "scenario", .offset = OPT(sel),
     .given = CCB_OPT_GIVEN(compare_options, sel_given), .call = ccb_selection_option,
     .arg = "NAME[,NAME]", .usage = "[--scenario ...]",
     .help = "scenarios to compare (default: every non-test scenario)"},
    {CCB_OPT_FORMAT, "format", .offset = OPT(format), .arg = "F",
     .usage = "[--format table|json|markdown]",
     .help = "table (default), markdown, or json (ccbench-compare/1)"},
    {CCB_OPT_FLAG, "no-fail", .offset = OPT(no_fail),
     .help = "exit 0 even when a regression is confirmed"},
    CCB_OPTION_REPO(compare_options),
    {CCB_OPT_ULONG, "blocks", .offset = OPT(blocks), .lo = 2, .hi = 10000, .arg = "N",
     .help = "exactly N ABBA blocks per scenario, no time budget (each\n"
             "block: 2 processes per side)"},
    CCB_OPTION_SEED(compare_options, "seed of the block orders (default: from the clock, printed)"),
    CCB_OPTION_CPU(compare_options),
    {CCB_OPT_FLAG, "noise", .offset = OPT(noise),
     .help = "first measure the candidate build's noise floor (A/A)"},
    {CCB_OPT_FLAG, "strict", .offset = OPT(strict),
     .help = "refuse (exit 3) when the machine is busy: other processes\n"
             "using over a quarter CPU, or steal over 2%, before or while\n"
             "measuring (without it: a warning naming the scenarios)"},
    CCB_OPTION_QUIET(compare_options),
    {CCB_OPT_COLOR, "color", .offset = OPT(color), .arg = "WHEN",
     .usage = "[--color auto|always|never]", .help = "auto (default), always or never"},
    {CCB_OPT_SET, "rev", .offset = OPT(force), .set = CCB_FORCE_REV, .usage = "[--rev|--file]",
     .help = "take both operands as revisions"},
    {CCB_OPT_SET, "file", .offset = OPT(force), .set = CCB_FORCE_FILE, .usage = "",
     .help = "take both operands as result files"},
    {CCB_OPT_FLAG, "allow-mismatch", .offset = OPT(allow_mismatch),
     .help = "compare result files of another profile, machine or\n"
             "parameters anyway, with a warning per difference (without\n"
             "it they are refused, exit 2)"},
    {CCB_OPT_SET, "counts", .offset = OPT(counts), .set = CCB_COUNTS_REQUIRED,
     .label = "--counts, --no-counts", .usage = "[--counts|--no-counts]",
     .help = "require the count metrics, or skip them (see 'help run')"},
    {CCB_OPT_SET, "no-counts", .offset = OPT(counts), .set = CCB_COUNTS_OFF, .usage = ""},
    {CCB_OPT_END},
};
#undef OPT

const ccb_command_spec cmd_compare_spec = {
    .name = "compare",
    .operands = "BASE [CANDIDATE]",
    .summary = "compare two revisions (or result files) interleaved, with verdicts a CI can trust",
    .intro =
        "operands: a git revision (branch, tag, sha, HEAD~1: anything git rev-parse takes),\n"
        "WORKTREE (the work tree's tracker/ with uncommitted changes; CANDIDATE's default) or an\n"
        "existing result file. Two files compare without building: unpaired, per-process values,\n"
        "never judged below the 35% drift two separate runs show here (docs/statistics.md).\n"
        "A name that is both a file and a revision is taken as the file when it reads as a\n"
        "result file (and a note says so), else as the revision; --rev takes both operands as\n"
        "revisions, --file both as result files.\n"
        "\n",
    .options = compare_option_table,
    .details =
        "The runner is built from the CURRENT scenarios/ against each revision's tracker/\n"
        "(checked out with libgit2 into .ccbench/src/<tree>; the user's HEAD, index, branches\n"
        "and work tree are never touched), into .ccbench/build/<key>; a second compare of the\n"
        "same revisions builds nothing. Both sides are built before anything is measured, then\n"
        "run in randomised ABBA blocks, one process at a time. The block is the replicate: per\n"
        "metric, the signed-rank test on the blocks' log ratios, its Hodges-Lehmann estimate\n"
        "(the change column) and 95% CI from the same model, Holm across all timing metrics;\n"
        "regressed/improved need the whole CI beyond no change, the estimate beyond the\n"
        "threshold and Holm p < 0.01. A metric whose noise floor (its A-vs-A contrasts, or a\n"
        "stored 'ccbench noise') is above its threshold is 'below noise' unless the change is\n"
        "beyond the floor. Count metrics follow exact rules (a +1 system call regressed;\n"
        "instructions beyond 0.3%) and a changed instruction count names the functions that\n"
        "changed. A regression is re-measured in a\n"
        "fresh round and fails only if it regresses again. Both sides' samples are saved under\n"
        "results/ (docs/statistics.md).\n"
        "\n"
        "environment:\n"
        "  CCBENCH_CACHE_DIR       the build cache instead of <repo>/.ccbench\n"
        "  CCBENCH_BUILD_TIMEOUT_S time limit of each cmake step (default 600): a hung build\n"
        "                          is killed with its process group, exit 3\n"
        "  CCBENCH_SOURCE_DIR      the ccbench sources the runner is built from\n"
        "  CCBENCH_RESULTS_DIR     where the two result files go instead of results/\n"
        "\n"
        "exit status: 0 no confirmed regression (inconclusive never fails); 1 a confirmed\n"
        "regression; 2 bad usage, unknown revision or malformed result file; 3 a build or a\n"
        "scenario failed, or --strict and a busy machine\n",
};

static int parse_options(int argc, char **argv, compare_options *o)
{
    memset(o, 0, sizeof(*o));
    ccb_thresholds_init(&o->thresholds);
    o->profile = CCB_PROFILE_DEFAULT;
    o->cpu = -1;
    int first = ccb_options_parse(&cmd_compare_spec, o, argc, argv);
    if (first < 0)
        return -1;
    if (first >= argc)
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "compare: which baseline? Usage: ccbench compare BASE [CANDIDATE] "
                              "(a revision, WORKTREE or a result file)");
    o->operand[0] = argv[first++];
    o->operand[1] = first < argc ? argv[first++] : CCB_WORKTREE;
    if (first < argc)
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "compare: unexpected argument '%s': compare takes BASE and "
                              "CANDIDATE only",
                              argv[first]);
    if (o->sel.n == 0)
        ccb_selection_default(&o->sel);
    if (!o->blocks) {
        o->blocks = ccb_abba_default_blocks(o->profile);
        o->budget_ms = ccb_abba_budget_ms(o->profile); /* --blocks: exactly that many */
    }
    if (!o->seed_given)
        o->seed = ccb_abba_default_seed();
    return 0;
}

static const char *kind_name(ccb_operand_kind k)
{
    switch (k) {
    case CCB_OPERAND_FILE:
        return "file";
    case CCB_OPERAND_REVISION:
        return "revision";
    case CCB_OPERAND_WORKTREE:
        return "worktree";
    }
    return "revision";
}

/* The header of a side's result file, as `run` would write it. */
static int describe(ccb_result *r, const ccb_operand *op, ccb_profile profile, time_t when)
{
    char stamp[32];
    ccb_paths_iso8601(stamp, sizeof(stamp), when);
    r->ccbench_version = strdup(ccb_sysinfo_version());
    r->created_at = strdup(stamp);
    r->profile = strdup(ccb_profile_name(profile));
    r->label = strdup(op->text);
    r->git.present = 1;
    r->git.revision = strdup(op->text);
    r->git.commit = op->commit[0] ? strdup(op->commit) : NULL;
    r->git.tracker_tree = op->tracker_tree[0] ? strdup(op->tracker_tree) : NULL;
    r->git.dirty = op->kind == CCB_OPERAND_WORKTREE && op->dirty;
    if (!r->ccbench_version || !r->created_at || !r->profile || !r->label || !r->git.revision)
        return ccb_error_set("out of memory");
    return ccb_sysinfo_collect(&r->machine);
}

static int save_result(ccb_result *r, const char *workdir, time_t when, char **path)
{
    char *dir = NULL;
    int rc = -1;
    if (ccb_result_compute_stats(r) != 0 || ccb_paths_results_dir(workdir, &dir) != 0 ||
        ccb_paths_result_file(dir, when, r->label, path) != 0 ||
        ccb_result_write_file(r, *path) != 0)
        goto done;
    rc = 0;
done:
    free(dir);
    return rc;
}

/* One side measured alone (the other side is a result file): unpaired, like two files. */
static int measure_alone(const compare_options *o, const ccb_operand *op, ccb_progress_mode mode,
                         ccb_result *into, int *scenario_failed, ccb_measure_outcome *outcome)
{
    ccb_plan_item items[CCB_SELECTION_MAX];
    size_t nitems = 0;
    int rc = -1;
    memset(items, 0, sizeof(items));
    ccb_plan_overrides ov = {.samples = 2UL * o->blocks, .api_latency_ms = 50, .cpu = o->cpu};
    for (size_t i = 0; i < o->sel.n; i++) {
        nitems++;
        if (ccb_measure_plan_item_init(&items[i], o->sel.defs[i], o->profile, &ov) != 0)
            goto done;
        int is_floor = strcmp(o->sel.defs[i]->executable, CCB_FLOOR_EXECUTABLE) == 0;
        items[i].executable = strdup(is_floor ? op->out.floor : op->out.runner);
        if (!items[i].executable) {
            ccb_error_set("out of memory");
            goto done;
        }
    }
    if (ccb_measure_run(items, nitems, (int)o->cpu, mode, NULL, into, outcome) != 0)
        goto done;
    *scenario_failed = 0;
    for (size_t i = 0; i < into->nscenarios; i++)
        *scenario_failed |= into->scenarios[i].samples_ok == 0;
    rc = 0;
done:
    for (size_t i = 0; i < nitems; i++)
        ccb_measure_plan_item_release(&items[i]);
    return rc;
}

/* Warnings for thresholds below a known noise floor. WARN receives malloc'd strings. */
static size_t noise_warnings(const ccb_compare *cmp, char **warn, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < cmp->n && n < cap; i++) {
        const ccb_compare_metric *m = &cmp->metrics[i];
        if (m->kind == CCB_KIND_COUNT || isnan(m->noise_floor) || m->threshold >= m->noise_floor)
            continue;
        if (asprintf(&warn[n],
                     "%s.%s: threshold %g%% is below this build's measured noise "
                     "floor ±%.1f%% (ccbench noise): raise it to at least %.1f%%",
                     m->scenario, m->name, m->threshold * 100, m->noise_floor * 100,
                     ceil(m->noise_floor * 200) / 2) >= 0)
            n++;
    }
    return n;
}

/* One compare from operands to report: what the three modes fill and the report reads. */
typedef struct compare_run {
    compare_options o;
    ccb_build_ctx ctx;
    ccb_operand op[2];
    ccb_compare cmp;
    ccb_result *results[2]; /* the sides measured here (NULL for a file operand) */
    int scenario_failed;
    ccb_progress_mode mode;
    ccb_measure_outcome outcome;
    time_t when;
    /* The machine-state guard: the look before measuring and each round's scenarios. */
    ccb_guard_reading before;
    ccb_abba_guard guard[2];
    char *floor_profile; /* a stored noise floor of another profile, not applied (malloc'd) */
    char *file_warn[MAX_WARNINGS]; /* what differs between two result files (malloc'd) */
    size_t nfile_warn;
    ccb_counts counts; /* the count processes of both rounds (issue 13) */
} compare_run;

/* The first round's spec of a compare: both builds, the options' profile, cpu, blocks and
 * time budget (live.c derives the confirm round from it). */
static ccb_abba_round round_spec(compare_run *c, const ccb_selection *sel, uint64_t seed)
{
    return (ccb_abba_round){.sel = sel,
                            .profile = c->o.profile,
                            .cpu = c->o.cpu,
                            .blocks = (unsigned int)c->o.blocks,
                            .budget_ms = c->o.budget_ms,
                            .seed = seed,
                            .mode = c->mode,
                            .side = {&c->op[0].out, &c->op[1].out},
                            .guard = &c->guard[0],
                            .counts = &c->counts};
}

/* Analysis of a compare with nothing to re-measure: every regression stands. */
static int analyse_unconfirmable(compare_run *c)
{
    if (ccb_compare_analyse(&c->cmp, &c->o.thresholds) != 0)
        return -1;
    ccb_compare_mark_unconfirmable(&c->cmp);
    return 0;
}

static int interrupted(const char *when)
{
    return ccb_error_setc(CCB_ERROR_INTERRUPTED,
                          "interrupted%s: the children were stopped and nothing was written", when);
}

/* Append a malloc'd warning to C's file warnings (dropped silently past the cap, like the
 * report's own). */
static void file_warning(compare_run *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void file_warning(compare_run *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->nfile_warn < MAX_WARNINGS && vasprintf(&c->file_warn[c->nfile_warn], fmt, ap) >= 0)
        c->nfile_warn++;
    va_end(ap);
}

static int same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Do two scenarios' parameters describe the same measurement? The mock API's port and how
 * many processes or blocks ran (the statistics account for counts) do not change what is
 * measured; everything else (threads, duration, latency, iterations) does. */
static int same_params(const cJSON *a, const cJSON *b)
{
    static const char *const volatile_keys[] = {"api_endpoint", "processes", "abba_blocks",
                                                "budget_ms"};
    cJSON *x = cJSON_Duplicate(a, 1), *y = cJSON_Duplicate(b, 1);
    for (size_t i = 0; i < sizeof(volatile_keys) / sizeof(volatile_keys[0]); i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(x, volatile_keys[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(y, volatile_keys[i]);
    }
    int same = x && y && cJSON_Compare(x, y, 1);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

/* What makes two result files not comparable: another profile, another machine, other
 * parameters for a scenario they share. Each difference becomes one file warning; returns
 * how many. Metrics or scenarios on one side only are warnings too, but do not count. */
static size_t file_mismatches(compare_run *c, const ccb_result *a, const ccb_result *b)
{
    size_t n = 0;
    if (!same_text(a->profile, b->profile)) {
        file_warning(c, "the files were measured at different profiles (%s, %s)",
                     a->profile ? a->profile : "-", b->profile ? b->profile : "-");
        n++;
    }
    const struct {
        const char *what, *x, *y;
    } machine[] = {{"CPU model", a->machine.cpu_model, b->machine.cpu_model},
                   {"kernel", a->machine.kernel, b->machine.kernel},
                   {"compiler", a->machine.compiler, b->machine.compiler},
                   {"build type", a->machine.build_type, b->machine.build_type}};
    for (size_t i = 0; i < sizeof(machine) / sizeof(machine[0]); i++) {
        if (!same_text(machine[i].x, machine[i].y)) {
            file_warning(c, "the files come from different machines: %s '%s' vs '%s'",
                         machine[i].what, machine[i].x ? machine[i].x : "",
                         machine[i].y ? machine[i].y : "");
            n++;
        }
    }
    if (a->machine.cpus != b->machine.cpus) {
        file_warning(c, "the files come from different machines: %d vs %d CPUs", a->machine.cpus,
                     b->machine.cpus);
        n++;
    }
    for (size_t i = 0; i < a->nscenarios; i++) {
        const ccb_scenario_result *sa = &a->scenarios[i];
        const ccb_scenario_result *sb = ccb_result_find_scenario(b, sa->name);
        if (!sb) {
            file_warning(c, "scenario %s is only in the baseline file", sa->name);
            continue;
        }
        if (!same_params(sa->params, sb->params)) {
            char *pa = cJSON_PrintUnformatted(sa->params), *pb = cJSON_PrintUnformatted(sb->params);
            file_warning(c, "scenario %s was measured with other parameters: %s vs %s", sa->name,
                         pa ? pa : "?", pb ? pb : "?");
            cJSON_free(pa);
            cJSON_free(pb);
            n++;
        }
        for (size_t k = 0; k < sa->nmetrics; k++)
            if (!ccb_result_scenario_find_metric(sb, sa->metrics[k].name))
                file_warning(c, "%s.%s is only in the baseline file", sa->name,
                             sa->metrics[k].name);
        for (size_t k = 0; k < sb->nmetrics; k++)
            if (!ccb_result_scenario_find_metric(sa, sb->metrics[k].name))
                file_warning(c, "%s.%s is only in the candidate file", sb->name,
                             sb->metrics[k].name);
    }
    for (size_t i = 0; i < b->nscenarios; i++)
        if (!ccb_result_find_scenario(a, b->scenarios[i].name))
            file_warning(c, "scenario %s is only in the candidate file", b->scenarios[i].name);
    return n;
}

/* Two files that are not comparable are refused (exit 2) unless --allow-mismatch. */
static int refuse_mismatch(compare_run *c, size_t mismatches)
{
    if (mismatches == 0 || c->o.allow_mismatch)
        return 0;
    char first[512] = "";
    for (size_t i = 0; i < c->nfile_warn; i++) {
        if (!strstr(c->file_warn[i], "is only in")) {
            snprintf(first, sizeof(first), "%s", c->file_warn[i]);
            break;
        }
    }
    return ccb_error_setc(CCB_ERROR_INPUT,
                          "compare: the two result files are not comparable: %s%s. Compare "
                          "files of the same profile, machine and parameters, or pass "
                          "--allow-mismatch to compare them anyway with a warning",
                          first, mismatches > 1 ? " (and more)" : "");
}

/* Two result files: unpaired, nothing built or measured. 0 or -1 with a classed error. */
static int compare_files(compare_run *c)
{
    if (refuse_mismatch(c, file_mismatches(c, c->op[0].file, c->op[1].file)) != 0)
        return -1;
    ccb_compare_release(&c->cmp);
    ccb_compare_init(&c->cmp, 0);
    if (ccb_compare_from_results(&c->cmp, c->op[0].file, c->op[1].file,
                                 c->o.sel_given ? &c->o.sel : NULL) != 0)
        return ccb_error_classify(CCB_ERROR_INPUT); /* the files given do not fit together */
    return analyse_unconfirmable(c);
}

/* A result file against a built side: that side measured alone, then unpaired like two
 * files. 0 or -1 with a classed error. */
static int compare_file_and_build(compare_run *c)
{
    int measured = c->op[0].kind == CCB_OPERAND_FILE;
    c->results[measured] = ccb_result_new();
    if (!c->results[measured] ||
        describe(c->results[measured], &c->op[measured], c->o.profile, c->when) != 0)
        return -1;
    if (measure_alone(&c->o, &c->op[measured], c->mode, c->results[measured], &c->scenario_failed,
                      &c->outcome) != 0)
        return -1;
    if (c->outcome == CCB_MEASURE_INTERRUPTED)
        return interrupted("");
    ccb_compare_release(&c->cmp);
    ccb_compare_init(&c->cmp, 0);
    const ccb_result *base = measured ? c->op[0].file : c->results[0];
    const ccb_result *cand = measured ? c->results[1] : c->op[1].file;
    if (refuse_mismatch(c, file_mismatches(c, base, cand)) != 0 ||
        ccb_compare_from_results(&c->cmp, base, cand, NULL) != 0)
        return -1;
    return analyse_unconfirmable(c);
}

/* The machine-state guard's look before measuring: a busy machine warns (the report says so)
 * and, with --strict, refuses before any time is spent. */
static int machine_quiet_enough(compare_run *c)
{
    ccb_guard_probe(CCB_GUARD_PROBE_MS, &c->before);
    if (!c->before.disturbed)
        return 0;
    char what[256];
    ccb_guard_describe(&c->before, what, sizeof(what));
    if (c->o.strict)
        return ccb_error_setc(CCB_ERROR_MACHINE,
                              "compare --strict: the machine is busy before measuring (%s): "
                              "wait until it is quiet, or drop --strict to measure with a "
                              "warning",
                              what);
    if (!c->o.quiet)
        fprintf(stderr,
                "ccbench: warning: the machine is busy before measuring (%s): the "
                "verdicts may reflect it\n",
                what);
    return 0;
}

/* Two builds (revisions or WORKTREE): --noise's A/A first, then interleaved ABBA, analysis
 * and the confirm round. 0 or -1 with a classed error. */
static int compare_builds(compare_run *c)
{
    int rc = -1;
    ccb_compare aa;
    ccb_compare_init(&aa, 1);
    if (c->o.noise) {
        int aa_failed = 0;
        if (!c->o.quiet)
            fprintf(stderr, "ccbench: --noise: A/A run of %s first\n", c->op[1].text);
        if (ccb_noise_measure(&c->op[1], &c->o.sel, c->o.profile, c->o.cpu,
                              (unsigned int)c->o.blocks, c->o.budget_ms,
                              ccb_compare_derive_seed(c->o.seed ^ 0xaaULL), c->mode, &aa,
                              &aa_failed, &c->outcome) != 0)
            goto done;
        if (c->outcome == CCB_MEASURE_DONE && !aa_failed &&
            ccb_noise_save(&c->op[1], &aa, ccb_profile_name(c->o.profile)) != 0)
            goto done;
    }
    if (machine_quiet_enough(c) != 0)
        goto done;
    if (!c->o.quiet && c->o.budget_ms)
        fprintf(stderr,
                "ccbench: compare: a %.0f s budget shared by %zu scenario(s), at least %lu "
                "ABBA blocks each, seed %llu (reproduce the order with --seed %llu)\n",
                c->o.budget_ms / 1000.0, c->o.sel.n, c->o.blocks, (unsigned long long)c->o.seed,
                (unsigned long long)c->o.seed);
    else if (!c->o.quiet)
        fprintf(stderr,
                "ccbench: compare: %lu ABBA blocks, seed %llu (reproduce with --seed "
                "%llu)\n",
                c->o.blocks, (unsigned long long)c->o.seed, (unsigned long long)c->o.seed);
    for (int side = 0; side < 2; side++) {
        c->results[side] = ccb_result_new();
        if (!c->results[side] ||
            describe(c->results[side], &c->op[side], c->o.profile, c->when) != 0)
            goto done;
    }
    /* The count processes: each side's dumps kept in the cache, replaced by the next compare. */
    char *keep = NULL;
    if (asprintf(&keep, "%s/callgrind/last-compare", c->ctx.cache_dir) < 0) {
        ccb_error_set("out of memory");
        goto done;
    }
    int counts_rc = ccb_counts_init(&c->counts, c->o.counts, c->o.profile, 0, keep);
    free(keep);
    if (counts_rc != 0)
        goto done;
    /* Measure, analyse, and confirm what regressed (live.c, shared with bisect). */
    ccb_live live = {.round = round_spec(c, &c->o.sel, c->o.seed),
                     .op = {&c->op[0], &c->op[1]},
                     .thresholds = &c->o.thresholds,
                     .confirm_guard = &c->guard[1],
                     .quiet = c->o.quiet,
                     .cmp = &c->cmp,
                     .results = {c->results[0], c->results[1]}};
    if (c->outcome == CCB_MEASURE_DONE) {
        int live_rc = ccb_live_run(&live);
        c->floor_profile = live.floor_profile;
        c->scenario_failed = live.scenario_failed;
        c->outcome = live.outcome;
        if (live_rc != 0)
            goto done;
    }
    if (c->outcome == CCB_MEASURE_INTERRUPTED) {
        interrupted("");
        goto done;
    }
    rc = 0;
done:
    ccb_compare_release(&aa);
    return rc;
}

/* Resolve and build every side that is not a result file, before measuring anything. */
static int build_sides(compare_run *c)
{
    if (ccb_build_ctx_open(&c->ctx, c->o.repo, c->mode) != 0)
        return -1;
    for (int side = 0; side < 2; side++) {
        if (c->op[side].kind != CCB_OPERAND_FILE && ccb_build_resolve(&c->ctx, &c->op[side]) != 0)
            return -1;
    }
    for (int side = 0; side < 2; side++) {
        if (c->op[side].kind != CCB_OPERAND_FILE && ccb_build_ensure(&c->ctx, &c->op[side]) != 0)
            return -1;
    }
    return 0;
}

/* The scenarios the guard found disturbed in either round, each once, as "a, b" in NAMES
 * (may be NULL). Returns how many. */
static size_t disturbed_scenarios(const compare_run *c, char *names, size_t cap)
{
    size_t n = 0, used = 0;
    if (names && cap)
        names[0] = '\0';
    for (int round = 0; round < 2; round++) {
        const ccb_abba_guard *g = &c->guard[round];
        for (size_t i = 0; i < g->n; i++) {
            if (!g->reading[i].disturbed)
                continue;
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = g->reading[j].disturbed && strcmp(g->scenario[j], g->scenario[i]) == 0;
            for (size_t j = 0; round == 1 && j < c->guard[0].n && !seen; j++)
                seen = c->guard[0].reading[j].disturbed &&
                       strcmp(c->guard[0].scenario[j], g->scenario[i]) == 0;
            if (seen)
                continue;
            if (names && used < cap) {
                int k = snprintf(names + used, cap - used, "%s%s", n ? ", " : "", g->scenario[i]);
                used += k > 0 ? (size_t)k : 0;
            }
            n++;
        }
    }
    return n;
}

/* One warning per disturbed scenario and round, and one for a busy machine before measuring.
 * WARN receives malloc'd strings. */
static size_t guard_warnings(const compare_run *c, char **warn, size_t cap)
{
    size_t n = 0;
    char what[256];
    if (c->before.disturbed && n < cap) {
        ccb_guard_describe(&c->before, what, sizeof(what));
        if (asprintf(&warn[n], "machine busy before measuring: %s", what) >= 0)
            n++;
    }
    for (int round = 0; round < 2; round++) {
        const ccb_abba_guard *g = &c->guard[round];
        for (size_t i = 0; i < g->n && n < cap; i++) {
            if (!g->reading[i].disturbed)
                continue;
            ccb_guard_describe(&g->reading[i], what, sizeof(what));
            if (asprintf(&warn[n],
                         "%s measured on a disturbed machine%s: %s; its verdicts may "
                         "reflect that: rerun on a quiet machine",
                         g->scenario[i], round ? " (confirm round)" : "", what) >= 0)
                n++;
        }
    }
    return n;
}

/* Noise warnings, saved results, the report, and the verdict's exit status (-1: a classed
 * error says it). */
static int report(compare_run *c, int files)
{
    int status = -1, color = ccb_cli_use_color(c->o.color, STDOUT_FILENO);
    char *saved[2] = {NULL, NULL}, *warn[MAX_WARNINGS];
    size_t nwarn = 0;

    /* A changed instruction count names the functions that changed (the first round's
     * profiles, or the files'). */
    const ccb_result *side_result[2];
    for (int side = 0; side < 2; side++)
        side_result[side] = c->results[side] ? c->results[side] : c->op[side].file;
    if (ccb_count_verdict_culprits(&c->cmp, side_result[0], side_result[1]) != 0)
        goto done;
    const char *kept = NULL;
    if (ccb_counts_keep(&c->counts, &kept) != 0)
        fprintf(stderr, "ccbench: warning: %s\n", ccb_error_message());
    else if (kept && !c->o.quiet)
        fprintf(stderr, "ccbench: raw callgrind output of both sides in %s\n", kept);
    nwarn = noise_warnings(&c->cmp, warn, MAX_WARNINGS);
    if (c->floor_profile && nwarn < MAX_WARNINGS &&
        asprintf(&warn[nwarn],
                 "the stored noise floor of this build was measured at profile "
                 "%s, not %s: not applied (run 'ccbench noise --profile %s')",
                 c->floor_profile, ccb_profile_name(c->o.profile),
                 ccb_profile_name(c->o.profile)) >= 0)
        nwarn++;
    for (size_t i = 0; i < c->nfile_warn && nwarn < MAX_WARNINGS; i++)
        if ((warn[nwarn] = strdup(c->file_warn[i])) != NULL)
            nwarn++;
    nwarn += guard_warnings(c, warn + nwarn, MAX_WARNINGS - nwarn);

    /* Results first: a report piped into `head` must not cost the measurement. */
    for (int side = 0; side < 2; side++) {
        if (c->results[side] &&
            save_result(c->results[side], c->ctx.workdir, c->when, &saved[side]) != 0) {
            fprintf(stderr, "ccbench: warning: %s\n", ccb_error_message());
            free(saved[side]);
            saved[side] = NULL;
        }
    }
    ccb_compare_report rep = {.cmp = &c->cmp,
                              .thresholds = &c->o.thresholds,
                              .profile = files == 2 ? NULL : ccb_profile_name(c->o.profile),
                              .warnings = (const char *const *)warn,
                              .nwarnings = nwarn};
    for (int side = 0; side < 2; side++) {
        const ccb_operand *op = &c->op[side];
        const ccb_git_info *g = op->file ? &op->file->git : NULL;
        rep.side[side] = (ccb_compare_side_info){
            .operand = op->text,
            .kind = kind_name(op->kind),
            .commit = g ? g->commit : op->commit,
            .tracker_tree = g ? g->tracker_tree : op->tracker_tree,
            .dirty = g ? g->dirty : op->dirty && op->kind == CCB_OPERAND_WORKTREE,
            .result_path = saved[side],
            .machine = op->file           ? &op->file->machine
                       : c->results[side] ? &c->results[side]->machine
                                          : NULL,
        };
    }
    if (ccb_compare_report_write(stdout, &rep, c->o.format, color) != 0)
        goto done;
    if (!c->o.quiet) {
        for (int side = 0; side < 2; side++)
            if (saved[side])
                fprintf(stderr, "ccbench: %s samples written to %s\n", c->op[side].text,
                        saved[side]);
    }
    if (c->o.strict && disturbed_scenarios(c, NULL, 0) > 0) {
        char names[512];
        disturbed_scenarios(c, names, sizeof(names));
        ccb_error_setc(CCB_ERROR_MACHINE,
                       "compare --strict: the machine was disturbed while measuring %s (see "
                       "the warnings): the verdicts are not trusted; rerun on a quiet machine",
                       names);
        goto done;
    }
    if (c->scenario_failed) {
        ccb_error_setc(CCB_ERROR_SCENARIO,
                       "a scenario had no valid sample on one side: the compare cannot be "
                       "trusted (see the failures in the saved results)");
        goto done;
    }
    if (ccb_compare_has_failure(&c->cmp) && !c->o.no_fail) {
        ccb_error_set("a metric regressed beyond its threshold%s (--no-fail to report only)",
                      files == 0 ? " and was confirmed by a second round" : "");
        status = CCB_EXIT_REGRESSION;
        goto done;
    }
    status = CCB_EXIT_OK;
done:
    for (size_t i = 0; i < nwarn; i++)
        free(warn[i]);
    for (int side = 0; side < 2; side++)
        free(saved[side]);
    return status;
}

int cmd_compare(int argc, char **argv)
{
    int status = -1; /* an exit status once done; -1: the last error's class says it */
    compare_run c;

    memset(&c, 0, sizeof(c));
    c.when = time(NULL);
    c.outcome = CCB_MEASURE_DONE;
    ccb_compare_init(&c.cmp, 1);
    if (parse_options(argc, argv, &c.o) != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    c.mode = ccb_progress_detect(c.o.quiet);
    for (int side = 0; side < 2; side++) {
        if (ccb_build_operand_classify_as(&c.op[side], c.o.operand[side], c.o.force) != 0)
            goto done;
    }
    int files = (c.op[0].kind == CCB_OPERAND_FILE) + (c.op[1].kind == CCB_OPERAND_FILE);
    /* A missing or full TMPDIR is found before anything is built or measured. */
    if (files < 2 && ccb_paths_tempdir_check() != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    if (files < 2 && build_sides(&c) != 0)
        goto done;
    int rc = files == 2   ? compare_files(&c)
             : files == 1 ? compare_file_and_build(&c)
                          : compare_builds(&c);
    if (rc == 0)
        status = report(&c, files);
done:
    for (int side = 0; side < 2; side++) {
        ccb_result_free(c.results[side]);
        ccb_build_operand_release(&c.op[side]);
    }
    ccb_compare_release(&c.cmp);
    ccb_counts_release(&c.counts);
    free(c.floor_profile);
    for (size_t i = 0; i < c.nfile_warn; i++)
        free(c.file_warn[i]);
    ccb_thresholds_release(&c.o.thresholds);
    ccb_build_ctx_release(&c.ctx);
    return status >= 0 ? status : cmd_exit_status();
}
