/*
 * Declared options, as git's parse-options: each command describes its options once, in a
 * table of ccb_option, and that table drives the parser, the synopsis (`ccbench help`, the
 * README's usage section) and the options part of `ccbench help CMD`. A value lands in the
 * command's own options struct at the entry's offset, so the tables are static const data
 * that main.c can print without running the command.
 *
 * Every error is class usage (exit 2) and names the command, the option and what it takes.
 */
#ifndef CCB_OPTIONS_H
#define CCB_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

typedef enum ccb_option_kind {
    CCB_OPT_END = 0,       /* terminates a table */
    CCB_OPT_FLAG,          /* int: 1 */
    CCB_OPT_SET,           /* int-sized enum: .set; entries of one field exclude each other */
    CCB_OPT_STRING,        /* const char *: the argument, not copied (argv outlives it) */
    CCB_OPT_ULONG,         /* unsigned long in [.lo, .hi] */
    CCB_OPT_U64,           /* uint64_t in [.lo, .hi] */
    CCB_OPT_POSITIVE,      /* double in [.dlo, .dhi], above 0 */
    CCB_OPT_FORMAT,        /* ccb_format: table, json or markdown */
    CCB_OPT_REPORT_FORMAT, /* ccb_format: the above or an export (run, show) */
    CCB_OPT_COLOR,         /* ccb_color_mode */
    CCB_OPT_PROFILE,       /* ccb_profile */
    CCB_OPT_CPU,           /* long: a CPU this process may run on */
    CCB_OPT_CALL,          /* .call(field, command, argument): repeatable or structured */
    CCB_OPT_HELP,          /* no option: one more help line (and synopsis part) of the one
                              above, e.g. --threshold S.M=PCT beside --threshold PCT */
} ccb_option_kind;

typedef struct ccb_option {
    ccb_option_kind kind;
    const char *name; /* "scenario" for --scenario */
    char short_name;  /* 'q' for -q; 0: none */
    size_t offset;    /* of the value in the command's options struct */
    size_t given;     /* CCB_OPT_GIVEN(): an int set to 1 when the option is given; 0: none */
    int set;          /* CCB_OPT_SET's value */
    unsigned long lo, hi;
    double dlo, dhi;
    /* FIELD is the value's address; COMMAND names the command for messages. 0 or -1. */
    int (*call)(void *field, const char *command, const char *argument);
    const char *arg;   /* the value's name in help ("P" in "--profile P"); NULL: no value */
    const char *label; /* help's left column instead of "--NAME ARG" */
    const char *usage; /* its part of the synopsis; NULL: "[--NAME ARG]", "": none */
    const char *help;  /* help lines, '\n' between them; NULL: not listed */
} ccb_option;

#define CCB_OPT_GIVEN(type, member) (offsetof(type, member) + 1)

/* One command as `ccbench help` shows it; the options come from its table. */
typedef struct ccb_command_spec {
    const char *name;
    const char *operands; /* the synopsis before the options: "BASE [CANDIDATE]" */
    const char *summary;  /* one line, lower case, no full stop */
    const char *intro;    /* help before "options:" (may be NULL) */
    const ccb_option *options;
    const char *details; /* help after the options (may be NULL) */
} ccb_command_spec;

/* Parse ARGV (argv[0] is the command's name) into OPTS by SPEC's table; options and operands
 * may mix (GNU getopt permutes ARGV). Returns the index of the first operand (argc when
 * none), or -1 with a usage error. */
int ccb_options_parse(const ccb_command_spec *spec, void *opts, int argc, char **argv);

/* The synopsis: operands, then each option's usage part, space-separated. NUL-terminated,
 * cut at SIZE. */
void ccb_options_synopsis(const ccb_command_spec *spec, char *buf, size_t size);

/* "options:" and a line per listed option, the text at column 26; nothing when none. */
void ccb_options_print_help(FILE *out, const ccb_command_spec *spec);

#endif
