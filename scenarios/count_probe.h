/*
 * The hook the shared lifecycle helpers (scenario_common.c) call around each tracker call,
 * so that the count runner (ccbench-counts, count_mode.c) can count exactly that call. In
 * the timing runner no probe is installed: the cost is one load and a not-taken branch,
 * outside the timed window (before the first clock read, after the last).
 */
#ifndef CCB_COUNT_PROBE_H
#define CCB_COUNT_PROBE_H

typedef struct ccb_count_probe {
    void (*begin)(void);
    /* CALL names the window: "new", "start", "stop", "free" or "lifecycle". */
    void (*end)(const char *call);
} ccb_count_probe;

/* NULL in the timing runner; count_mode.c sets it before the scenario runs. */
extern const ccb_count_probe *ccb_count_probe_active;

#define CCB_COUNT_BEGIN()                                                                          \
    do {                                                                                           \
        if (ccb_count_probe_active)                                                                \
            ccb_count_probe_active->begin();                                                       \
    } while (0)
#define CCB_COUNT_END(call)                                                                        \
    do {                                                                                           \
        if (ccb_count_probe_active)                                                                \
            ccb_count_probe_active->end(call);                                                     \
    } while (0)

#endif
