/*
 * Logging through the caller's callback, or to stderr when there is none. Formatting happens
 * only when the level passes, so a silenced tracker pays one comparison.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void cct_log__write(cct_log_fn fn, void *payload, cct_log_level min_level, cct_log_level level,
                    const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (level < min_level || min_level >= CCT_LOG_NONE)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (fn)
        fn(level, line, payload);
    else
        fprintf(stderr, "cctracker: %s\n", line);
}
