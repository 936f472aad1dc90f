/*
 * Error codes and the thread-local detail message. The message is set where the error
 * happens (naming the path, field or errno text) so the caller never has to guess.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static _Thread_local char last_message[1024];

int cct_error__set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
    return code;
}

void cct_error__clear(void)
{
    last_message[0] = '\0';
}

CCT_EXTERN(const char *) cct_last_error_message(void)
{
    return last_message;
}

/* A switch with no default: -Werror=switch names any code that lacks a message. */
CCT_EXTERN(const char *) cct_strerror(int error)
{
    switch ((cct_error)error) {
    case CCT_OK:
        return "success";
    case CCT_EINVALID:
        return "invalid argument or configuration";
    case CCT_ENOMEM:
        return "out of memory";
    case CCT_ESTATE:
        return "call not allowed in the tracker's current state";
    case CCT_EIO:
        return "input/output error";
    case CCT_ENOSOURCE:
        return "no power source available";
    case CCT_EUNAVAILABLE:
        return "optional component unavailable";
    }
    return "unknown error";
}

CCT_EXTERN(const char *) cct_source_name(cct_source source)
{
    switch (source) {
    case CCT_SOURCE_NONE:
        return "none";
    case CCT_SOURCE_RAPL:
        return "rapl";
    case CCT_SOURCE_CPU_LOAD:
        return "cpu_load";
    case CCT_SOURCE_CONSTANT:
        return "constant";
    case CCT_SOURCE_NVML:
        return "nvml";
    }
    return "unknown";
}

CCT_EXTERN(const char *) cct_version(void)
{
    return CCT_VERSION;
}
