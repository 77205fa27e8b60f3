/* SPDX-License-Identifier: GPL-2.0 */
/* `lockmap report RUN`: a run read back from its directory (run.json, the
 * profile it keeps, the journal), the model report_html.c draws. */
#ifndef LOCKMAP_REPORT_H
#define LOCKMAP_REPORT_H

#include <jansson.h>

#include "grid.h"
#include "rates.h"
#include "results.h"

struct profile;

/* What the journal says of one cell run (one repeat) beyond its cell_end:
 * its events and, for the timeline, tick reports and injector windows. */
struct report_cell {
	json_t *events;		/* the "event" objects of its event records */
	double tg;		/* ts of its guests_start: the guests' tick reports count from there */
	json_t *samples;	/* per-second sample records, when the journal has them */
	double t0;		/* ts of its cell_start */
	double t1;		/* ts of its cell_end */
};

struct report_run {
	char *dir;		/* the run's real path */
	json_t *rj;		/* its run.json */
	json_t *lab_host;	/* lab-host.json of a lab run: the host under test, or NULL */
	struct profile *prof;	/* the profile it keeps */
	struct grid grid;
	bool have_grid;
	struct run run;		/* res/done loaded from the journal */
	struct rates rates;
	struct report_cell *cells;	/* one per grid cell */
	char accel[64];		/* the run_start record's accelerator (kvm, tcg) */
};

/* Read the run in dir. 0, -EINVAL with why (not a run, its profile does not
 * load here), or -errno. Free with report_run_free even on error. */
int report_run_open(const char *dir, struct report_run *rr, char *why, size_t len);
void report_run_free(struct report_run *rr);

/* The axes of a heatmap: [report] x and y when set, else the grid's first
 * two axes (one axis: x only, a single row; none: no heatmap). The others
 * make facets. Each is an index into grid->axes, or -1. */
struct report_axes {
	int x, y;
};
void report_axes(const struct report_run *rr, struct report_axes *ax);
/* The value index of axis a in cell c (its position in the axis' values). */
size_t report_axis_pos(const struct cell *c, const struct pkey *a);

#endif
