/* SPDX-License-Identifier: GPL-2.0 */
/* `lockmap bisect`: one step of `git bisect run` (README "Bisecting a
 * kernel"). Build the kernel tree (or take an image), run the profile in a lab
 * host booted from it, and answer git bisect: 0 good, 1 bad, 125 skip (this
 * commit cannot be judged: the kernel did not build or boot, the module did
 * not build, lockmap's own machinery failed, or the runs did not decide). */
#ifndef LOCKMAP_BISECT_H
#define LOCKMAP_BISECT_H

#include <stdbool.h>

#include "lab.h"

/* Usage errors of bisect itself (its options, the profile) are the same at
 * every commit: git bisect run stops at an exit code of 128 or more. */
#define EXIT_BISECT_ABORT 128

struct bisect_opts {
	const char *kernel;	/* --kernel IMAGE, or NULL */
	const char *tree;	/* --kernel-tree DIR, or NULL */
	const char *results;	/* -o: where the runs go */
	unsigned runs;		/* --runs N (1: one run decides) */
	bool no_ccache;		/* build-kernel.sh --no-ccache */
	struct lab_opts lab;
};

/* The tally of the runs of one step. */
struct bisect_tally {
	unsigned runs;		/* runs made */
	unsigned hits;		/* runs in which a cell reached fail_on */
	unsigned complete;	/* runs whose every cell ran, none an error */
};

/* The --runs rule (syzkaller's), over the runs asked for: bad (1) when at
 * least max(2, runs / 6) runs hit (every run when runs is 1), good (0) when
 * none did and at least half of them completed, else 125. */
int bisect_verdict(unsigned runs, const struct bisect_tally *t);
/* The same rule's early answer after t->runs of runs: 1 when bad is already
 * certain, 125 when neither bad nor good can be reached any more, -1 while
 * more runs may tell. */
int bisect_decided(unsigned runs, const struct bisect_tally *t);

/* Judge the run in run_dir (a lab run of the profile at profile_path) that
 * exited with lab_rc: add it to t; why gets the first cell that reached
 * fail_on ("cell 1a2b... r1: probe.max_chain 124769 (> 1000)") or why the
 * run is incomplete. Cells whose outcome is error never hit: they measured
 * nothing. Returns 0, or -errno when the run cannot be read. */
int bisect_judge_run(const char *run_dir, const char *profile_path, int lab_rc,
		     struct bisect_tally *t, char *why, size_t len);

/* The whole step. Returns the exit code: 0, 1, 125, EXIT_BISECT_ABORT for a
 * profile that does not load, or 128 + a signal. */
int bisect_run(const char *profile_path, const struct bisect_opts *o);

#endif
