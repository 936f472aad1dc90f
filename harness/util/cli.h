/*
 * Small helpers every subcommand shares: strict number parsing for option values, the
 * output format and colour switches, and the edit distance behind "did you mean ...?".
 * Each parser returns 0, or -1 with a message naming the option and what it accepts.
 */
#ifndef CCB_CLI_H
#define CCB_CLI_H

#include <stddef.h>

struct option;

typedef enum ccb_format {
    CCB_FORMAT_TABLE = 0,
    CCB_FORMAT_JSON = 1,
    CCB_FORMAT_MARKDOWN = 2,
    /* Exports of one result (run, show only; see report.h). */
    CCB_FORMAT_GITHUB_ACTION_BENCHMARK = 3,        /* customSmallerIsBetter array */
    CCB_FORMAT_GITHUB_ACTION_BENCHMARK_BIGGER = 4, /* customBiggerIsBetter array */
    CCB_FORMAT_BENCHER = 5,                        /* Bencher Metric Format */
} ccb_format;

typedef enum ccb_color_mode {
    CCB_COLOR_AUTO = 0,
    CCB_COLOR_ALWAYS = 1,
    CCB_COLOR_NEVER = 2,
} ccb_color_mode;

/* How a command reports progress on stderr (measure/progress.h draws it; the build cache only
 * needs to know whether to speak). */
typedef enum ccb_progress_mode {
    CCB_PROGRESS_QUIET = 0,
    CCB_PROGRESS_LINES = 1,
    CCB_PROGRESS_BAR = 2,
} ccb_progress_mode;

/* "table" | "json" | "markdown" (the value of OPTION, named in the error). */
int ccb_cli_parse_format(const char *option, const char *text, ccb_format *out);
/* The above, plus "github-action-benchmark", "github-action-benchmark-bigger" and "bencher":
 * the formats of a single result (run, show). */
int ccb_cli_parse_report_format(const char *option, const char *text, ccb_format *out);
/* "auto" | "always" | "never". */
int ccb_cli_parse_color(const char *option, const char *text, ccb_color_mode *out);
/* Colour on FD: decided once at start-up. auto = a TTY, TERM not "dumb", NO_COLOR unset or
 * empty (https://no-color.org). */
int ccb_cli_use_color(ccb_color_mode mode, int fd);

/* A whole decimal integer in [min, max]; no sign games, no trailing junk. */
int ccb_cli_parse_uint(const char *option, const char *text, unsigned long min, unsigned long max,
                       unsigned long *out);
/* --cpu: a CPU number this process may run on (its affinity mask), into *out. 0 or -1. */
int ccb_cli_parse_cpu(const char *option, const char *text, long *out);
/* --profile: quick, default or full, into *out (a ccb_profile). 0 or -1. */
int ccb_cli_parse_profile(const char *option, const char *text, int *out);
/* A finite decimal number in [min, max], above 0. MIN is the smallest value that still means
 * something where it is used (e.g. 0.001 s for a duration counted in ms). */
int ccb_cli_parse_positive(const char *option, const char *text, double min, double max,
                           double *out);

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
size_t ccb_cli_edit_distance(const char *a, const char *b);
/* The one candidate WORD is a prefix of, else the candidate nearest to WORD if it is close
 * enough to be a plausible typo, else NULL. */
const char *ccb_cli_nearest(const char *word, const char *const *candidates, size_t count);

/* The message for an option getopt_long rejected: unknown (with the nearest long option) or
 * missing its value. COMMAND names the subcommand. Always returns -1. */
int ccb_cli_option_error(const char *command, int opt, const char *arg,
                         const struct option *longopts);

#endif
