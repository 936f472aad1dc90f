/*
 * Option-value parsing and suggestion helpers shared by the subcommands (see cli.h). Kept
 * strict on purpose: "--samples 10x" is an error, not 10, so a typo never silently changes
 * what is measured.
 */
#include "cli.h"

#include <errno.h>
#include <sched.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "error.h"

int ccb_cli_parse_format(const char *option, const char *text, ccb_format *out)
{
    if (strcmp(text, "table") == 0)
        *out = CCB_FORMAT_TABLE;
    else if (strcmp(text, "json") == 0)
        *out = CCB_FORMAT_JSON;
    else if (strcmp(text, "markdown") == 0)
        *out = CCB_FORMAT_MARKDOWN;
    else
        return ccb_error_setc(CCB_ERROR_USAGE, "%s '%s': expected table, json or markdown", option,
                              text);
    return 0;
}

int ccb_cli_parse_report_format(const char *option, const char *text, ccb_format *out)
{
    if (strcmp(text, "github-action-benchmark") == 0)
        *out = CCB_FORMAT_GITHUB_ACTION_BENCHMARK;
    else if (strcmp(text, "github-action-benchmark-bigger") == 0)
        *out = CCB_FORMAT_GITHUB_ACTION_BENCHMARK_BIGGER;
    else if (strcmp(text, "bencher") == 0)
        *out = CCB_FORMAT_BENCHER;
    else if (strcmp(text, "table") != 0 && strcmp(text, "json") != 0 &&
             strcmp(text, "markdown") != 0)
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "%s '%s': expected table, json, markdown, github-action-benchmark, "
                              "github-action-benchmark-bigger or bencher",
                              option, text);
    else
        return ccb_cli_parse_format(option, text, out);
    return 0;
}

int ccb_cli_parse_color(const char *option, const char *text, ccb_color_mode *out)
{
    if (strcmp(text, "auto") == 0)
        *out = CCB_COLOR_AUTO;
    else if (strcmp(text, "always") == 0)
        *out = CCB_COLOR_ALWAYS;
    else if (strcmp(text, "never") == 0)
        *out = CCB_COLOR_NEVER;
    else
        return ccb_error_setc(CCB_ERROR_USAGE, "%s '%s': expected auto, always or never", option,
                              text);
    return 0;
}

int ccb_cli_use_color(ccb_color_mode mode, int fd)
{
    if (mode == CCB_COLOR_ALWAYS)
        return 1;
    if (mode == CCB_COLOR_NEVER)
        return 0;
    const char *no_color = getenv("NO_COLOR");
    if (no_color && no_color[0] != '\0')
        return 0;
    const char *term = getenv("TERM");
    if (!term || strcmp(term, "dumb") == 0)
        return 0;
    return isatty(fd);
}

int ccb_cli_parse_uint(const char *option, const char *text, unsigned long min, unsigned long max,
                       unsigned long *out)
{
    /* strtoul accepts "-1" (as ULONG_MAX) and leading blanks: refuse both up front. */
    if (text[0] < '0' || text[0] > '9')
        return ccb_error_setc(CCB_ERROR_USAGE, "%s '%s': expected a whole number from %lu to %lu",
                              option, text, min, max);
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return ccb_error_setc(CCB_ERROR_USAGE, "%s '%s': expected a whole number from %lu to %lu",
                              option, text, min, max);
    *out = value;
    return 0;
}

int ccb_cli_parse_cpu(const char *option, const char *text, long *out)
{
    unsigned long v;
    cpu_set_t allowed;

    if (ccb_cli_parse_uint(option, text, 0, CPU_SETSIZE - 1, &v) != 0)
        return -1;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || !CPU_ISSET((int)v, &allowed))
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "%s %lu: CPU %lu is not available to ccbench (this machine lets it "
                              "use %d CPUs: see nproc)",
                              option, v, v, CPU_COUNT(&allowed));
    *out = (long)v;
    return 0;
}

int ccb_cli_parse_profile(const char *option, const char *text, int *out)
{
    int profile = ccb_profile_parse(text);
    if (profile < 0)
        return ccb_error_setc(CCB_ERROR_USAGE, "%s '%s': expected quick, default or full", option,
                              text);
    *out = profile;
    return 0;
}

int ccb_cli_parse_positive(const char *option, const char *text, double min, double max,
                           double *out)
{
    if ((text[0] < '0' || text[0] > '9') && text[0] != '.')
        return ccb_error_setc(CCB_ERROR_USAGE, "%s '%s': expected a number from %g to %g", option,
                              text, min, max);
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    /* min > 0: a value below it would round to nothing where it is used (0.0004 s is 0 ms,
     * which the runner takes as "the profile's"), so it is refused, not silently replaced. */
    if (errno != 0 || *end != '\0' || !isfinite(value) || value <= 0 || value < min || value > max)
        return ccb_error_setc(CCB_ERROR_USAGE, "%s '%s': expected a number from %g to %g", option,
                              text, min, max);
    *out = value;
    return 0;
}

size_t ccb_cli_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Three rolling rows are enough for the transposition case; words here are short, so
     * a fixed cap keeps this allocation-free. */
    enum { CAP = 64 };
    if (la >= CAP || lb >= CAP)
        return la > lb ? la : lb;
    size_t rows[3][CAP];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *spare = prev2;
        prev2 = prev;
        prev = cur;
        cur = spare;
    }
    return prev[lb];
}

/* Close enough to be a typo: at most two edits, and fewer edits than half the word. */
static int plausible(const char *candidate, size_t distance)
{
    return distance <= 2 && distance * 2 <= strlen(candidate);
}

const char *ccb_cli_nearest(const char *word, const char *const *candidates, size_t count)
{
    /* "cold" -> "cold_init": an unambiguous prefix beats any edit distance. */
    const char *prefixed = NULL;
    size_t nprefixed = 0, wlen = strlen(word);
    for (size_t i = 0; i < count && wlen >= 2; i++) {
        if (strncmp(candidates[i], word, wlen) == 0) {
            prefixed = candidates[i];
            nprefixed++;
        }
    }
    if (nprefixed == 1)
        return prefixed;

    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < count; i++) {
        size_t d = ccb_cli_edit_distance(word, candidates[i]);
        if (d < best_distance) {
            best_distance = d;
            best = candidates[i];
        }
    }
    return best && plausible(best, best_distance) ? best : NULL;
}

int ccb_cli_option_error(const char *command, int opt, const char *arg,
                         const struct option *longopts)
{
    if (opt == ':')
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "%s: option '%s' needs a value. See 'ccbench help %s'.", command, arg,
                              command);
    /* "--samle=3" -> compare "samle" against the long option names. */
    const char *name = arg;
    while (*name == '-')
        name++;
    char word[64];
    size_t len = strcspn(name, "=");
    if (len >= sizeof(word))
        len = sizeof(word) - 1;
    memcpy(word, name, len);
    word[len] = '\0';

    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (const struct option *o = longopts; o && o->name; o++) {
        size_t d = ccb_cli_edit_distance(word, o->name);
        if (d < best_distance) {
            best_distance = d;
            best = o->name;
        }
    }
    if (best && arg[0] == '-' && arg[1] == '-' && plausible(best, best_distance))
        return ccb_error_setc(CCB_ERROR_USAGE, "%s: unknown option '%s'. Did you mean '--%s'?",
                              command, arg, best);
    return ccb_error_setc(CCB_ERROR_USAGE, "%s: unknown option '%s'. See 'ccbench help %s'.",
                          command, arg, command);
}
