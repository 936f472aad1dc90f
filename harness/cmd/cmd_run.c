/*
 * `ccbench run`: measure scenarios in fresh processes and write a result file. This file
 * turns options into a plan (which scenarios, which parameters, how many processes), hands
 * it to measure.c, then writes the result and shows the report. Exit status 3 when a
 * scenario ended without one valid sample, 130 on ^C (and then no file at all).
 */
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "cli.h"
#include "commands.h"
#include "counts.h"
#include "error.h"
#include "build.h"
#include "gitref.h"
#include "interrupt.h"
#include "measure.h"
#include "notes.h"
#include "options.h"
#include "shared_options.h"
#include "paths.h"
#include "progress.h"
#include "report.h"
#include "result.h"
#include "revwalk.h"
#include "sample.h"
#include "selection.h"
#include "sysinfo.h"

#define DEFAULT_API_LATENCY_MS 50

typedef struct run_options {
    ccb_selection sel;
    ccb_profile profile;
    unsigned long samples, threads, api_latency_ms; /* samples/threads 0: the profile's */
    double duration_s;                              /* 0: the profile's */
    const char *label, *out;
    ccb_format format;
    ccb_color_mode color;
    int quiet;
    int save_note;          /* --save-note: also store the result as HEAD's git note */
    ccb_counts_mode counts; /* --counts / --no-counts */
    long cpu;               /* -1: not pinned */
    const char *revisions;  /* --revisions RANGE: each commit's tracker/ built and measured */
    int skip_existing;      /* --skip-existing: commits with this machine's note entry */
} run_options;

#define OPT(member) offsetof(run_options, member)
static const ccb_option run_option_table[] = {
    {CCB_OPT_CALL, "scenario", .offset = OPT(sel), .call = ccb_selection_option,
     .arg = "NAME[,NAME]",
     .help = "scenarios to run, in this order (repeatable). Default: every\n"
             "scenario (see 'ccbench list')"},
    {CCB_OPT_PROFILE, "profile", .offset = OPT(profile), .arg = "P",
     .usage = "[--profile quick|default|full]",
     .help = "quick (< 20 s), default (< 2 min) or full (30 s sustained\n"
             "throughput, CodeCarbon's protocol). Default: default"},
    {CCB_OPT_ULONG, "samples", .offset = OPT(samples), .lo = 1, .hi = 100000, .arg = "N",
     .help = "processes per scenario, overriding the profile"},
    {CCB_OPT_ULONG, "threads", .offset = OPT(threads), .lo = 1, .hi = 1024, .arg = "N",
     .help = "worker threads of throughput (profile: 8)"},
    {CCB_OPT_POSITIVE, "duration", .offset = OPT(duration_s), .dlo = 0.001, .dhi = 3600,
     .arg = "SEC", .help = "sustained duration of throughput (decimals allowed)"},
    {CCB_OPT_ULONG, "api-latency-ms", .offset = OPT(api_latency_ms), .lo = 0, .hi = 600000,
     .arg = "MS", .help = "latency the mock API adds to each request (default 50)"},
    {CCB_OPT_STRING, "label", .offset = OPT(label), .arg = "TEXT",
     .help = "names the result (default: the git branch)"},
    {CCB_OPT_STRING, "out", .offset = OPT(out), .arg = "FILE",
     .help = "write the result to FILE only"},
    {CCB_OPT_REPORT_FORMAT, "format", .offset = OPT(format), .arg = "F",
     .usage = "[--format table|json|markdown]",
     .help = "report on stdout: table (default), json or markdown; or an\n"
             "export: github-action-benchmark (lower-is-better metrics,\n"
             "tool customSmallerIsBetter), github-action-benchmark-bigger\n"
             "(higher-is-better, customBiggerIsBetter) or bencher (BMF)"},
    {CCB_OPT_FLAG, "quiet", 'q', .offset = OPT(quiet),
     .help = "no progress and no closing message on stderr"},
    CCB_OPTION_CPU(run_options),
    {CCB_OPT_COLOR, "color", .offset = OPT(color), .arg = "WHEN",
     .usage = "[--color auto|always|never]",
     .help = "colour the table: auto (default), always or never"},
    {CCB_OPT_FLAG, "save-note", .offset = OPT(save_note),
     .help = "also store the result as HEAD's git note under\n"
             "refs/notes/ccbench (for 'ccbench history --notes')"},
    {CCB_OPT_SET, "counts", .offset = OPT(counts), .set = CCB_COUNTS_REQUIRED,
     .usage = "[--counts|--no-counts]",
     .help = "require the count metrics (instructions need valgrind:\n"
             "without it exit 2); by default they are taken where they can\n"
             "be and reported unavailable where not"},
    {CCB_OPT_SET, "no-counts", .offset = OPT(counts), .set = CCB_COUNTS_OFF, .usage = "",
     .help = "no count processes (instructions, system calls, page\n"
             "faults, allocations per tracker call)"},
    {CCB_OPT_STRING, "revisions", .offset = OPT(revisions), .arg = "RANGE",
     .usage = "[--revisions RANGE [--skip-existing]]",
     .help = "measure each commit of RANGE (A..B, or a comma list), built\n"
             "from the current scenarios/ against that commit's tracker/\n"
             "(build cache); commits with equal tracker/ trees are measured\n"
             "once, the result attached to each. One result file per\n"
             "commit; --save-note stores one note per commit"},
    {CCB_OPT_FLAG, "skip-existing", .offset = OPT(skip_existing), .usage = "",
     .help = "with --revisions: skip commits whose note already has an\n"
             "entry for this machine and profile"},
    {CCB_OPT_END},
};
#undef OPT

