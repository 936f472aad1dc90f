/*
 * The subcommands of ccbench, one cmd_<name>.c each. Each is the main() of its command:
 * it gets argv starting at the command's name and returns the process exit status
 * (CCB_EXIT_* of error.h), leaving a message in ccb_error_message() for main to print when
 * it fails. Each cmd_<name>.c also holds its ccb_command_spec (synopsis, option table, help);
 * main.c holds the dispatch table.
 */
#ifndef CCB_COMMANDS_H
#define CCB_COMMANDS_H

#include "options.h"

/* Each command's name, synopsis, options and help, beside its parser (options.h). */
extern const ccb_command_spec cmd_run_spec, cmd_compare_spec, cmd_noise_spec, cmd_list_spec,
    cmd_show_spec, cmd_history_spec, cmd_mockapi_spec, cmd_plot_spec, cmd_bisect_spec;

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_mockapi(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_noise(int argc, char **argv);
int cmd_bisect(int argc, char **argv);

/* The exit status of the calling thread's last error, by its class (exit_status.c). */
int cmd_exit_status(void);

#endif
