/* SPDX-License-Identifier: GPL-2.0 */
/* The run loop of a [search]: the probes each combination's search asks for,
 * run as cells of the grid, and the journal's search_probe and search_result
 * records. */
#ifndef LOCKMAP_SEARCH_RUN_H
#define LOCKMAP_SEARCH_RUN_H

#include <stddef.h>

#include "results.h"

/* Run grid cell idx of run (its result in run->res[idx], run->done[idx]
 * set): 0 to go on, or an exit code that stops the run. */
typedef int (*search_cell_fn)(void *arg, size_t idx);

/* Per combination of the other axes, in grid order: the search's next probe,
 * each of its repeats not done yet a cell run by run_cell, until the search
 * ends; a search_probe record when a probe's repeats are done, a
 * search_result record when the combination's search ends. What run's
 * results hold (read from the journal on resume) is where it goes on from:
 * no cell done is run again, no record in the journal written again. Stops
 * at lm_stop_requested. Returns 0, run_cell's code, or -errno. */
int search_run(struct run *run, search_cell_fn run_cell, void *arg);
/* The search_probe and search_result records the run's results call for and
 * its journal lacks (written by the lab's outer lockmap when the last cell
 * killed the lab host). 0 or -errno. */
int search_journal_sync(struct run *run);

#endif
