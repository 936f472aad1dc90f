/* Thread-local error message of the harness (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char error_message[1024];

int ccb_error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof(error_message), fmt, ap);
    va_end(ap);
    return -1;
}

const char *ccb_error_message(void)
{
    return error_message;
}

void ccb_error_clear(void)
{
    error_message[0] = '\0';
}
