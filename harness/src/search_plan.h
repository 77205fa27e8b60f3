/* SPDX-License-Identifier: GPL-2.0 */
/* A [search] laid over its grid: the grid of a search profile is the full
 * grid at the search's resolution (profile_search.c), so every probe is a
 * cell of it with its usual index and id. This says which cells belong to
 * which combination of the other axes and value of the axis, and what the
 * search (search.h) makes of the results the run has so far. */
#ifndef LOCKMAP_SEARCH_PLAN_H
#define LOCKMAP_SEARCH_PLAN_H

#include <stdio.h>

#include "grid.h"
#include "outcome.h"
#include "search.h"

struct run;

struct search_plan {
	const struct profile_search *ps;
	struct search_space space;
	enum outcome reach;
	size_t npoints;		/* values of the axis, lo to hi */
	size_t ncombos;		/* combinations of the other axes */
	size_t repeat;		/* cells per probe */
	size_t stride;		/* grid combinations between neighbouring values */
};

/* The plan of g, whose profile has a [search]: 0, or -EINVAL when it has none. */
int search_plan_init(struct search_plan *sp, const struct grid *g);
/* The most cells the search runs: every combination's bound on probes times
 * the repeats. */
size_t search_plan_max_cells(const struct search_plan *sp);
/* The grid index of repeat rep of the value at point of combination combo. */
size_t search_plan_cell(const struct search_plan *sp, size_t combo, size_t point, size_t rep);

/* What the repeats of one probe gave: done (interrupted repeats are not: a
 * resume runs them again), and of the n that count for the search (outcomes
 * clean to host_hang: errors and skipped ones do not), k reached the target. */
struct search_tally {
	unsigned done, k, n;
};

void search_plan_tally(const struct search_plan *sp, const struct run *run, size_t combo,
		       size_t point, struct search_tally *t);
/* The search's next step in combination combo from the probes whose repeats
 * are all done. 0 or -ENOMEM. */
int search_plan_step(const struct search_plan *sp, const struct run *run, size_t combo,
		     struct search_step *st);
/* Cells of combination combo that are done (partial probes too). */
size_t search_plan_cells_done(const struct search_plan *sp, const struct run *run, size_t combo);
/* "guests.count=8" (the other axes' values), or "(no other axis)". */
void search_plan_describe(const struct search_plan *sp, const struct grid *g, size_t combo,
			  char *buf, size_t len);
/* A value of the axis in its units ("500ms"). */
void search_plan_fmt(const struct search_plan *sp, int64_t v, char *buf, size_t len);
/* What `run -n` prints: with a [search], the search, its combinations and the
 * bound on their probes; else grid_print. */
void search_plan_print(const struct grid *g, FILE *f);

#endif
