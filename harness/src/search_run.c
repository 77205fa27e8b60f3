// SPDX-License-Identifier: GPL-2.0
/* A [search] run: per combination of the other axes, the probes its search
 * asks for (search.h), each repeat a cell of the grid run like any other
 * (cell_start, cell_end), then a search_probe record, and a search_result
 * record when the search of the combination ends. The search's state is never
 * kept apart from the results: on resume it is rebuilt from the cell_end
 * records the journal holds, and goes on where it stopped. */
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "lockmap.h"
#include "search_plan.h"
#include "search_run.h"
#include "text.h"

/* What the journal holds already: the last search_probe of each probe and
 * the last search_result of each combination, so none is written twice and
 * a changed one (a probe run again after lockmap's own error) is. */
struct search_marks {
	struct search_mark_probe {
		bool have;
		unsigned done, k, n;
	} *probe;		/* [combo * npoints + point] */
	struct search_mark_result {
		bool have;
		enum search_status status;
		int64_t threshold;
	} *result;		/* [combo] */
};

struct search_load {
	const struct run *run;
	struct search_marks *m;
};

/* The combination and point of a record of this grid: its index and cell id
 * must be the grid's. */
static bool search_rec_place(const struct run *run, const json_t *rec, size_t *combo,
			     size_t *point)
{
	const struct search_plan *sp = run->search;
	json_int_t c = json_integer_value(json_object_get(rec, "combination"));
	json_int_t idx = json_integer_value(json_object_get(rec, "index"));
	const char *id = json_string_value(json_object_get(rec, "cell"));
	size_t p;

	if (c < 0 || (size_t)c >= sp->ncombos || idx < 0 || (size_t)idx >= run->grid->ncells ||
	    !id || strcmp(run->grid->cells[idx].id, id))
		return false;
	p = (size_t)idx / sp->repeat / sp->stride % sp->npoints;
	if (search_plan_cell(sp, (size_t)c, p, 0) != (size_t)idx)
		return false;
	*combo = (size_t)c;
	*point = p;
	return true;
}

static int search_marks_record(json_t *rec, void *arg)
{
	struct search_load *ld = arg;
	const struct search_plan *sp = ld->run->search;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *status = json_string_value(json_object_get(rec, "status"));
	size_t combo, point;

	if (!type || !search_rec_place(ld->run, rec, &combo, &point))
		return 0;
	if (!strcmp(type, "search_probe")) {
		struct search_mark_probe *mp = &ld->m->probe[combo * sp->npoints + point];

		mp->have = true;
		mp->done = (unsigned)json_integer_value(json_object_get(rec, "repeats"));
		mp->n = (unsigned)json_integer_value(json_object_get(rec, "counted"));
		mp->k = (unsigned)json_integer_value(json_object_get(rec, "reached"));
	} else if (!strcmp(type, "search_result") && status) {
		struct search_mark_result *mr = &ld->m->result[combo];

		mr->have = true;
		mr->status = SEARCH_UNFINISHED;
		for (int s = 0; s < SEARCH__COUNT; s++)
			if (!strcmp(status, search_status_name((enum search_status)s)))
				mr->status = (enum search_status)s;
		mr->threshold = json_integer_value(json_object_get(rec, "threshold_num"));
	}
	return 0;
}

static void search_marks_free(struct search_marks *m)
{
	free(m->probe);
	free(m->result);
}

static int search_marks_load(const struct run *run, struct search_marks *m)
{
	const struct search_plan *sp = run->search;
	struct search_load ld = { run, m };
	char *path;
	int rc;

	m->probe = calloc(sp->ncombos * sp->npoints, sizeof(*m->probe));
	m->result = calloc(sp->ncombos, sizeof(*m->result));
	if (!m->probe || !m->result) {
		search_marks_free(m);
		return -ENOMEM;
	}
	path = xasprintf("%s/journal.jsonl", run->dir);
	rc = journal_read(path, search_marks_record, &ld);
	free(path);
	return rc == -ENOENT ? 0 : rc;
}