const ccb_command_spec cmd_run_spec = {
    .name = "run",
    .summary = "measure scenarios in fresh processes and write a result file",
    .options = run_option_table,
    .details =
        "Results go to results/<UTC time>-<label>.json and results/latest.json at the root of\n"
        "the git work tree (./results outside one). Every parameter used is recorded in the\n"
        "result. A sample whose process crashes, times out, exits non-zero, writes bad output\n"
        "or reports a wrong tracker answer is a failed sample: recorded with its reason, and\n"
        "the run goes on.\n"
        "\n"
        "environment:\n"
        "  CCBENCH_RESULTS_DIR     where results go instead of results/\n"
        "  CCBENCH_SCENARIO_DIR    where ccbench-scenario and ccbench-floor are (default: beside\n"
        "                          ccbench)\n"
        "  TMPDIR                  where the run's temporary directory (children's logs) goes\n"
        "  NO_COLOR                set and not empty: no colour\n"
        "\n"
        "exit status: 0 done; 2 bad usage; 3 a scenario had no valid sample (or a runner is\n"
        "missing); 130 interrupted (no result written)\n",
};

static int parse_options(int argc, char **argv, run_options *o)
{
    memset(o, 0, sizeof(*o));
    o->profile = CCB_PROFILE_DEFAULT;
    o->api_latency_ms = DEFAULT_API_LATENCY_MS;
    o->cpu = -1;
    int first = ccb_options_parse(&cmd_run_spec, o, argc, argv);
    if (first < 0)
        return -1;
    if (first < argc)
        return ccb_error_setc(
            CCB_ERROR_USAGE, "run: unexpected argument '%s'. See 'ccbench help run'.", argv[first]);
    if (o->out && o->out[0] == '\0')
        return ccb_error_set("run: --out needs a file name");
    if (o->skip_existing && !o->revisions)
        return ccb_error_set("run: --skip-existing goes with --revisions RANGE");
    if (o->revisions && o->out)
        return ccb_error_set("run: --revisions writes one result per commit into the results "
                             "directory: leave --out out");
    if (o->revisions && o->format != CCB_FORMAT_TABLE && o->format != CCB_FORMAT_MARKDOWN)
        return ccb_error_set("run: --revisions prints a summary as table or markdown; the "
                             "result files hold the JSON");
    if (o->sel.n == 0)
        ccb_selection_default(&o->sel); /* what runs offline, without failure injection */
    return 0;
}

/* Both the recorded and the passed parameters of one scenario, overrides applied. */
static int plan_params(const run_options *o, const ccb_scenario_def *def, ccb_plan_item *item)
{
    ccb_plan_overrides ov = {.samples = o->samples,
                             .threads = o->threads,
                             .api_latency_ms = o->api_latency_ms,
                             .duration_s = o->duration_s,
                             .cpu = o->cpu};
    return ccb_measure_plan_item_init(item, def, o->profile, &ov);
}

