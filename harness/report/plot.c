/*
 * gnuplot scripts for `ccbench plot` and the bounded run of gnuplot (see plot.h). Text from
 * result files (labels, names: possibly from a fetched git note) only ever goes into
 * single-quoted gnuplot strings, where gnuplot does no backquote command substitution.
 */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "child.h"
#include "error.h"
#include "interrupt.h"

#define GNUPLOT_TIMEOUT_MS 120000
#define GNUPLOT_INSTALL "apt-get install gnuplot-nox"
/* One colour per result (matplotlib's tab10: distinct, colour-blind-friendlier than rgb). */
static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))
/* Values spanning more than this factor get a log axis. */
#define LOG_SPAN 100.0

int ccb_plot_kind_option(void *field, const char *command, const char *arg)
{
    (void)command; /* the message names --kind, which only plot takes */
    return ccb_plot_kind_parse(arg, field);
}

int ccb_plot_kind_parse(const char *text, ccb_plot_kind *out)
{
    if (strcmp(text, "distribution") == 0)
        *out = CCB_PLOT_DISTRIBUTION;
    else if (strcmp(text, "history") == 0)
        *out = CCB_PLOT_HISTORY;
    else if (strcmp(text, "compare") == 0)
        *out = CCB_PLOT_COMPARE;
    else
        return ccb_error_set("plot: --kind '%s': expected distribution, history or compare", text);
    return 0;
}

/* PATH made absolute (its directory must exist), so the script renders from any cwd. */
static char *absolute(const char *path)
{
    char *copy = strdup(path), *dir_real = NULL, *out = NULL;
    if (!copy)
        return NULL;
    char *slash = strrchr(copy, '/');
    const char *dir = ".", *base = copy;
    if (slash == copy) {
        dir = "/";
        base = copy + 1;
    } else if (slash) {
        *slash = '\0';
        dir = copy;
        base = slash + 1;
    }
    dir_real = realpath(dir, NULL);
    if (!dir_real)
        ccb_error_set("plot: --out %s: directory '%s': %s", path, dir, strerror(errno));
    else if (asprintf(&out, "%s%s%s", dir_real, strcmp(dir_real, "/") == 0 ? "" : "/", base) < 0)
        out = NULL;
    free(dir_real);
    free(copy);
    return out;
}

int ccb_plot_target_init(ccb_plot_target *t, const char *path)
{
    memset(t, 0, sizeof(*t));
    size_t len = strlen(path);
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1) ||
        (strcasecmp(dot, ".png") != 0 && strcasecmp(dot, ".svg") != 0))
        return ccb_error_set("plot: --out '%s': expected a file name ending in .png or .svg", path);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        /* The path goes into the script (comment, output and -e lines): refused rather than
         * altered, so the image lands where it was asked to or nowhere. */
        if (*p < 0x20 || *p == 0x7f)
            return ccb_error_set("plot: --out: the path has a control character (byte %u at "
                                 "offset %zu). Pass a path without newlines or tabs.",
                                 (unsigned)*p, (size_t)((const char *)p - path));
    }
    t->svg = strcasecmp(dot, ".svg") == 0;
    t->image = absolute(path);
    if (!t->image)
        return ccb_error_message()[0] ? -1 : ccb_error_set("out of memory");
    len = strlen(t->image);
    t->script = malloc(len + 1);
    if (!t->script)
        return ccb_error_set("out of memory");
    memcpy(t->script, t->image, len + 1);
    strcpy(t->script + len - 4, ".gp");
    t->data = malloc(len + 1);
    if (!t->data)
        return ccb_error_set("out of memory");
    memcpy(t->data, t->image, len + 1);
    strcpy(t->data + len - 4, ".dat");
    return 0;
}

void ccb_plot_target_release(ccb_plot_target *t)
{
    free(t->image);
    free(t->script);
    free(t->data);
    memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------------------------------- */
/* Script pieces */

/* TEXT as a single-quoted gnuplot string: '' for ', control characters as spaces. */
static void gp_str(FILE *gp, const char *text)
{
    fputc('\'', gp);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\'')
            fputs("''", gp);
        else if (*p < 0x20 || *p == 0x7f)
            fputc(' ', gp);
        else
            fputc(*p, gp);
    }
    fputc('\'', gp);
}

/* TEXT inside a script comment or a data line: a newline there would end the comment and
 * make the rest a gnuplot command (system() included), so control characters become '?'. */
static void gp_raw(FILE *gp, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, gp);
}

/* "S.M [UNIT]" for a comment, through gp_raw(). */
static void gp_series_comment(FILE *gp, const char *scenario, const char *metric, const char *unit)
{
    gp_raw(gp, scenario);
    fputc('.', gp);
    gp_raw(gp, metric);
    if (unit) {
        fputs(" [", gp);
        gp_raw(gp, unit);
        fputc(']', gp);
    }
}

typedef struct layout {
    size_t panels, cols, rows;
    int width, height;
} layout;

static layout make_layout(size_t panels)
{
    layout l = {.panels = panels};
    l.cols = panels <= 3 ? panels : panels == 4 ? 2 : panels <= 9 ? 3 : 4;
    if (l.cols == 0)
        l.cols = 1;
    l.rows = (panels + l.cols - 1) / l.cols;
    if (panels == 1) {
        l.width = 1100;
        l.height = 600;
    } else {
        l.width = (int)l.cols * 430;
        l.height = (int)l.rows * 330 + 70;
    }
    return l;
}

/* A line of the 12-point title, in pixels (measured on pngcairo and svg). */
#define TITLE_LINE_PX 21

/* Characters, not bytes: "→" is one. */
static int utf8_chars(const char *text)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        chars += (*p & 0xc0) != 0x80;
    return chars;
}

/* A title line of N characters at 12 points needs about 0.6 em (9.6 px) a character: the
 * picture is widened to that, never clipped (the picture test checks with the same estimate). */
#define TITLE_CHAR_PX 9.6

/* Terminal, output (overridable with -e "outfile='...'"), and the multiplot with its title
 * (TITLE1 on the first line, TITLE2's lines ('\n' between them) below, then BLANK empty lines
 * the caller fills). Widens L to the longest line and heightens it for lines past two. */
static void preamble_lines(FILE *gp, const ccb_plot_target *t, layout *l, const char *title1,
                           const char *title2, size_t blank)
{
    size_t lines = 2;
    int longest = utf8_chars(title1), run = 0;
    for (const char *p = title2;; p++) {
        if (*p == '\n' || *p == '\0') {
            longest = run > longest ? run : longest;
            run = 0;
            if (!*p)
                break;
            lines++;
            continue;
        }
        run += ((unsigned char)*p & 0xc0) != 0x80;
    }
    int need = (int)(longest * TITLE_CHAR_PX) + 40;
    if (need > l->width)
        l->width = need;
    l->height += (int)(lines - 2) * TITLE_LINE_PX;

    fputs("# Written by ccbench; rerun with: gnuplot ", gp);
    gp_raw(gp, t->script);
    fputc('\n', gp);
    fputs("# Data is inline (the $name << EOD blocks) or in the .dat file beside this script;\n"
          "# edit freely.\n",
          gp);
    fputs("if (!exists(\"outfile\")) outfile = ", gp);
    gp_str(gp, t->image);
    fputc('\n', gp);
    /* noenhanced: "cold_init" must not render as "cold" with a subscript "init". */
    /* pngcairo draws a point as 4/3 pixel, svg as one user unit: fontscale makes both
     * pictures the same, text for text. */
    fprintf(gp, "set terminal %s noenhanced size %d,%d font 'sans,10'%s background '#ffffff'\n",
            t->svg ? "svg" : "pngcairo", l->width, l->height, t->svg ? " fontscale 1.3333" : "");
    fputs("set output outfile\n", gp);
    fputs("set grid ytics lc rgb '#dddddd' lt 1\nset border 3\nset tics nomirror\n", gp);
    fputs("set style fill solid 0.35 border -1\nset style boxplot outliers pointtype 7\n", gp);
    fputs("set pointsize 0.5\nset key top left Left reverse samplen 2 box opaque\n", gp);
    fprintf(gp, "set multiplot layout %zu,%zu title ", l->rows, l->cols);
    gp_str(gp, title1);
    const char *line = title2;
    for (;;) {
        const char *nl = strchr(line, '\n');
        char part[512];
        snprintf(part, sizeof(part), "%.*s", (int)(nl ? nl - line : (long)strlen(line)), line);
        fputs(".\"\\n\".", gp);
        gp_str(gp, part);
        if (!nl)
            break;
        line = nl + 1;
    }
    for (size_t i = 0; i < blank; i++)
        fputs(".\"\\n \"", gp);
    fputs(" font 'sans,12'\n", gp);
}

