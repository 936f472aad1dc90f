/*
 * Rendering a result for people and machines: an aligned table for terminals, a GitHub
 * markdown table for PR comments and $GITHUB_STEP_SUMMARY, or the result JSON itself.
 * Failed samples are listed under the table with their reasons, never hidden.
 */
#ifndef CCB_REPORT_H
#define CCB_REPORT_H

#include <stdio.h>

#include "cli.h"
#include "result.h"

/* Write R to OUT in FORMAT; COLOR adds ANSI colours to the table (decided once by the caller
 * with ccb_cli_use_color). Returns 0, or -1 with a message (out of memory, write error). */
int ccb_report_write(FILE *out, const ccb_result *r, ccb_format format, int color);

/* A number the way the table shows it: about four significant digits, no exponent for
 * ordinary magnitudes, whole numbers without decimals. */
void ccb_report_format_number(char *buf, size_t size, double v);
/* `show --functions`: each scenario's instruction profile per tracker call, TOP functions
 * each. -1 with a message when the result has none. */
int ccb_profile_report_write(FILE *out, const ccb_result *r, size_t top);

#endif
