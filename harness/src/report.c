// SPDX-License-Identifier: GPL-2.0
/* `lockmap report` (report.h): a run read back from its directory, by the
 * results code every run uses (the profile run.json keeps, its grid, the
 * journal's cell_end records, rates.h), plus what the journal says of each
 * cell beyond its end record: events, guests' start, sample records. */
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "lockmap.h"
#include "profile.h"
#include "report.h"

struct report_load_ctx {
	struct report_run *rr;
	long cur;	/* the grid index of the cell whose records come, or -1 */
};

/* The grid index a record's cell and index name, or -1. */
static long report_rec_cell(const struct report_run *rr, const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "cell"));
	json_t *ix = json_object_get(rec, "index");

	if (id && json_is_integer(ix)) {
		json_int_t i = json_integer_value(ix);

		if (i >= 0 && (size_t)i < rr->grid.ncells && !strcmp(rr->grid.cells[i].id, id))
			return (long)i;
	}
	return -1;
}

/* Records between a cell_start and its cell_end are that cell's (cells run
 * one after the other; event and guests_start records carry no index). */
static int report_load_rec(json_t *rec, void *arg)
{
	struct report_load_ctx *lc = arg;
	struct report_run *rr = lc->rr;
	const char *type = json_string_value(json_object_get(rec, "type"));
	double ts = json_number_value(json_object_get(rec, "ts"));
	struct report_cell *rc;

	if (!type)
		return 0;
	if (!strcmp(type, "run_start") && json_string_value(json_object_get(rec, "accel")))
		snprintf(rr->accel, sizeof(rr->accel), "%s",
			 json_string_value(json_object_get(rec, "accel")));
	if (!strcmp(type, "cell_start")) {
		lc->cur = report_rec_cell(rr, rec);
		if (lc->cur >= 0) {
			rc = &rr->cells[lc->cur];
			/* A resumed cell starts again: only its last try is shown. */
			json_array_clear(rc->events);
			
			json_array_clear(rc->samples);
			rc->t0 = ts;
			rc->tg = 0;
		}
		return 0;
	}
	if (lc->cur < 0)
		return 0;
	rc = &rr->cells[lc->cur];
	if (!strcmp(type, "event") && json_is_object(json_object_get(rec, "event"))) {
		json_t *ev = json_deep_copy(json_object_get(rec, "event"));

		json_object_set_new(ev, "ts", json_real(ts));
		json_array_append_new(rc->events, ev);
	} else if (!strcmp(type, "guests_start")) {
		rc->tg = ts;
	} else if (!strcmp(type, "sample")) {
		json_array_append(rc->samples, rec);
	} else if (!strcmp(type, "cell_end")) {
		rc->t1 = ts;
		lc->cur = -1;
	}
	return 0;
}

/* The profile run.json keeps, and its grid: the cells of the run. */
static int report_grid(struct report_run *rr, const char *arg, char *why, size_t len)
{
	const char *text = json_string_value(json_object_get(rr->rj, "profile"));
	const char *path = json_string_value(json_object_get(rr->rj, "profile_path"));
	char err[512] = "";
	int rc;

	if (!text) {
		snprintf(why, len, "%s: its run.json keeps no profile", arg);
		return -EINVAL;
	}
	rc = profile_parse(path ? path : "run.json", text, &rr->prof, err, sizeof(err));
	if (!rc)
		rc = grid_build_passes(rr->prof, results_passes(rr->rj), &rr->grid);
	if (rc) {
		snprintf(why, len, "%s: the profile its run.json keeps does not load here (%.300s): report with the lockmap that ran it",
			 arg, err[0] ? err : strerror(-rc));
		return -EINVAL;
	}
	rr->have_grid = true;
	return 0;
}

