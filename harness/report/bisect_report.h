/*
 * What `ccbench bisect` found and how: the commits walked, every step (which commit, built
 * or shared, what it measured against GOOD), and the first bad commit or the range it lies
 * in. Written as a table, markdown or ccbench-bisect/1 JSON.
 */
#ifndef CCB_BISECT_REPORT_H
#define CCB_BISECT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "bisect.h"
#include "cli.h"

int ccb_bisect_report_write(FILE *out, const ccb_bisect_report *r, ccb_format format);

#endif
