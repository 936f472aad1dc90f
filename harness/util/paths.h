/*
 * Where files of a run go: the results directory (CCBENCH_RESULTS_DIR, else results/ at the
 * root of the git work tree, else ./results), result file names from a UTC timestamp and the
 * label, and the per-run temp dir for children's logs (mkdtemp under $TMPDIR or /tmp).
 */
#ifndef CCB_PATHS_H
#define CCB_PATHS_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* mkdir -p: PATH and its missing parents with MODE (the umask applies); 0 when PATH is (now)
 * a directory, -1 with the component that could not be made named. The one mkdir -p. */
int ccb_paths_mkdir_p(const char *path, mode_t mode);

/* The results directory, created (with parents) if missing. WORKDIR is the git work tree
 * root or NULL. *out is malloc'd. */
int ccb_paths_results_dir(const char *workdir, char **out);

/* DIR/<YYYYmmddTHHMMSSZ>-<label>.json, with "-2", "-3", ... added if that file exists.
 * The label keeps [A-Za-z0-9._-]; anything else becomes '-'. */
int ccb_paths_result_file(const char *dir, time_t when, const char *label, char **out);

/* Fail early (before a long run) if FILE could not be written: its directory must exist. */
int ccb_paths_check_writable(const char *file);

/* "2026-11-21T10:00:00Z" */
void ccb_paths_iso8601(char *buf, size_t size, time_t when);

/* The directory of the running executable (/proc/self/exe), malloc'd: where ccbench finds the
 * executables built with it. */
int ccb_paths_exe_dir(char **out);

/* mkdtemp("$TMPDIR/ccbench-XXXXXX"); *out is malloc'd. */
int ccb_paths_tempdir_create(char **out);
/* Before measuring: can the run's temp dir be created under $TMPDIR and a block written in
 * it? A missing or full TMPDIR is then bad input (exit 2) found at once, not a failed
 * scenario (exit 3) found after the build. */
int ccb_paths_tempdir_check(void);
/* Remove DIR and everything in it (the children's logs and whatever they left behind). */
void ccb_paths_tempdir_remove(const char *dir);

#endif