/* The other axes' values of a combination, {"guests.count": "8"}. */
static json_t *search_rec_axes(const struct run *run, size_t combo)
{
	const struct search_plan *sp = run->search;
	const struct cell *c = &run->grid->cells[search_plan_cell(sp, combo, 0, 0)];
	json_t *o = json_object();

	for (size_t a = 0; a < run->grid->naxes; a++) {
		const struct pkey *k = run->grid->axes[a];
		char *name;

		if (k == sp->ps->axis)
			continue;
		name = xasprintf("%s.%s", k->section, k->key);
		json_object_set_new(o, name, text_json(cell_val(c, k->section, k->key)->text));
		free(name);
	}
	return o;
}

/* The fields every search record has: where it is, what is searched. */
static json_t *search_rec_new(const struct run *run, const char *type, size_t combo,
			      size_t point)
{
	const struct search_plan *sp = run->search;
	size_t idx = search_plan_cell(sp, combo, point, 0);
	char axis[256];

	snprintf(axis, sizeof(axis), "%s.%s", sp->ps->axis->section, sp->ps->axis->key);
	return json_pack("{s:s, s:I, s:o, s:o, s:s, s:s, s:I}", "type", type,
			 "combination", (json_int_t)combo, "axes", search_rec_axes(run, combo),
			 "axis", text_json(axis), "reach", outcome_name(sp->reach),
			 "cell", run->grid->cells[idx].id, "index", (json_int_t)idx);
}

/* The one builder of a search_probe record: a probe whose repeats are done. */
static json_t *search_rec_probe(const struct run *run, size_t combo, size_t point,
				const struct search_tally *t)
{
	json_t *rec = search_rec_new(run, "search_probe", combo, point);
	const struct pval *v = &run->search->ps->axis->vals[point];

	json_object_set_new(rec, "value", text_json(v->text));
	json_object_set_new(rec, "value_num", json_integer(v->num));
	json_object_set_new(rec, "repeats", json_integer(t->done));
	json_object_set_new(rec, "counted", json_integer(t->n));
	json_object_set_new(rec, "reached", json_integer(t->k));
	json_object_set_new(rec, "verdict", json_string(search_verdict_name(search_verdict_of(t->k,
											      t->n))));
	return rec;
}

/* A value of the axis as text, or null. */
static json_t *search_rec_value(const struct search_plan *sp, bool have, int64_t v)
{
	char buf[128];

	if (!have)
		return json_null();
	search_plan_fmt(sp, v, buf, sizeof(buf));
	return text_json(buf);
}

/* The one builder of a search_result record: the end of a combination's
 * search. With non_monotonic, lowest_reaching < highest_not_reaching is the
 * contradiction. */
static json_t *search_rec_result(const struct run *run, size_t combo, const struct search_step *st)
{
	const struct search_plan *sp = run->search;
	json_t *rec = search_rec_new(run, "search_result", combo, 0);
	bool thr = st->status == SEARCH_FOUND || st->status == SEARCH_AT_OR_BELOW_LO;

	json_object_set_new(rec, "status", json_string(search_status_name(st->status)));
	json_object_set_new(rec, "threshold", search_rec_value(sp, thr, st->threshold));
	json_object_set_new(rec, "threshold_num", thr ? json_integer(st->threshold) : json_null());
	json_object_set_new(rec, "lowest_reaching",
			    search_rec_value(sp, st->have_reached, st->reached));
	json_object_set_new(rec, "highest_not_reaching",
			    search_rec_value(sp, st->have_not_reached, st->not_reached));
	json_object_set_new(rec, "undecided", search_rec_value(sp, st->status == SEARCH_UNDECIDED,
							       st->undecided));
	json_object_set_new(rec, "probes", json_integer((json_int_t)st->nprobes));
	json_object_set_new(rec, "cells",
			    json_integer((json_int_t)search_plan_cells_done(sp, run, combo)));
	json_object_set_new(rec, "bound", json_integer(search_bound(&sp->space)));
	return rec;
}

