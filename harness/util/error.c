/* Thread-local error message of the harness (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char error_message[1024];
static _Thread_local ccb_error_class error_class;

int ccb_error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof(error_message), fmt, ap);
    va_end(ap);
    error_class = CCB_ERROR_IO;
    return -1;
}

int ccb_error_setc(ccb_error_class cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof(error_message), fmt, ap);
    va_end(ap);
    error_class = cls;
    return -1;
}

int ccb_error_classify(ccb_error_class cls)
{
    error_class = cls;
    return -1;
}

ccb_error_class ccb_error_last_class(void)
{
    return error_class;
}

const char *ccb_error_message(void)
{
    return error_message;
}

void ccb_error_clear(void)
{
    error_message[0] = '\0';
    error_class = CCB_ERROR_IO;
}
