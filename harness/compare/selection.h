/*
 * Which scenarios a command measures: --scenario a,b (repeatable) or the default set. The one
 * parser for run, compare and noise; COMMAND names the command in messages.
 */
#ifndef CCB_SELECTION_H
#define CCB_SELECTION_H

#include <stddef.h>

#include "catalog.h"

/* Above the catalog's size, so a selection never drops a scenario. */
#define CCB_SELECTION_MAX 64
typedef struct ccb_selection {
    const ccb_scenario_def *defs[CCB_SELECTION_MAX];
    size_t n;
} ccb_selection;
/* --scenario a,b (repeatable): validated, in order, each once. -1 with a message naming the
 * scenario (and the nearest known name) on a mistake. */
int ccb_selection_add(ccb_selection *s, const char *command, const char *arg);
/* The same as an option table's CCB_OPT_CALL (options.h): FIELD is a ccb_selection. */
int ccb_selection_option(void *field, const char *command, const char *arg);
/* Nothing selected: every non-selftest scenario this build can serve (spawn_floor included:
 * it is the floor cold_init is read against). */
void ccb_selection_default(ccb_selection *s);

#endif
