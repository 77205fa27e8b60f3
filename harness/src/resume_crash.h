/* SPDX-License-Identifier: GPL-2.0 */
/* On resume (`run --run-dir`), the cells a dead host cut: a cell_start with
 * no cell_end after it. When the host rebooted since (its boot id differs
 * from the one the cell_start recorded), the cell's outcome is in what
 * survived (crashlog.h): with evidence the cell ends there (a cell_end with
 * source "resume" and the evidence); with none it runs again, and a
 * cell_rerun record says why. */
#ifndef LOCKMAP_RESUME_CRASH_H
#define LOCKMAP_RESUME_CRASH_H

#include <stdbool.h>
#include <stddef.h>

struct run;

struct resume_env {
	const char *pstore_dir;	/* PSTORE_DIR; tests give their own */
	const char *archive_dir;	/* where systemd-pstore moves records to
				 * (PSTORE_ARCHIVE_DIR, a directory per record
				 * set); NULL: none */
	bool journal;		/* ask journald (journalctl -k -b ID) too */
	const char *boot_id;	/* this boot's (crash_boot_id) */
};

/* Decide the cut cells of run (its journal loaded: results_open). Each one
 * decided is marked done with its result; the others stay to run again.
 * Returns how many were decided, or -errno when the journal cannot be read. */
int resume_crash_cells(struct run *run, const struct resume_env *env);

#endif
