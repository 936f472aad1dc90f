/*
 * The log-bucketed histogram of histogram.h. Bucket of v >= 128: its power of two e (the
 * position of the top bit) and the next 7 bits below the top bit (the sub-bucket); so every
 * bucket spans 1/128 of its power of two.
 */
#include "histogram.h"

#include <string.h>

static unsigned int bucket_of(uint64_t v)
{
    unsigned int e, index;

    if (v < CCB_HIST_SUB)
        return (unsigned int)v;
    e = 63u - (unsigned int)__builtin_clzll(v); /* >= CCB_HIST_SUB_BITS */
    index = (e - CCB_HIST_SUB_BITS + 1) * CCB_HIST_SUB +
            (unsigned int)((v >> (e - CCB_HIST_SUB_BITS)) & (CCB_HIST_SUB - 1));
    return index < CCB_HIST_BUCKETS ? index : CCB_HIST_BUCKETS - 1;
}

/* The midpoint of a bucket: half its width above its lowest value. */
static double bucket_mid(unsigned int index)
{
    unsigned int group = index / CCB_HIST_SUB, sub = index % CCB_HIST_SUB;
    double width, low;

    if (group == 0)
        return (double)index;
    width = (double)(1ULL << (group - 1)); /* group <= 57: exact */
    low = (double)(CCB_HIST_SUB + sub) * width;
    return low + (width - 1.0) / 2.0;
}

void ccb_hist_init(ccb_histogram *h)
{
    memset(h, 0, sizeof *h);
}

void ccb_hist_record(ccb_histogram *h, uint64_t value_ns)
{
    h->buckets[bucket_of(value_ns)]++;
    h->count++;
}

void ccb_hist_merge(ccb_histogram *dst, const ccb_histogram *src)
{
    for (unsigned int i = 0; i < CCB_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
}

double ccb_hist_quantile(const ccb_histogram *h, double p)
{
    uint64_t rank, seen = 0;

    if (h->count == 0)
        return 0.0;
    /* ceil(p x count) without libm: the runner, whose process cold_init measures, maps
     * nothing the tracker does not need. */
    double want = p * (double)h->count;
    if (want >= (double)h->count) {
        rank = h->count;
    } else {
        rank = want > 0 ? (uint64_t)want : 0;
        if ((double)rank < want)
            rank++;
    }
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    for (unsigned int i = 0; i < CCB_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank)
            return bucket_mid(i);
    }
    return bucket_mid(CCB_HIST_BUCKETS - 1);
}