static void preamble(FILE *gp, const ccb_plot_target *t, layout *l, const char *title1,
                     const char *title2)
{
    preamble_lines(gp, t, l, title1, title2, 0);
}

static const char *direction_text(ccb_direction d)
{
    return d == CCB_HIGHER_IS_BETTER ? "higher is better" : "lower is better";
}

/* Title and y label of one panel; a log axis when LO..HI spans more than LOG_SPAN. */
/* FROM_ZERO: a linear axis starts at 0 for positive values, so 5% of noise does not look
 * like a cliff (history); distributions zoom on their spread instead. */
static void panel_axes_from(FILE *gp, const ccb_series *s, double lo, double hi, int from_zero)
{
    char title[256], ylabel[128];
    snprintf(title, sizeof(title), "%s.%s", s->scenario, s->metric);
    snprintf(ylabel, sizeof(ylabel), "%s (%s)", s->unit, direction_text(s->direction));
    fputs("set title ", gp);
    gp_str(gp, title);
    fputs(" font 'sans,11'\nset ylabel ", gp);
    gp_str(gp, ylabel);
    fprintf(gp, "\nset format y %s\n", fabs(hi) >= 1e5 ? "'%.2s%c'" : "'% h'");
    if (lo > 0 && hi / lo > LOG_SPAN) {
        fprintf(gp, "set logscale y\nset yrange [%.17g:%.17g]\n", lo / 1.5, hi * 1.5);
    } else {
        double pad = (hi - lo) * 0.08;
        if (pad == 0)
            pad = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1;
        /* Counts and times are never negative: do not invent a negative axis for them. */
        double bottom = (lo - pad < 0 || from_zero) && lo > 0 ? 0 : lo - pad;
        fprintf(gp, "unset logscale y\nset yrange [%.17g:%.17g]\n", bottom, hi + pad);
    }
}

/* Category labels along x; slanted when they would not fit side by side in a panel PANEL_PX
 * wide (about 7 px a character at 10 points). A slanted label runs right of its tic: in the
 * last column (LAST_COL) a right margin keeps it on the canvas. */
static void xtics(FILE *gp, char labels[][96], size_t n, size_t first_x, int panel_px, int last_col)
{
    size_t longest = 0;
    fputs("set xtics (", gp);
    for (size_t i = 0; i < n; i++) {
        gp_str(gp, labels[i]);
        fprintf(gp, " %zu%s", first_x + i, i + 1 < n ? ", " : "");
        longest = strlen(labels[i]) > longest ? strlen(labels[i]) : longest;
    }
    int fits = (double)(n * longest * 7) < 0.85 * panel_px;
    fputs(n > 3 || !fits ? ") rotate by -30\n" : ") rotate by 0\n", gp);
    /* cos 30° of the label, in characters, and one to spare. */
    if ((n > 3 || !fits) && last_col)
        fprintf(gp, "set rmargin %d\n", (int)((double)longest * 0.87) + 1);
    else
        fputs("set rmargin -1\n", gp);
}

/* Make equal labels distinct ("main", "main (2)"), or the boxes could not be told apart. */
static void distinct_labels(char labels[][96], size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t same = 1;
        for (size_t j = 0; j < i; j++)
            same += strcmp(labels[i], labels[j]) == 0;
        if (same > 1) {
            char tmp[128];
            snprintf(tmp, sizeof(tmp), "%.80s (%zu)", labels[i], same);
            tmp[95] = '\0';
            memcpy(labels[i], tmp, 96);
        }
    }
}

static void machine_line(char *buf, size_t size, const ccb_result *r, const char *extra)
{
    snprintf(buf, size, "%s, %d CPUs, Linux %s, %s, %s build%s%s", r->machine.cpu_model,
             r->machine.cpus, r->machine.kernel, r->machine.compiler, r->machine.build_type,
             extra[0] ? "\n" : "", extra);
}

static int collect(const ccb_result *const *rs, size_t n, const char *filter, ccb_series **list,
                   size_t *count)
{
    if (n == 0)
        return ccb_error_set("plot: no results to plot");
    return ccb_history_series_collect(rs, n, filter, list, count);
}

/* ---------------------------------------------------------------------------------------- */
/* distribution */

/* How a panel shows its samples. */
typedef enum panel_style {
    STYLE_BOX,    /* box plots, one per result */
    STYLE_POINTS, /* too few samples for a box: each sample a dot */
    STYLE_ECDF,   /* many samples with a heavy tail: one cumulative curve per result */
} panel_style;

/* Below this many samples a box says less than the samples themselves. */
#define BOX_MIN_SAMPLES 5
/* From this many samples, a heavy tail is drawn as an ECDF (a box plot of 3,000 quantised
 * lifecycles is a smear of "outliers"). */
#define ECDF_MIN_SAMPLES 100
/* A tail is heavy when more than this fraction lies beyond 3 IQR from the quartiles. */
#define HEAVY_TAIL_FRACTION 0.01
/* Values spanning more than this factor (max/min) get a log axis in a distribution. */
#define DIST_LOG_SPAN 10.0

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Does M have a heavy tail (see HEAVY_TAIL_FRACTION)? O(n log n) on a copy. */
static int heavy_tail(const ccb_metric_result *m)
{
    if (m->n < ECDF_MIN_SAMPLES)
        return 0;
    double *x = malloc(m->n * sizeof(*x));
    if (!x)
        return 0; /* a box plot then: the picture is still right, only less readable */
    memcpy(x, m->samples, m->n * sizeof(*x));
    qsort(x, m->n, sizeof(*x), cmp_double);
    double q1 = ccb_stats_percentile(x, m->n, 25), q3 = ccb_stats_percentile(x, m->n, 75);
    double iqr = q3 - q1;
    size_t beyond = 0;
    for (size_t j = 0; j < m->n; j++)
        beyond += x[j] < q1 - 3 * iqr || x[j] > q3 + 3 * iqr;
    free(x);
    return (double)beyond > HEAVY_TAIL_FRACTION * (double)m->n;
}

/* How series S is drawn: dots when no result has BOX_MIN_SAMPLES, an ECDF when a result's
 * many samples have a heavy tail or span more than DIST_LOG_SPAN, else boxes. */
static panel_style panel_style_of(const ccb_series *s, const ccb_result *const *rs, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t most = 0;
    int heavy = 0;
    for (size_t i = 0; i < n; i++) {
        const ccb_metric_result *m = ccb_history_series_find(rs[i], s);
        for (size_t j = 0; m && j < m->n; j++) {
            lo = fmin(lo, m->samples[j]);
            hi = fmax(hi, m->samples[j]);
        }
        if (m) {
            most = m->n > most ? m->n : most;
            heavy = heavy || heavy_tail(m);
        }
    }
    if (most < BOX_MIN_SAMPLES)
        return STYLE_POINTS;
    if (heavy || (lo > 0 && hi / lo > DIST_LOG_SPAN && most >= ECDF_MIN_SAMPLES))
        return STYLE_ECDF;
    return STYLE_BOX;
}

/* The x label of each result: "label @ sha" when those tell the results apart, else the file
 * name (two runs of one commit differ only there), numbered only if even that repeats. */
static void distribution_labels(const ccb_history *h, char labels[][96])
{
    int clash = 0;
    for (size_t i = 0; i < h->n; i++)
        ccb_history_entry_label(&h->entries[i], labels[i], sizeof(labels[i]));
    for (size_t i = 0; i < h->n && !clash; i++)
        for (size_t j = 0; j < i && !clash; j++)
            clash = strcmp(labels[i], labels[j]) == 0;
    if (clash) {
        for (size_t i = 0; i < h->n; i++) {
            const char *src = h->entries[i].source, *slash = strrchr(src, '/');
            snprintf(labels[i], sizeof(labels[i]), "%.95s", slash ? slash + 1 : src);
        }
    }
    distinct_labels(labels, h->n);
}

