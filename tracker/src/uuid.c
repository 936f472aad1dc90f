/*
 * UUID v4 run ids without a system call per id: a per-thread xorshift generator seeded
 * from the process seed (getrandom once, at hardware detection) and a thread counter.
 */
#include <pthread.h>
#include <stdatomic.h>
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
        uint64_t mix = process_seed ^ (atomic_fetch_add(&thread_counter, 1) + 1) *
                                          0xd1342543de82ef95ULL;
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
