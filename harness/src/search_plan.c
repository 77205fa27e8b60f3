// SPDX-License-Identifier: GPL-2.0
/* A [search] over its grid: which cells are which probe, and the search's
 * step in each combination of the other axes from the run's results. */
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "results.h"
#include "search_plan.h"

int search_plan_init(struct search_plan *sp, const struct grid *g)
{
	const struct profile_search *ps = g->ncells ? g->cells[0].prof->search : NULL;
	size_t a, combos;

	memset(sp, 0, sizeof(*sp));
	if (!ps)
		return -EINVAL;
	for (a = 0; a < g->naxes && g->axes[a] != ps->axis; a++)
		;
	if (a == g->naxes || outcome_parse(ps->reach, &sp->reach) < 0)
		return -EINVAL;
	sp->ps = ps;
	sp->space = (struct search_space){ ps->lo.num, ps->hi.num, ps->resolution.num };
	sp->npoints = ps->axis->nvals;
	sp->repeat = g->cells[g->ncells - 1].rep + 1;
	sp->stride = 1;
	for (size_t b = a + 1; b < g->naxes; b++)
		sp->stride *= g->axes[b]->nvals;
	combos = g->ncells / sp->repeat;
	sp->ncombos = combos / sp->npoints;
	return 0;
}

size_t search_plan_max_cells(const struct search_plan *sp)
{
	return sp->ncombos * sp->repeat * search_bound(&sp->space);
}

size_t search_plan_cell(const struct search_plan *sp, size_t combo, size_t point, size_t rep)
{
	/* Axes before the search's vary slower, those after it faster. */
	size_t ci = combo / sp->stride * sp->npoints * sp->stride + combo % sp->stride +
		    point * sp->stride;

	return ci * sp->repeat + rep;
}

void search_plan_tally(const struct search_plan *sp, const struct run *run, size_t combo,
		       size_t point, struct search_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t r = 0; r < sp->repeat; r++) {
		size_t i = search_plan_cell(sp, combo, point, r);
		const struct cell_result *res = &run->res[i];

		if (!run->done[i] || results_cell_interrupted(res))
			continue;
		t->done++;
		if (res->outcome < OUT_CLEAN || res->outcome > OUT_HOST_HANG)
			continue;
		t->n++;
		t->k += res->outcome >= sp->reach;
	}
}

int search_plan_step(const struct search_plan *sp, const struct run *run, size_t combo,
		     struct search_step *st)
{
	struct search_probe *pr = calloc(sp->npoints, sizeof(*pr));
	size_t n = 0;
	int rc;

	if (!pr)
		return -ENOMEM;
	for (size_t i = 0; i < sp->npoints; i++) {
		struct search_tally t;

		search_plan_tally(sp, run, combo, i, &t);
		if (t.done < sp->repeat)
			continue;
		pr[n].value = search_value(&sp->space, i);
		pr[n++].verdict = search_verdict_of(t.k, t.n);
	}
	rc = search_next(&sp->space, pr, n, st);
	free(pr);
	return rc;
}

size_t search_plan_cells_done(const struct search_plan *sp, const struct run *run, size_t combo)
{
	size_t n = 0;

	for (size_t i = 0; i < sp->npoints; i++) {
		struct search_tally t;

		search_plan_tally(sp, run, combo, i, &t);
		n += t.done;
	}
	return n;
}

void search_plan_describe(const struct search_plan *sp, const struct grid *g, size_t combo,
			  char *buf, size_t len)
{
	const struct cell *c = &g->cells[search_plan_cell(sp, combo, 0, 0)];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t a = 0; a < g->naxes && off < len; a++) {
		const struct pkey *k = g->axes[a];
		int n;

		if (k == sp->ps->axis)
			continue;
		n = snprintf(buf + off, len - off, "%s%s.%s=%s", off ? " " : "", k->section, k->key,
			     cell_val(c, k->section, k->key)->text);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "(no other axis)");
}

void search_plan_fmt(const struct search_plan *sp, int64_t v, char *buf, size_t len)
{
	size_t i;

	if (search_point(&sp->space, v, &i))
		snprintf(buf, len, "%s", sp->ps->axis->vals[i].text);
	else
		snprintf(buf, len, "%lld", (long long)v);
}

void search_plan_print(const struct grid *g, FILE *f)
{
	struct search_plan sp;
	unsigned bound;
	char desc[1024];

	if (search_plan_init(&sp, g) < 0) {
		grid_print(g, f);
		return;
	}
	bound = search_bound(&sp.space);
	fprintf(f, "search %s.%s from %s to %s at %s (%zu values) for the smallest that reaches %s, "
		"%zu run(s) a probe\n", sp.ps->axis->section, sp.ps->axis->key, sp.ps->lo.text,
		sp.ps->hi.text, sp.ps->resolution.text, sp.npoints, outcome_name(sp.reach),
		sp.repeat);
	for (size_t c = 0; c < sp.ncombos; c++) {
		search_plan_describe(&sp, g, c, desc, sizeof(desc));
		fprintf(f, "combination %zu: %s: at most %u probes (%zu cells)\n", c, desc, bound,
			bound * sp.repeat);
	}
	fprintf(f, "at most %zu cells in all; the grid at %s has %zu\n", search_plan_max_cells(&sp),
		sp.ps->resolution.text, g->ncells);
}
