/*
 * The interleaved ABBA measurement (see abba.h): the block order, one process at a time, the
 * per-process reduction and the pairs it hands to the compare model (compare.c).
 */
#include "abba.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counts.h"
#include "error.h"
#include "interrupt.h"
#include "sample.h"

typedef struct interleave {
    const ccb_build_outputs *const *side; /* [0] baseline, [1] candidate */
    unsigned int blocks;
    uint64_t share_ns;        /* each scenario's share of the budget; 0: exactly `blocks` */
    unsigned int most_blocks; /* the largest count a scenario got */
    ccb_rng rng;
    ccb_result **results;
    ccb_compare *cmp;
    size_t sample_index;   /* unique log names across both sides */
    ccb_abba_guard *guard; /* may be NULL */
    ccb_counts *counts;    /* may be NULL */
} interleave;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The per-metric reduction of the samples one process added to S (from counts BEFORE). */
static void reduce_process(const ccb_scenario_result *s, const size_t *before, double *out)
{
    for (size_t k = 0; k < s->nmetrics; k++) {
        const ccb_metric_result *m = &s->metrics[k];
        out[k] = ccb_compare_reduce(m->samples + before[k], m->n - before[k]);
    }
}

/* One side's count processes (ccb_counts_measure), run by count_item. */
typedef struct side_counts {
    ccb_counts *counts;
    const ccb_plan_item *item;
    ccb_runner_ctx ctx;
    const char *exe, *tag;
    ccb_scenario_result *into;
    double ms;
    int rc, interrupted;
    char error[1024];
} side_counts;

static void *run_side_counts(void *arg)
{
    side_counts *j = arg;
    uint64_t t0 = now_ns();
    if (ccb_counts_measure(j->counts, &j->ctx, j->item, j->exe, j->tag, j->into, &j->interrupted) !=
        0) {
        j->rc = -1;
        /* The message is this thread's: carried to the caller's. */
        snprintf(j->error, sizeof(j->error), "%s", ccb_error_message());
    }
    j->ms = (double)(now_ns() - t0) / 1e6;
    return NULL;
}

/* The count processes of one scenario: the two sides at once, one on each of two CPUs (a
 * count does not move with the machine's load, and the wait for valgrind halves), each
 * side's profile reduced, and every count metric's per-process values handed to the compare
 * (unpaired: a count needs no pairing, its spread is its own). Without the session's spawn
 * server: it serves one child at a time. */
static int count_item(interleave *il, const ccb_plan_item *item, const ccb_runner_ctx *ctx,
                      ccb_scenario_result *s[2], double counts_ms[2], int *interrupted)
{
    static const char *const tag[2] = {"base", "cand"};
    ccb_counts *c = il->counts;
    const ccb_scenario_def *def = item->def;
    if (!c || !c->enabled || !ccb_counts_applies(def))
        return 0;
    side_counts job[2];
    for (int side = 0; side < 2; side++) {
        job[side] = (side_counts){.counts = c,
                                  .item = item,
                                  .ctx = *ctx,
                                  .exe = il->side[side]->counts,
                                  .tag = tag[side],
                                  .into = s[side]};
        job[side].ctx.server = NULL;
        job[side].ctx.cpu = -1; /* both run at once: not both on one pinned CPU */
    }
    pthread_t other;
    int threaded = pthread_create(&other, NULL, run_side_counts, &job[1]) == 0;
    run_side_counts(&job[0]);
    if (threaded)
        pthread_join(other, NULL);
    else
        run_side_counts(&job[1]);
    for (int side = 0; side < 2; side++) {
        counts_ms[side] = job[side].ms;
        if (job[side].rc != 0)
            return ccb_error_set("%s", job[side].error);
        *interrupted |= job[side].interrupted;
    }
    if (*interrupted)
        return 0;
    for (int side = 0; side < 2; side++) {
        for (size_t k = 0; k < s[side]->nmetrics; k++) {
            const ccb_metric_result *mr = &s[side]->metrics[k];
            const ccb_metric_def *md = ccb_catalog_metric(def, mr->name);
            if (!md || md->origin != CCB_FROM_COUNTS)
                continue;
            ccb_compare_metric *cm = ccb_compare_metric_get(il->cmp, def->name, md->name, md->unit,
                                                            md->direction, md->kind);
            if (!cm || ccb_compare_add_replicates(cm, side, mr) != 0)
                return -1;
        }
    }
    return 0;
}

