/*
 * `ccbench noise [REV]`: how large a change noise alone produces on this machine. One build
 * measured against itself in ABBA blocks; per metric the widest bound of the ratio's CI is
 * the noise floor (±X%), which is also the smallest threshold a compare could trust. The
 * floors are kept beside the build (noise.json) for compare's warnings.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "noise.h"
#include "options.h"
#include "shared_options.h"
#include "paths.h"
#include "result.h"

typedef struct noise_options {
    const char *rev, *repo;
    ccb_selection sel;
    ccb_profile profile;
    unsigned long blocks;
    unsigned int budget_ms; /* as compare: the profile's budget unless --blocks */
    uint64_t seed;
    int seed_given, quiet;
    long cpu;
    ccb_format format;
} noise_options;

#define OPT(member) offsetof(noise_options, member)
static const ccb_option noise_option_table[] = {
    {CCB_OPT_PROFILE, "profile", .offset = OPT(profile), .arg = "P",
     .help = "quick, default or full: the compare's time budget at that\n"
             "profile (default: default)"},
    {CCB_OPT_CALL, "scenario", .offset = OPT(sel), .call = ccb_selection_option,
     .arg = "NAME[,NAME]", .usage = "[--scenario ...]",
     .help = "scenarios to measure (default: every non-test scenario)"},
    {CCB_OPT_ULONG, "blocks", .offset = OPT(blocks), .lo = 2, .hi = 10000, .arg = "N",
     .help = "exactly N ABBA blocks per scenario, no time budget"},
    CCB_OPTION_SEED(noise_options, "seed of the block orders (default: from the clock, printed)"),
    CCB_OPTION_CPU(noise_options),
    CCB_OPTION_REPO(noise_options),
    {CCB_OPT_FORMAT, "format", .offset = OPT(format), .arg = "F",
     .usage = "[--format table|json|markdown]",
     .help = "table (default), markdown, or json (the stored noise.json)"},
    CCB_OPTION_QUIET(noise_options),
    {CCB_OPT_END},
};
#undef OPT

const ccb_command_spec cmd_noise_spec = {
    .name = "noise",
    .operands = "[REV]",
    .summary = "A/A run of one build against itself: the noise floor per metric",
    .intro =
        "REV defaults to WORKTREE. The build is measured against itself in ABBA blocks exactly as\n"
        "compare runs; per metric the widest bound of the ratio's 95% CI is the noise floor\n"
        "(±X%) and the threshold a compare would need. It is stored beside the build\n"
        "(.ccbench/build/<key>/noise.json) and compare warns when its threshold is below it.\n"
        "\n",
    .options = noise_option_table,
    .details = "exit status: 0 done; 2 bad usage or unknown revision; 3 a build or a scenario "
               "failed\n",
};

static int parse_options(int argc, char **argv, noise_options *o)
{
    memset(o, 0, sizeof(*o));
    o->profile = CCB_PROFILE_DEFAULT;
    o->cpu = -1;
    int first = ccb_options_parse(&cmd_noise_spec, o, argc, argv);
    if (first < 0)
        return -1;
    if (first < argc)
        o->rev = argv[first++];
    if (first < argc)
        return ccb_error_setc(CCB_ERROR_USAGE,
                              "noise: unexpected argument '%s'. Usage: ccbench noise [REV]",
                              argv[first]);
    if (!o->rev)
        o->rev = CCB_WORKTREE;
    if (o->sel.n == 0)
        ccb_selection_default(&o->sel);
    if (!o->blocks) {
        o->blocks = ccb_abba_default_blocks(o->profile);
        o->budget_ms = ccb_abba_budget_ms(o->profile);
    }
    if (!o->seed_given)
        o->seed = ccb_abba_default_seed();
    return 0;
}

