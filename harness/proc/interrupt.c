/*
 * SIGINT/SIGTERM handling for a run (see interrupt.h). This is process-wide signal state by
 * nature: one flag written by the handler, and the masks saved at install time.
 */
#include "interrupt.h"

#include <errno.h>
#include <string.h>

#include "error.h"

static volatile sig_atomic_t interrupted;
static sigset_t original_mask; /* before install(): what children get */
static sigset_t wait_mask;     /* original minus SIGINT/SIGTERM: what ppoll() waits with */
static struct sigaction old_int, old_term;
static int installed;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

int ccb_interrupt_install(void)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &original_mask) != 0)
        return ccb_error_set("cannot block SIGINT/SIGTERM: %s", strerror(errno));
    wait_mask = original_mask;
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);

    /* No SA_RESTART: the point is that ppoll() returns with EINTR. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    interrupted = 0;
    installed = 1;
    return 0;
}

void ccb_interrupt_uninstall(void)
{
    if (!installed)
        return;
    /* A signal still pending is delivered to on_signal() by this unblock, harmlessly:
     * the caller already asked ccb_interrupt_requested() and decided. */
    sigprocmask(SIG_SETMASK, &original_mask, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    installed = 0;
}

int ccb_interrupt_requested(void)
{
    if (interrupted)
        return 1;
    sigset_t pending;
    if (installed && sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1))
        return 1;
    return 0;
}

const sigset_t *ccb_interrupt_wait_mask(void)
{
    return installed ? &wait_mask : NULL;
}

const sigset_t *ccb_interrupt_child_mask(void)
{
    return installed ? &original_mask : NULL;
}