static int interleave_item(void *payload, size_t index, ccb_plan_item *item,
                           const ccb_runner_ctx *ctx, ccb_progress *progress, int *interrupted)
{
    interleave *il = payload;
    const ccb_scenario_def *def = item->def;
    size_t nm = ccb_counts_timed_metrics(def); /* the count metrics come from count_item */
    int rc = -1;
    size_t *before = calloc(nm ? nm : 1, sizeof(*before));
    double *vals = calloc((nm ? nm : 1) * 4, sizeof(*vals)); /* [side][slot][metric] */
    ccb_compare_metric **cm = calloc(nm ? nm : 1, sizeof(*cm));
    (void)index;
    if (!before || !vals || !cm) {
        ccb_error_set("out of memory");
        goto done;
    }
    ccb_scenario_result *s[2];
    for (int side = 0; side < 2; side++) {
        s[side] = ccb_result_add_scenario(il->results[side], def->name);
        if (!s[side])
            goto done;
        cJSON_Delete(s[side]->params);
        s[side]->params = cJSON_Duplicate(item->params, 1);
        if (!s[side]->params) {
            ccb_error_set("out of memory");
            goto done;
        }
        for (size_t m = 0; m < nm; m++) {
            if (!ccb_result_scenario_add_metric(s[side], &def->metrics[m]))
                goto done;
        }
    }
    for (size_t m = 0; m < nm; m++) {
        const ccb_metric_def *md = &def->metrics[m];
        /* Pointers into cmp stay valid: no other metric is added while this item runs. */
        if (!ccb_compare_metric_get(il->cmp, def->name, md->name, md->unit, md->direction,
                                    md->kind))
            goto done;
    }
    for (size_t m = 0; m < nm; m++)
        cm[m] = ccb_compare_find(il->cmp, def->name, def->metrics[m].name);

    int is_floor = strcmp(def->executable, CCB_FLOOR_EXECUTABLE) == 0;
    uint64_t began = now_ns();
    unsigned int b = 0;
    double side_ms[2] = {0, 0};
    ccb_guard_snapshot quiet_before;
    ccb_guard_snapshot_take(&quiet_before, ccb_child_server_cpu_ms(ctx->server));
    /* The first `blocks` blocks are the pilot: what they cost says how many more the share
     * buys, so a cheap scenario (a cold process: ~1-3 ms) gets hundreds and an expensive one
     * (throughput: seconds) keeps its minimum. */
    for (; !*interrupted; b++) {
        if (b >= il->blocks &&
            (il->share_ns == 0 || b >= CCB_ABBA_MAX_BLOCKS || now_ns() - began >= il->share_ns))
            break;
        /* ABBA or BAAB: drift within a block hits both sides equally either way, and the
         * random choice keeps a periodic disturbance from lining up with one side. */
        int first = (int)ccb_stats_rng_below(&il->rng, 2);
        const int order[4] = {first, !first, !first, first};
        int slot_of_side[2] = {0, 0};
        for (int k = 0; k < 4; k++) {
            int side = order[k];
            int slot = slot_of_side[side]++;
            double *out = vals + ((size_t)side * 2 + (size_t)slot) * nm;
            for (size_t m = 0; m < nm; m++) {
                before[m] = s[side]->metrics[m].n;
                out[m] = NAN;
            }
            ccb_sample_status status = CCB_SAMPLE_OK;
            uint64_t t0 = now_ns();
            if (ccb_sample_run(ctx, def, is_floor ? il->side[side]->floor : il->side[side]->runner,
                               item->runner_params, item->timeout_ms, il->sample_index++, s[side],
                               &status) != 0)
                goto done;
            side_ms[side] += (double)(now_ns() - t0) / 1e6;
            if (status == CCB_SAMPLE_INTERRUPTED || ccb_interrupt_requested()) {
                *interrupted = 1;
                break;
            }
            if (status == CCB_SAMPLE_OK)
                reduce_process(s[side], before, out);
            ccb_progress_sample(progress, status == CCB_SAMPLE_OK);
        }
        if (*interrupted)
            break;
        for (size_t m = 0; m < nm; m++) {
            double base[2] = {vals[(0 * 2 + 0) * nm + m], vals[(0 * 2 + 1) * nm + m]};
            double cand[2] = {vals[(1 * 2 + 0) * nm + m], vals[(1 * 2 + 1) * nm + m]};
            if (ccb_compare_add_block(cm[m], base, cand) < 0)
                goto done;
        }
    }
    double counts_ms[2] = {0, 0};
    if (!*interrupted && il->counts && il->counts->enabled && ccb_counts_applies(def)) {
        unsigned int native, instr;
        ccb_counts_plan(il->counts, item, &native, &instr);
        ccb_progress_note(progress, "%s: counting: %u native and %u callgrind processes a side",
                          def->name, native, instr);
    }
    if (!*interrupted && count_item(il, item, ctx, s, counts_ms, interrupted) != 0)
        goto done;
    if (il->guard && il->guard->n < CCB_SELECTION_MAX) {
        ccb_guard_snapshot quiet_after;
        ccb_guard_snapshot_take(&quiet_after, ccb_child_server_cpu_ms(ctx->server));
        il->guard->scenario[il->guard->n] = def->name;
        ccb_guard_read(&quiet_before, &quiet_after, &il->guard->reading[il->guard->n++]);
    }
    if (b > il->most_blocks)
        il->most_blocks = b;
    if (il->cmp->nrounds < CCB_COMPARE_MAX_ROUNDS)
        il->cmp->rounds[il->cmp->nrounds++] =
            (ccb_compare_round){.scenario = def->name,
                                .blocks = b,
                                .budget_ms = (double)il->share_ns / 1e6,
                                .side_ms = {side_ms[0], side_ms[1]},
                                .counts_ms = {counts_ms[0], counts_ms[1]}};
    /* Each side ran half of the item's processes; record what it really got. */
    for (int side = 0; side < 2; side++) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(s[side]->params, "processes",
                                                    cJSON_CreateNumber(2.0 * b)) ||
            !cJSON_AddNumberToObject(s[side]->params, "abba_blocks", b) ||
            (il->share_ns &&
             !cJSON_AddNumberToObject(s[side]->params, "budget_ms", (double)il->share_ns / 1e6))) {
            ccb_error_set("out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    free(cm);
    free(before);
    free(vals);
    return rc;
}

/* Every item of one round, interleaved; the rng draws each block's order from the seed. */
static int measure_items(const ccb_abba_round *r, ccb_plan_item *items, size_t count,
                         ccb_result *results[2], ccb_compare *cmp, ccb_measure_outcome *outcome)
{
    interleave il = {.side = r->side,
                     .blocks = r->blocks,
                     .results = results,
                     .cmp = cmp,
                     .guard = r->guard,
                     .counts = r->counts};
    if (r->budget_ms && count)
        il.share_ns = (uint64_t)r->budget_ms * 1000000ULL / count;
    for (size_t i = 0; i < count; i++)
        items[i].budget_ms = (double)il.share_ns / 1e6;
    ccb_stats_rng_seed(&il.rng, r->seed);
    cmp->seed = r->seed;
    int rc = ccb_measure_each(items, count, (int)r->cpu, r->mode, interleave_item, &il, outcome);
    cmp->blocks = il.most_blocks > r->blocks ? il.most_blocks : r->blocks;
    return rc;
}

uint64_t ccb_abba_default_seed(void)
{
    struct timespec ts;
    ccb_rng rng;

    clock_gettime(CLOCK_REALTIME, &ts);
    ccb_stats_rng_seed(&rng, (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
                                 ((uint64_t)getpid() << 32));
    return ccb_stats_rng_next(&rng) >> 11;
}

unsigned int ccb_abba_default_blocks(ccb_profile profile)
{
    switch (profile) {
    case CCB_PROFILE_QUICK:
        return 6;
    case CCB_PROFILE_DEFAULT:
        return 15;
    case CCB_PROFILE_FULL:
        return 30;
    }
    return 15;
}

unsigned int ccb_abba_budget_ms(ccb_profile profile)
{
    /* What a compare may take on a 2-core machine (README): quick 40 s and default 3 min in
     * all, so the first round gets about 70% (the rest: builds from cache, the confirm round
     * at a quarter of this, analysis); full keeps its fixed, larger counts. */
    switch (profile) {
    case CCB_PROFILE_QUICK:
        return 26000;
    case CCB_PROFILE_DEFAULT:
        return 120000;
    case CCB_PROFILE_FULL:
        return 0;
    }
    return 0;
}

/* A sustained scenario (throughput) inside a time budget: its minimum blocks must fit its
 * share, so each process runs shorter than the profile's duration (at quick 1 s would make
 * 6 blocks cost 24 s against a ~4 s share). 80% of the share over the minimum's processes,
 * never under CCB_ABBA_MIN_SUSTAINED_MS nor over the profile's duration; 0 (the profile's)
 * without a budget or for a scenario that is not sustained. */
static double sustained_duration_s(const ccb_abba_round *r, const ccb_scenario_def *def)
{
    unsigned int profile_ms = def->profiles[r->profile].duration_ms;
    if (!r->budget_ms || !profile_ms || !r->sel->n || !r->blocks)
        return 0;
    double share_ms = (double)r->budget_ms / (double)r->sel->n;
    double ms = 0.8 * share_ms / (4.0 * r->blocks);
    if (ms < CCB_ABBA_MIN_SUSTAINED_MS)
        ms = CCB_ABBA_MIN_SUSTAINED_MS;
    if (ms >= profile_ms)
        return 0;
    return ms / 1000.0;
}

int ccb_abba_round_run(const ccb_abba_round *r, ccb_result *results[2], ccb_compare *cmp,
                       int *scenario_failed, ccb_measure_outcome *outcome)
{
    int rc = -1;
    ccb_plan_item items[CCB_SELECTION_MAX];
    size_t nitems = 0;
    size_t first[2] = {results[0]->nscenarios, results[1]->nscenarios};
    memset(items, 0, sizeof(items));
    *scenario_failed = 0;
    /* Each block runs 4 processes: 2 per side. */
    ccb_plan_overrides ov = {.samples = 4UL * r->blocks, .api_latency_ms = 50, .cpu = r->cpu};
    for (size_t i = 0; i < r->sel->n; i++) {
        ccb_plan_overrides item_ov = ov;
        item_ov.duration_s = sustained_duration_s(r, r->sel->defs[i]);
        nitems++;
        if (ccb_measure_plan_item_init(&items[i], r->sel->defs[i], r->profile, &item_ov) != 0)
            goto done;
    }
    if (measure_items(r, items, nitems, results, cmp, outcome) != 0)
        goto done;
    for (int side = 0; side < 2; side++) {
        for (size_t i = first[side]; i < results[side]->nscenarios; i++)
            if (results[side]->scenarios[i].samples_ok == 0)
                *scenario_failed = 1;
    }
    rc = 0;
done:
    for (size_t i = 0; i < nitems; i++)
        ccb_measure_plan_item_release(&items[i]);
    return rc;
}
