/*
 * ccbench's entry point: a git-style dispatch table of subcommands. The table also carries
 * each command's synopsis and help, so `ccbench help`, `ccbench CMD --help` and the README's
 * usage section (pasted from `ccbench help`) never disagree. Only main() turns a failure into
 * an exit status and a message.
 */
#include <ctype.h>
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
     "[--format table|json|markdown] [--quiet] [--cpu N] [--color auto|always|never]",
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
     "  --format F              report on stdout: table (default), json or markdown\n"
     "  --quiet                 no progress and no closing message on stderr\n"
     "  --cpu N                 pin every measured process to CPU N\n"
     "  --color WHEN            colour the table: auto (default), always or never\n"
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
    {"show", cmd_show, "FILE [--format table|json|markdown]", "render a result file",
     "options:\n"
     "  --format F              table (default), json or markdown\n"
     "  --color WHEN            auto (default), always or never\n"
     "\n"
     "The file is read strictly: another schema, truncated JSON or a missing or mistyped\n"
     "field exits 2 naming the file and the field.\n"},
    {"mockapi", cmd_mockapi, "[--port N] [--latency-ms MS]",
     "serve the mock CodeCarbon API on 127.0.0.1 until ^C",
     "options:\n"
     "  --port N                listen on 127.0.0.1:N (default 0: any free port)\n"
     "  --latency-ms MS         delay added to every answer (default 0)\n"
     "\n"
     "Prints its URL on stdout. Speaks POST /runs, POST /emissions and GET /geo.json, checks\n"
     "every body against CodeCarbon's API schema (422 naming the field) and requires an\n"
     "x-api-token header (401). Never listens on any address but 127.0.0.1.\n"},
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

int main(int argc, char **argv)
{
    ensure_std_fds();
    if (argc < 2) {
        print_overview(stderr);
        return CCB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        print_version();
        return CCB_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        return CCB_EXIT_OK;
    }
    const command *c = find_command(argv[1]);
    int status;
    if (!c) {
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
    if (fflush(stdout) != 0 && status == CCB_EXIT_OK)
        status = CCB_EXIT_FAILURE;
    if (status != CCB_EXIT_OK && ccb_error_message()[0])
        fprintf(stderr, "ccbench: %s\n", ccb_error_message());
    return status;
}
