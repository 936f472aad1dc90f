/*
 * printf("%.15g") for the CSV's numbers, without printf. glibc converts a double exactly,
 * with multi-precision arithmetic, which costs ~0.5 us per number (a CSV row has eleven);
 * most doubles need no such care for 15 significant digits.
 *
 * Fast path: the 15 digits are round(|v| x 10^p) for the p that puts them left of the point.
 * With 10^p exact in the x87 long double (|p| <= 27) the product is rounded once, to 64 bits,
 * so it is within 5.5e-5 of the exact product (which is below 10^15). Rounding it to an
 * integer is then the correct rounding unless its fraction is within 1e-4 of one half: those
 * values, and everything else (infinities, |p| > 27, a long double without 64 bits), go to
 * snprintf. The output is byte for byte the same (tests/test_csv.c checks it against
 * snprintf over a few hundred thousand doubles of every magnitude).
 *
 * Two conditions of printf's own are kept: the fast path runs only on x86's 64-bit long
 * double and in round-to-nearest (printf follows fesetround; so does the fallback). And the
 * decimal point is always '.': the CSV is comma-separated and CodeCarbon's, so a program that
 * set a German LC_NUMERIC must not get "0,5" split across two columns (printf would).
 */
#include <float.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define SIG_DIGITS 15
#define MAX_EXACT_POW10 27 /* 5^27 < 2^64: 10^27 is exact in a 64-bit mantissa */

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void make_c_numeric(void)
{
    c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* printf("%.15g") with the C locale's decimal point, whatever the process's locale. */
static size_t with_snprintf(double v, char *out, size_t cap)
{
    locale_t previous = (locale_t)0;
    int n;

    pthread_once(&c_numeric_once, make_c_numeric);
    if (c_numeric)
        previous = uselocale(c_numeric);
    n = snprintf(out, cap, "%.15g", v);
    if (previous)
        uselocale(previous);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

#if (defined(__x86_64__) || defined(__i386__)) && LDBL_MANT_DIG == 64
#define CCT_FAST_G15 1

/* Round to nearest in both the x87 unit (the fast path's arithmetic) and SSE (what glibc's
 * printf reads): fesetround sets both. */
static int rounding_is_nearest(void)
{
    unsigned short x87;
    __asm__ volatile("fnstcw %0" : "=m"(x87));
#if defined(__SSE__)
    unsigned int mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    if ((mxcsr >> 13) & 3u)
        return 0;
#endif
    return ((x87 >> 10) & 3u) == 0;
}

static const long double pow10_exact[MAX_EXACT_POW10 + 1] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* round(a x 10^(SIG_DIGITS-1-e)) when it is certain; 0 when it is not (or out of range). */
static uint64_t scaled_digits(double a, int e)
{
    int p = SIG_DIGITS - 1 - e;
    long double x;
    uint64_t n;

    if (p > MAX_EXACT_POW10 || p < -MAX_EXACT_POW10)
        return 0;
    x = p >= 0 ? (long double)a * pow10_exact[p] : (long double)a / pow10_exact[-p];
    n = (uint64_t)x;
    long double frac = x - (long double)n;
    if (frac > 0.4999L && frac < 0.5001L)
        return 0;
    return frac > 0.5L ? n + 1 : n;
}

/* The decimal exponent of a (> 0): 10^e <= a < 10^(e+1), up to one either way (fixed by the
 * caller from the digits it gets). From the binary exponent: log10(2) ~ 0.30103. */
static int decimal_exponent_estimate(double a)
{
    uint64_t bits;
    int binary;

    memcpy(&bits, &a, sizeof(bits));
    binary = (int)((bits >> 52) & 0x7ff) - 1023; /* subnormals never get here (|p| > 27) */
    return binary >= 0 ? (binary * 30103) / 100000 : -((-binary * 30103 + 99999) / 100000);
}

static size_t format_digits(int negative, uint64_t n, int e, char *out)
{
    char d[SIG_DIGITS];
    char *o = out;
    int last; /* index of the last non-zero digit */

    for (int i = SIG_DIGITS - 1; i >= 0; i--) {
        d[i] = (char)('0' + n % 10);
        n /= 10;
    }
    for (last = SIG_DIGITS - 1; last > 0 && d[last] == '0'; last--)
        ;
    if (negative)
        *o++ = '-';
    if (e >= -4 && e < SIG_DIGITS) { /* %g's fixed notation */
        if (e >= 0) {
            memcpy(o, d, (size_t)e + 1);
            o += e + 1;
            if (last > e) {
                *o++ = '.';
                memcpy(o, d + e + 1, (size_t)(last - e));
                o += last - e;
            }
        } else {
            *o++ = '0';
            *o++ = '.';
            for (int z = 0; z < -e - 1; z++)
                *o++ = '0';
            memcpy(o, d, (size_t)last + 1);
            o += last + 1;
        }
    } else { /* %g's scientific notation: d.ddd, then e, sign, at least two digits */
        int x = e < 0 ? -e : e;
        *o++ = d[0];
        if (last > 0) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)last);
            o += last;
        }
        *o++ = 'e';
        *o++ = e < 0 ? '-' : '+';
        if (x >= 100)
            *o++ = (char)('0' + x / 100);
        *o++ = (char)('0' + x / 10 % 10);
        *o++ = (char)('0' + x % 10);
    }
    *o = '\0';
    return (size_t)(o - out);
}
#endif

size_t cct_fmt__g15(double v, char *out, size_t cap)
{
#ifdef CCT_FAST_G15
    const uint64_t low = 100000000000000ULL, high = 1000000000000000ULL; /* 10^14, 10^15 */
    int negative = v < 0;
    double a = negative ? -v : v;

    /* zero, NaN, infinities, another rounding mode */
    if (cap < 32 || !(a > 0) || a > DBL_MAX || !rounding_is_nearest())
        return with_snprintf(v, out, cap);
    int e = decimal_exponent_estimate(a);
    for (int tries = 0; tries < 4; tries++) {
        uint64_t n = scaled_digits(a, e);
        if (n == 0)
            break;
        if (n > high) {
            e++;
        } else if (n < low) {
            e--;
        } else if (n == high) {
            /* Rounded up to the next power of ten: printf says 1.00000000000000 x 10^(e+1),
             * whichever side of 10^(e+1) a was on (it is within 5e-16 of it). */
            return format_digits(negative, low, e + 1, out);
        } else {
            return format_digits(negative, n, e, out);
        }
    }
#endif
    return with_snprintf(v, out, cap);
}
