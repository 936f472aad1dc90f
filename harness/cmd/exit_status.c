/*
 * The one table from error classes to ccbench's exit statuses (DESIGN.md "ccbench CLI").
 * Library code says what kind of failure it had; only the commands decide what the process
 * reports for it, so a status can change here without touching a library.
 */
#include "commands.h"

#include "error.h"

static const int exit_of_class[] = {
    [CCB_ERROR_IO] = CCB_EXIT_FAILURE,       [CCB_ERROR_USAGE] = CCB_EXIT_USAGE,
    [CCB_ERROR_INPUT] = CCB_EXIT_USAGE,      [CCB_ERROR_BUILD] = CCB_EXIT_FAILURE,
    [CCB_ERROR_SCENARIO] = CCB_EXIT_FAILURE, [CCB_ERROR_INTERRUPTED] = CCB_EXIT_INTERRUPTED,
    [CCB_ERROR_MACHINE] = CCB_EXIT_FAILURE,
};

int cmd_exit_status(void)
{
    ccb_error_class cls = ccb_error_last_class();
    if ((unsigned)cls >= sizeof(exit_of_class) / sizeof(exit_of_class[0]))
        return CCB_EXIT_FAILURE;
    return exit_of_class[cls];
}