static void write_noise_report(FILE *out, const noise_options *o, const ccb_compare *aa)
{
    int md = o->format == CCB_FORMAT_MARKDOWN;
    fprintf(out, "%snoise floor of %s: A/A, up to %u ABBA blocks, seed %llu, profile %s\n\n",
            md ? "### " : "", o->rev, aa->blocks, (unsigned long long)aa->seed,
            ccb_profile_name(o->profile));
    if (md)
        fputs("| metric | noise floor | threshold needed |\n|---|---:|---:|\n", out);
    else
        fprintf(out, "%-40s  %12s  %16s\n", "metric", "noise floor", "threshold needed");
    for (size_t i = 0; i < aa->n; i++) {
        const ccb_compare_metric *m = &aa->metrics[i];
        char name[160], floor_text[32], need[32];
        snprintf(name, sizeof(name), "%s.%s", m->scenario, m->name);
        double floor = ccb_compare_noise_floor(m);
        if (m->kind == CCB_KIND_COUNT) {
            snprintf(floor_text, sizeof(floor_text), "exact");
            snprintf(need, sizeof(need), "-");
        } else if (isnan(floor)) {
            snprintf(floor_text, sizeof(floor_text), "no data");
            snprintf(need, sizeof(need), "-");
        } else {
            snprintf(floor_text, sizeof(floor_text), "±%.1f%%", floor * 100);
            /* Rounded up to the next 0.5%: a threshold to type, not a statistic. */
            snprintf(need, sizeof(need), "%.1f%%", ceil(floor * 200) / 2);
        }
        if (md)
            fprintf(out, "| `%s` | %s | %s |\n", name, floor_text, need);
        else
            fprintf(out, "%-40s  %13s  %16s\n", name, floor_text, need);
    }
}

int cmd_noise(int argc, char **argv)
{
    int status = -1; /* an exit status once done; -1: the last error's class says it */
    noise_options o;
    ccb_build_ctx ctx;
    ccb_operand op;
    ccb_compare aa;
    memset(&ctx, 0, sizeof(ctx));
    memset(&op, 0, sizeof(op));
    ccb_compare_init(&aa, 1);

    if (parse_options(argc, argv, &o) != 0) {
        ccb_error_classify(CCB_ERROR_USAGE);
        goto done;
    }
    if (ccb_paths_tempdir_check() != 0) {
        ccb_error_classify(CCB_ERROR_USAGE); /* TMPDIR is the user's to fix */
        goto done;
    }
    ccb_progress_mode mode = ccb_progress_detect(o.quiet);
    if (ccb_build_operand_classify(&op, o.rev) != 0)
        goto done;
    if (op.kind == CCB_OPERAND_FILE) {
        ccb_error_setc(CCB_ERROR_USAGE,
                       "noise: '%s' is a file; noise measures a revision or WORKTREE", o.rev);
        goto done;
    }
    if (ccb_build_ctx_open(&ctx, o.repo, mode) != 0 || ccb_build_resolve(&ctx, &op) != 0 ||
        ccb_build_ensure(&ctx, &op) != 0)
        goto done;
    if (!o.quiet)
        fprintf(stderr, "ccbench: noise: seed %llu (reproduce with --seed %llu)\n",
                (unsigned long long)o.seed, (unsigned long long)o.seed);
    int failed = 0;
    ccb_measure_outcome outcome = CCB_MEASURE_DONE;
    if (ccb_noise_measure(&op, &o.sel, o.profile, o.cpu, (unsigned int)o.blocks, o.budget_ms,
                          o.seed, mode, &aa, &failed, &outcome) != 0)
        goto done;
    if (outcome == CCB_MEASURE_INTERRUPTED) {
        ccb_error_setc(CCB_ERROR_INTERRUPTED, "interrupted: nothing was written");
        goto done;
    }
    if (ccb_noise_save(&op, &aa, ccb_profile_name(o.profile)) != 0)
        goto done;
    if (o.format == CCB_FORMAT_JSON) {
        char *path = ccb_build_noise_path(&op);
        FILE *fp = path ? fopen(path, "r") : NULL;
        int c;
        while (fp && (c = fgetc(fp)) != EOF)
            putchar(c);
        if (fp)
            fclose(fp);
        putchar('\n');
        free(path);
    } else {
        write_noise_report(stdout, &o, &aa);
    }
    if (failed) {
        ccb_error_setc(CCB_ERROR_SCENARIO,
                       "noise: a scenario had no valid sample: see the log above");
        goto done;
    }
    status = CCB_EXIT_OK;
done:
    ccb_compare_release(&aa);
    ccb_build_operand_release(&op);
    ccb_build_ctx_release(&ctx);
    return status >= 0 ? status : cmd_exit_status();
}