/* --revisions: the plan of every selected scenario, run by the binaries of one build (the
 * count runner too, unless counts are off). *n counts the items to release, also on
 * failure. */
static int plan(const run_options *o, const ccb_build_outputs *out, ccb_plan_item *items, size_t *n)
{
    for (size_t i = 0; i < o->sel.n; i++) {
        const ccb_scenario_def *def = o->sel.defs[i];
        int is_floor = strcmp(def->executable, CCB_FLOOR_EXECUTABLE) == 0;
        items[i].def = def;
        items[i].executable = strdup(is_floor ? out->floor : out->runner);
        (*n)++;
        if (!items[i].executable)
            return ccb_error_set("out of memory");
        if (o->counts != CCB_COUNTS_OFF && ccb_counts_applies(def) &&
            !(items[i].counts_executable = strdup(out->counts)))
            return ccb_error_set("out of memory");
        if (plan_params(o, def, &items[i]) != 0)
            return -1;
    }
    return 0;
}

/* Fill the result's header: who, where, what revision. */
static int describe(const run_options *o, ccb_result *r, char **workdir, time_t when)
{
    char stamp[32];
    ccb_paths_iso8601(stamp, sizeof(stamp), when);
    r->ccbench_version = strdup(ccb_sysinfo_version());
    r->created_at = strdup(stamp);
    r->profile = strdup(ccb_profile_name(o->profile));
    if (!r->ccbench_version || !r->created_at || !r->profile)
        return ccb_error_set("out of memory");
    if (ccb_sysinfo_collect(&r->machine) != 0)
        return -1;
    if (ccb_gitref_describe_cwd(&r->git, workdir) != 0) {
        /* A broken repository must not cost the measurement: record "no git" and say so. */
        fprintf(stderr, "ccbench: warning: %s; recording no git information\n",
                ccb_error_message());
        ccb_result_git_info_release(&r->git);
    }
    const char *label = o->label;
    char short_sha[13] = "";
    if (!label && r->git.present && r->git.revision && strcmp(r->git.revision, "HEAD") != 0)
        label = r->git.revision;
    if (!label && r->git.present && r->git.commit) {
        snprintf(short_sha, sizeof(short_sha), "%.12s", r->git.commit);
        label = short_sha;
    }
    r->label = strdup(label ? label : "run");
    return r->label ? 0 : ccb_error_set("out of memory");
}

/* Write the result to --out, or to DIR/<stamp>-<label>.json and DIR/latest.json. *path and
 * *latest (NULL with --out) receive the paths for the closing message. */
static int write_results(const run_options *o, const ccb_result *r, const char *dir, time_t when,
                         char **path, char **latest)
{
    if (o->out) {
        *path = strdup(o->out);
        if (!*path)
            return ccb_error_set("out of memory");
        return ccb_result_write_file(r, *path);
    }
    if (ccb_paths_result_file(dir, when, r->label, path) != 0 ||
        ccb_result_write_file(r, *path) != 0)
        return -1;
    if (asprintf(latest, "%s/latest.json", dir) < 0) {
        *latest = NULL;
        return ccb_error_set("out of memory");
    }
    return ccb_result_write_file(r, *latest);
}

/* --save-note: the result's JSON text as the note of COMMIT (NULL: HEAD) under
 * refs/notes/ccbench. */
static int save_note(const ccb_result *r, const char *commit, int quiet)
{
    char sha[GIT_OID_HEXSZ + 1];
    int replaced = 0;
    int rc = ccb_notes_save(r, commit, sha, &replaced);
    if (rc == 0 && !quiet)
        fprintf(stderr,
                "ccbench: result stored in the note of %.12s under %s, %s this machine's "
                "%s entry (share it: git push origin %s)\n",
                sha, CCB_NOTES_REF, replaced ? "replacing" : "as", r->profile, CCB_NOTES_REF);
    return rc;
}

/* The scenarios that ended without one valid sample, for the closing message. */
static int check_valid(const ccb_result *r)
{
    char names[512] = "";
    size_t len = 0, bad = 0;
    for (size_t i = 0; i < r->nscenarios; i++) {
        if (r->scenarios[i].samples_ok > 0)
            continue;
        len += (size_t)snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0, "%s%s",
                                bad ? ", " : "", r->scenarios[i].name);
        if (len >= sizeof(names))
            len = sizeof(names) - 1;
        bad++;
    }
    if (bad == 0)
        return 0;
    return ccb_error_setc(CCB_ERROR_SCENARIO,
                          "no valid sample for %s: see the failures in the report", names);
}

