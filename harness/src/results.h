/* SPDX-License-Identifier: GPL-2.0 */
/* results/<run-id>/: run.json, journal.jsonl, cells.csv, junit.xml, cells/<id>/,
 * and the results/latest link (DESIGN.md "Results"). */
#ifndef LOCKMAP_RESULTS_H
#define LOCKMAP_RESULTS_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "cell.h"
#include "failon.h"
#include "grid.h"

struct shard;
struct search_plan;

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
	struct failon failon;		/* [expect] fail_on: those outcomes and thresholds */
	struct search_plan *search;	/* the profile's [search] over grid; NULL: none */
	/* A shard run (`run --shard I/N`, shard.h): the cells of its slice,
	 * mine[i], nmine of them. NULL: every cell of the grid is the run's. */
	const struct shard *shard;
	const bool *mine;
	size_t nmine;
};

/* Make the run directory, open its journal, write run.json, point latest at it. */
int results_create(const char *base, const struct profile *p, const struct grid *g,
		   json_t *extra, struct run *run);
/* The directory of one cell: <run>/cells/<cell-id>[-r<rep>]. malloc'd. */
char *results_cell_dir(const struct run *run, const struct cell *c);
/* Rewrite cells.csv, rates.csv and junit.xml (and with a [search],
 * thresholds.csv) from the cells done so far. */
int results_write_tables(const struct run *run);
/* rates.csv (results_rates.c): a row per cell id, its outcomes over its
 * repeats and the rate of the worst (rates.h). */
int results_write_rates(const struct run *run);
/* A CSV field (valid printable UTF-8, quoted when needed), then a comma, or
 * a newline when last. */
void results_csv_field(FILE *f, const char *s, bool last);
/* The axis fields of a row: c's values, or the axes' names when c is NULL. */
void results_csv_axes(FILE *f, const struct grid *g, const struct cell *c);
void results_close(struct run *run);
/* `run --run-dir DIR`: DIR must be an empty directory (a new run: run.json is
 * written there, with extra's keys) or the directory of a run of the same
 * grid as g (same cells in the same order, grid_id(); comments, key order
 * and [run] name may differ). Cells with a cell_end in its journal are
 * marked done; the journal is reopened to append (a torn last line
 * repaired). Anything else is refused with -EINVAL and why says what and how
 * to fix it, before anything in DIR is changed (exit 2); other errors are
 * -errno. */
int results_open(const char *dir, const struct profile *p, const struct grid *g,
		 json_t *extra, struct run *run, char *why, size_t len);
/* The checks of results_open alone, changing nothing: 0 when DIR would be
 * opened, -EINVAL with why when it would be refused. */
int results_dir_check(const char *dir, const struct profile *p, const struct grid *g,
		      char *why, size_t len);
/* The passes a soak's run.json records ("soak": {"passes": N}, soak.h); 1
 * for any other run (rj NULL too). */
unsigned results_passes(const json_t *rj);
/* The grid of p for the run in dir: with the passes its run.json records (a
 * soak: grid_build_passes), else, and when dir is NULL or holds no run yet,
 * grid_build's. 0 or -errno, as grid_build. */
int results_grid(const char *dir, const struct profile *p, struct grid *g);
/* Is base fit to hold runs (-o): not empty, a directory or not there yet?
 * -EINVAL with why when not. */
int results_base_check(const char *base, char *why, size_t len);
/* Allocate the results of g's cells in run, and its fail_on mask. */
int results_run_init(struct run *run, const struct profile *p, const struct grid *g);
/* Make run->dir/cells, write run.json when new_run, open the journal (a torn
 * last line repaired). */
int results_dir_fill(struct run *run, bool new_run, json_t *extra);
/* run.json of run (host facts, the profile and its grid_id, extra's keys),
 * written whole or not at all. */
int results_write_run_json(const struct run *run, json_t *extra);
/* o as DIR/NAME (indented JSON), written whole or not at all. */
int results_write_json(const char *dir, const char *name, json_t *o);
/* Write DIR/NAME atomically: results_tmp_open gives a temporary file,
 * results_tmp_commit syncs it and renames it to NAME (and frees tmp). */
FILE *results_tmp_open(const char *dir, const char *name, char **tmp);
int results_tmp_commit(FILE *f, const char *dir, const char *name, char *tmp);
/* Fill run->res/run->done from the journal; returns the number of cells done. */
int results_load_journal(struct run *run);
/* A resume runs again the cells that ended in an error of lockmap's own
 * machinery (error_cause lockmap: they measured nothing): mark them not done.
 * Returns how many. */
size_t results_redo_lockmap_errors(struct run *run);
/* One line per finished cell, and the summary table, on stdout. */
void results_print_cell(const struct run *run, size_t i);
void results_print_summary(const struct run *run);
/* The summary's lines per cell id over its repeats (when repeat > 1). */
void results_print_rates(const struct run *run);
/* results_search.c, with a [search]: thresholds.csv, a row per combination
 * of the other axes; the summary's lines of the search, ending with the cells
 * it ran against the full grid's ("search: 14 cells, the grid at 500ms would
 * be 66"). Both do nothing without one. */
int results_write_thresholds(const struct run *run);
void results_print_search(const struct run *run);
/* The cells the run still wants: every cell not done, or with a [search] the
 * repeats not done of each unfinished combination's next probe. Up to max of
 * their grid indices go to idx (may be NULL); returns how many there are. */
size_t results_wanted(const struct run *run, size_t *idx, size_t max);
/* Was the cell ended by a signal (not by what it tested)? It is skipped, not
 * an error of the run; a lockup it showed before the signal still counts. */
bool results_cell_interrupted(const struct cell_result *r);
/* Did a done cell reach [expect] fail_on, an outcome or a threshold
 * (interrupted cells do not)? */
bool results_failed(const struct run *run);
/* Facts about this host for run.json: kernel, cmdline, CPU, microcode, kvm params. */
json_t *results_host_facts(void);

#endif
