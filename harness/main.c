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
#include "options.h"
#include "sysinfo.h"

typedef struct command {
    const ccb_command_spec *spec; /* name, synopsis, summary and help (options.h) */
    int (*fn)(int argc, char **argv);
} command;

static int cmd_help(int argc, char **argv);

static const ccb_command_spec help_spec = {
    .name = "help",
    .operands = "[COMMAND] | --help | --version",
    .summary = "this overview, or a command's options",
    .details = "'ccbench CMD --help' is the same as 'ccbench help CMD'.\n",
};

static const command commands[] = {
    {&cmd_run_spec, cmd_run},         {&cmd_compare_spec, cmd_compare},
    {&cmd_noise_spec, cmd_noise},     {&cmd_bisect_spec, cmd_bisect},
    {&cmd_list_spec, cmd_list},       {&cmd_show_spec, cmd_show},
    {&cmd_plot_spec, cmd_plot},       {&cmd_history_spec, cmd_history},
    {&cmd_mockapi_spec, cmd_mockapi}, {&help_spec, cmd_help},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))
#define NAME_COLUMN 17 /* "ccbench compare  " */
#define WRAP_COLUMN 92

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].spec->name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

/* "ccbench NAME SYNOPSIS" wrapped at WRAP_COLUMN, continuation lines under the synopsis.
 * Breaks only between top-level words, never inside "[--scenario NAME[,NAME]]". */
static void print_synopsis(FILE *out, const char *lead, const command *c)
{
    int indent = (int)strlen(lead) + NAME_COLUMN;
    char synopsis[1024];
    ccb_options_synopsis(c->spec, synopsis, sizeof(synopsis));
    int col = fprintf(out, "%sccbench %-*s", lead, NAME_COLUMN - 8, c->spec->name);
    const char *p = synopsis;
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
        fprintf(out, "  %-8s %s\n", commands[i].spec->name, commands[i].spec->summary);
    fputs("\n'ccbench help COMMAND' shows a command's options.\n", out);
}

static void print_command_help(FILE *out, const command *c)
{
    print_synopsis(out, "usage: ", c);
    /* The summary is a table cell in the overview; here it opens a sentence. */
    const ccb_command_spec *s = c->spec;
    fprintf(out, "\n%c%s.\n\n", toupper((unsigned char)s->summary[0]), s->summary + 1);
    if (s->intro)
        fputs(s->intro, out);
    ccb_options_print_help(out, s);
    if (s->details) {
        if (s->options)
            fputc('\n', out);
        fputs(s->details, out);
    }
}

static int unknown_command(const char *name)
{
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].spec->name;
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
    printf("ccbench %s (%s build, %s; libgit2 %d.%d.%d, cJSON %s)\n", ccb_sysinfo_version(),
           ccb_sysinfo_build_type()[0] ? ccb_sysinfo_build_type() : "unknown",
           ccb_sysinfo_compiler(), LIBGIT2_VER_MAJOR, LIBGIT2_VER_MINOR, LIBGIT2_VER_REVISION,
           cJSON_Version());
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
