/*
 * One callgrind dump (issue 13), read for what a count needs: the window's name (the client
 * request's trigger, "start"), its total instructions (the "summary:" line) and each
 * function's inclusive instructions (its own cost lines plus the cost of the calls it made).
 * The format is valgrind's "Callgrind Format Specification": name compression "(id) name",
 * relative positions, one event (Ir). Functions of the runner itself (source files under
 * scenarios/) and the frames that merely hold the window (inclusive = the whole window: main,
 * libc's start) are left out: the profile is the tracker's.
 */
#ifndef CCB_CALLGRIND_H
#define CCB_CALLGRIND_H

#include <stddef.h>

typedef struct ccb_callgrind_function {
    char *name;
    double inclusive;
} ccb_callgrind_function;

typedef struct ccb_callgrind_dump {
    char call[64]; /* "" when the dump was not a client request's */
    double total;
    ccb_callgrind_function *fns;
    size_t nfns;
} ccb_callgrind_dump;

/* Read PATH. 0, or -1 with a message naming the file and line (unreadable, no summary). */
int ccb_callgrind_read(const char *path, ccb_callgrind_dump *out);
void ccb_callgrind_release(ccb_callgrind_dump *d);

#endif
