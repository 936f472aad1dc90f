/*
 * `ccbench noise [REV]`: how large a change noise alone produces on this machine. One build
 * measured against itself in ABBA blocks; per metric the widest bound of the ratio's CI is
 * the noise floor (±X%), which is also the smallest threshold a compare could trust. The
 * floors are kept beside the build (noise.json) for compare's warnings.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
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

static const struct option longopts[] = {
    {"scenario", required_argument, NULL, 's'},
    {"profile", required_argument, NULL, 'p'},
    {"blocks", required_argument, NULL, 'b'},
    {"seed", required_argument, NULL, 'S'},
    {"cpu", required_argument, NULL, 'c'},
    {"repo", required_argument, NULL, 'r'},
    {"format", required_argument, NULL, 'f'},
    {"quiet", no_argument, NULL, 'q'},
    {NULL, 0, NULL, 0},
};

static int parse_options(int argc, char **argv, noise_options *o)
{
    memset(o, 0, sizeof(*o));
    o->profile = CCB_PROFILE_DEFAULT;
    o->cpu = -1;
    opterr = 0;
    optind = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":q", longopts, NULL);
        if (opt == -1)
            break;
        unsigned long v = 0;
        int profile;
        switch (opt) {
        case 's':
            if (ccb_selection_add(&o->sel, "noise", optarg) != 0)
                return -1;
            break;
        case 'p':
            if (ccb_cli_parse_profile("noise: --profile", optarg, &profile) != 0)
                return -1;
            o->profile = (ccb_profile)profile;
            break;
        case 'b':
            if (ccb_cli_parse_uint("noise: --blocks", optarg, 2, 10000, &o->blocks) != 0)
                return -1;
            break;
        case 'S':
            if (ccb_cli_parse_uint("noise: --seed", optarg, 0, ULONG_MAX, &v) != 0)
                return -1;
            o->seed = v;
            o->seed_given = 1;
            break;
        case 'c':
            if (ccb_cli_parse_cpu("noise: --cpu", optarg, &o->cpu) != 0)
                return -1;
            break;
        case 'r':
            o->repo = optarg;
            break;
        case 'f':
            if (ccb_cli_parse_format("noise: --format", optarg, &o->format) != 0)
                return -1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        default:
            return ccb_cli_option_error("noise", opt, argv[optind - 1], longopts);
        }
    }
    if (optind < argc)
        o->rev = argv[optind++];
    if (optind < argc)
        return ccb_error_set("noise: unexpected argument '%s'. Usage: ccbench noise [REV]",
                             argv[optind]);
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
    int status = CCB_EXIT_USAGE;
    noise_options o;
    ccb_build_ctx ctx;
    ccb_operand op;
    ccb_compare aa;
    memset(&ctx, 0, sizeof(ctx));
    memset(&op, 0, sizeof(op));
    ccb_compare_init(&aa, 1);

    if (parse_options(argc, argv, &o) != 0)
        goto done;
    if (ccb_paths_tempdir_check() != 0)
        goto done;
    ccb_progress_mode mode = ccb_progress_detect(o.quiet);
    if (ccb_operand_classify(&op, o.rev) != 0) {
        status = cmd_exit_status();
        goto done;
    }
    if (op.kind == CCB_OPERAND_FILE) {
        ccb_error_set("noise: '%s' is a file; noise measures a revision or WORKTREE", o.rev);
        status = CCB_EXIT_USAGE;
        goto done;
    }
    if (ccb_build_ctx_open(&ctx, o.repo, mode) != 0 || ccb_build_resolve(&ctx, &op) != 0 ||
        ccb_build_ensure(&ctx, &op) != 0) {
        status = cmd_exit_status();
        goto done;
    }
    if (!o.quiet)
        fprintf(stderr, "ccbench: noise: seed %llu (reproduce with --seed %llu)\n",
                (unsigned long long)o.seed, (unsigned long long)o.seed);
    status = CCB_EXIT_FAILURE;
    int failed = 0;
    ccb_measure_outcome outcome = CCB_MEASURE_DONE;
    if (ccb_noise_measure(&op, &o.sel, o.profile, o.cpu, (unsigned int)o.blocks, o.budget_ms,
                          o.seed, mode, &aa, &failed, &outcome) != 0)
        goto done;
    if (outcome == CCB_MEASURE_INTERRUPTED) {
        ccb_error_set("interrupted: nothing was written");
        status = CCB_EXIT_INTERRUPTED;
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
        ccb_error_set("noise: a scenario had no valid sample: see the log above");
        goto done;
    }
    status = CCB_EXIT_OK;
done:
    ccb_compare_release(&aa);
    ccb_operand_release(&op);
    ccb_build_ctx_release(&ctx);
    return status;
}
