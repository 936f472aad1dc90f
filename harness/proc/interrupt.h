/*
 * Ctrl-C / SIGTERM during a measurement. The signals stay blocked while ccbench works and are
 * only let through inside ppoll() (the one place it waits), so a ^C can never land between
 * "check the flag" and "sleep": the wait returns at once, the child is killed, and the
 * command unwinds through its normal cleanup and exits 130.
 */
#ifndef CCB_INTERRUPT_H
#define CCB_INTERRUPT_H

#include <signal.h>

/* Block SIGINT and SIGTERM and install the handler. Pair with ccb_interrupt_uninstall(). */
int ccb_interrupt_install(void);
void ccb_interrupt_uninstall(void);

/* 1 once SIGINT or SIGTERM arrived (delivered or still pending), else 0. */
int ccb_interrupt_requested(void);

/* The mask to wait with (ppoll): the signals unblocked. NULL when not installed (wait with
 * the current mask). */
const sigset_t *ccb_interrupt_wait_mask(void);
/* The mask a child must start with: the one ccbench had before install(); NULL when not
 * installed (the child inherits the current one). */
const sigset_t *ccb_interrupt_child_mask(void);

#endif
