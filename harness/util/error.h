/*
 * Harness error reporting: functions return 0 or -1 and leave a message here naming the
 * thing that was wrong and what to do; main() prints it and picks the exit status.
 * Never exit() below main.
 */
#ifndef CCB_ERROR_H
#define CCB_ERROR_H

/* Exit statuses of ccbench (DESIGN.md "ccbench CLI"). */
enum {
    CCB_EXIT_OK = 0,          /* done, no regression */
    CCB_EXIT_REGRESSION = 1,  /* a metric regressed and was confirmed */
    CCB_EXIT_USAGE = 2,       /* bad usage or bad input */
    CCB_EXIT_FAILURE = 3,     /* a build or a scenario failed */
    CCB_EXIT_INTERRUPTED = 130,
};

/* Set the calling thread's error message (printf-style). Always returns -1. */
int ccb_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The calling thread's last message ("" if none). */
const char *ccb_error_message(void);
void ccb_error_clear(void);

#endif
