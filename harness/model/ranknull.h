/*
 * What the signed-rank (signrank.c) and rank-sum (ranksum.c) tests share once their
 * statistic is counted: a null distribution over 0 .. total, symmetric about total / 2,
 * exact from a table or normal with continuity correction, and the inference from it: the
 * two-sided p, the smallest p reachable, and the interval cut at the k-th smallest and k-th
 * largest of the sorted Walsh averages or differences. Internal to model/.
 */
#ifndef CCB_RANKNULL_H
#define CCB_RANKNULL_H

#include <stddef.h>

typedef struct ccb_rank_null {
    double total;        /* the statistic ranges over 0 .. total */
    const double *table; /* exact: table[w] = P(S <= w); NULL: normal with sd below */
    double sd;
} ccb_rank_null;

typedef struct ccb_rank_inference {
    double estimate; /* Hodges-Lehmann: the median of the values */
    double p, min_p;
    double ci_low, ci_high; /* NAN when no rank reaches the level */
    double confidence;      /* the interval's exact coverage; 0 when none */
} ccb_rank_inference;

/* P(S <= w) under the null. */
double ccb_ranknull_cdf(const ccb_rank_null *z, double w);

/* From the observed STATISTIC and the VALUES it counts (Walsh averages or differences; KEPT
 * of them, every STRIDE-th of all `total`; sorted here, in place): the estimate and the
 * inference at confidence LEVEL. */
void ccb_ranknull_infer(const ccb_rank_null *z, double statistic, double level, double *values,
                        size_t kept, size_t stride, ccb_rank_inference *out);

/* Hands INF to a test's result struct OUT (ccb_signrank, ccb_ranksum), whose fields carry the
 * same names: one copy for both tests, whatever their other fields. */
#define CCB_RANKNULL_STORE(out, inf)                                                               \
    ((out)->estimate = (inf).estimate, (out)->p = (inf).p, (out)->min_p = (inf).min_p,             \
     (out)->ci_low = (inf).ci_low, (out)->ci_high = (inf).ci_high,                                 \
     (out)->confidence = (inf).confidence)

#endif
