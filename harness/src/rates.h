/* SPDX-License-Identifier: GPL-2.0 */
/* Rates over repeats: per cell id, the count of each outcome over its
 * repeats, its worst outcome, and the 95% Wilson score interval of the rate
 * at which repeats reach it (README.md "Results"). */
#ifndef LOCKMAP_RATES_H
#define LOCKMAP_RATES_H

#include "outcome.h"
#include "results.h"

/* The repeats of one cell id. A repeat is *measured* unless it was
 * interrupted (results_cell_interrupted), ended in an error of lockmap's own
 * machinery (lockmap_error) or was skipped: those say nothing of the cell,
 * and are not in n. An error that is the cell's (a VMM's KVM internal error)
 * is measured: outcome error. */
struct cell_rate {
	const struct cell *cell;	/* its first repeat in the grid */
	unsigned repeats;		/* repeats done, measured or not */
	unsigned n;			/* measured repeats */
	unsigned counts[OUT__COUNT];	/* measured repeats by outcome; [OUT_SKIPPED]
					 * counts skipped ones, not in n */
	unsigned interrupted, lockmap_errors;
	/* Valid when n > 0: the worst outcome of a measured repeat (outcome.h
	 * order), k of the n measured repeats reached it (none is worse), k/n
	 * and its 95% Wilson score interval. */
	enum outcome worst;
	unsigned k;
	double rate, lo, hi;
};

struct rates {
	struct cell_rate *cells;	/* one per cell id, in grid order */
	size_t ncells;
	unsigned repeat;		/* the grid's repeats per cell id */
};

/* The 95% Wilson score interval of k successes in n trials (z = 1.959964);
 * [0, 1] when n is 0: nothing is known. */
void rates_wilson(unsigned k, unsigned n, double *lo, double *hi);
/* The rates of run's cells done so far, one per cell id in the order of
 * its first repeat (a soak's passes repeat it further on: grid.h). 0 or
 * -ENOMEM; free with rates_free. */
int rates_compute(const struct run *run, struct rates *out);
void rates_free(struct rates *r);
/* "hardlockup 2/3 (95% CI 21%-94%), degraded 1/3", then what was not
 * counted ("; not counted: 1 lockmap error, 1 interrupted"); "no
 * measurement (...)" when n is 0. */
void rates_describe(const struct cell_rate *cr, char *buf, size_t len);

#endif
