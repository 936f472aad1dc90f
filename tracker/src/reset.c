/*
 * The tests' reset of every process-wide cache, at the top of the library's stack: it calls
 * each module's own reset, so that hardware.c, reading.c and sampler.c never name each other
 * (or the tracker) just to be forgotten together. Not part of the public API.
 */
#include "internal.h"

void cct__reset_process_cache(void)
{
    /* The sampler first: its thread reads the hardware and the readings. */
    cct_sampler__shutdown();
    cct_reading__reset();
    cct_tracker__reset_notes();
    cct_hardware__reset();
}