int report_run_open(const char *dir, struct report_run *rr, char *why, size_t len)
{
	struct report_load_ctx lc = { NULL, -1 };
	json_error_t jerr;
	const char *slash;
	char *path;
	int rc;

	memset(rr, 0, sizeof(*rr));
	lc.rr = rr;
	rr->dir = realpath(dir, NULL);
	if (!rr->dir) {
		snprintf(why, len, "%s: %s: give the directory of a run (results/RUN-ID)", dir,
			 strerror(errno));
		return -EINVAL;
	}
	path = xasprintf("%s/run.json", rr->dir);
	rr->rj = json_load_file(path, 0, &jerr);
	free(path);
	/* A lab run's host under test is the lab host, which the inner run
	 * describes; run.json describes the machine that launched it. */
	path = xasprintf("%s/lab-host.json", rr->dir);
	rr->lab_host = json_load_file(path, 0, NULL);
	free(path);
	if (!json_is_object(rr->rj)) {
		snprintf(why, len, "%s is no lockmap run: cannot read its run.json (%s)", dir,
			 jerr.text);
		return -EINVAL;
	}
	rc = report_grid(rr, dir, why, len);
	if (rc)
		return rc;
	rc = results_run_init(&rr->run, rr->prof, &rr->grid);
	if (rc)
		return rc;
	rr->run.dir = strdup(rr->dir);
	slash = strrchr(rr->dir, '/');
	snprintf(rr->run.id, sizeof(rr->run.id), "%s", slash ? slash + 1 : rr->dir);
	rr->cells = calloc(rr->grid.ncells + 1, sizeof(*rr->cells));
	if (!rr->run.dir || !rr->cells)
		return -ENOMEM;
	for (size_t i = 0; i < rr->grid.ncells; i++) {
		rr->cells[i].events = json_array();
		
		rr->cells[i].samples = json_array();
	}
	rc = results_load_journal(&rr->run);
	path = xasprintf("%s/journal.jsonl", rr->dir);
	if (rc >= 0)
		rc = journal_read(path, report_load_rec, &lc);
	free(path);
	if (rc < 0 && rc != -ENOENT) {
		snprintf(why, len, "%s: cannot read its journal.jsonl: %s", dir, strerror(-rc));
		return rc;
	}
	return rates_compute(&rr->run, &rr->rates);
}

void report_run_free(struct report_run *rr)
{
	if (rr->cells) {
		for (size_t i = 0; i < rr->grid.ncells; i++) {
			json_decref(rr->cells[i].events);
			
			json_decref(rr->cells[i].samples);
		}
	}
	free(rr->cells);
	rates_free(&rr->rates);
	results_close(&rr->run);
	if (rr->have_grid)
		grid_free(&rr->grid);
	profile_free(rr->prof);
	json_decref(rr->rj);
	json_decref(rr->lab_host);
	free(rr->dir);
	memset(rr, 0, sizeof(*rr));
}

/* The grid axis a [report] key names, or -1. */
static int report_axis_named(const struct report_run *rr, const char *key)
{
	const struct pkey *k = profile_key(rr->prof, "report", key);

	if (!k || !k->nvals || !strcmp(k->vals[0].text, "auto"))
		return -1;
	for (size_t i = 0; i < rr->grid.naxes; i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s.%s", rr->grid.axes[i]->section,
			 rr->grid.axes[i]->key);
		if (!strcmp(name, k->vals[0].text))
			return (int)i;
	}
	return -1;
}

void report_axes(const struct report_run *rr, struct report_axes *ax)
{
	ax->x = report_axis_named(rr, "x");
	ax->y = report_axis_named(rr, "y");
	for (int i = 0; i < (int)rr->grid.naxes && (ax->x < 0 || ax->y < 0); i++) {
		if (i == ax->x || i == ax->y)
			continue;
		if (ax->x < 0)
			ax->x = i;
		else
			ax->y = i;
	}
}

size_t report_axis_pos(const struct cell *c, const struct pkey *a)
{
	for (size_t i = 0; i < c->nparams; i++) {
		if (c->params[i].pkey != a)
			continue;
		for (size_t v = 0; v < a->nvals; v++)
			if (&a->vals[v] == c->params[i].val)
				return v;
	}
	return 0;
}
