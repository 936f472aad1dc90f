/*
 * The option tables' parser and printers (options.h). The parser lays a getopt_long table
 * over the entries (long option i returns 256 + i) so that abbreviations, "--opt=value",
 * "--opt value" and permutation behave as every GNU tool's do.
 */
#include "options.h"

#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "error.h"

#define MAX_OPTIONS 48
#define LONG_BASE 256
#define HELP_COLUMN 26 /* "  --scenario NAME[,NAME]  " */

static size_t count_entries(const ccb_option *table)
{
    size_t n = 0;
    while (table && table[n].kind != CCB_OPT_END)
        n++;
    return n;
}

/* An option's value: its kind decides the type behind FIELD. */
static int store(const ccb_option *e, void *field, const char *command, const char *arg)
{
    char what[96];
    snprintf(what, sizeof(what), "%s: --%s", command, e->name);
    switch (e->kind) {
    case CCB_OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case CCB_OPT_SET:
        *(int *)field = e->set;
        return 0;
    case CCB_OPT_STRING:
        *(const char **)field = arg;
        return 0;
    case CCB_OPT_ULONG:
        return ccb_cli_parse_uint(what, arg, e->lo, e->hi, (unsigned long *)field);
    case CCB_OPT_U64: {
        unsigned long v = 0;
        if (ccb_cli_parse_uint(what, arg, e->lo, e->hi, &v) != 0)
            return -1;
        *(uint64_t *)field = v;
        return 0;
    }
    case CCB_OPT_POSITIVE:
        return ccb_cli_parse_positive(what, arg, e->dlo, e->dhi, (double *)field);
    case CCB_OPT_FORMAT:
        return ccb_cli_parse_format(what, arg, (ccb_format *)field);
    case CCB_OPT_REPORT_FORMAT:
        return ccb_cli_parse_report_format(what, arg, (ccb_format *)field);
    case CCB_OPT_COLOR:
        return ccb_cli_parse_color(what, arg, (ccb_color_mode *)field);
    case CCB_OPT_PROFILE: {
        int profile = 0;
        if (ccb_cli_parse_profile(what, arg, &profile) != 0)
            return -1;
        *(ccb_profile *)field = (ccb_profile)profile;
        return 0;
    }
    case CCB_OPT_CPU:
        return ccb_cli_parse_cpu(what, arg, (long *)field);
    case CCB_OPT_CALL:
        return e->call(field, command, arg);
    case CCB_OPT_END:
    case CCB_OPT_HELP:
        break;
    }
    return ccb_error_setc(CCB_ERROR_USAGE, "%s: not an option", what);
}

/* Two CCB_OPT_SET entries of one field (--rev and --file, --counts and --no-counts) say
 * opposite things: refuse the pair rather than let the last one win silently. */
static int check_exclusive(const ccb_command_spec *spec, size_t i, const unsigned char *seen)
{
    const ccb_option *e = &spec->options[i];
    if (e->kind != CCB_OPT_SET)
        return 0;
    for (size_t j = 0; spec->options[j].kind != CCB_OPT_END; j++) {
        const ccb_option *o = &spec->options[j];
        if (j != i && seen[j] && o->kind == CCB_OPT_SET && o->offset == e->offset &&
            o->set != e->set)
            return ccb_error_setc(CCB_ERROR_USAGE,
                                  "%s: --%s and --%s exclude each other. See 'ccbench help %s'.",
                                  spec->name, o->name, e->name, spec->name);
    }
    return 0;
}

