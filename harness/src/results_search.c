// SPDX-License-Identifier: GPL-2.0
/* Where a [search] reaches users: thresholds.csv in the run directory (a row
 * per combination of the other axes, rewritten after every cell like
 * cells.csv), the search's lines in the run's summary, and the cells a run
 * still wants (the lab's outer lockmap boots until there are none). */
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "results.h"
#include "search_plan.h"

/* The step of a combination; a search still probing is unfinished here. */
static void results_search_step(const struct run *run, size_t combo, struct search_step *st)
{
	if (search_plan_step(run->search, run, combo, st) < 0) {
		memset(st, 0, sizeof(*st));
		st->status = SEARCH_UNFINISHED;
	}
	if (st->status == SEARCH_PROBE)
		st->status = SEARCH_UNFINISHED;
}

/* A value field: the axis' text for it, or empty. */
static void results_search_value(FILE *f, const struct search_plan *sp, bool have, int64_t v,
				 bool last)
{
	char buf[128] = "";

	if (have)
		search_plan_fmt(sp, v, buf, sizeof(buf));
	results_csv_field(f, buf, last);
}

static void results_thresholds_row(FILE *f, const struct run *run, size_t combo)
{
	const struct search_plan *sp = run->search;
	const struct grid *g = run->grid;
	const struct cell *c = &g->cells[search_plan_cell(sp, combo, 0, 0)];
	struct search_step st;

	results_search_step(run, combo, &st);
	fprintf(f, "%zu,", combo);
	for (size_t a = 0; a < g->naxes; a++)
		if (g->axes[a] != sp->ps->axis)
			results_csv_field(f, cell_val(c, g->axes[a]->section, g->axes[a]->key)->text,
					  false);
	fprintf(f, "%s.%s,%s,%s,", sp->ps->axis->section, sp->ps->axis->key,
		outcome_name(sp->reach), search_status_name(st.status));
	results_search_value(f, sp, st.status == SEARCH_FOUND || st.status == SEARCH_AT_OR_BELOW_LO,
			     st.threshold, false);
	fprintf(f, "%zu,%zu,", st.nprobes, search_plan_cells_done(sp, run, combo));
	results_search_value(f, sp, st.have_reached, st.reached, false);
	results_search_value(f, sp, st.have_not_reached, st.not_reached, true);
}

int results_write_thresholds(const struct run *run)
{
	const struct grid *g = run->grid;
	char *tmp;
	FILE *f;

	if (!run->search)
		return 0;
	f = results_tmp_open(run->dir, "thresholds.csv", &tmp);
	if (!f) {
		free(tmp);
		return -errno;
	}
	fputs("combination,", f);
	for (size_t a = 0; a < g->naxes; a++) {
		char *name = xasprintf("%s.%s", g->axes[a]->section, g->axes[a]->key);

		if (g->axes[a] != run->search->ps->axis)
			results_csv_field(f, name, false);
		free(name);
	}
	fputs("axis,reach,status,threshold,probes,cells,lowest_reaching,highest_not_reaching\n", f);
	for (size_t c = 0; c < run->search->ncombos; c++)
		results_thresholds_row(f, run, c);
	return results_tmp_commit(f, run->dir, "thresholds.csv", tmp);
}

/* "threshold 6s (7 probes, 21 cells; reached at 6s, not at 5500ms)". */
static void results_search_line(const struct run *run, size_t combo, char *buf, size_t len)
{
	const struct search_plan *sp = run->search;
	struct search_step st;
	char thr[128] = "", yes[128] = "-", no[128] = "-";

	results_search_step(run, combo, &st);
	if (st.status == SEARCH_FOUND || st.status == SEARCH_AT_OR_BELOW_LO)
		search_plan_fmt(sp, st.threshold, thr, sizeof(thr));
	if (st.have_reached)
		search_plan_fmt(sp, st.reached, yes, sizeof(yes));
	if (st.have_not_reached)
		search_plan_fmt(sp, st.not_reached, no, sizeof(no));
	switch (st.status) {
	case SEARCH_FOUND:
		snprintf(buf, len, "threshold %s", thr);
		break;
	case SEARCH_AT_OR_BELOW_LO:
		snprintf(buf, len, "at or below lo (%s reaches)", thr);
		break;
	case SEARCH_ABOVE_HI:
		snprintf(buf, len, "above hi (%s does not reach)", sp->ps->hi.text);
		break;
	case SEARCH_NON_MONOTONIC:
		snprintf(buf, len, "NOT MONOTONIC: %s did not reach while %s did; no threshold", no,
			 yes);
		break;
	case SEARCH_UNDECIDED:
		search_plan_fmt(sp, st.undecided, thr, sizeof(thr));
		snprintf(buf, len, "undecided: no run of %s counts (errors); no threshold", thr);
		break;
	default:
		snprintf(buf, len, "unfinished");
		break;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), " (%zu probes, %zu cells; lowest reaching %s, "
		 "highest not reaching %s)", st.nprobes, search_plan_cells_done(sp, run, combo), yes,
		 no);
}

void results_print_search(const struct run *run)
{
	const struct search_plan *sp = run->search;
	size_t cells = 0;
	char desc[1024], line[1024];

	if (!sp)
		return;
	printf("  search %s.%s from %s to %s at %s, the smallest value that reaches %s:\n",
	       sp->ps->axis->section, sp->ps->axis->key, sp->ps->lo.text, sp->ps->hi.text,
	       sp->ps->resolution.text, outcome_name(sp->reach));
	for (size_t c = 0; c < sp->ncombos; c++) {
		search_plan_describe(sp, run->grid, c, desc, sizeof(desc));
		results_search_line(run, c, line, sizeof(line));
		printf("  %s: %s\n", desc, line);
		cells += search_plan_cells_done(sp, run, c);
	}
	printf("search: %zu cells, the grid at %s would be %zu\n", cells, sp->ps->resolution.text,
	       run->grid->ncells);
}

size_t results_wanted(const struct run *run, size_t *idx, size_t max)
{
	const struct search_plan *sp = run->search;
	size_t n = 0;

	if (!sp) {
		for (size_t i = 0; i < run->grid->ncells; i++)
			if (!run->done[i] && n++ < max && idx)
				idx[n - 1] = i;
		return n;
	}
	for (size_t c = 0; c < sp->ncombos; c++) {
		struct search_step st;
		size_t point;

		if (search_plan_step(sp, run, c, &st) < 0 || st.status != SEARCH_PROBE ||
		    !search_point(&sp->space, st.next, &point))
			continue;
		for (size_t r = 0; r < sp->repeat; r++) {
			size_t i = search_plan_cell(sp, c, point, r);

			if ((!run->done[i] || results_cell_interrupted(&run->res[i])) && n++ < max && idx)
				idx[n - 1] = i;
		}
	}
	return n;
}
