/* SPDX-License-Identifier: GPL-2.0 */
/* One status line on a terminal for long work (cell i/N, phase, elapsed, ETA,
 * outcome counts); silent when stdout is not a terminal. */
#ifndef LOCKMAP_PROGRESS_H
#define LOCKMAP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress {
	size_t cell, ncells;		/* cell is 1-based */
	int64_t run_start;		/* monotonic ns */
	int64_t cell_ns;		/* expected length of one cell, for the ETA */
	unsigned counts[16];		/* outcome counts so far */
	const char *phase;
	int64_t phase_start, phase_len;
	int shown;
};

/* Redraw the status line (at most every 200 ms unless force). */
void progress_draw(struct progress *p, int force);
/* Clear the status line before ordinary output. */
void progress_clear(struct progress *p);

#endif