/* One line when a probe is done: what it said and where the search stands. */
static void search_print_probe(const struct run *run, size_t combo, size_t point,
			       const struct search_tally *t)
{
	const struct search_plan *sp = run->search;
	char desc[512];

	search_plan_describe(sp, run->grid, combo, desc, sizeof(desc));
	printf("      search %s: %s.%s=%s %s %s in %u of %u counted runs\n", desc,
	       sp->ps->axis->section, sp->ps->axis->key, sp->ps->axis->vals[point].text,
	       search_verdict_of(t->k, t->n) == SV_REACHED ? "reaches" : "does not reach",
	       outcome_name(sp->reach), t->k, t->n);
	fflush(stdout);
}

/* Journal what combination combo's results call for and m lacks. */
static void search_marks_sync(struct run *run, struct search_marks *m, size_t combo,
			      const struct search_step *st, bool print)
{
	const struct search_plan *sp = run->search;
	struct search_mark_result *mr = &m->result[combo];

	for (size_t i = 0; i < sp->npoints; i++) {
		struct search_mark_probe *mp = &m->probe[combo * sp->npoints + i];
		struct search_tally t;

		search_plan_tally(sp, run, combo, i, &t);
		if (t.done < sp->repeat ||
		    (mp->have && mp->done == t.done && mp->k == t.k && mp->n == t.n))
			continue;
		(void)journal_append(run->journal, search_rec_probe(run, combo, i, &t), true);
		*mp = (struct search_mark_probe){ true, t.done, t.k, t.n };
		if (print)
			search_print_probe(run, combo, i, &t);
	}
	if (st->status == SEARCH_PROBE ||
	    (mr->have && mr->status == st->status && mr->threshold == st->threshold))
		return;
	(void)journal_append(run->journal, search_rec_result(run, combo, st), true);
	*mr = (struct search_mark_result){ true, st->status, st->threshold };
}

int search_journal_sync(struct run *run)
{
	struct search_marks m = { 0 };
	int rc;

	if (!run->search)
		return 0;
	rc = search_marks_load(run, &m);
	for (size_t c = 0; !rc && c < run->search->ncombos; c++) {
		struct search_step st;

		rc = search_plan_step(run->search, run, c, &st);
		if (!rc)
			search_marks_sync(run, &m, c, &st, false);
	}
	search_marks_free(&m);
	return rc;
}

/* Run the repeats of the probe at point not done yet. 0, or run_cell's code. */
static int search_run_probe(struct run *run, size_t combo, size_t point, search_cell_fn run_cell,
			    void *arg)
{
	const struct search_plan *sp = run->search;

	for (size_t r = 0; r < sp->repeat && !lm_stop_requested; r++) {
		size_t idx = search_plan_cell(sp, combo, point, r);
		int rc;

		if (run->done[idx] && !results_cell_interrupted(&run->res[idx]))
			continue;
		rc = run_cell(arg, idx);
		if (rc)
			return rc;
	}
	return 0;
}

int search_run(struct run *run, search_cell_fn run_cell, void *arg)
{
	const struct search_plan *sp = run->search;
	struct search_marks m = { 0 };
	int rc = search_marks_load(run, &m);

	for (size_t c = 0; !rc && c < sp->ncombos && !lm_stop_requested; c++) {
		for (;;) {
			struct search_step st;
			struct search_tally t;
			size_t point;

			rc = search_plan_step(sp, run, c, &st);
			if (rc || lm_stop_requested)
				break;
			search_marks_sync(run, &m, c, &st, true);
			if (st.status != SEARCH_PROBE || !search_point(&sp->space, st.next, &point))
				break;
			rc = search_run_probe(run, c, point, run_cell, arg);
			if (rc || lm_stop_requested)
				break;
			search_plan_tally(sp, run, c, point, &t);
			/* A cell that did not end would be asked for again and again. */
			if (t.done < sp->repeat) {
				lm_err("search: a cell of %s=%s did not end; its combination stops here",
				       sp->ps->axis->key, sp->ps->axis->vals[point].text);
				break;
			}
		}
	}
	search_marks_free(&m);
	return rc;
}
