/*
 * The driver <-> runner protocol, the one place both sides agree on it.
 *
 *   ccbench-scenario NAME [--param KEY=VALUE]... --result-fd N
 *
 * The runner runs scenario NAME once (one process = one "process sample", which may hold
 * many metric samples, e.g. one lifecycle_us per lifecycle) and writes exactly ONE JSON
 * object to fd N, then exits 0:
 *
 *   {"schema": "ccbench-sample/1", "scenario": "cold_init", "ok": true,
 *    "metrics": {"init_us": [0.8], "start_us": [212.0], ...},
 *    "params": {"measure_interval_ms": 1}}
 *
 * or, when the tracker gave a wrong answer or failed (a failed sample, never a fast one):
 *
 *   {"schema": "ccbench-sample/1", "scenario": "cold_init", "ok": false,
 *    "reason": "wrong_answer", "detail": "emissions_kg is -1e-09"}
 *
 * `metrics` holds only runner-origin metrics (catalog.h); the driver adds its own
 * (process_ms, maxrss_kb). Exit status 2 = bad usage (unknown scenario or parameter),
 * with a message on stderr. stdout/stderr are the driver's log file, never parsed.
 *
 * Parameters (all optional; the driver passes the profile's values):
 *   iterations, warmup, threads, duration_ms, measure_interval_ms,
 *   api_endpoint (api_latency: the mock's URL), api_latency_ms (recorded only),
 *   save_to_file (0/1), output_dir.
 */
#ifndef CCB_PROTOCOL_H
#define CCB_PROTOCOL_H

/* The runners a build makes: the scenario runner, its count twin and the libc-only floor. */
#define CCB_SCENARIO_EXECUTABLE "ccbench-scenario"
#define CCB_COUNTS_EXECUTABLE "ccbench-counts"
#define CCB_FLOOR_EXECUTABLE "ccbench-floor"

#define CCB_SAMPLE_SCHEMA "ccbench-sample/1"
#define CCB_RESULT_SCHEMA "ccbench-result/1"
#define CCB_COMPARE_SCHEMA "ccbench-compare/1"

/* Failure reasons, shared by runner and driver. */
#define CCB_REASON_WRONG_ANSWER "wrong_answer"   /* tracker answered, but wrongly */
#define CCB_REASON_TRACKER_ERROR "tracker_error" /* a tracker call returned an error */
#define CCB_REASON_CRASH "crash"                 /* killed by a signal */
#define CCB_REASON_TIMEOUT "timeout"             /* exceeded the scenario's limit */
#define CCB_REASON_BAD_OUTPUT "bad_output"       /* no / malformed JSON on the result fd */
#define CCB_REASON_EXIT_STATUS "exit_status"     /* exited non-zero */
#define CCB_REASON_SPAWN "spawn_failed"          /* could not start the child */

#endif