/* Legend lines under the title: one coloured entry per result, naming its file, label,
 * commit and time, LEGEND_PER_LINE to a line. Screen labels, set before the first panel and
 * removed after it (a label stays set for every later plot of the multiplot). */
#define LEGEND_PER_LINE 3
static void legend_labels(FILE *gp, const ccb_history *h, char labels[][96], const layout *l,
                          size_t text_lines)
{
    for (size_t i = 0; i < h->n; i++) {
        const ccb_history_entry *e = &h->entries[i];
        const char *src = e->source, *slash = strrchr(src, '/');
        char who[96], text[320];
        ccb_history_entry_label(e, who, sizeof(who));
        const char *at = e->result->created_at ? strchr(e->result->created_at, 'T') : NULL;
        if (strcmp(labels[i], who) == 0)
            snprintf(text, sizeof(text), "■ %s (%s, %.5s)", labels[i], slash ? slash + 1 : src,
                     at ? at + 1 : "");
        else
            snprintf(text, sizeof(text), "■ %s: %s, %.5s", labels[i], who, at ? at + 1 : "");
        size_t row = i / LEGEND_PER_LINE, col = i % LEGEND_PER_LINE;
        size_t in_row = h->n - row * LEGEND_PER_LINE;
        if (in_row > LEGEND_PER_LINE)
            in_row = LEGEND_PER_LINE;
        double x = ((double)col + 0.5) / (double)in_row;
        double y =
            1.0 - ((double)text_lines + 0.5 + (double)row) * TITLE_LINE_PX / (double)l->height;
        fprintf(gp, "set label %zu ", 1000 + i);
        gp_str(gp, text);
        fprintf(gp, " at screen %.4f, screen %.4f center tc rgb '%s' font 'sans,11' front\n", x, y,
                palette[i % NPALETTE]);
    }
}

/* The panel of series S (panel number K, its results' datasets from FIRST_INDEX in the data
 * file, -1 for a result without samples). */
static void distribution_panel(FILE *gp, const ccb_series *s, const ccb_history *h,
                               char labels[][96], const long *index, panel_style style, double lo,
                               double hi, int panel_px, int last_col)
{
    size_t n = h->n;
    int logscale = lo > 0 && hi / lo > DIST_LOG_SPAN;
    char title[256], vlabel[128];
    snprintf(title, sizeof(title), "%s.%s%s", s->scenario, s->metric,
             style == STYLE_ECDF ? " (ECDF)" : "");
    snprintf(vlabel, sizeof(vlabel), "%s (%s)", s->unit, direction_text(s->direction));
    fputs("set title ", gp);
    gp_str(gp, title);
    fputs(" font 'sans,11'\nunset logscale\nunset xlabel\n", gp);
    /* 2.5M, not 2.5e+06: SI prefixes on the value axis from 10^5 up, as the tables print. */
    const char *fmt = fabs(hi) >= 1e5 ? "'%.2s%c'" : "'% h'";
    fprintf(gp, "set format x '%% h'\nset format y '%% h'\nset format %s %s\n",
            style == STYLE_ECDF ? "x" : "y", fmt);
    if (style == STYLE_ECDF) {
        /* x: the value, y: the fraction of samples at or below it; a tail is the last 1%. */
        fputs("set xlabel ", gp);
        gp_str(gp, vlabel);
        fputs("\nset ylabel 'fraction of samples <= x'\nset yrange [0:1.02]\nset rmargin -1\n"
              "set xtics autofreq rotate by 0\nset key bottom right noreverse Right samplen 1.5 "
              "font 'sans,9'\n",
              gp);
        if (logscale)
            fprintf(gp, "set logscale x\nset xrange [%.17g:%.17g]\n", lo / 1.2, hi * 1.2);
        else
            fprintf(gp, "set xrange [%.17g:%.17g]\n", lo - (hi - lo) * 0.03,
                    hi + (hi - lo) * 0.03 + (hi == lo));
        fputs("plot ", gp);
        const char *sep = "";
        for (size_t i = 0; i < n; i++) {
            const ccb_metric_result *m = ccb_history_series_find(h->entries[i].result, s);
            if (index[i] < 0 || !m)
                continue;
            fprintf(gp,
                    "%sdatafile index %ld using 1:(1.0/%zu) smooth cumulative with steps "
                    "lw 2 lc rgb '%s' title ",
                    sep, index[i], m->n, palette[i % NPALETTE]);
            gp_str(gp, labels[i]);
            sep = ", \\\n     ";
        }
        fputs("\nunset key\n", gp);
        return;
    }
    fputs("set ylabel ", gp);
    gp_str(gp, vlabel);
    fputc('\n', gp);
    if (logscale) {
        fprintf(gp, "set logscale y\nset yrange [%.17g:%.17g]\n", lo / 1.5, hi * 1.5);
    } else {
        double pad = (hi - lo) * 0.08;
        if (pad == 0)
            pad = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1;
        double bottom = lo - pad < 0 && lo >= 0 ? 0 : lo - pad;
        fprintf(gp, "set yrange [%.17g:%.17g]\n", bottom, hi + pad);
    }
    xtics(gp, labels, n, 1, panel_px, last_col);
    fprintf(gp, "set xrange [0.4:%zu.6]\nplot ", n);
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (index[i] < 0)
            continue; /* an empty dataset would make gnuplot stop with an error */
        if (style == STYLE_POINTS)
            fprintf(gp,
                    "%sdatafile index %ld using (%zu):1 with points pt 7 ps 1.2 lc rgb '%s' "
                    "notitle",
                    sep, index[i], i + 1, palette[i % NPALETTE]);
        else
            fprintf(gp, "%sdatafile index %ld using (%zu):1 with boxplot lc rgb '%s' notitle", sep,
                    index[i], i + 1, palette[i % NPALETTE]);
        sep = ", \\\n     ";
    }
    fputc('\n', gp);
}

