/*
 * ccbench's entry point: a git-style dispatch table of subcommands. The table also carries
 * each command's synopsis and help, so `ccbench help`, `ccbench CMD --help` and the README's
 * usage section (pasted from `ccbench help`) never disagree. Only main() turns a failure into
 * an exit status and a message.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "sysinfo.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *synopsis; /* after "ccbench NAME" */
    const char *summary;  /* one line */
    const char *help;     /* options and details, for `ccbench help NAME` */
} command;

static int cmd_help(int argc, char **argv);

static const command commands[] = {
    {"run", cmd_run,
     "[--scenario NAME[,NAME]] [--profile quick|default|full] [--samples N] [--threads N] "
     "[--duration SEC] [--api-latency-ms MS] [--label TEXT] [--out FILE] "
     "[--format table|json|markdown] [--quiet] [--cpu N] [--color auto|always|never] "
     "[--save-note] [--counts|--no-counts] [--revisions RANGE [--skip-existing]]",
     "measure scenarios in fresh processes and write a result file",
     "options:\n"
     "  --scenario NAME[,NAME]  scenarios to run, in this order (repeatable). Default: every\n"
     "                          scenario (see 'ccbench list')\n"
     "  --profile P             quick (< 20 s), default (< 2 min) or full (30 s sustained\n"
     "                          throughput, CodeCarbon's protocol). Default: default\n"
     "  --samples N             processes per scenario, overriding the profile\n"
     "  --threads N             worker threads of throughput (profile: 8)\n"
     "  --duration SEC          sustained duration of throughput (decimals allowed)\n"
     "  --api-latency-ms MS     latency the mock API adds to each request (default 50)\n"
     "  --label TEXT            names the result (default: the git branch)\n"
     "  --out FILE              write the result to FILE only\n"
     "  --format F              report on stdout: table (default), json or markdown; or an\n"
     "                          export: github-action-benchmark (lower-is-better metrics,\n"
     "                          tool customSmallerIsBetter), github-action-benchmark-bigger\n"
     "                          (higher-is-better, customBiggerIsBetter) or bencher (BMF)\n"
     "  --quiet                 no progress and no closing message on stderr\n"
     "  --save-note             also store the result as HEAD's git note under\n"
     "                          refs/notes/ccbench (for 'ccbench history --notes')\n"
     "  --revisions RANGE       measure each commit of RANGE (A..B, or a comma list), built\n"
     "                          from the current scenarios/ against that commit's tracker/\n"
     "                          (build cache); commits with equal tracker/ trees are measured\n"
     "                          once, the result attached to each. One result file per\n"
     "                          commit; --save-note stores one note per commit\n"
     "  --skip-existing         with --revisions: skip commits whose note already has an\n"
     "                          entry for this machine and profile\n"
     "  --cpu N                 pin every measured process to CPU N\n"
     "  --color WHEN            colour the table: auto (default), always or never\n"
     "  --counts                require the count metrics (instructions need valgrind:\n"
     "                          without it exit 2); by default they are taken where they can\n"
     "                          be and reported unavailable where not\n"
     "  --no-counts             no count processes (instructions, system calls, page\n"
     "                          faults, allocations per tracker call)\n"
     "\n"
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
     "missing); 130 interrupted (no result written)\n"},
    {"compare", cmd_compare,
     "BASE [CANDIDATE] [--threshold PCT] [--threshold METRIC=PCT] [--profile P] "
     "[--scenario ...] [--format table|json|markdown] [--no-fail] [--repo PATH] [--blocks N] "
     "[--seed N] [--cpu N] [--noise] [--strict] [--quiet] [--color auto|always|never] "
     "[--rev|--file] [--allow-mismatch] [--counts|--no-counts]",
     "compare two revisions (or result files) interleaved, with verdicts a CI can trust",
     "operands: a git revision (branch, tag, sha, HEAD~1: anything git rev-parse takes),\n"
     "WORKTREE (the work tree's tracker/ with uncommitted changes; CANDIDATE's default) or an\n"
     "existing result file. Two files compare without building: unpaired, per-process values,\n"
     "never judged below the 35% drift two separate runs show here (docs/statistics.md).\n"
     "A name that is both a file and a revision is taken as the file when it reads as a\n"
     "result file (and a note says so), else as the revision; --rev takes both operands as\n"
     "revisions, --file both as result files.\n"
     "\n"
     "options:\n"
     "  --threshold PCT         smallest change that counts (default 5%): 5%, 10, 2.5%\n"
     "  --threshold S.M=PCT     for one metric, e.g. warm_lifecycle.lifecycle_us=10% (repeatable)\n"
     "  --profile P             quick, default or full: sample sizes and a time budget per\n"
     "                          round (quick 26 s, default 120 s; at least 6 or 15 blocks\n"
     "                          per scenario, more while its share lasts); full: 30 blocks\n"
     "  --scenario NAME[,NAME]  scenarios to compare (default: every non-test scenario)\n"
     "  --blocks N              exactly N ABBA blocks per scenario, no time budget (each\n"
     "                          block: 2 processes per side)\n"
     "  --seed N                seed of the block orders (default: from the clock, printed)\n"
     "  --cpu N                 pin every measured process to CPU N\n"
     "  --noise                 first measure the candidate build's noise floor (A/A)\n"
     "  --format F              table (default), markdown, or json (ccbench-compare/1)\n"
     "  --no-fail               exit 0 even when a regression is confirmed\n"
     "  --strict                refuse (exit 3) when the machine is busy: other processes\n"
     "                          using over a quarter CPU, or steal over 2%, before or while\n"
     "                          measuring (without it: a warning naming the scenarios)\n"
     "  --allow-mismatch        compare result files of another profile, machine or\n"
     "                          parameters anyway, with a warning per difference (without\n"
     "                          it they are refused, exit 2)\n"
     "  --repo PATH             the git repository (default: found upward from the cwd)\n"
     "  --quiet                 no progress on stderr\n"
     "  --color WHEN            auto (default), always or never\n"
     "  --counts, --no-counts   require the count metrics, or skip them (see 'help run')\n"
     "\n"
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
     "scenario failed, or --strict and a busy machine\n"},
    {"noise", cmd_noise,
     "[REV] [--profile P] [--scenario ...] [--blocks N] [--seed N] [--cpu N] [--repo PATH] "
     "[--format table|json|markdown] [--quiet]",
     "A/A run of one build against itself: the noise floor per metric",
     "REV defaults to WORKTREE. The build is measured against itself in ABBA blocks exactly as\n"
     "compare runs; per metric the widest bound of the ratio's 95% CI is the noise floor\n"
     "(±X%) and the threshold a compare would need. It is stored beside the build\n"
     "(.ccbench/build/<key>/noise.json) and compare warns when its threshold is below it.\n"
     "\n"
     "exit status: 0 done; 2 bad usage or unknown revision; 3 a build or a scenario failed\n"},
    {"bisect", cmd_bisect,
     "GOOD BAD --metric SCENARIO.METRIC [--threshold PCT] [--profile P] [--blocks N] "
     "[--seed N] [--cpu N] [--repo PATH] [--format table|json|markdown] [--quiet]",
     "find the first commit between GOOD and BAD that made a metric worse",
     "options:\n"
     "  --metric S.M            the metric to bisect (e.g. cold_init.start_us)\n"
     "  --threshold PCT         how much worse counts as bad (as compare's --threshold)\n"
     "  --profile P             quick, default or full (default: default)\n"
     "  --blocks N              exactly N ABBA blocks per step and round (default: at least\n"
     "                          12, more while the step's budget lasts: quick 4 s, default\n"
     "                          15 s; full: 30 blocks)\n"
     "  --seed N                seed of the first step's block order (default: the clock)\n"
     "  --cpu N                 pin every measured process to CPU N\n"
     "  --repo PATH             the git repository (default: found upward from the cwd)\n"
     "  --format F              table (default), markdown, or json (ccbench-bisect/1)\n"
     "  --quiet                 no progress on stderr\n"
     "\n"
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
     "3 GOOD or BAD does not build, or a scenario failed\n"},
    {"list", cmd_list, "[--format table|json|markdown]",
     "scenarios, their metrics, units and directions",
     "options:\n"
     "  --format F              table (default), json (schema ccbench-list/1) or markdown\n"
     "  --color WHEN            auto (default), always or never\n"
     "\n"
     "Each metric shows its unit, its direction (lower_is_better or higher_is_better), its\n"
     "origin (runner: timed inside the child; driver: measured by ccbench around it; mock:\n"
     "counted by ccbench's mock API) and its kind (timing: compared statistically; count:\n"
     "compared exactly).\n"},
    {"show", cmd_show, "FILE [--format table|json|markdown] [--functions]",
     "render a result file (or a compare file)",
     "options:\n"
     "  --format F              table (default), json or markdown; or an export:\n"
     "                          github-action-benchmark, github-action-benchmark-bigger or\n"
     "                          bencher (see 'ccbench help run')\n"
     "  --color WHEN            auto (default), always or never\n"
     "  --functions             the result's instruction profile: per scenario and tracker\n"
     "                          call, the functions with the most inclusive instructions\n"
     "\n"
     "A ccbench-compare/1 file (compare --format json) is shown as compare printed it.\n"
     "The file is read strictly: another schema, truncated JSON or a missing or mistyped\n"
     "field exits 2 naming the file and the field.\n"},
    {"plot", cmd_plot,
     "FILE... [--kind distribution|history|compare] [--out PATH.png|.svg] "
     "[--metric SCENARIO.METRIC] [--notes RANGE] [--bisect FILE]",
     "plot results with gnuplot: sample distributions, a metric's history, or a compare",
     "options:\n"
     "  --kind K                distribution (default): box plots of each file's raw samples,\n"
     "                          one box per file, one panel per metric. history: each\n"
     "                          metric's median over the files in time order, with its 95%\n"
     "                          CI band (same loader and machine filter as 'ccbench history').\n"
     "                          compare: FILE is a ccbench-compare/1 file (ccbench compare\n"
     "                          A B --format json > FILE); a bar per metric: the ratio with\n"
     "                          its 95% CI, its ±threshold band, coloured by verdict\n"
     "  --out PATH              the image: .png (pngcairo) or .svg. Default:\n"
     "                          results/plots/ccbench-KIND.png (ignored by git)\n"
     "  --metric S.M            one metric only (e.g. cold_init.init_us)\n"
     "  --notes RANGE           --kind history over the git notes of RANGE instead of files:\n"
     "                          x is the commit order (first parents), a commit without a\n"
     "                          result a labelled gap, y from 0 with a ±threshold band\n"
     "                          around the first commit's median\n"
     "  --bisect FILE           with --notes: mark the first bad commit of a ccbench-bisect/1\n"
     "                          file (bisect --format json) and plot its metric\n"
     "\n"
     "The gnuplot script is written next to the image (PATH with .gp), self-contained (the\n"
     "data inline), so it can be edited and rerun with 'gnuplot PATH.gp'. Axes whose values\n"
     "span more than two decades are logarithmic (compare: ratios spanning more than 4x).\n"
     "\n"
     "exit status: 0 done; 2 bad usage or input, or gnuplot not on PATH (the script is still\n"
     "written; install it with: apt-get install gnuplot-nox); 3 gnuplot failed\n"},
    {"history", cmd_history,
     "[FILES... | --notes RANGE] [--metric SCENARIO.METRIC] [--bisect FILE] "
     "[--format table|json|markdown]",
     "a metric's median and CI over results or commits, oldest first",
     "options:\n"
     "  --notes RANGE           read results from git notes (refs/notes/ccbench, written by\n"
     "                          'ccbench run --save-note') of RANGE: A..B, or one revision\n"
     "                          for all of its history. A commit without a note is a gap row;\n"
     "                          first parents only\n"
     "  --metric S.M            one metric only (default: every metric)\n"
     "  --bisect FILE           with --notes: mark the first bad commit of a ccbench-bisect/1\n"
     "                          file (bisect --format json) in its row\n"
     "  --format F              table (default), markdown or json (schema ccbench-history/1)\n"
     "\n"
     "Files are ordered by their created_at, notes by commit order. Only results measured on\n"
     "the same machine fingerprint as the newest one (CPU model, CPUs, kernel major version,\n"
     "compiler) are shown; how many were skipped, and why, goes to stderr. Share notes with\n"
     "'git push origin refs/notes/ccbench' and 'git fetch origin\n"
     "refs/notes/ccbench:refs/notes/ccbench'.\n"},
    {"mockapi", cmd_mockapi, "[--port N] [--latency-ms MS]",
     "serve the mock CodeCarbon API on 127.0.0.1 until ^C",
     "options:\n"
     "  --port N                listen on 127.0.0.1:N (default 0: any free port)\n"
     "  --latency-ms MS         delay added to every answer (default 0)\n"
     "\n"
     "Prints its URL on stdout. Speaks POST /runs, POST /emissions and GET /geo.json, checks\n"
     "every body against CodeCarbon's API schema (422 naming the field) and requires an\n"
     "x-api-token header (401). Never listens on any address but 127.0.0.1.\n"
     "\n"
     "exit status: 0 stopped by ^C; 2 bad usage, or the port cannot be listened on\n"},
    {"help", cmd_help, "[COMMAND] | --help | --version", "this overview, or a command's options",
     "'ccbench CMD --help' is the same as 'ccbench help CMD'.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))
#define NAME_COLUMN 17 /* "ccbench compare  " */
#define WRAP_COLUMN 92

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

/* "ccbench NAME SYNOPSIS" wrapped at WRAP_COLUMN, continuation lines under the synopsis.
 * Breaks only between top-level words, never inside "[--scenario NAME[,NAME]]". */
static void print_synopsis(FILE *out, const char *lead, const command *c)
{
    int indent = (int)strlen(lead) + NAME_COLUMN;
    int col = fprintf(out, "%sccbench %-*s", lead, NAME_COLUMN - 8, c->name);
    const char *p = c->synopsis;
    while (*p) {
        size_t len = 0;
        int depth = 0;
        while (p[len] && (depth > 0 || p[len] != ' ')) {
            depth += p[len] == '[' ? 1 : p[len] == ']' ? -1 : 0;
            len++;
        }
        if (col > indent && col + 1 + (int)len > WRAP_COLUMN) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        col += fprintf(out, "%.*s", (int)len, p);
        p += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

static void print_overview(FILE *out)
{
    fputs("usage: ccbench COMMAND [OPTIONS]\n\n", out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        print_synopsis(out, "", &commands[i]);
    fputc('\n', out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'ccbench help COMMAND' shows a command's options.\n", out);
}

static void print_command_help(FILE *out, const command *c)
{
    print_synopsis(out, "usage: ", c);
    /* The summary is a table cell in the overview; here it opens a sentence. */
    fprintf(out, "\n%c%s.\n\n%s", toupper((unsigned char)c->summary[0]), c->summary + 1, c->help);
}

static int unknown_command(const char *name)
{
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    const char *near = ccb_cli_nearest(name, names, NCOMMANDS);
    if (name[0] == '-')
        ccb_error_set("unknown option '%s'. See 'ccbench help'.", name);
    else if (near)
        ccb_error_set("'%s' is not a ccbench command. Did you mean '%s'? See 'ccbench help'.", name,
                      near);
    else
        ccb_error_set("'%s' is not a ccbench command. See 'ccbench help'.", name);
    return CCB_EXIT_USAGE;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return CCB_EXIT_OK;
    }
    if (argc > 2) {
        ccb_error_set("help: one command at a time. Usage: ccbench help [COMMAND]");
        return CCB_EXIT_USAGE;
    }
    const command *c = find_command(argv[1]);
    if (!c)
        return unknown_command(argv[1]);
    print_command_help(stdout, c);
    return CCB_EXIT_OK;
}

static void print_version(void)
{
    printf("ccbench %s (%s build, %s; libgit2 %d.%d.%d, cJSON %s)\n", ccb_version(),
           ccb_build_type()[0] ? ccb_build_type() : "unknown", ccb_compiler(), LIBGIT2_VER_MAJOR,
           LIBGIT2_VER_MINOR, LIBGIT2_VER_REVISION, cJSON_Version());
}

/* `CMD --help` anywhere before a "--" means `help CMD`. */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

/* Children get fds 0-2 from us; if ours were closed, the next open() would become "stdout"
 * and a child's log would land in a result file. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) == -1) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0 && null != fd) {
                dup2(null, fd);
                close(null);
            }
        }
    }
}

/* One rule for every command, --help and --version included: output that could not be
 * written (stdout is /dev/full, a closed pipe's EIO, a full disk) is exit 2 with a message,
 * whatever the command returned, unless it was interrupted. */
static int check_output(int status)
{
    errno = 0;
    int flushed = fflush(stdout) == 0;
    int err = errno;
    if ((flushed && !ferror(stdout)) || status == CCB_EXIT_INTERRUPTED)
        return status;
    /* A command that saw the failure itself already said why (with its errno). */
    if (err || status == CCB_EXIT_OK || !ccb_error_message()[0])
        ccb_error_set("cannot write the output to standard output: %s. Check where stdout goes "
                      "(a full disk or device?).",
                      err ? strerror(err) : "write error");
    return CCB_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    ensure_std_fds();
    if (argc < 2) {
        print_overview(stderr);
        return CCB_EXIT_USAGE;
    }
    const command *c = NULL;
    int status;
    if (strcmp(argv[1], "--version") == 0) {
        print_version();
        status = CCB_EXIT_OK;
    } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        status = CCB_EXIT_OK;
    } else if (!(c = find_command(argv[1]))) {
        status = unknown_command(argv[1]);
    } else if (wants_help(argc - 1, argv + 1)) {
        print_command_help(stdout, c);
        status = CCB_EXIT_OK;
    } else {
        git_libgit2_init();
        ccb_error_clear();
        status = c->fn(argc - 1, argv + 1);
        git_libgit2_shutdown();
    }
    status = check_output(status);
    if (status != CCB_EXIT_OK && ccb_error_message()[0])
        fprintf(stderr, "ccbench: %s\n", ccb_error_message());
    return status;
}
