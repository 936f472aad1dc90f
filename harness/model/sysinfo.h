/*
 * What machine and build produced a result (the `machine` block of a result file). Linux
 * only: reads uname(2), /proc/cpuinfo and /proc/meminfo.
 */
#ifndef CCB_SYSINFO_H
#define CCB_SYSINFO_H

#include "result.h"

/* ccbench's version ("0.1.0"), build type ("Release") and compiler ("gcc 12.2.0"). */
const char *ccb_sysinfo_version(void);
const char *ccb_sysinfo_build_type(void);
const char *ccb_sysinfo_compiler(void);

/* Fill *out (zeroed by the caller) with malloc'd strings that then belong to the result
 * holding it (ccb_result_free releases them). Missing /proc files give empty strings and
 * zeros, not an error: a result is still worth keeping. -1 only when out of memory. */
int ccb_sysinfo_collect(ccb_machine_info *out);

#endif
