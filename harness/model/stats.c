/*
 * Statistics behind `ccbench run` and `ccbench compare` (DESIGN.md "Statistics"): summaries,
 * bootstrap CIs of medians, ratios with their CIs, Mann-Whitney U, Holm and the verdict rules.
 * Everything is a pure function of its arguments and a caller-given seed, so a result file
 * always reproduces the same numbers.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Above this many cross pairs the Hodges-Lehmann estimate uses a random subsample of this
 * size: 250,000 doubles (2 MB) and one O(n) selection, instead of nb * nc of each. */
#define CCB_HL_MAX_PAIRS 250000u

/* ------------------------------------------------------------------------------------------ */
/* RNG: xoshiro256** (Blackman & Vigna), state filled by splitmix64 as its authors advise, so
 * any 64-bit seed, including 0, gives a well-mixed non-zero state. */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

void ccb_stats_rng_seed(ccb_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t ccb_stats_rng_next(ccb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* Full 64x64 -> 128-bit product. The portable branch gives bit-identical results, so the
 * bootstrap draws (and therefore every published CI) do not depend on the compiler. */
static uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 m = (unsigned __int128)a * b;
    *lo = (uint64_t)m;
    return (uint64_t)(m >> 64);
#else
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    *lo = (mid << 32) | (ll & 0xffffffffu);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

/* Lemire's multiply-and-reject ("Fast random integer generation in an interval", 2019):
 * unbiased like modulo-with-rejection, but the division only runs on the rare draw that
 * might be biased. The bootstrap makes ~20M of these calls for 10,000 samples. */
size_t ccb_stats_rng_below(ccb_rng *r, size_t bound)
{
    uint64_t b = (uint64_t)bound;
    if (b <= 1)
        return 0;
    uint64_t lo;
    uint64_t hi = mul_64x64(ccb_stats_rng_next(r), b, &lo);
    if (lo < b) {
        uint64_t threshold = (0 - b) % b; /* 2^64 mod b: the size of the biased zone */
        while (lo < threshold)
            hi = mul_64x64(ccb_stats_rng_next(r), b, &lo);
    }
    return (size_t)hi;
}

/* ------------------------------------------------------------------------------------------ */
/* Order statistics. */

/* A total order (NaN last) so qsort never sees an inconsistent comparator. */
static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

/* Hoare/Wirth selection: moves the k-th smallest to a[k] with a[0..k) <= a[k] <= a(k..n).
 * Median-of-three pivot; equal keys are swapped across the pivot so runs of ties (common
 * in bootstrap resamples and quantised timings) split evenly instead of going quadratic. */
static double select_kth(double *a, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        double x = a[lo], y = a[mid], z = a[hi], pivot;
        if (x < y)
            pivot = y < z ? y : (x < z ? z : x);
        else
            pivot = x < z ? x : (y < z ? z : y);
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (pivot < a[j])
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            break; /* a(j..i) all equal the pivot, a[k] among them */
    }
    return a[k];
}

/* Median of a scratch array it may reorder; n > 0. O(n) expected. */
static double median_inplace(double *a, size_t n)
{
    size_t k = n / 2;
    double upper = select_kth(a, n, k);
    if (n % 2)
        return upper;
    /* select_kth left the lower half in a[0..k): its maximum is the other middle value. */
    double lower = a[0];
    for (size_t i = 1; i < k; i++)
        if (a[i] > lower)
            lower = a[i];
    return (lower + upper) / 2;
}

/* Median of an already sorted array; n > 0. */
static double median_sorted(const double *s, size_t n)
{
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Returns NAN when the scratch copy cannot be allocated (the signature has no error code). */
double ccb_stats_median(const double *x, size_t n)
{
    if (n == 0)
        return 0.0;
    double *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return NAN;
    memcpy(tmp, x, n * sizeof *tmp);
    double m = median_inplace(tmp, n);
    free(tmp);
    return m;
}

/* numpy.percentile(method="linear"): virtual index (n-1)*q, then numpy's _lerp, which
 * interpolates from the nearer end so p = 100 returns the maximum exactly. Mirroring numpy
 * operation for operation lets results be checked against it to the last bit. */
double ccb_stats_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    if (!(p > 0)) /* also NaN */
        p = 0;
    if (p > 100)
        p = 100;
    double h = (double)(n - 1) * (p / 100.0);
    double fl = floor(h);
    size_t i = (size_t)fl;
    if (i >= n - 1)
        return sorted[n - 1];
    double t = h - fl, a = sorted[i], b = sorted[i + 1], diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* ------------------------------------------------------------------------------------------ */
/* Bootstrap. */

/* Median of one resample (with replacement) of x[0..n) into scratch[0..n). */
static double resample_median(const double *x, size_t n, ccb_rng *rng, double *scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = x[ccb_stats_rng_below(rng, n)];
    return median_inplace(scratch, n);
}

/* Percentile CI (2.5 %, 97.5 %) from the bootstrap replicates; sorts them. */
static void percentile_ci(double *reps, size_t nreps, double *low, double *high)
{
    qsort(reps, nreps, sizeof *reps, cmp_double);
    *low = ccb_stats_percentile(reps, nreps, 2.5);
    *high = ccb_stats_percentile(reps, nreps, 97.5);
}

/* 95% percentile-bootstrap CI of the median of x[0..n), n > 0. One O(n) selection per
 * resample rather than a sort: 10,000 samples x 2000 resamples is ~0.2 s, not seconds. */
static int bootstrap_median_ci(const double *x, size_t n, ccb_rng *rng, double *low, double *high)
{
    int rc = -1;
    double *scratch = malloc(n * sizeof *scratch);
    double *reps = malloc(CCB_BOOTSTRAP_RESAMPLES * sizeof *reps);
    if (!scratch || !reps)
        goto done;
    for (size_t b = 0; b < CCB_BOOTSTRAP_RESAMPLES; b++)
        reps[b] = resample_median(x, n, rng, scratch);
    percentile_ci(reps, CCB_BOOTSTRAP_RESAMPLES, low, high);
    rc = 0;
done:
    free(scratch);
    free(reps);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Summary. */

/* P(Binomial(n, 1/2) = j) in logs, so n in the thousands does not underflow 2^-n. */
static double binom_half_pmf(size_t n, size_t j)
{
    return exp(lgamma((double)n + 1) - lgamma((double)j + 1) - lgamma((double)(n - j) + 1) -
               (double)n * log(2.0));
}

size_t ccb_stats_median_ci_rank(size_t n, double level, double *coverage)
{
    double tail = (1 - level) / 2, cum = 0;
    size_t k = 0;
    if (coverage)
        *coverage = 0;
    /* cum = P(B <= j); rank j + 1 is allowed while that stays within the tail. */
    for (size_t j = 0; j < (n + 1) / 2; j++) {
        cum += binom_half_pmf(n, j);
        if (cum > tail)
            break;
        k = j + 1;
        if (coverage)
            *coverage = 1 - 2 * cum;
    }
    return k;
}

int ccb_stats_summarize(const double *x, size_t n, uint64_t seed, ccb_summary *out)
{
    int rc = -1;
    double *sorted = NULL, *dev = NULL;
    memset(out, 0, sizeof *out);
    if (n == 0)
        return 0;

    sorted = malloc(n * sizeof *sorted);
    dev = malloc(n * sizeof *dev);
    if (!sorted || !dev)
        goto done;
    memcpy(sorted, x, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);

    out->n = n;
    out->min = sorted[0];
    out->max = sorted[n - 1];
    out->median = median_sorted(sorted, n);
    out->p95 = ccb_stats_percentile(sorted, n, 95);
    out->p99 = ccb_stats_percentile(sorted, n, 99);

    /* Two passes: the one-pass sum-of-squares formula cancels catastrophically for
     * nanosecond timings with a small spread around a large mean. */
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    out->mean = sum / (double)n;
    if (n > 1) {
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += (x[i] - out->mean) * (x[i] - out->mean);
        out->stddev = sqrt(ss / (double)(n - 1));
    }

    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(x[i] - out->median);
    out->mad = median_inplace(dev, n);
    /* With MAD = 0 (more than half the samples identical) any other value would count as an
     * outlier, which says nothing useful; report none instead. */
    if (out->mad > 0)
        for (size_t i = 0; i < n; i++)
            if (fabs(x[i] - out->median) > 5 * out->mad)
                out->outliers++;

    /* Distribution-free and exact: no resampling, so no seed and no cost that grows with
     * resamples (a 266,000-sample metric took seconds to bootstrap). */
    (void)seed;
    size_t k = ccb_stats_median_ci_rank(n, 0.95, NULL);
    out->ci95_low = k ? sorted[k - 1] : NAN;
    out->ci95_high = k ? sorted[n - k] : NAN;
    rc = 0;
done:
    free(sorted);
    free(dev);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Ratios. Both work on logs: a ratio is symmetric there (x2 and /2 are equally far from 0)
 * and exp(median(log)) = median ratio, so the estimate does not depend on which side is the
 * numerator. With nothing usable, ratio and CI are NaN and n_used is 0: every verdict rule
 * then fails, giving "unchanged", and callers can tell "no data" apart by n_used. */

static int usable(double v)
{
    return v > 0 && isfinite(v);
}

static void ratio_no_data(ccb_ratio *out)
{
    out->ratio = out->ci_low = out->ci_high = NAN;
}

/* Paired: median of log(c/b) over pairs; CI by resampling whole pairs, which keeps the
 * block structure (both members of a pair saw the same machine state). */
int ccb_stats_ratio_paired(const double *base, const double *cand, size_t n, uint64_t seed,
                           ccb_ratio *out)
{
    int rc = -1;
    double *d = NULL, *scratch = NULL;
    memset(out, 0, sizeof *out);
    if (n == 0) {
        ratio_no_data(out);
        return 0;
    }

    d = malloc(n * sizeof *d);
    scratch = malloc(n * sizeof *scratch);
    if (!d || !scratch)
        goto done;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (usable(base[i]) && usable(cand[i]))
            d[m++] = log(cand[i]) - log(base[i]);
    out->n_used = m;
    out->skipped = n - m;
    if (m == 0) {
        ratio_no_data(out);
        rc = 0;
        goto done;
    }

    memcpy(scratch, d, m * sizeof *scratch);
    out->ratio = exp(median_inplace(scratch, m));

    ccb_rng rng;
    ccb_stats_rng_seed(&rng, seed);
    double lo, hi;
    if (bootstrap_median_ci(d, m, &rng, &lo, &hi) < 0)
        goto done;
    out->ci_low = exp(lo);
    out->ci_high = exp(hi);
    rc = 0;
done:
    free(d);
    free(scratch);
    return rc;
}

/* Unpaired (two result files): the point estimate is Hodges-Lehmann on logs, the median of
 * all nb*nc differences log c_j - log b_i, which uses every cross pair and is steadier than
 * a difference of medians. Above CCB_HL_MAX_PAIRS pairs it is the median of that many pairs
 * drawn with the seeded rng (deterministic; its sampling error, ~1/sqrt(250k) of the spread,
 * is far inside the CI).
 *
 * The CI resamples each side independently, but per resample it takes the difference of the
 * two medians of logs, not a fresh Hodges-Lehmann: that costs O(nb + nc) per resample
 * instead of O(nb * nc), i.e. 2000 x 250,000 element selections. The two estimators target
 * the same shift, so the CI brackets the point estimate in practice, but it is the CI of the
 * difference of medians and may be slightly off-centre from the HL ratio. */
int ccb_stats_ratio_unpaired(const double *base, size_t nb, const double *cand, size_t nc,
                             uint64_t seed, ccb_ratio *out)
{
    int rc = -1;
    double *lb = NULL, *lc = NULL, *diffs = NULL;
    memset(out, 0, sizeof *out);

    lb = malloc((nb ? nb : 1) * sizeof *lb);
    lc = malloc((nc ? nc : 1) * sizeof *lc);
    if (!lb || !lc)
        goto done;
    size_t mb = 0, mc = 0;
    for (size_t i = 0; i < nb; i++)
        if (usable(base[i]))
            lb[mb++] = log(base[i]);
    for (size_t j = 0; j < nc; j++)
        if (usable(cand[j]))
            lc[mc++] = log(cand[j]);
    /* Values, not pairs: the two sides have no pairing to count. */
    out->n_used = mb + mc;
    out->skipped = (nb - mb) + (nc - mc);
    if (mb == 0 || mc == 0) {
        ratio_no_data(out);
        rc = 0;
        goto done;
    }

    ccb_rng rng;
    ccb_stats_rng_seed(&rng, seed);

    int subsample = mc > CCB_HL_MAX_PAIRS / mb;
    size_t npairs = subsample ? CCB_HL_MAX_PAIRS : mb * mc;
    diffs = malloc(npairs * sizeof *diffs);
    if (!diffs)
        goto done;
    if (subsample) {
        for (size_t k = 0; k < npairs; k++) {
            size_t i = ccb_stats_rng_below(&rng, mb);
            size_t j = ccb_stats_rng_below(&rng, mc);
            diffs[k] = lc[j] - lb[i];
        }
    } else {
        size_t k = 0;
        for (size_t i = 0; i < mb; i++)
            for (size_t j = 0; j < mc; j++)
                diffs[k++] = lc[j] - lb[i];
    }
    /* Moses' distribution-free CI, the companion of the Hodges-Lehmann estimate: the
     * differences ranked k from either end, with k from the normal approximation of the
     * Mann-Whitney U distribution (k = N/2 - z * sqrt(nm(n+m+1)/12)). The interval belongs to
     * the same statistic as the point estimate, so the estimate always lies inside it; on a
     * subsample the ranks are scaled to the subsample. */
    qsort(diffs, npairs, sizeof *diffs, cmp_double);
    out->ratio =
        exp(npairs % 2 ? diffs[npairs / 2] : 0.5 * (diffs[npairs / 2 - 1] + diffs[npairs / 2]));
    double nm = (double)mb * (double)mc;
    double ca = nm / 2 - 1.959963984540054 * sqrt(nm * ((double)mb + (double)mc + 1) / 12);
    size_t k = ca > 0 ? (size_t)floor(ca / nm * (double)npairs) : 0;
    if (k > (npairs - 1) / 2)
        k = (npairs - 1) / 2;
    out->ci_low = exp(diffs[k]);
    out->ci_high = exp(diffs[npairs - 1 - k]);
    rc = 0;
done:
    free(lb);
    free(lc);
    free(diffs);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Mann-Whitney U, as scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True,
 * alternative="two-sided"): U = max(U1, U2), z = (U - na*nb/2 - 0.5) / sigma with the tie
 * corrected sigma, p = 2 * P(Z > z), clipped to [0, 1]. */

typedef struct tagged {
    double v;
    int from_a;
} tagged;

static int cmp_tagged(const void *pa, const void *pb)
{
    return cmp_double(&((const tagged *)pa)->v, &((const tagged *)pb)->v);
}

/* Returns NAN on allocation failure (the signature has no error code); *u_out is then 0. */
double ccb_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u_out)
{
    double p = 1.0;
    tagged *all = NULL;
    if (u_out)
        *u_out = 0;
    if (na == 0 || nb == 0)
        return 1.0;

    size_t n = na + nb;
    all = malloc(n * sizeof *all);
    if (!all) {
        p = NAN;
        goto done;
    }
    for (size_t i = 0; i < na; i++)
        all[i] = (tagged){a[i], 1};
    for (size_t j = 0; j < nb; j++)
        all[na + j] = (tagged){b[j], 0};
    qsort(all, n, sizeof *all, cmp_tagged);

    /* Midranks over each run of ties; tie_term = sum(t^3 - t) over the runs. */
    double rank_sum_a = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && cmp_double(&all[j].v, &all[i].v) == 0)
            j++;
        double t = (double)(j - i);
        double midrank = (double)(i + 1 + j) / 2; /* mean of ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (all[k].from_a)
                rank_sum_a += midrank;
        tie_term += t * t * t - t;
        i = j;
    }

    double fa = (double)na, fb = (double)nb, fn = (double)n;
    double u1 = rank_sum_a - fa * (fa + 1) / 2;
    if (u_out)
        *u_out = u1;
    /* One run holding everything: no ordering information, and sigma would be 0. */
    if (tie_term == fn * fn * fn - fn)
        goto done;
    double u = fmax(u1, fa * fb - u1);
    double sigma = sqrt(fa * fb / 12 * ((fn + 1) - tie_term / (fn * (fn - 1))));
    if (!(sigma > 0))
        goto done;
    double z = (u - fa * fb / 2 - 0.5) / sigma;
    p = erfc(z / sqrt(2.0)); /* = 2 * (1 - Phi(z)) */
    if (p > 1)
        p = 1;
    if (p < 0)
        p = 0;
done:
    free(all);
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Holm. O(m^2) in the number of p-values: m is the metric count of one compare (tens), and
 * ranking by counting keeps the function allocation-free, which its void signature needs.
 * NaN p-values are taken as 1. `adjusted` must not alias `p`. */

static double clean_p(double p)
{
    return p >= 0 && p <= 1 ? p : (p < 0 ? 0 : 1);
}

/* Whether p[k] comes before p[i] in the stable ascending order (ties broken by index). */
static int holm_before(const double *p, size_t k, size_t i)
{
    double pk = clean_p(p[k]), pi = clean_p(p[i]);
    return pk < pi || (pk == pi && k < i);
}

void ccb_stats_holm(const double *p, size_t n, double *adjusted)
{
    /* First pass: each p's own step, min(1, (m - rank) * p). */
    for (size_t i = 0; i < n; i++) {
        size_t rank = 0;
        for (size_t k = 0; k < n; k++)
            rank += (size_t)holm_before(p, k, i);
        double step = (double)(n - rank) * clean_p(p[i]);
        adjusted[i] = step < 1 ? step : 1;
    }
    /* Second pass: the running maximum over the steps of all smaller p, which makes the
     * procedure step-down (nothing is rejected after a non-rejection). An entry already
     * updated holds a maximum over an even smaller prefix, so the order of updates is moot. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++)
            if (holm_before(p, k, i) && adjusted[k] > adjusted[i])
                adjusted[i] = adjusted[k];
}

/* ------------------------------------------------------------------------------------------ */
/* Verdicts (DESIGN.md "Statistics"). */

ccb_verdict ccb_stats_verdict(const ccb_ratio *r, double holm_p, double threshold,
                              int higher_is_better)
{
    if (!r)
        return CCB_VERDICT_UNCHANGED;
    double ratio = r->ratio, lo = r->ci_low, hi = r->ci_high;
    /* Mirror by looking at the inverse ratio, so "above 1" always means worse. */
    if (higher_is_better) {
        if (!(ratio > 0 && lo > 0 && hi > 0))
            return CCB_VERDICT_UNCHANGED;
        ratio = 1 / ratio;
        double inv_lo = 1 / hi;
        hi = 1 / lo;
        lo = inv_lo;
    }
    double t = threshold, up = 1 + t, down = 1 - t;
    /* NaN anywhere (no data) fails every comparison below and ends as unchanged. */
    if (lo > 1 && ratio > up && holm_p < CCB_VERDICT_ALPHA)
        return CCB_VERDICT_REGRESSED;
    if (hi < 1 && ratio < down && holm_p < CCB_VERDICT_ALPHA)
        return CCB_VERDICT_IMPROVED;
    int straddles = (lo < up && up < hi) || (lo < down && down < hi);
    if (straddles && hi - lo > 2 * t)
        return CCB_VERDICT_INCONCLUSIVE;
    /* The CI and the ratio say "changed" but the rank test is not significant: the two
     * disagree, so more data is needed. Calling it unchanged would hide real 20-45%
     * slowdowns (measured on this project), and it still never fails the gate. */
    if ((lo > 1 && ratio > up) || (hi < 1 && ratio < down))
        return CCB_VERDICT_INCONCLUSIVE;
    return CCB_VERDICT_UNCHANGED;
}

const char *ccb_stats_verdict_name(ccb_verdict v)
{
    switch (v) {
    case CCB_VERDICT_UNCHANGED:
        return "unchanged";
    case CCB_VERDICT_IMPROVED:
        return "improved";
    case CCB_VERDICT_REGRESSED:
        return "regressed";
    case CCB_VERDICT_INCONCLUSIVE:
        return "inconclusive";
    case CCB_VERDICT_BELOW_NOISE:
        return "below_noise";
    }
    return "unknown";
}

/* The CI half-width shrinks as 1/sqrt(n), so reaching half-width `target` from `w` takes
 * n_now * (w / target)^2 pairs. Widths are taken in log space, where the CI of a ratio is
 * symmetric. The product is trimmed by a relative 1e-9 before ceil(): a width exactly k
 * times the target must not ask for one extra block because of a rounding bit. */
size_t ccb_stats_more_blocks_needed(const ccb_ratio *r, size_t n_now, double threshold)
{
    if (!r || n_now == 0 || !(threshold > 0) || !(r->ci_low > 0) || !(r->ci_high > 0))
        return 0;
    double w = (log(r->ci_high) - log(r->ci_low)) / 2;
    double target = log1p(threshold);
    if (!isfinite(w) || !(w > target))
        return 0;
    double q = w / target;
    double needed = ceil((double)n_now * q * q * (1 - 1e-9));
    if (!(needed < (double)SIZE_MAX / 2)) /* also catches inf */
        return SIZE_MAX / 2;
    size_t n_needed = (size_t)needed;
    return n_needed > n_now ? n_needed - n_now : 0;
}
