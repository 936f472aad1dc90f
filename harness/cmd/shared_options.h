/*
 * Option entries several commands declare alike (options.h): one text each, so that --cpu
 * or --repo cannot mean two things in two helps. TYPE is the command's options struct, which
 * holds the member the entry names.
 */
#ifndef CCB_SHARED_OPTIONS_H
#define CCB_SHARED_OPTIONS_H

#include <limits.h>
#include <stddef.h>

#include "options.h"

#define CCB_OPTION_CPU(type)                                                                       \
    {                                                                                              \
        CCB_OPT_CPU, "cpu", .offset = offsetof(type, cpu), .arg = "N",                             \
                            .help = "pin every measured process to CPU N"                          \
    }

#define CCB_OPTION_REPO(type)                                                                      \
    {                                                                                              \
        CCB_OPT_STRING, "repo", .offset = offsetof(type, repo), .arg = "PATH",                     \
                                .help = "the git repository (default: found upward from the cwd)"  \
    }

#define CCB_OPTION_QUIET(type)                                                                     \
    {                                                                                              \
        CCB_OPT_FLAG, "quiet", 'q', .offset = offsetof(type, quiet),                               \
                                    .help = "no progress on stderr"                                \
    }

/* --seed into `seed` (uint64_t), `seed_given` set when given. */
#define CCB_OPTION_SEED(type, text)                                                                \
    {                                                                                              \
        CCB_OPT_U64, "seed", .offset = offsetof(type, seed),                                       \
                             .given = CCB_OPT_GIVEN(type, seed_given), .lo = 0, .hi = ULONG_MAX,   \
                             .arg = "N", .help = text                                              \
    }

#endif