int ccb_plot_distribution(FILE *gp, FILE *dat, const ccb_plot_target *t, const ccb_history *h,
                          const char *filter)
{
    int rc = -1;
    ccb_series *list = NULL;
    size_t count = 0, panels = 0, n = h->n;
    char(*labels)[96] = NULL;
    long *index = NULL;
    panel_style *styles = NULL;
    const ccb_result **rs = calloc(n ? n : 1, sizeof(*rs));
    labels = calloc(n ? n : 1, sizeof(*labels));
    index = calloc(n ? n : 1, sizeof(*index));
    if (!rs || !labels || !index) {
        ccb_error_set("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        rs[i] = h->entries[i].result;
    if (collect(rs, n, filter, &list, &count) != 0)
        goto done;
    distribution_labels(h, labels);

    /* Only metrics with at least one sample get a panel. A count (libs_loaded, requests) has
     * no distribution worth a panel: unless asked for by --metric it becomes a note of its
     * value in the newest result. */
    /* Short enough that the subtitle fits the picture (a longer note was clipped). */
    char counts[72] = "";
    size_t counts_len = 0, counts_more = 0;
    for (size_t k = 0; k < count; k++) {
        int any = 0, is_count = 0;
        for (size_t i = 0; i < n && !any; i++) {
            const ccb_metric_result *m = ccb_history_series_find(rs[i], &list[k]);
            any = m && m->n > 0;
            is_count = m && m->kind == CCB_KIND_COUNT;
        }
        if (any && is_count && !filter) {
            const ccb_metric_result *m = ccb_history_series_find(rs[n - 1], &list[k]);
            int w = snprintf(counts + counts_len, sizeof(counts) - counts_len, "%s%s.%s %g",
                             counts_len ? ", " : "", list[k].scenario, list[k].metric,
                             m && m->n ? m->stats.median : NAN);
            if (w > 0 && counts_len + (size_t)w < sizeof(counts) - 1)
                counts_len += (size_t)w;
            else
                counts[counts_len] = '\0', counts_more++;
            continue;
        }
        if (any)
            list[panels++] = list[k];
    }
    if (panels == 0) {
        ccb_error_set("plot: no metric has samples in these results");
        goto done;
    }

    layout l = make_layout(panels);
    size_t legend_rows = (n + LEGEND_PER_LINE - 1) / LEGEND_PER_LINE;
    l.height += (int)(legend_rows + 1) * TITLE_LINE_PX;
    char title[512], sub[512], names[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof(names); i++)
        len +=
            (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? " vs " : "", labels[i]);
    snprintf(title, sizeof(title), "ccbench: sample distributions, %s (profile %s)", names,
             rs[n - 1]->profile);
    /* Each panel's style first: the line under the title explains those drawn. */
    styles = calloc(panels, sizeof(*styles));
    if (!styles) {
        ccb_error_set("out of memory");
        goto done;
    }
    int drawn[3] = {0, 0, 0};
    for (size_t k = 0; k < panels; k++) {
        styles[k] = panel_style_of(&list[k], rs, n);
        drawn[styles[k]] = 1;
    }
    char legend[400];
    snprintf(legend, sizeof(legend), "%s%s%s%s%s%s%s",
             drawn[STYLE_BOX] ? "box: quartiles, whiskers: 1.5 IQR, dots: outliers" : "",
             drawn[STYLE_BOX] && (drawn[STYLE_POINTS] || drawn[STYLE_ECDF]) ? "; " : "",
             drawn[STYLE_POINTS] ? "dots only: every sample (under 5)" : "",
             drawn[STYLE_POINTS] && drawn[STYLE_ECDF] ? "; " : "",
             drawn[STYLE_ECDF] ? "ECDF: share of samples at or below x (a heavy tail)" : "",
             counts_len ? "; counts (not drawn): " : "", counts_len ? counts : "");
    if (counts_more)
        strncat(legend, ", ...", sizeof(legend) - strlen(legend) - 1);
    machine_line(sub, sizeof(sub), rs[n - 1], legend);
    /* The legend's lines (and one to part it from the panels' titles) are blank lines of the
     * title: the layout leaves room for them. */
    preamble_lines(gp, t, &l, title, sub, legend_rows + 1);
    fputs("if (!exists(\"datafile\")) datafile = ", gp);
    gp_str(gp, t->data);
    fputs("\nunset key\nset xtics nomirror scale 0\n", gp);
    legend_labels(gp, h, labels, &l, 3);

    fputs("# The samples, one dataset (gnuplot's index) per panel and result, in order.\n", dat);
    long next = 0;
    for (size_t k = 0; k < panels; k++) {
        const ccb_series *s = &list[k];
        double lo = INFINITY, hi = -INFINITY;
        fputs("\n# ", gp);
        gp_series_comment(gp, s->scenario, s->metric, s->unit);
        fputc('\n', gp);
        for (size_t i = 0; i < n; i++) {
            const ccb_metric_result *m = ccb_history_series_find(rs[i], s);
            index[i] = -1;
            if (!m || m->n == 0)
                continue;
            index[i] = next++;
            fprintf(dat, "%s# index %ld: ", index[i] ? "\n\n" : "", index[i]);
            gp_series_comment(dat, s->scenario, s->metric, s->unit);
            fputs(", ", dat);
            gp_raw(dat, labels[i]);
            fprintf(dat, ", %zu samples\n", m->n);
            for (size_t j = 0; j < m->n; j++) {
                fprintf(dat, "%.17g\n", m->samples[j]);
                lo = fmin(lo, m->samples[j]);
                hi = fmax(hi, m->samples[j]);
            }
        }
        distribution_panel(gp, s, h, labels, index, styles[k], lo, hi, l.width / (int)l.cols,
                           k % l.cols == l.cols - 1);
        if (k == 0)
            fputs("unset label\n", gp);
    }
    fputs("\nunset multiplot\n", gp);
    rc = ferror(gp) || ferror(dat) ? ccb_error_set("out of memory writing the plot script") : 0;
done:
    free(styles);
    free(index);
    free(labels);
    free(rs);
    free(list);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* history */

/* --notes: one x slot per commit of the range (first parents, oldest first), labelled with
 * its abbreviated sha and commit date; a commit without a value of this machine is a gap:
 * the line breaks, the slot stays, shaded and labelled why. Y starts at 0 and a band shows
 * ±THRESHOLD around the first commit's median, so noise inside it reads as no change. The
 * bisect's first bad commit (h->commits[].first_bad) is a vertical marker, a range a band. */

/* Commit slots get at least this many pixels; beyond MAX_COMMIT_LABELS only every k-th is
 * labelled (and the first bad commit: a gap says what it is inside the plot). */
#define COMMIT_SLOT_PX 22
#define MAX_COMMIT_LABELS 40
#define BAND_COLOUR "#2ca02c"
#define BAD_COLOUR "#d62728"

/* Why commit C has no value in series S: its note is missing, or held only other machines'
 * results, or the results lack the metric. */
static const char *gap_reason(const ccb_history *h, size_t c, int had_entry)
{
    if (!h->commits[c].has_note)
        return "no note";
    return had_entry ? "no value" : "other machine";
}

static int commit_history(FILE *gp, const ccb_plot_target *t, const ccb_history *h,
                          const ccb_series *list, size_t panels, double threshold)
{
    const size_t n = h->ncommits;
    char(*labels)[96] = calloc(n, sizeof(*labels));
    if (!labels)
        return ccb_error_set("out of memory");
    size_t step = (n + MAX_COMMIT_LABELS - 1) / MAX_COMMIT_LABELS, gaps = 0, bad_first = n,
           bad_last = 0, nbad = 0;
    for (size_t c = 0; c < n; c++) {
        const ccb_history_commit *k = &h->commits[c];
        gaps += !k->has_note;
        if (k->first_bad) {
            bad_first = c < bad_first ? c : bad_first;
            bad_last = c;
            nbad++;
        }
    }
    for (size_t c = 0; c < n; c++) {
        /* A thinned-out label next to the first bad commit's would overlap it. */
        int by_bad = step > 1 && ((c > 0 && h->commits[c - 1].first_bad) ||
                                  (c + 1 < n && h->commits[c + 1].first_bad));
        if (h->commits[c].first_bad || ((c % step == 0 || c + 1 == n) && !by_bad))
            snprintf(labels[c], sizeof(labels[c]), "%.8s %s", h->commits[c].sha,
                     h->commits[c].date);
    }

    layout l = make_layout(panels);
    int need = (int)l.cols * ((int)n * COMMIT_SLOT_PX + 160);
    l.width = need > l.width ? need : l.width;
    const ccb_result *last = h->entries[h->n - 1].result;
    char title[512], sub[1024], extra[600];
    snprintf(title, sizeof(title),
             "ccbench history: %zu commits (%.8s %s .. %.8s %s, first parents), %zu with a "
             "result here, profile %s",
             n, h->commits[0].sha, h->commits[0].date, h->commits[n - 1].sha,
             h->commits[n - 1].date, h->n, last->profile ? last->profile : "?");
    int len = snprintf(extra, sizeof(extra),
                       "y from 0; band: ±%g%% of the first commit's median (no change within it)",
                       threshold * 100);
    if (gaps)
        len += snprintf(extra + len, sizeof(extra) - (size_t)len, "; %zu commit(s) without a note",
                        gaps);
    if (h->nskipped)
        len += snprintf(extra + len, sizeof(extra) - (size_t)len,
                        "; %zu result(s) of other machines or profiles left out", h->nskipped);
    if (panels > 1)
        snprintf(extra + len, sizeof(extra) - (size_t)len,
                 "\nline: median, light band: its 95%% CI");
    machine_line(sub, sizeof(sub), last, extra);
    preamble(gp, t, &l, title, sub);
    if (panels > 1)
        fputs("unset key\n", gp);
    else
        fputs("set key below center horizontal samplen 2 box opaque\n", gp);

    for (size_t k = 0; k < panels; k++) {
        const ccb_series *s = &list[k];
        double lo = INFINITY, hi = -INFINITY, ref = NAN;
        fputs("\n# ", gp);
        gp_series_comment(gp, s->scenario, s->metric, s->unit);
        fprintf(gp,
                ": commit median ci95_low ci95_high, one x per commit of the range (a blank\n"
                "# line: no value there, so the line breaks instead of bridging the gap)\n"
                "$h%zu << EOD\n",
                k);
        /* Every panel sets its own gap shading, band and markers. */
        char *gap_of = calloc(n, 1);
        if (!gap_of) {
            free(labels);
            return ccb_error_set("out of memory");
        }
        int gap = 0;
        for (size_t c = 0, i = 0; c < n; c++) {
            int shown = 0, had_entry = 0;
            for (; i < h->n && strcmp(h->entries[i].commit, h->commits[c].sha) == 0; i++) {
                const ccb_metric_result *m = ccb_history_series_find(h->entries[i].result, s);
                had_entry = 1;
                if (!m || m->stats.n == 0)
                    continue;
                fprintf(gp, "%zu %.17g %.17g %.17g  # %.12s\n", c, m->stats.median,
                        m->stats.ci95_low, m->stats.ci95_high, h->commits[c].sha);
                if (isnan(ref))
                    ref = m->stats.median;
                lo = fmin(lo, fmin(m->stats.ci95_low, m->stats.median));
                hi = fmax(hi, fmax(m->stats.ci95_high, m->stats.median));
                shown = 1;
            }
            if (!shown && !gap)
                fputc('\n', gp);
            gap = !shown;
            gap_of[c] = (char)(shown ? 0 : had_entry ? 2 : 1);
        }
        fputs("EOD\n", gp);
        fputs("unset label\nunset arrow\nunset object\n", gp);
        if (isfinite(ref)) {
            lo = fmin(lo, ref * (1 - threshold));
            hi = fmax(hi, ref * (1 + threshold));
            fprintf(gp,
                    "set object rect from graph 0, first %.17g to graph 1, first %.17g fc rgb '%s' "
                    "fs transparent solid 0.15 noborder behind\n",
                    ref * (1 - threshold), ref * (1 + threshold), BAND_COLOUR);
        }
        /* Headroom above the series for the first-bad label. */
        panel_axes_from(gp, s, lo, hi > 0 ? hi * 1.12 : hi, 1);
        int any_gap = 0;
        for (size_t c = 0; c < n; c++) {
            if (!gap_of[c])
                continue;
            any_gap = 1;
            fprintf(gp,
                    "set object rect from %zu-0.5, graph 0 to %zu+0.5, graph 1 fc rgb '#eeeeee' "
                    "fs solid 1 noborder behind\n",
                    c, c);
            fprintf(gp, "set label '%s' at %zu, graph 0.04 left rotate by 90 tc rgb '#777777'\n",
                    gap_reason(h, c, gap_of[c] == 2), c);
        }
        free(gap_of);
        if (nbad == 1) {
            fprintf(gp,
                    "set arrow from %zu, graph 0 to %zu, graph 1 nohead lc rgb '%s' lw 2 dt 2 "
                    "front\n",
                    bad_first, bad_first, BAD_COLOUR);
        } else if (nbad > 1) {
            fprintf(gp,
                    "set object rect from %zu-0.5, graph 0 to %zu+0.5, graph 1 fc rgb '%s' fs "
                    "transparent solid 0.18 noborder behind\n",
                    bad_first, bad_last, BAD_COLOUR);
        }
        if (nbad) {
            char text[256];
            const ccb_history_commit *b = &h->commits[bad_first];
            if (nbad == 1)
                snprintf(text, sizeof(text), "first bad: %.8s %s", b->sha, b->first_bad_subject);
            else
                snprintf(text, sizeof(text), "first bad: one of %zu, %.8s .. %.8s", nbad, b->sha,
                         h->commits[bad_last].sha);
            /* Right of the marker in the left half of the axis, left of it in the right. */
            int right_half = 2 * bad_first >= n;
            fputs("set label ", gp);
            gp_str(gp, text);
            fprintf(gp, " at %zu, graph 0.97 %s offset %s tc rgb '%s' front\n", bad_first,
                    right_half ? "right" : "left", right_half ? "-1,0" : "1,0", BAD_COLOUR);
        }
        xtics(gp, labels, n, 0, l.width / (int)l.cols, k % l.cols == l.cols - 1);
        fprintf(gp, "set xrange [-0.5:%zu.5]\n", n - 1);
        fprintf(gp,
                "plot $h%zu using 1:3:4 with filledcurves lc rgb '%s' fs transparent solid "
                "0.25 noborder title '95%% CI', \\\n     $h%zu using 1:2:3:4 with yerrorbars pt 0 "
                "lw 1 lc rgb '#9ecae1' notitle, \\\n     $h%zu using 1:2 with linespoints pt 7 "
                "ps 0.9 lw 2 lc rgb '%s' title 'median'",
                k, palette[0], k, k, palette[0]);
        if (panels == 1) {
            fprintf(gp,
                    ", \\\n     NaN with boxes fs transparent solid 0.15 noborder lc rgb '%s' "
                    "title '±%g%% of the first median'",
                    BAND_COLOUR, threshold * 100);
            if (any_gap)
                fputs(", \\\n     NaN with boxes fs solid 1 noborder lc rgb '#eeeeee' title "
                      "'no result here (gap)'",
                      gp);
            if (nbad == 1)
                fprintf(gp,
                        ", \\\n     NaN with lines lw 2 dt 2 lc rgb '%s' title 'first bad "
                        "(bisect)'",
                        BAD_COLOUR);
            else if (nbad > 1)
                fprintf(gp,
                        ", \\\n     NaN with boxes fs transparent solid 0.18 noborder lc rgb '%s' "
                        "title 'first bad: one of these (bisect skipped commits)'",
                        BAD_COLOUR);
        }
        fputc('\n', gp);
    }
    fputs("\nunset multiplot\n", gp);
    free(labels);
    return ferror(gp) ? ccb_error_set("out of memory writing the plot script") : 0;
}

int ccb_plot_history(FILE *gp, const ccb_plot_target *t, const ccb_history *h, const char *filter,
                     double threshold)
{
    int rc = -1;
    ccb_series *list = NULL;
    size_t count = 0, panels = 0;
    char(*labels)[96] = NULL;
    const ccb_result **rs = calloc(h->n ? h->n : 1, sizeof(*rs));
    char *rs_shared = calloc(h->n ? h->n : 1, 1);
    labels = calloc(h->n ? h->n : 1, sizeof(*labels));
    if (!rs || !labels || !rs_shared) {
        ccb_error_set("out of memory");
        goto done;
    }
    for (size_t i = 0; i < h->n; i++) {
        rs[i] = h->entries[i].result;
        ccb_history_entry_label(&h->entries[i], labels[i], sizeof(labels[i]));
    }
    /* Runs of one commit share a label: their times tell the points apart. Which labels are
     * shared is decided before any of them changes. */
    for (size_t i = 0; i < h->n; i++) {
        int shared = 0;
        for (size_t j = 0; j < h->n && !shared; j++)
            shared = j != i && strcmp(labels[i], labels[j]) == 0;
        rs_shared[i] = shared;
    }
    for (size_t i = 0; i < h->n; i++) {
        const char *at = rs[i]->created_at ? strchr(rs[i]->created_at, 'T') : NULL;
        size_t len = strlen(labels[i]);
        if (rs_shared[i] && at && len + 12 < sizeof(labels[i]))
            snprintf(labels[i] + len, sizeof(labels[i]) - len, " %.8s", at + 1);
    }
    if (collect(rs, h->n, filter, &list, &count) != 0)
        goto done;
    for (size_t k = 0; k < count; k++) {
        int any = 0;
        for (size_t i = 0; i < h->n && !any; i++) {
            const ccb_metric_result *m = ccb_history_series_find(rs[i], &list[k]);
            any = m && m->stats.n > 0;
        }
        if (any)
            list[panels++] = list[k];
    }
    if (panels == 0) {
        ccb_error_set("plot: no metric has samples in these results");
        goto done;
    }
    if (h->ncommits) {
        rc = commit_history(gp, t, h, list, panels, threshold);
        goto done;
    }

    layout l = make_layout(panels);
    char title[512], sub[512], skipped[128] = "";
    const ccb_result *first = rs[0], *last = rs[h->n - 1];
    snprintf(title, sizeof(title),
             "ccbench history: %zu results, %s .. %s (profile %s, %.10s .. %.10s)", h->n, labels[0],
             labels[h->n - 1], last->profile, first->created_at, last->created_at);
    if (h->nskipped)
        snprintf(skipped, sizeof(skipped), "%zu results from other machines left out, ",
                 h->nskipped);
    char extra[256];
    /* One panel has a key; many panels share this legend line instead. */
    snprintf(extra, sizeof(extra), "%s%s", skipped,
             panels > 1 ? "line: median, band: 95% CI of the median" : "");
    size_t elen = strlen(extra);
    if (elen >= 2 && extra[elen - 2] == ',')
        extra[elen - 2] = '\0';
    machine_line(sub, sizeof(sub), last, extra);
    preamble(gp, t, &l, title, sub);
    if (panels > 1)
        fputs("unset key\n", gp);

    for (size_t k = 0; k < panels; k++) {
        const ccb_series *s = &list[k];
        double lo = INFINITY, hi = -INFINITY;
        fputs("\n# ", gp);
        gp_series_comment(gp, s->scenario, s->metric, s->unit);
        fprintf(gp,
                ": entry median ci95_low ci95_high (a blank line: no value there, so the\n"
                "# line breaks instead of bridging the gap)\n$h%zu << EOD\n",
                k);
        int gap = 0;
        for (size_t i = 0; i < h->n; i++) {
            const ccb_metric_result *m = ccb_history_series_find(rs[i], s);
            if (!m || m->stats.n == 0) {
                if (!gap)
                    fputc('\n', gp);
                gap = 1;
                continue;
            }
            gap = 0;
            fprintf(gp, "%zu %.17g %.17g %.17g\n", i, m->stats.median, m->stats.ci95_low,
                    m->stats.ci95_high);
            lo = fmin(lo, fmin(m->stats.ci95_low, m->stats.median));
            hi = fmax(hi, fmax(m->stats.ci95_high, m->stats.median));
        }
        fputs("EOD\n", gp);
        panel_axes_from(gp, s, lo, hi, 1);
        xtics(gp, labels, h->n, 0, l.width / (int)l.cols, k % l.cols == l.cols - 1);
        fprintf(gp, "set xrange [-0.5:%zu.5]\n", h->n - 1);
        fprintf(gp,
                "plot $h%zu using 1:3:4 with filledcurves lc rgb '%s' fs transparent solid "
                "0.25 noborder title '95%% CI', \\\n     $h%zu using 1:2 with linespoints pt 7 "
                "ps 0.9 lw 2 lc rgb '%s' title 'median'\n",
                k, palette[0], k, palette[0]);
    }
    fputs("\nunset multiplot\n", gp);
    rc = ferror(gp) ? ccb_error_set("out of memory writing the plot script") : 0;
done:
    free(rs_shared);
    free(labels);
    free(rs);
    free(list);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* compare */

/* Verdict colours: the same meaning as the table's (red bad, green good, orange undecided). */
static const char *const verdict_colour[] = {
    [CCB_VERDICT_UNCHANGED] = "#8c8c8c",   [CCB_VERDICT_IMPROVED] = "#2ca02c",
    [CCB_VERDICT_REGRESSED] = "#d62728",   [CCB_VERDICT_INCONCLUSIVE] = "#ff7f0e",
    [CCB_VERDICT_BELOW_NOISE] = "#bcbd22",
};
/* Legend order: what a reviewer looks for first. */
static const ccb_verdict verdict_order[] = {CCB_VERDICT_REGRESSED, CCB_VERDICT_IMPROVED,
                                            CCB_VERDICT_INCONCLUSIVE, CCB_VERDICT_BELOW_NOISE,
                                            CCB_VERDICT_UNCHANGED};
/* Ratios spanning more than this factor get a log x axis. */
#define COMPARE_LOG_SPAN 4.0
#define ROW_PX 30

/* An operand as a reader knows it: a file by its name, a revision as given. */
static const char *operand_text(const ccb_compare_doc *d, int side)
{
    const char *op = d->operand[side];
    const char *slash = strrchr(op, '/');
    return strcmp(d->side_kind[side], "file") == 0 && slash && slash[1] ? slash + 1 : op;
}

static void change_text(char *buf, size_t size, double ratio)
{
    snprintf(buf, size, "%+.1f%%", (ratio - 1) * 100);
}

/* A verdict as the table writes it: "below noise", not the JSON's "below_noise". */
static const char *verdict_text(ccb_verdict v, char *buf, size_t size)
{
    snprintf(buf, size, "%s", ccb_stats_verdict_name(v));
    for (char *p = buf; *p; p++)
        *p = *p == '_' ? ' ' : *p;
    return buf;
}

/* The text right of a row: the change, its CI and the verdict (as `compare` prints them). */
static void row_note(const ccb_compare_doc_metric *m, char *buf, size_t size)
{
    char ratio[32], lo[32], hi[32], a[32], b[32], vbuf[32];
    const char *verdict = verdict_text(m->verdict, vbuf, sizeof(vbuf));
    const char *confirm = m->confirm == CCB_CONFIRM_CONFIRMED  ? " (confirmed)"
                          : m->confirm == CCB_CONFIRM_REJECTED ? " (not confirmed)"
                                                               : "";
    if (m->nbase == 0 || m->ncand == 0) {
        snprintf(buf, size, "no data");
    } else if (m->kind == CCB_KIND_COUNT) {
        snprintf(a, sizeof(a), "%g", m->base_median);
        snprintf(b, sizeof(b), "%g", m->cand_median);
        snprintf(buf, size, "%s → %s (exact)  %s%s", a, b, verdict, confirm);
    } else if (!isfinite(m->ratio)) {
        snprintf(buf, size, "no ratio  %s%s", verdict, confirm);
    } else {
        change_text(ratio, sizeof(ratio), m->ratio);
        if (isfinite(m->ci_low)) {
            change_text(lo, sizeof(lo), m->ci_low);
            change_text(hi, sizeof(hi), m->ci_high);
            snprintf(buf, size, "%s [%s, %s]  %s%s", ratio, lo, hi, verdict, confirm);
        } else {
            snprintf(buf, size, "%s  %s%s", ratio, verdict, confirm);
        }
    }
}

/* The name left of a row: "scenario.metric", marked when a count or higher-is-better. */
static void row_label(const ccb_compare_doc_metric *m, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s%s%s", m->scenario, m->name,
             m->kind == CCB_KIND_COUNT ? " (count)" : "",
             m->direction == CCB_HIGHER_IS_BETTER ? " (higher is better)" : "");
}

/* Where a row's marker goes: its ratio, or 1 for an unchanged count whose ratio is 0/0. NAN
 * when there is nothing to draw (no data, or a count from 0 to something). */
static double row_ratio(const ccb_compare_doc_metric *m)
{
    if (m->nbase == 0 || m->ncand == 0)
        return NAN;
    if (isfinite(m->ratio))
        return m->ratio;
    if (m->kind == CCB_KIND_COUNT && m->base_median == m->cand_median)
        return 1;
    return NAN;
}

/* Tics at 1, 1.5, 2, 3, 5, 7 per decade over [LO, HI] (1, 2, 5 beyond two decades):
 * gnuplot's own are one per decade, too sparse for ratios near 1. */
static void log_xtics(FILE *gp, double lo, double hi)
{
    static const double fine[] = {1, 1.5, 2, 3, 5, 7}, coarse[] = {1, 2, 5};
    int many = hi / lo > 100;
    const double *steps = many ? coarse : fine;
    size_t nsteps = many ? 3 : 6;
    int first = 1;
    fputs("set xtics (", gp);
    for (int e = (int)floor(log10(lo)); e <= (int)ceil(log10(hi)); e++) {
        for (size_t k = 0; k < nsteps; k++) {
            double v = steps[k] * pow(10, e);
            if (v < lo || v > hi)
                continue;
            fprintf(gp, "%s'%g×' %.17g", first ? "" : ", ", v, v);
            first = 0;
        }
    }
    fputs(")\n", gp);
}

int ccb_plot_compare(FILE *gp, const ccb_plot_target *t, const ccb_compare_doc *d)
{
    if (d->n == 0)
        return ccb_error_set("plot: the compare has no metric");
    const size_t n = d->n;
    /* Metric i is row y = n - i: the file's (the report's) order, top to bottom. */
    double lo = 1, hi = 1;
    size_t counts[CCB_VERDICT_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        const ccb_compare_doc_metric *m = &d->metrics[i];
        counts[m->verdict]++;
        double r = row_ratio(m);
        if (isfinite(r)) {
            lo = fmin(lo, r);
            hi = fmax(hi, r);
        }
        if (isfinite(r) && isfinite(m->ci_low)) {
            lo = fmin(lo, m->ci_low);
            hi = fmax(hi, m->ci_high);
        }
        if (m->kind == CCB_KIND_TIMING) {
            lo = fmin(lo, 1 - m->threshold);
            hi = fmax(hi, 1 + m->threshold);
        }
    }
    int logx = lo > 0 && hi / lo > COMPARE_LOG_SPAN;

    char title[512], sub[1200], mode[256], gate[64], at[2][32];
    for (int side = 0; side < 2; side++) {
        const char *c = d->commit[side];
        /* "main @ 1a2b3c4d": which commit a revision was, when the file knows it. */
        if (c && c[0] && strncmp(operand_text(d, side), c, 8) != 0)
            snprintf(at[side], sizeof(at[side]), " @ %.8s", c);
        else
            at[side][0] = '\0';
    }
    snprintf(title, sizeof(title), "ccbench compare: %s%s (baseline) → %s%s (candidate)",
             operand_text(d, 0), at[0], operand_text(d, 1), at[1]);
    if (d->paired)
        snprintf(mode, sizeof(mode), "interleaved ABBA, %u blocks per round, seed %s%s%s%s",
                 d->blocks, d->seed, d->profile ? ", profile " : "", d->profile ? d->profile : "",
                 d->confirm_ran ? ", confirm round ran" : "");
    else
        snprintf(mode, sizeof(mode), "two result files, unpaired (no blocks, no seed)");
    snprintf(gate, sizeof(gate), "gate: %s", d->failed ? "FAILS" : "passes");
    /* Where it was measured: one machine, or each side's (two files may differ). */
    char where[600] = "";
    const char *mb = d->machine[0], *mc = d->machine[1];
    if (mb && mc && strcmp(mb, mc) != 0)
        snprintf(where, sizeof(where), "\nbaseline on %s; candidate on %s", mb, mc);
    else if (mc || mb)
        snprintf(where, sizeof(where), "\n%s", mc ? mc : mb);
    snprintf(sub, sizeof(sub),
             "%s  |  %zu regressed, %zu improved, %zu inconclusive, %zu below noise, %zu "
             "unchanged  |  %s%s",
             mode, counts[CCB_VERDICT_REGRESSED], counts[CCB_VERDICT_IMPROVED],
             counts[CCB_VERDICT_INCONCLUSIVE], counts[CCB_VERDICT_BELOW_NOISE],
             counts[CCB_VERDICT_UNCHANGED], gate, where);

    /* The metric names left of the rows and the notes right of them set the width, at 0.6 em
     * a character (11- and 10-point text at 4/3 px a point): 1000 px of plot between them (less
     * and the legend under it takes more rows than the bottom margin holds). */
    int note_chars = 0, label_chars = 0;
    for (size_t i = 0; i < n; i++) {
        char note[256], label[256];
        row_note(&d->metrics[i], note, sizeof(note));
        row_label(&d->metrics[i], label, sizeof(label));
        note_chars = utf8_chars(note) > note_chars ? utf8_chars(note) : note_chars;
        label_chars = utf8_chars(label) > label_chars ? utf8_chars(label) : label_chars;
    }
    int left_px = (int)(label_chars * 0.6 * 11 * 4 / 3) + 24;
    int right_px = (int)(note_chars * 0.6 * 10 * 4 / 3) + 24;
    int width = left_px + 1000 + right_px;
    layout l = {.panels = 1,
                .cols = 1,
                .rows = 1,
                .width = width < 1400 ? 1400 : width,
                .height = (int)n * ROW_PX + 250};
    preamble(gp, t, &l, title, sub);

    /* Data: one block per (verdict, kind) so each gets its colour and one legend entry. */
    fputs("\n# Per metric row y: y ratio ci_low ci_high (ci = ratio when there is none)\n", gp);
    fputs("# and $band: y low high, the metric's own +-threshold around 1 (timing metrics).\n", gp);
    int have[CCB_VERDICT_COUNT][2] = {{0}};
    for (size_t v = 0; v < CCB_VERDICT_COUNT; v++) {
        for (int kind = 0; kind < 2; kind++) {
            int open = 0;
            for (size_t i = 0; i < n; i++) {
                const ccb_compare_doc_metric *m = &d->metrics[i];
                double r = row_ratio(m);
                if ((size_t)m->verdict != v || (int)m->kind != kind || !isfinite(r))
                    continue;
                if (!open)
                    fprintf(gp, "$%s_%s << EOD\n", ccb_stats_verdict_name((ccb_verdict)v),
                            kind == CCB_KIND_COUNT ? "count" : "timing");
                open = 1;
                int ci = isfinite(m->ci_low);
                fprintf(gp, "%zu %.17g %.17g %.17g  # ", n - i, r, ci ? m->ci_low : r,
                        ci ? m->ci_high : r);
                gp_series_comment(gp, m->scenario, m->name, NULL);
                fputc('\n', gp);
            }
            if (open)
                fputs("EOD\n", gp);
            have[v][kind] = open;
        }
    }
    int have_band = 0;
    for (size_t i = 0; i < n; i++) {
        const ccb_compare_doc_metric *m = &d->metrics[i];
        if (m->kind != CCB_KIND_TIMING)
            continue;
        if (!have_band)
            fputs("$band << EOD\n", gp);
        have_band = 1;
        fprintf(gp, "%zu %.17g %.17g\n", n - i, 1 - m->threshold, 1 + m->threshold);
    }
    if (have_band)
        fputs("EOD\n", gp);

    /* Axes: metric names left, the change and verdict right, ratio along x. */
    fputs("\nunset grid\nset grid xtics lc rgb '#e0e0e0' lt 1\nset border 1\n", gp);
    fputs("set key at screen 0.5, screen 0.012 center bottom horizontal maxrows 2 samplen 1.5 "
          "width 2 box opaque\n",
          gp);
    fprintf(gp, "set yrange [0.4:%zu.6]\nset ytics scale 0 nomirror font 'sans,11' (", n);
    for (size_t i = 0; i < n; i++) {
        char label[256];
        row_label(&d->metrics[i], label, sizeof(label));
        gp_str(gp, label);
        fprintf(gp, " %zu%s", n - i, i + 1 < n ? ", " : "");
    }
    /* Margins in pixels (gnuplot's own estimate cut long names): the names left, the notes
     * right. l.width may exceed what they need (1400 at least): the plot takes the rest. */
    fprintf(gp, ")\nset lmargin at screen %.4f\nset rmargin at screen %.4f\n",
            (double)left_px / l.width, 1.0 - (double)right_px / l.width);
    for (size_t i = 0; i < n; i++) {
        const ccb_compare_doc_metric *m = &d->metrics[i];
        char note[256];
        row_note(m, note, sizeof(note));
        fprintf(gp, "set label %zu ", i + 1);
        gp_str(gp, note);
        fprintf(gp, " at graph 1.01, first %zu left font 'sans,10' tc rgb '%s'\n", n - i,
                m->verdict == CCB_VERDICT_UNCHANGED ? "#555555" : verdict_colour[m->verdict]);
        /* A thin rule between scenarios groups a scenario's metrics. */
        if (i > 0 && strcmp(m->scenario, d->metrics[i - 1].scenario) != 0)
            fprintf(gp,
                    "set arrow from graph 0, first %zu.5 to graph 1, first %zu.5 nohead "
                    "lc rgb '#cccccc' dt 2 back\n",
                    n - i, n - i);
    }
    /* Room below for the x label and the legend under it. */
    fputs("set bmargin 8\n", gp);
    if (logx) {
        fprintf(gp, "set logscale x\nset xrange [%.17g:%.17g]\n", lo / 1.3, hi * 1.3);
        log_xtics(gp, lo / 1.3, hi * 1.3);
        fputs("set xlabel 'candidate / baseline (log scale; 1× = no change)'\n", gp);
    } else {
        double pad = (hi - lo) * 0.06;
        fprintf(gp, "unset logscale x\nset xrange [%.17g:%.17g]\n", lo - pad, hi + pad);
        fputs("set format x '%g×'\nset xlabel 'candidate / baseline (1× = no change)'\n", gp);
    }
    fputs("set arrow from first 1, graph 0 to first 1, graph 1 nohead lc rgb '#333333' lw 1.5 "
          "front\n",
          gp);

    /* Band first (under everything), then bars, whiskers and count points per verdict. */
    fputs("plot ", gp);
    const char *sep = "";
    if (have_band) {
        fputs("$band using (1):1:2:3:($1-0.45):($1+0.45) with boxxyerror fs solid 0.15 "
              "noborder lc rgb '#1f77b4' title '±threshold (no-change band)'",
              gp);
        sep = ", \\\n     ";
    }
    for (size_t k = 0; k < CCB_VERDICT_COUNT; k++) {
        ccb_verdict v = verdict_order[k];
        char vbuf[32];
        const char *name = ccb_stats_verdict_name(v), *col = verdict_colour[v];
        const char *shown = verdict_text(v, vbuf, sizeof(vbuf));
        int titled = 0;
        if (have[v][CCB_KIND_TIMING]) {
            fprintf(gp,
                    "%s$%s_timing using 2:1:($2<1?$2:1):($2<1?1:$2):($1-0.28):($1+0.28) "
                    "with boxxyerror fs solid 0.35 noborder lc rgb '%s' title '%s'",
                    sep, name, col, shown);
            sep = ", \\\n     ";
            fprintf(gp,
                    "%s$%s_timing using 2:1:3:4 with xerrorbars lw 2 pt 7 ps 1.1 "
                    "lc rgb '%s' notitle",
                    sep, name, col);
            titled = 1;
        }
        if (have[v][CCB_KIND_COUNT]) {
            fprintf(gp, "%s$%s_count using 2:1 with points pt 13 ps 2 lc rgb '%s' %s", sep, name,
                    col, titled ? "notitle" : "title ");
            if (!titled)
                gp_str(gp, shown);
            sep = ", \\\n     ";
        }
    }
    int any_count = 0;
    for (size_t i = 0; i < n; i++)
        any_count |= d->metrics[i].kind == CCB_KIND_COUNT;
    if (any_count)
        fprintf(gp, "%sNaN with points pt 13 ps 2 lc rgb '#333333' title 'count (exact, no CI)'",
                sep);
    /* Error-bar styles take data only: a line with a point stands for "ratio, 95% CI". */
    fprintf(gp, "%sNaN with linespoints lw 2 pt 7 lc rgb '#333333' title 'ratio and 95%% CI'\n",
            sep);
    fputs("\nunset multiplot\n", gp);
    return ferror(gp) ? ccb_error_set("out of memory writing the plot script") : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Files and gnuplot */

int ccb_plot_write_script(const ccb_plot_target *t, const char *text, size_t len)
{
    if (ccb_atomic_write(t->script, text, len) != 0)
        return ccb_error_set("cannot write the plot script %s: %s", t->script, strerror(errno));
    return 0;
}

int ccb_plot_write_data(const ccb_plot_target *t, const char *text, size_t len)
{
    if (ccb_atomic_write(t->data, text, len) != 0)
        return ccb_error_set("cannot write the plot data %s: %s", t->data, strerror(errno));
    return 0;
}

/* The last lines of gnuplot's output, for the message (its first error is what matters, and
 * a script error is usually its last line). */
static const char *tail(const char *text, size_t len)
{
    const char *p = len > 600 ? text + len - 600 : text;
    return p;
}

/* The last bytes of LOG (gnuplot's stdout and stderr) into BUF, for a message. */
static void read_log_tail(const char *log, char *buf, size_t size)
{
    buf[0] = '\0';
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)(size - 1) ? end - (off_t)(size - 1) : 0;
    ssize_t got = pread(fd, buf, size - 1, from);
    buf[got > 0 ? got : 0] = '\0';
    close(fd);
}

int ccb_plot_run_gnuplot(const ccb_plot_target *t)
{
    int status = -1, installed = 0;
    char *tmp = NULL, *log = NULL, *assign = NULL, *helper = NULL, *gnuplot = NULL;
    char output[4096];
    ccb_child_result res;

    memset(&res, 0, sizeof(res));
    output[0] = '\0';
    if (asprintf(&tmp, "%s.tmp.%ld", t->image, (long)getpid()) < 0) {
        tmp = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    if (asprintf(&log, "%s.log", tmp) < 0) {
        log = NULL;
        ccb_error_set("out of memory");
        goto done;
    }
    /* The -e assignment is a gnuplot command: quote the path the same way as in the script. */
    size_t cap = strlen(tmp) * 2 + 16, k = 0;
    assign = malloc(cap);
    if (!assign) {
        ccb_error_set("out of memory");
        goto done;
    }
    k += (size_t)snprintf(assign, cap, "outfile='");
    for (const char *p = tmp; *p; p++) {
        if (*p == '\'')
            assign[k++] = '\'';
        assign[k++] = *p;
    }
    assign[k++] = '\'';
    assign[k] = '\0';

    gnuplot = ccb_child_find_on_path("gnuplot");
    if (!gnuplot) {
        ccb_error_set("plot: gnuplot is not on PATH. The script is written: %s. Install "
                      "gnuplot (Debian/Ubuntu: %s) and run 'gnuplot %s', or run ccbench plot "
                      "again",
                      t->script, GNUPLOT_INSTALL, t->script);
        ccb_error_classify(CCB_ERROR_INPUT);
        goto done;
    }
    /* Through the one child runner: its own process group, killed at the time limit or on
     * ^C, output to a log whose tail goes into the message. */
    if (ccb_child_find_helper(&helper) != 0 || ccb_interrupt_install() != 0)
        goto done;
    installed = 1;
    char *argv[] = {(char *)"gnuplot", (char *)"-e", assign, t->script, NULL};
    ccb_child_spec spec = {.helper = helper,
                           .path = gnuplot,
                           .argv = argv,
                           .timeout_ms = GNUPLOT_TIMEOUT_MS,
                           .cpu = -1,
                           .log_path = log};
    if (ccb_child_run(&spec, &res) != 0)
        goto done;
    switch (res.end) {
    case CCB_CHILD_EXITED:
    case CCB_CHILD_SIGNALED:
        break;
    case CCB_CHILD_TIMED_OUT:
        ccb_error_set("plot: gnuplot did not finish within %d s on %s; it was stopped",
                      GNUPLOT_TIMEOUT_MS / 1000, t->script);
        goto done;
    case CCB_CHILD_INTERRUPTED:
        ccb_error_set("plot: interrupted; gnuplot was stopped. The script is written: %s",
                      t->script);
        ccb_error_classify(CCB_ERROR_INTERRUPTED);
        goto done;
    case CCB_CHILD_SPAWN_FAILED:
        ccb_error_set("plot: cannot run gnuplot: %s", strerror(res.status));
        goto done;
    }
    struct stat st;
    if (res.end != CCB_CHILD_EXITED || res.status != 0 || stat(tmp, &st) != 0 || st.st_size == 0) {
        read_log_tail(log, output, sizeof(output));
        ccb_error_set("plot: gnuplot failed on %s (%s %d): %s", t->script,
                      res.end == CCB_CHILD_EXITED ? "exit status" : "signal", res.status,
                      output[0] ? tail(output, strlen(output)) : "no output");
        goto done;
    }
    if (rename(tmp, t->image) != 0) {
        ccb_error_set("cannot rename %s to %s: %s", tmp, t->image, strerror(errno));
        goto done;
    }
    status = 0;
done:
    if (installed)
        ccb_interrupt_uninstall();
    ccb_child_result_release(&res);
    if (log)
        unlink(log);
    if (tmp && status != 0)
        unlink(tmp);
    free(tmp);
    free(log);
    free(assign);
    free(helper);
    free(gnuplot);
    return status;
}
