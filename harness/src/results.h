/* SPDX-License-Identifier: GPL-2.0 */
/* results/<run-id>/: run.json, journal.jsonl, cells.csv, junit.xml, cells/<id>/,
 * and the results/latest link (DESIGN.md "Results"). */
#ifndef LOCKMAP_RESULTS_H
#define LOCKMAP_RESULTS_H

#include <stdbool.h>
#include <jansson.h>

#include "cell.h"
#include "grid.h"

struct run {
	char id[128];
	char *dir;		/* <base>/<id> */
	char *base;
	struct journal *journal;
	const struct profile *prof;
	const struct grid *grid;
	struct cell_result *res;	/* one per grid cell */
	bool *done;			/* res[i] is valid */
	uint32_t fail_on;		/* bitmask of outcomes that fail the run */
};

/* Make the run directory, open its journal, write run.json, point latest at it. */
int results_create(const char *base, const struct profile *p, const struct grid *g,
		   json_t *extra, struct run *run);
/* The directory of one cell: <run>/cells/<cell-id>[-r<rep>]. malloc'd. */
char *results_cell_dir(const struct run *run, const struct cell *c);
/* Rewrite cells.csv and junit.xml from the cells done so far. */
int results_write_tables(const struct run *run);
void results_close(struct run *run);
/* Open an existing run directory (resume, lab inner run): cells with a
 * cell_end in its journal are marked done; the journal is reopened to append. */
int results_open(const char *dir, const struct profile *p, const struct grid *g, struct run *run);
/* Fill run->res/run->done from the journal; returns the number of cells done. */
int results_load_journal(struct run *run);
/* One line per finished cell, and the summary table, on stdout. */
void results_print_cell(const struct run *run, size_t i);
void results_print_summary(const struct run *run);
/* Did a done cell reach a fail_on outcome? */
bool results_failed(const struct run *run);
/* Facts about this host for run.json: kernel, cmdline, CPU, microcode, kvm params. */
json_t *results_host_facts(void);

#endif