/* ---------------------------------------------------------------------------------------- */
/* run --revisions RANGE: each commit's tracker/ built (build cache) against the current
 * scenarios/ and measured, as asv run RANGE fills a history. Commits whose tracker/ trees
 * are equal are measured once and the result attached to each of them. */

typedef struct rev_commit {
    char sha[GIT_OID_HEXSZ + 1], tree[GIT_OID_HEXSZ + 1], subject[72], author[64];
    const char *what;   /* static: what happened, for the summary */
    size_t measured_by; /* the commit whose measurement this one shares (itself: measured) */
    char *path;         /* the result file written, owned */
} rev_commit;

/* COMMIT's result: R's measurement with the header of that commit. */
static int label_for_commit(ccb_result *r, const run_options *o, const rev_commit *c)
{
    char label[128];
    snprintf(label, sizeof(label), "%s%s%.12s", o->label ? o->label : "", o->label ? "-" : "",
             c->sha);
    ccb_result_git_info_release(&r->git);
    free(r->label);
    r->label = strdup(label);
    r->git.present = 1;
    r->git.revision = strdup(c->sha);
    r->git.commit = strdup(c->sha);
    r->git.tracker_tree = strdup(c->tree);
    if (!r->label || !r->git.revision || !r->git.commit || !r->git.tracker_tree)
        return ccb_error_set("out of memory");
    return 0;
}

/* Build and measure commit C (the first of its tree) into *out. Returns 0, 1 when it does not
 * build (the message on stderr), or -1; *outcome says ^C. */
static int measure_commit(const run_options *o, ccb_build_ctx *ctx, const rev_commit *c,
                          time_t when, ccb_counts *counts, ccb_result **out,
                          ccb_measure_outcome *outcome)
{
    int rc = -1;
    ccb_operand op;
    ccb_plan_item items[CCB_SELECTION_MAX];
    size_t nitems = 0;
    char *workdir = NULL;
    memset(items, 0, sizeof(items));
    if (ccb_build_operand_classify_as(&op, c->sha, CCB_FORCE_REV) != 0)
        goto done;
    if (ccb_build_resolve(ctx, &op) != 0 || ccb_build_ensure(ctx, &op) != 0) {
        if (ccb_error_last_class() == CCB_ERROR_INTERRUPTED) {
            *outcome = CCB_MEASURE_INTERRUPTED;
            rc = 0;
            goto done;
        }
        fprintf(stderr, "ccbench: %.12s does not build, skipped: %s\n", c->sha,
                ccb_error_message());
        rc = 1;
        goto done;
    }
    *out = ccb_result_new();
    if (!*out) {
        ccb_error_set("out of memory");
        goto done;
    }
    if (plan(o, &op.out, items, &nitems) != 0 || describe(o, *out, &workdir, when) != 0 ||
        ccb_measure_run(items, nitems, (int)o->cpu, ccb_progress_detect(o->quiet), counts, *out,
                        outcome) != 0)
        goto done;
    rc = *outcome == CCB_MEASURE_DONE ? ccb_result_compute_stats(*out) : 0;
done:
    for (size_t i = 0; i < nitems; i++)
        ccb_measure_plan_item_release(&items[i]);
    ccb_build_operand_release(&op);
    free(workdir);
    return rc;
}

static void revisions_summary(FILE *f, const rev_commit *cs, size_t n, ccb_format format)
{
    int md = format == CCB_FORMAT_MARKDOWN;
    fprintf(f,
            md ? "| commit | tracker tree | result | subject |\n|---|---|---|---|\n"
               : "%-12s  %-12s  %-44s  %s\n",
            "commit", "tracker tree", "result", "subject");
    for (size_t i = 0; i < n; i++) {
        char what[160];
        if (cs[i].measured_by != i)
            snprintf(what, sizeof(what), "%s %.12s (same tracker/)", cs[i].what,
                     cs[cs[i].measured_by].sha);
        else
            snprintf(what, sizeof(what), "%s", cs[i].what);
        if (md)
            fprintf(f, "| `%.12s` | `%.12s` | %s%s%s%s | %s |\n", cs[i].sha, cs[i].tree, what,
                    cs[i].path ? " (`" : "", cs[i].path ? cs[i].path : "", cs[i].path ? "`)" : "",
                    cs[i].subject);
        else
            fprintf(f, "%.12s  %-12.12s  %-44s  %s\n", cs[i].sha, cs[i].tree, what, cs[i].subject);
    }
}

