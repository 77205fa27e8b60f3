/* SPDX-License-Identifier: GPL-2.0 */
/* `lockmap soak PROFILE --hours N`: the profile's grid again and again until
 * the time is up, as one run. Its run.json has "soak": {"profile" (the
 * profile's real path: what makes two soaks soaks of the same profile),
 * "hours", "until" (wall-clock seconds), "passes" (begun so far), "ended"
 * (when it finished; absent while it is unfinished)}; its grid is the
 * profile's grid once per pass (grid_build_passes), so `run --run-dir`, the
 * report and the comparison read it as any run. Each pass begins with a
 * soak_pass record in the journal (a resume with a soak_resume record), and
 * is run by `lockmap run --run-dir RUN PROFILE`: a pass cut by a crash or a
 * signal goes on as a resumed run does. */
#ifndef LOCKMAP_SOAK_H
#define LOCKMAP_SOAK_H

#include <stdbool.h>
#include <stddef.h>

struct soak_opts {
	const char *base;	/* -o: where runs go */
	double hours;		/* a new soak's length; 0: none given */
	unsigned keep;		/* keep the last keep soaks of the profile; 0: all */
	bool resume;		/* continue the latest unfinished soak of the profile */
	bool wait;		/* wait for the host (run --wait) */
};

/* Soak the profile at path; returns an exit code (lockmap.h): 1 when a cell
 * got worse than in the previous soak of the profile or reached a fail_on
 * outcome, 128 + a signal when stopped (the soak stays unfinished: --resume
 * continues it). */
int soak_main(const char *path, const struct soak_opts *o);

/* One soak of a profile in a results directory (soak_runs.c). */
struct soak_info {
	char *dir;		/* base/<id> */
	char id[256];		/* a directory entry's name */
	long long started;	/* run.json started, wall-clock seconds */
	bool ended;
};

/* The soaks of the profile whose real path is profile under base, oldest
 * first (by start, then id). 0 or -errno; free with soak_list_free. */
int soak_list(const char *base, const char *profile, struct soak_info **out, size_t *n);
void soak_list_free(struct soak_info *s, size_t n);
/* Remove the soaks of the list but the newest keep ones, never the run at
 * dir mine. Returns how many were removed, or -errno. */
int soak_prune(struct soak_info *s, size_t n, size_t keep, const char *mine);

/* The end of a soak (soak_compare.c): compare the run at dir with the
 * previous finished soak prev (NULL: none), write regressions.txt in dir
 * and the same to stdout, and report.html with the comparison. Returns
 * EXIT_FAILED when a cell got worse or reached a fail_on outcome, else
 * EXIT_CLEAN, or EXIT_NOTREADY when the run cannot be read back; *worse is
 * the count of cells that got worse. */
int soak_compare(const char *dir, const char *prev, const char *profile, size_t *worse);

#endif
