/*
 * UUID v4 run ids without a system call per id: a per-thread xorshift generator seeded
 * from the process seed (getrandom once, at hardware detection) and a thread counter; and
 * the check of a UUID given in the config (experiment_id), as CodeCarbon's server checks it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static _Atomic uint64_t thread_counter;
static _Thread_local uint64_t rng_state;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A forked child inherits the forking thread's generator and the thread counter: without a
 * reseed (with its own pid mixed in), the parent and every child would hand out the same ids. */
static void reseed_in_child(void)
{
    rng_state = 0;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, reseed_in_child);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cct_uuid__v4(uint64_t process_seed, char out[37])
{
    uint64_t hi, lo;

    pthread_once(&atfork_once, register_atfork);
    if (rng_state == 0) {
        uint64_t mix =
            process_seed ^ (atomic_fetch_add(&thread_counter, 1) + 1) * 0xd1342543de82ef95ULL;
        mix ^= (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL; /* once per thread, not per id */
        rng_state = mix ? mix : 1;
    }
    hi = splitmix64(&rng_state);
    lo = splitmix64(&rng_state);
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; /* version 4 */
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant 10 */
    /* Hand-formatted: snprintf would cost more than the rest of start() together. */
    static const char hex[] = "0123456789abcdef";
    int pos = 0;
    for (int i = 0; i < 32; i++) {
        uint64_t word = i < 16 ? hi : lo;
        int shift = 60 - 4 * (i % 16);
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out[pos++] = '-';
        out[pos++] = hex[(word >> shift) & 0xf];
    }
    out[pos] = '\0';
}

static int hex_run(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static int hyphenated(const char *s, size_t len)
{
    return len == 36 && hex_run(s, 8) && s[8] == '-' && hex_run(s + 9, 4) && s[13] == '-' &&
           hex_run(s + 14, 4) && s[18] == '-' && hex_run(s + 19, 4) && s[23] == '-' &&
           hex_run(s + 24, 12);
}

/* The forms CodeCarbon's server takes for a UUID field: pydantic-core parses them with the
 * Rust uuid crate's Uuid::parse_str (simple, hyphenated, braced, urn), any version. */
int cct_uuid__valid(const char *s)
{
    size_t len = s ? strlen(s) : 0;

    if (len == 32)
        return hex_run(s, 32);
    if (len == 38 && s[0] == '{' && s[37] == '}')
        return hyphenated(s + 1, 36);
    if (len == 45 && strncmp(s, "urn:uuid:", 9) == 0)
        return hyphenated(s + 9, 36);
    return hyphenated(s, len);
}