static int run_revisions(const run_options *o)
{
    int rc = -1, failed = 0;
    ccb_build_ctx ctx;
    ccb_commit_list list = {.n = 0};
    rev_commit *cs = NULL;
    ccb_result *probe = NULL, *r = NULL;
    ccb_counts counts;
    char *results_dir = NULL, *workdir = NULL;
    time_t when = time(NULL);
    size_t done_n = 0;

    memset(&ctx, 0, sizeof(ctx));
    memset(&counts, 0, sizeof(counts));
    if (ccb_paths_tempdir_check() != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    /* The builds are release runners; their call-level dumps are not kept per commit. */
    if (ccb_counts_init(&counts, o->counts, o->profile, 0, NULL) != 0 ||
        ccb_build_ctx_open(&ctx, NULL, ccb_progress_detect(o->quiet)) != 0 ||
        ccb_revwalk_list(ctx.repo, o->revisions, 0, "run: --revisions", &list) != 0)
        goto done;
    ctx.incremental = 1; /* neighbouring commits differ by a few files: recompile only those */
    if (list.n == 0) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "run: --revisions '%s' names no commit (is the range the right way "
                       "round? A..B lists what B has and A has not)",
                       o->revisions);
        goto done;
    }
    cs = calloc(list.n, sizeof(*cs));
    probe = ccb_result_new();
    if (!cs || !probe) {
        ccb_error_set("out of memory");
        goto done;
    }
    /* The machine and profile of this run: the key of a note entry (--skip-existing). */
    if (describe(o, probe, &workdir, when) != 0)
        goto done;
    if (ccb_paths_results_dir(ctx.workdir, &results_dir) != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    for (size_t i = 0; i < list.n; i++) {
        rev_commit *c = &cs[i];
        git_oid_tostr(c->sha, sizeof(c->sha), &list.oids[i]);
        ccb_revwalk_describe(ctx.repo, &list.oids[i], c->subject, sizeof(c->subject), c->author,
                             sizeof(c->author));
        c->measured_by = i;
        char commit[GIT_OID_HEXSZ + 1];
        if (ccb_gitref_resolve(ctx.repo, c->sha, commit, c->tree) != 0) {
            c->what = "no tracker/: skipped";
            failed = 1;
            continue;
        }
        if (o->skip_existing) {
            int has = ccb_notes_has_entry(probe, c->sha);
            if (has < 0)
                goto done;
            if (has)
                c->what = "skipped: has a note entry for this machine and profile";
        }
        for (size_t j = 0; j < i && !c->what; j++) {
            if (!cs[j].what && cs[j].measured_by == j && strcmp(cs[j].tree, c->tree) == 0)
                c->measured_by = j;
        }
    }
    for (size_t i = 0; i < list.n; i++) {
        rev_commit *c = &cs[i];
        if (c->what && c->measured_by == i)
            continue; /* skipped */
        if (!o->quiet)
            fprintf(stderr, "ccbench: commit %zu of %zu: %.12s %s\n", i + 1, list.n, c->sha,
                    c->subject);
        if (c->measured_by != i) {
            rev_commit *m = &cs[c->measured_by];
            c->what = m->path ? "result of" : m->what;
            if (!m->path)
                continue;
            if (!o->quiet)
                fprintf(stderr,
                        "ccbench: %.12s has the tracker/ tree of %.12s: its result is "
                        "attached without measuring again\n",
                        c->sha, m->sha);
        } else {
            ccb_result_free(r);
            r = NULL;
            ccb_measure_outcome outcome = CCB_MEASURE_DONE;
            int got = measure_commit(o, &ctx, c, when, &counts, &r, &outcome);
            if (got < 0)
                goto done;
            if (outcome == CCB_MEASURE_INTERRUPTED) {
                ccb_error_setc(CCB_ERROR_INTERRUPTED,
                               "interrupted: the children were stopped; the results of the %zu "
                               "commits before stay written",
                               done_n);
                goto done;
            }
            if (got == 1) {
                c->what = "does not build: skipped";
                failed = 1;
                continue;
            }
            c->what = "measured";
            if (check_valid(r) != 0) {
                fprintf(stderr, "ccbench: %.12s: %s\n", c->sha, ccb_error_message());
                failed = 1;
            }
        }
        if (label_for_commit(r, o, c) != 0 ||
            ccb_paths_result_file(results_dir, when, r->label, &c->path) != 0 ||
            ccb_result_write_file(r, c->path) != 0)
            goto done;
        if (o->save_note && save_note(r, c->sha, o->quiet) != 0)
            goto done;
        done_n++;
    }
    revisions_summary(stdout, cs, list.n, o->format);
    if (!o->quiet)
        fprintf(stderr, "ccbench: %zu of %zu commits have a result in %s\n", done_n, list.n,
                results_dir);
    rc = 0;
done:
    for (size_t i = 0; cs && i < list.n; i++)
        free(cs[i].path);
    free(cs);
    ccb_revwalk_list_release(&list);
    ccb_result_free(probe);
    ccb_result_free(r);
    free(results_dir);
    free(workdir);
    ccb_counts_release(&counts);
    ccb_build_ctx_release(&ctx);
    if (rc != 0)
        return cmd_exit_status();
    return failed ? CCB_EXIT_FAILURE : CCB_EXIT_OK; /* a commit without a result */
}

