/*
 * The answer checks every scenario applies to every lifecycle it measures (DESIGN.md, "A faster
 * but wrong tracker is not an improvement"): return codes, energy and emissions sane and
 * consistent, duration inside the wall-clock window, run id, country, and the CSV file. A
 * failed check turns the process sample into a failed one; it is never merely logged.
 */
#ifndef CCB_CHECK_H
#define CCB_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "cctracker.h"

/** Why a process sample failed: a protocol.h reason and a detail naming field and value. */
typedef struct ccb_failure {
    int failed;       /**< 0 until the first failure; later failures do not overwrite it. */
    char reason[32];  /**< CCB_REASON_* of protocol.h. */
    char detail[512]; /**< e.g. "lifecycle 12: emissions_kg is -1 (must be finite and >= 0)". */
} ccb_failure;

/** Record a failure unless one is recorded already (the first one is the cause). Returns -1. */
int ccb_failure_set(ccb_failure *f, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Prepend context ("lifecycle 12: ") to a recorded failure's detail. */
void ccb_failure_prefix(ccb_failure *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * CLOCK_MONOTONIC instants (ns) around a lifecycle's start() and stop(). The tracker's
 * duration_s must lie in [before_stop - after_start, after_stop - before_start] (+-1 us).
 * For a periodic measurement, use before_stop = after_start = before_start and after_stop =
 * the instant the measurement was delivered.
 */
typedef struct ccb_instants {
    uint64_t before_start;
    uint64_t after_start;
    uint64_t before_stop;
    uint64_t after_stop;
} ccb_instants;

/** What the configuration lets a check expect beyond the universal rules. */
typedef struct ccb_expect {
    const char *country_iso_code; /**< Expected country, NULL = not checked. */
    double pue;                   /**< The configured PUE, 0 = not checked. */
} ccb_expect;

/** CLOCK_MONOTONIC now, in ns. */
uint64_t ccb_now_ns(void);

/**
 * A tracker call's return code: 0 passes; anything else records reason "tracker_error" with
 * `call`, cct_strerror(rc) and cct_last_error_message(). Call it in the thread that made the
 * call, before any other tracker call (the message is thread-local). Returns 0 or -1.
 */
int ccb_check_rc(int rc, const char *call, ccb_failure *f);

/**
 * One cct_emissions against the rules: energies, emissions and rate finite and >= 0;
 * energy_kwh == (cpu + gpu + ram) * pue and emissions_kg == energy_kwh * intensity / 1000
 * within 1e-9 relative; duration inside the window of `t`; run_id a canonical lowercase
 * UUID v4; `x`'s expectations. Returns 0, or -1 with reason "wrong_answer".
 */
int ccb_check_emissions(const cct_emissions *e, const ccb_instants *t, const ccb_expect *x,
                        ccb_failure *f);

/** 1 if `s` is a canonical (lowercase, 8-4-4-4-12) UUID version 4, variant 10xx. */
int ccb_is_uuid_v4(const char *s);

/** The 38 columns of CodeCarbon 3.3's emissions.csv, in order. */
#define CCB_CSV_COLUMNS 38
extern const char *const ccb_csv_columns[CCB_CSV_COLUMNS];

/**
 * An emissions.csv held in memory, parsed as RFC 4180 (quoted fields, "" escapes, CRLF or LF):
 * the header must name exactly ccb_csv_columns in order, every row must hold 38 fields and end
 * with a line break (a row without one was torn); the utilisation columns are empty or in
 * [0, 100], ram_used_gb empty or >= 0. `*rows` gets the data row count. Returns 0,
 * or -1 with reason "wrong_answer".
 */
int ccb_check_csv_text(const char *text, size_t len, size_t *rows, ccb_failure *f);
/** The same for a file; a missing or unreadable file is a failure too. */
int ccb_check_csv_file(const char *path, size_t *rows, ccb_failure *f);

#endif
