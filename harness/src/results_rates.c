// SPDX-License-Identifier: GPL-2.0
/* Where rates over repeats (rates.h) reach users: rates.csv in the run
 * directory, rewritten after every cell like cells.csv, and a line per cell
 * id in the summary a run prints at its end. */
#include <stdlib.h>

#include "lockmap.h"
#include "rates.h"
#include "results.h"

/* One row: the cell id, its axis values, its counts, its worst outcome's
 * rate (empty fields when nothing was measured). */
static void results_rates_row(FILE *f, const struct grid *g, const struct cell_rate *cr)
{
	fprintf(f, "%s,", cr->cell->id);
	results_csv_axes(f, g, cr->cell);
	fprintf(f, "%u,%u", cr->repeats, cr->n);
	for (int o = OUT_SKIPPED + 1; o < OUT__COUNT; o++)
		fprintf(f, ",%u", cr->counts[o]);
	fprintf(f, ",%u,%u,%u", cr->counts[OUT_SKIPPED], cr->interrupted, cr->lockmap_errors);
	if (cr->n)
		fprintf(f, ",%s,%u,%.4f,%.4f,%.4f\n", outcome_name(cr->worst), cr->k, cr->rate,
			cr->lo, cr->hi);
	else
		fputs(",,,,,\n", f);
}

int results_write_rates(const struct run *run)
{
	struct rates rt;
	char *tmp;
	FILE *f;
	int rc = rates_compute(run, &rt);

	if (rc)
		return rc;
	f = results_tmp_open(run->dir, "rates.csv", &tmp);
	if (!f) {
		rc = -errno;
		free(tmp);
		rates_free(&rt);
		return rc;
	}
	fputs("cell_id,", f);
	results_csv_axes(f, run->grid, NULL);
	fputs("repeats,n", f);
	for (int o = OUT_SKIPPED + 1; o < OUT__COUNT; o++)
		fprintf(f, ",%s", outcome_name((enum outcome)o));
	fputs(",skipped,interrupted,lockmap_error,worst,k,rate,wilson_lo,wilson_hi\n", f);
	for (size_t i = 0; i < rt.ncells; i++)
		if (rt.cells[i].repeats)
			results_rates_row(f, run->grid, &rt.cells[i]);
	rates_free(&rt);
	return results_tmp_commit(f, run->dir, "rates.csv", tmp);
}

void results_print_rates(const struct run *run)
{
	struct rates rt;
	char desc[1024], line[512];

	if (rates_compute(run, &rt) < 0) {
		lm_warn("out of memory: no rates over repeats in this summary (rates.csv)");
		return;
	}
	if (rt.repeat > 1) {
		printf("  per cell over its %u repeats: worst outcome k/n, 95%% Wilson interval of its rate\n",
		       rt.repeat);
		for (size_t i = 0; i < rt.ncells; i++) {
			if (!rt.cells[i].repeats)
				continue;
			cell_describe(rt.cells[i].cell, desc, sizeof(desc));
			rates_describe(&rt.cells[i], line, sizeof(line));
			printf("  %s: %s\n", desc, line);
		}
	}
	rates_free(&rt);
}