int cmd_run(int argc, char **argv)
{
    int status = CCB_EXIT_FAILURE; /* CCB_EXIT_OK once done; else the last error's class */
    run_options o;
    ccb_plan_item items[CCB_SELECTION_MAX];
    size_t nitems = 0;
    ccb_result *r = NULL;
    char *workdir = NULL, *path = NULL, *latest = NULL, *results_dir = NULL;
    char *executables[2] = {NULL, NULL}; /* [0] the scenario runner, [1] the floor */
    char *counts_exe = NULL, *keep_dir = NULL;
    int counts_missing = 0;
    ccb_counts counts;
    time_t when = time(NULL);

    memset(&counts, 0, sizeof(counts));

    memset(items, 0, sizeof(items));
    if (parse_options(argc, argv, &o) != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    if (o.revisions)
        return run_revisions(&o); /* nothing to release yet */
    int color = ccb_cli_use_color(o.color, STDOUT_FILENO);
    /* Where the output goes is the user's to fix: bad usage (exit 2). */
    if ((o.out && ccb_paths_check_writable(o.out) != 0) || ccb_paths_tempdir_check() != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }

    /* A missing runner is a build problem (class io, exit 3): say so before measuring. */
    for (size_t i = 0; i < o.sel.n; i++) {
        const ccb_scenario_def *def = o.sel.defs[i];
        int is_floor = strcmp(def->executable, CCB_FLOOR_EXECUTABLE) == 0;
        if (!executables[is_floor] &&
            ccb_sample_find_executable(def->executable, &executables[is_floor]) != 0)
            goto done;
        items[nitems].def = def;
        items[nitems].executable = strdup(executables[is_floor]);
        if (o.counts != CCB_COUNTS_OFF && ccb_counts_applies(def) && !counts_missing) {
            /* Without the count runner the counts are a note, unless --counts asked for them. */
            if (!counts_exe &&
                ccb_sample_find_executable(CCB_COUNTS_EXECUTABLE, &counts_exe) != 0) {
                if (o.counts == CCB_COUNTS_REQUIRED)
                    goto done;
                fprintf(stderr, "ccbench: count metrics unavailable: %s\n", ccb_error_message());
                counts_missing = 1;
            }
        }
        if (counts_exe && ccb_counts_applies(def)) {
            items[nitems].counts_executable = strdup(counts_exe);
            if (!items[nitems].counts_executable) {
                ccb_error_set("out of memory");
                nitems++;
                goto done;
            }
        }
        if (!items[nitems].executable || plan_params(&o, def, &items[nitems]) != 0) {
            nitems++;
            goto done;
        }
        nitems++;
    }

    r = ccb_result_new();
    if (!r) {
        ccb_error_set("out of memory");
        goto done;
    }
    if (describe(&o, r, &workdir, when) != 0)
        goto done;
    if (o.save_note && (!r->git.present || !r->git.commit)) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "run: --save-note needs a git repository with a commit (the note goes "
                       "on HEAD); run from a checkout, or leave --save-note out");
        goto done;
    }
    /* Create the results directory now: a permission problem must not wait for the end. */
    if (!o.out && ccb_paths_results_dir(workdir, &results_dir) != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }

    /* The raw callgrind dumps are kept beside the result file. */
    if (o.out) {
        if (ccb_counts_keep_dir_for(o.out, &keep_dir) != 0)
            goto done;
    } else {
        char *planned = NULL;
        int planned_rc = ccb_paths_result_file(results_dir, when, r->label, &planned);
        if (planned_rc == 0)
            planned_rc = ccb_counts_keep_dir_for(planned, &keep_dir);
        free(planned);
        if (planned_rc != 0) {
            ccb_error_classify(CCB_ERROR_USAGE);
            goto done;
        }
    }
    if (ccb_counts_init(&counts, counts_exe ? o.counts : CCB_COUNTS_OFF, o.profile,
                        ccb_counts_this_build_sanitized(), keep_dir) != 0)
        goto done;

    ccb_measure_outcome outcome = CCB_MEASURE_DONE;
    if (ccb_measure_run(items, nitems, (int)o.cpu, ccb_progress_detect(o.quiet), &counts, r,
                        &outcome) != 0)
        goto done;
    if (outcome == CCB_MEASURE_INTERRUPTED) {
        ccb_error_setc(CCB_ERROR_INTERRUPTED,
                       "interrupted: the children were stopped and no result was written");
        goto done;
    }
    if (ccb_result_compute_stats(r) != 0)
        goto done;

    /* The file first: a report piped into `head` must not cost the measurement. ^C or
     * SIGTERM stay blocked while it is written: the write then stops before its rename
     * (no temp file left, no half-replaced result) and the run exits 130. */
    if (ccb_interrupt_install() != 0)
        goto done;
