/*
 * --threshold of compare: a global fraction and per-metric overrides ("scenario.metric").
 */
#ifndef CCB_THRESHOLDS_H
#define CCB_THRESHOLDS_H

#include <stddef.h>

#define CCB_DEFAULT_THRESHOLD 0.05

/* --threshold: a global fraction and per-metric overrides ("scenario.metric"). */
typedef struct ccb_threshold_override {
    char *key; /* "warm_lifecycle.lifecycle_us", owned */
    double value;
} ccb_threshold_override;

typedef struct ccb_thresholds {
    double global; /* fraction: 0.05 */
    ccb_threshold_override *overrides;
    size_t n;
} ccb_thresholds;

void ccb_thresholds_init(ccb_thresholds *t);
void ccb_thresholds_release(ccb_thresholds *t);
/* "5%", "5", "2.5%" (global) or "SCENARIO.METRIC=PCT[%]" (that metric, checked against the
 * catalog). Percent in (0, 1000). -1 with a message naming ARG and what it accepts. */
int ccb_thresholds_parse(ccb_thresholds *t, const char *arg);
/* The same as an option table's CCB_OPT_CALL (options.h): FIELD is a ccb_thresholds. */
int ccb_thresholds_option(void *field, const char *command, const char *arg);
double ccb_thresholds_for(const ccb_thresholds *t, const char *scenario, const char *metric);

#endif
