/*
 * The subcommands of ccbench, one cmd_<name>.c each. Each is the main() of its command:
 * it gets argv starting at the command's name and returns the process exit status
 * (CCB_EXIT_* of error.h), leaving a message in ccb_error_message() for main to print when
 * it fails. main.c holds the dispatch table with their synopses and help.
 */
#ifndef CCB_COMMANDS_H
#define CCB_COMMANDS_H

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