#ifdef CCBENCH_SELFTEST_SCENARIOS
    /* Test-only (never in a release build): the signal lands while the file is written. */
    if (getenv("CCBENCH_SELFTEST_TERM_WHILE_WRITING"))
        raise(SIGTERM);
#endif
    int write_failed = write_results(&o, r, results_dir, when, &path, &latest) != 0;
    int stopped = ccb_interrupt_requested();
    ccb_interrupt_uninstall();
    if (stopped) {
        if (write_failed && latest) /* the stamped file was written, latest.json was not */
            unlink(path);
        if (write_failed)
            ccb_error_setc(CCB_ERROR_INTERRUPTED,
                           "interrupted while the result was written: no result was written");
        else
            ccb_error_setc(CCB_ERROR_INTERRUPTED,
                           "interrupted: the result was already written to %s", path);
        goto done;
    }
    char write_error[1024] = "";
    if (write_failed)
        snprintf(write_error, sizeof(write_error), "%s", ccb_error_message());
    if (ccb_report_write(stdout, r, o.format, color) != 0)
        goto done;
    if (write_failed) {
        ccb_error_setc(CCB_ERROR_USAGE, "%s", write_error);
        goto done;
    }
    const char *kept = NULL;
    if (ccb_counts_keep(&counts, &kept) != 0)
        goto done;
    if (!o.quiet) {
        if (latest)
            fprintf(stderr, "ccbench: result written to %s (and %s)\n", path, latest);
        else
            fprintf(stderr, "ccbench: result written to %s\n", path);
        if (kept)
            fprintf(stderr, "ccbench: raw callgrind output in %s (callgrind_annotate FILE)\n",
                    kept);
    }
    if (o.save_note && save_note(r, NULL, o.quiet) != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    if (check_valid(r) == 0)
        status = CCB_EXIT_OK;
done:
    for (size_t i = 0; i < nitems; i++)
        ccb_measure_plan_item_release(&items[i]);
    free(executables[0]);
    free(executables[1]);
    free(counts_exe);
    free(keep_dir);
    ccb_counts_release(&counts);
    ccb_result_free(r);
    free(workdir);
    free(results_dir);
    free(path);
    free(latest);
    /* What went wrong says what the process reports (exit_status.c). */
    return status == CCB_EXIT_OK ? status : cmd_exit_status();
}
