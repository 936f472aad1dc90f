/*
 * A fixed-size, log-bucketed latency histogram (HdrHistogram's idea, reduced): 128 linear
 * sub-buckets per power of two give < 0.8% relative resolution from 1 ns to ~39 hours in 42 KiB,
 * so a worker thread records every lifecycle without allocating or sharing anything, and the
 * main thread merges the workers' histograms afterwards.
 */
#ifndef CCB_HISTOGRAM_H
#define CCB_HISTOGRAM_H

#include <stdint.h>

#define CCB_HIST_SUB_BITS 7
#define CCB_HIST_SUB (1u << CCB_HIST_SUB_BITS)
/* Values below 2^CCB_HIST_SUB_BITS are exact; each further power of two up to 2^47 ns gets
 * CCB_HIST_SUB buckets; larger values land in the last bucket. */
#define CCB_HIST_BUCKETS ((47 - CCB_HIST_SUB_BITS + 1) * CCB_HIST_SUB)

typedef struct ccb_histogram {
    uint64_t count;
    uint64_t buckets[CCB_HIST_BUCKETS];
} ccb_histogram;

/** Zero a histogram. */
void ccb_hist_init(ccb_histogram *h);
/** Record one value (ns). O(1), no allocation. */
void ccb_hist_record(ccb_histogram *h, uint64_t value_ns);
/** Add `src`'s counts to `dst`. */
void ccb_hist_merge(ccb_histogram *dst, const ccb_histogram *src);
/**
 * The nearest-rank `p`-quantile (0 < p <= 1), as the midpoint of its bucket (exact below
 * 128 ns, else within 0.4%). 0 for an empty histogram.
 */
double ccb_hist_quantile(const ccb_histogram *h, double p);

#endif
