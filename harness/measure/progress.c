/*
 * Progress reporting (see progress.h). The time-left estimate uses what each scenario's
 * samples took so far, the known minimum of those not started (a throughput sample lasts at
 * least its duration), and the average sample of the run for the rest: rough at first,
 * honest soon after, and cheap (O(scenarios) per redraw).
 */
#include "progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

ccb_progress_mode ccb_progress_detect(int quiet)
{
    if (quiet)
        return CCB_PROGRESS_QUIET;
    const char *term = getenv("TERM");
    if (isatty(STDERR_FILENO) && term && strcmp(term, "dumb") != 0)
        return CCB_PROGRESS_BAR;
    return CCB_PROGRESS_LINES;
}

int ccb_progress_init(ccb_progress *p, ccb_progress_mode mode, FILE *out, size_t nsteps)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->out = out;
    p->nsteps = nsteps;
    p->steps = calloc(nsteps ? nsteps : 1, sizeof(*p->steps));
    return p->steps ? 0 : ccb_error_set("out of memory");
}

void ccb_progress_plan(ccb_progress *p, size_t step, const char *name, size_t samples,
                       double hint_ms)
{
    if (step >= p->nsteps)
        return;
    p->steps[step].name = name;
    p->steps[step].samples = samples;
    p->steps[step].hint_ms = hint_ms;
}

void ccb_progress_plan_budget(ccb_progress *p, size_t step, double budget_ms)
{
    if (step < p->nsteps)
        p->steps[step].budget_ms = budget_ms;
}

static void format_duration(char *buf, size_t size, double ms)
{
    double s = ms / 1000;
    if (s < 10)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 60)
        snprintf(buf, size, "%.0fs", s);
    else
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

/* Estimated ms left for the whole run; < 0 when there is nothing to go on yet. */
static double time_left(const ccb_progress *p)
{
    double spent = 0;
    size_t done = 0;
    for (size_t i = 0; i < p->nsteps; i++) {
        spent += p->steps[i].spent_ms;
        done += p->steps[i].done;
    }
    double run_avg = done ? spent / (double)done : -1;
    double left = 0;
    for (size_t i = p->current; i < p->nsteps; i++) {
        const ccb_progress_step *s = &p->steps[i];
        double per = s->done ? s->spent_ms / (double)s->done : s->hint_ms;
        if (!s->done && run_avg > per)
            per = run_avg;
        if (per <= 0)
            return -1;
        double by_count = s->done < s->samples ? per * (double)(s->samples - s->done) : 0;
        double by_budget = s->budget_ms - s->spent_ms;
        left += by_budget > by_count ? by_budget : by_count;
    }
    /* The sample under way has been running for a while already. */
    left -= now_ms() - p->sample_started_ms;
    return left > 0 ? left : 0;
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

static void draw(ccb_progress *p)
{
    const ccb_progress_step *s = &p->steps[p->current];
    char left[32] = "";
    double ms = time_left(p);
    if (ms >= 0) {
        char d[16];
        format_duration(d, sizeof(d), ms);
        snprintf(left, sizeof(left), "~%s left", d);
    }
    double elapsed = 0;
    for (size_t i = 0; i < p->nsteps; i++)
        elapsed += p->steps[i].spent_ms;
    double fraction = ms >= 0 && elapsed + ms > 0 ? elapsed / (elapsed + ms) : 0;

    char bar[21];
    size_t filled = (size_t)(fraction * 20 + 0.5);
    for (size_t i = 0; i < 20; i++)
        bar[i] = i < filled ? '#' : '-';
    bar[20] = '\0';

    char failed[32] = "";
    if (s->failed)
        snprintf(failed, sizeof(failed), ", %zu failed", s->failed);
    char line[512], count[64];
    if (s->budget_ms > 0) {
        char d[16];
        format_duration(d, sizeof(d), s->budget_ms);
        snprintf(count, sizeof(count), "%zu samples (budget %s)", s->done, d);
    } else {
        snprintf(count, sizeof(count), "%zu/%zu samples", s->done, s->samples);
    }
    snprintf(line, sizeof(line), "[%s] %s %s%s (scenario %zu/%zu) %s", bar, s->name, count, failed,
             p->current + 1, p->nsteps, left);
    /* A line wider than the terminal wraps and \r no longer returns to its start. */
    int width = terminal_width() - 1;
    if ((int)strlen(line) > width)
        line[width] = '\0';
    fprintf(p->out, "\r\033[K%s", line);
    fflush(p->out);
    p->drawn = 1;
}

void ccb_progress_begin(ccb_progress *p, size_t step)
{
    if (step >= p->nsteps)
        return;
    p->current = step;
    p->step_started_ms = now_ms();
    p->sample_started_ms = p->step_started_ms;
    const ccb_progress_step *s = &p->steps[step];
    if (p->mode == CCB_PROGRESS_LINES && s->budget_ms > 0) {
        char d[16];
        format_duration(d, sizeof(d), s->budget_ms);
        fprintf(p->out, "%s: running at least %zu samples, then more for up to %s\n", s->name,
                s->samples, d);
        fflush(p->out);
    } else if (p->mode == CCB_PROGRESS_LINES) {
        fprintf(p->out, "%s: running %zu sample%s\n", s->name, s->samples,
                s->samples == 1 ? "" : "s");
        fflush(p->out);
    } else if (p->mode == CCB_PROGRESS_BAR) {
        draw(p);
    }
}

void ccb_progress_sample(ccb_progress *p, int ok)
{
    if (p->current >= p->nsteps)
        return;
    ccb_progress_step *s = &p->steps[p->current];
    double t = now_ms();
    s->done++;
    if (!ok)
        s->failed++;
    s->spent_ms += t - p->sample_started_ms;
    p->sample_started_ms = t;
    if (p->mode == CCB_PROGRESS_BAR)
        draw(p);
}

void ccb_progress_end(ccb_progress *p)
{
    if (p->current >= p->nsteps || p->mode != CCB_PROGRESS_LINES)
        return;
    const ccb_progress_step *s = &p->steps[p->current];
    char d[16];
    format_duration(d, sizeof(d), now_ms() - p->step_started_ms);
    if (s->budget_ms > 0)
        fprintf(p->out, "%s: %zu samples", s->name, s->done - s->failed);
    else
        fprintf(p->out, "%s: %zu/%zu samples", s->name, s->done - s->failed, s->samples);
    if (s->failed)
        fprintf(p->out, ", %zu failed", s->failed);
    fprintf(p->out, " (%s)\n", d);
    fflush(p->out);
}

void ccb_progress_note(ccb_progress *p, const char *fmt, ...)
{
    if (p->mode == CCB_PROGRESS_QUIET)
        return;
    ccb_progress_clear(p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
}

void ccb_progress_clear(ccb_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->drawn = 0;
    }
}

void ccb_progress_release(ccb_progress *p)
{
    ccb_progress_clear(p);
    free(p->steps);
    p->steps = NULL;
}
