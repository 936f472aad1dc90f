/*
 * Harness error reporting, in libgit2's style: library functions return 0 or -1 and leave,
 * per thread, a message naming the thing that was wrong and what to do, and beside it the
 * class of the error. Only cmd/ turns a class into an exit status (one table,
 * ccb_cmd_exit_status); library code never returns an exit status. Never exit() below main.
 */
#ifndef CCB_ERROR_H
#define CCB_ERROR_H

/* Exit statuses of ccbench (DESIGN.md "ccbench CLI"). */
enum {
    CCB_EXIT_OK = 0,         /* done, no regression */
    CCB_EXIT_REGRESSION = 1, /* a metric regressed and was confirmed */
    CCB_EXIT_USAGE = 2,      /* bad usage or bad input */
    CCB_EXIT_FAILURE = 3,    /* a build or a scenario failed */
    CCB_EXIT_INTERRUPTED = 130,
};

/* What kind of failure the last error was: decides the exit status in cmd/. */
typedef enum ccb_error_class {
    CCB_ERROR_IO = 0,      /* the harness itself failed: memory, files, a system call */
    CCB_ERROR_USAGE,       /* a bad option or operand */
    CCB_ERROR_INPUT,       /* a bad input file, revision or repository */
    CCB_ERROR_BUILD,       /* a side could not be built */
    CCB_ERROR_SCENARIO,    /* a scenario failed */
    CCB_ERROR_INTERRUPTED, /* ^C: the children were stopped */
    CCB_ERROR_MACHINE,     /* the machine was too busy to trust a measurement (--strict) */
} ccb_error_class;

/* Set the calling thread's error message (printf-style), class CCB_ERROR_IO. Returns -1. */
int ccb_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a class. Returns -1. */
int ccb_error_setc(ccb_error_class cls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Re-class the message already set (a callee said what went wrong; the caller knows what
 * kind of failure that is here). Returns -1. */
int ccb_error_classify(ccb_error_class cls);
ccb_error_class ccb_error_last_class(void);
/* The calling thread's last message ("" if none). */
const char *ccb_error_message(void);
void ccb_error_clear(void);

#endif