int ccb_options_parse(const ccb_command_spec *spec, void *opts, int argc, char **argv)
{
    size_t n = count_entries(spec->options);
    if (n >= MAX_OPTIONS)
        return ccb_error_setc(CCB_ERROR_USAGE, "%s: too many options in its table", spec->name);
    struct option longopts[MAX_OPTIONS + 1];
    size_t nlong = 0;
    char shorts[MAX_OPTIONS + 2] = ":";
    size_t nshort = 1;
    for (size_t i = 0; i < n; i++) {
        const ccb_option *e = &spec->options[i];
        if (e->kind == CCB_OPT_HELP)
            continue;
        int takes_value = e->kind != CCB_OPT_FLAG && e->kind != CCB_OPT_SET;
        longopts[nlong++] = (struct option){e->name, takes_value ? required_argument : no_argument,
                                            NULL, LONG_BASE + (int)i};
        if (e->short_name) {
            shorts[nshort++] = e->short_name;
            if (takes_value)
                shorts[nshort++] = ':';
        }
    }
    longopts[nlong] = (struct option){NULL, 0, NULL, 0};
    shorts[nshort] = '\0';

    unsigned char seen[MAX_OPTIONS] = {0};
    opterr = 0;
    optind = 0; /* GNU: re-initialise getopt for each parse */
    for (;;) {
        int opt = getopt_long(argc, argv, shorts, longopts, NULL);
        if (opt == -1)
            break;
        size_t i = n;
        if (opt >= LONG_BASE) {
            i = (size_t)(opt - LONG_BASE);
        } else if (opt != ':' && opt != '?') {
            for (size_t j = 0; j < n; j++) {
                if (spec->options[j].short_name == opt && spec->options[j].kind != CCB_OPT_HELP)
                    i = j;
            }
        }
        if (i >= n)
            return ccb_cli_option_error(spec->name, opt, argv[optind - 1], longopts);
        const ccb_option *e = &spec->options[i];
        if (check_exclusive(spec, i, seen) != 0)
            return -1;
        seen[i] = 1;
        if (store(e, (char *)opts + e->offset, spec->name, optarg) != 0)
            return ccb_error_classify(CCB_ERROR_USAGE); /* a value it cannot take */
        if (e->given)
            *(int *)((char *)opts + e->given - 1) = 1;
    }
    return optind;
}

/* Appends TEXT to BUF (cut at SIZE), a space before it unless BUF is empty. */
static void append(char *buf, size_t size, const char *text)
{
    size_t len = strlen(buf);
    if (!text[0] || len + 1 >= size)
        return;
    snprintf(buf + len, size - len, "%s%s", len ? " " : "", text);
}

void ccb_options_synopsis(const ccb_command_spec *spec, char *buf, size_t size)
{
    if (!size)
        return;
    buf[0] = '\0';
    if (spec->operands)
        append(buf, size, spec->operands);
    for (const ccb_option *e = spec->options; e && e->kind != CCB_OPT_END; e++) {
        char part[128];
        if (e->usage)
            snprintf(part, sizeof(part), "%s", e->usage);
        else if (e->arg)
            snprintf(part, sizeof(part), "[--%s %s]", e->name, e->arg);
        else
            snprintf(part, sizeof(part), "[--%s]", e->name);
        append(buf, size, part);
    }
}

void ccb_options_print_help(FILE *out, const ccb_command_spec *spec)
{
    int any = 0;
    for (const ccb_option *e = spec->options; e && e->kind != CCB_OPT_END; e++) {
        if (!e->help)
            continue;
        if (!any)
            fputs("options:\n", out);
        any = 1;
        char label[96];
        if (e->label)
            snprintf(label, sizeof(label), "%s", e->label);
        else if (e->arg)
            snprintf(label, sizeof(label), "--%s %s", e->name, e->arg);
        else
            snprintf(label, sizeof(label), "--%s", e->name);
        int col = fprintf(out, "  %s", label);
        /* A label too long for its column gets the text on the next line. */
        if (col >= HELP_COLUMN - 1) {
            fputc('\n', out);
            col = 0;
        }
        for (const char *line = e->help; *line;) {
            size_t len = strcspn(line, "\n");
            fprintf(out, "%*s%.*s\n", HELP_COLUMN - col, "", (int)len, line);
            col = 0;
            line += len;
            if (*line == '\n')
                line++;
        }
    }
}
