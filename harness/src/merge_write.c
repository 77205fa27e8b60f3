// SPDX-License-Identifier: GPL-2.0
/* `lockmap merge` (merge.h), its writer: OUT from the parts merge.c checked.
 * The journal first, then the cell directories and the tables, run.json
 * last: a merge cut short leaves a directory that no resume takes for a run. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "lockmap.h"
#include "merge_int.h"
#include "results.h"
#include "text.h"
#include "treecopy.h"

/* Missing cells listed one a line, at most. */
#define MERGE_LIST_MAX 20

struct merge_copy_ctx {
	FILE *f;
	int err;
};

static int merge_put(struct merge_copy_ctx *w, const json_t *rec)
{
	size_t len;
	char *s = journal_format(rec, &len);

	if (!s)
		w->err = -ENOMEM;
	else if (fwrite(s, 1, len, w->f) != len)
		w->err = -EIO;
	free(s);
	return w->err;
}

static int merge_copy_rec(json_t *rec, void *arg)
{
	return merge_put(arg, rec);
}

/* Every record of every part, as it was written, part after part; a
 * merge_part record before each says whose records follow. */
static int merge_write_journal(const struct merge *m, const char *dir)
{
	struct merge_copy_ctx w = { 0 };
	char *tmp;

	w.f = results_tmp_open(dir, "journal.jsonl", &tmp);
	if (!w.f) {
		free(tmp);
		return -errno;
	}
	for (size_t k = 0; k < m->nparts && !w.err; k++) {
		const struct merge_part *mp = &m->parts[k];
		char *path = xasprintf("%s/journal.jsonl", mp->dir);
		json_t *rec = json_pack("{s:s, s:I, s:O?, s:o, s:O?, s:f}", "type", "merge_part",
					"part", (json_int_t)k + 1, "run_id",
					json_object_get(mp->rj, "run_id"), "dir", text_json(mp->dir),
					"shard", json_object_get(mp->rj, "shard"), "ts",
					(double)wall_ns() / NSEC_PER_SEC);
		int rc;

		(void)merge_put(&w, rec);
		json_decref(rec);
		rc = w.err ? 0 : journal_read(path, merge_copy_rec, &w);
		free(path);
		if (rc < 0 && rc != -ENOENT && !w.err)
			w.err = rc;
	}
	if (w.err) {
		fclose(w.f);
		(void)unlink(tmp);
		free(tmp);
		return w.err;
	}
	return results_tmp_commit(w.f, dir, "journal.jsonl", tmp);
}

/* The directory of every cell a part ran, into dir/cells. */
static int merge_copy_cells(const struct merge *m, const char *dir)
{
	const struct run to = { .dir = (char *)dir };
	const struct grid *g = &m->grid;
	int rc = 0;

	for (size_t k = 0; k < m->nparts && !rc; k++) {
		const struct run from = { .dir = m->parts[k].dir };

		for (size_t i = 0; i < g->ncells && !rc; i++) {
			char *src, *dst;
			struct stat st;

			if (!m->parts[k].touched[i])
				continue;
			src = results_cell_dir(&from, &g->cells[i]);
			dst = results_cell_dir(&to, &g->cells[i]);
			if (lstat(src, &st) == 0)
				rc = tree_copy(src, dst);
			if (rc)
				lm_err("merge: cannot put %s into %s: %s", src, dst, strerror(-rc));
			free(src);
			free(dst);
		}
	}
	return rc;
}

/* The cells without a result (a shard not given, a cell not run or cut),
 * warned about with what to do, and put in merged. Returns how many. */
static size_t merge_missing(const struct merge *m, const struct run *run, json_t *merged)
{
	const struct grid *g = &m->grid;
	unsigned *of = calloc(g->ncells ? g->ncells : 1, sizeof(*of));
	bool *given = calloc(m->count + 1, sizeof(*given));
	json_t *shards = json_array();
	size_t missing = 0, listed = 0;

	if (!of || !given) {
		free(of);
		free(given);
		json_decref(shards);
		return 0;
	}
	shard_assign(g, m->count, of);
	for (size_t k = 0; k < m->nparts; k++)
		given[m->parts[k].sh.index] = true;
	for (size_t i = 0; i < g->ncells; i++)
		missing += !run->done[i];
	for (unsigned s = 1; s <= m->count; s++)
		if (!given[s])
			json_array_append_new(shards, json_integer(s));
	json_object_set_new(merged, "missing_shards", shards);
	json_object_set_new(merged, "missing_cells", json_integer((json_int_t)missing));
	if (missing)
		lm_warn("%s holds %zu of %u shards; %zu of the grid's %zu cells have no result:",
			run->dir, m->nparts, m->count, missing, g->ncells);
	for (size_t i = 0; i < g->ncells && listed < MERGE_LIST_MAX; i++) {
		char desc[512];

		if (run->done[i])
			continue;
		cell_describe(&g->cells[i], desc, sizeof(desc));
		lm_warn("  cell %zu %s r%d %s: %s %u/%u", i, g->cells[i].id, g->cells[i].rep, desc,
			given[of[i]] ? "not run, or cut, in its run of shard" : "missing shard",
			of[i], m->count);
		listed++;
	}
	if (missing > listed)
		lm_warn("  and %zu more", missing - listed);
	if (missing)
		lm_warn("run the missing shards (`lockmap run --shard I/N %s`), resume cut ones (`lockmap run --run-dir RUN --shard I/N %s`) and merge again into a new directory; or complete this run on one host: `lockmap run --run-dir %s %s`",
			m->prof->path, m->prof->path, run->dir, m->prof->path);
	free(of);
	free(given);
	return missing;
}

/* run.json of the merged run: the first part's (the lowest shard), with
 * "merged" saying what it was made of. */
static int merge_write_run_json(const struct merge *m, const struct run *run, json_t *merged)
{
	json_t *rj = json_deep_copy(m->parts[0].rj), *parts = json_array();
	int rc;

	for (size_t k = 0; k < m->nparts; k++) {
		const json_t *prj = m->parts[k].rj;

		json_array_append_new(parts, json_pack("{s:O?, s:o, s:O?, s:O?, s:O?, s:O?}",
						       "run_id", json_object_get(prj, "run_id"),
						       "dir", text_json(m->parts[k].dir),
						       "shard", json_object_get(prj, "shard"),
						       "started", json_object_get(prj, "started"),
						       "lockmap_version",
						       json_object_get(prj, "lockmap_version"),
						       "host", json_object_get(prj, "host")));
	}
	json_object_del(rj, "shard");
	json_object_set_new(rj, "run_id", text_json(run->id));
	json_object_set_new(merged, "parts", parts);
	json_object_set(rj, "merged", merged);
	rc = results_write_json(run->dir, "run.json", rj);
	json_decref(rj);
	return rc;
}

/* The merged run's journal read back into cells.csv and junit.xml, by the
 * code that writes them for every run; then run.json. */
static int merge_tables(const struct merge *m, struct run *run)
{
	json_t *merged = json_object();
	size_t missing;
	int rc = results_run_init(run, m->prof, &m->grid);

	json_object_set_new(merged, "merged_at", json_integer((json_int_t)time(NULL)));
	json_object_set_new(merged, "shards", json_integer(m->count));

	if (!rc)
		rc = results_load_journal(run);
	if (rc >= 0)
		rc = results_write_tables(run);
	if (rc < 0) {
		lm_err("merge: cannot write the tables of %s: %s", run->dir, strerror(-rc));
		json_decref(merged);
		return EXIT_NOTREADY;
	}
	missing = merge_missing(m, run, merged);
	rc = merge_write_run_json(m, run, merged);
	json_decref(merged);
	if (rc) {
		lm_err("merge: cannot write %s/run.json: %s", run->dir, strerror(-rc));
		return EXIT_NOTREADY;
	}
	results_print_summary(run);
	if (missing)
		return EXIT_NOTREADY;
	return results_failed(run) ? EXIT_FAILED : EXIT_CLEAN;
}

int merge_write(struct merge *m)
{
	struct run run = { 0 };
	const char *slash;
	char *cells;
	int rc, exit_code;

	cells = xasprintf("%s/cells", m->out);
	rc = mkdir_p(cells, 0755);
	free(cells);
	run.dir = rc ? NULL : realpath(m->out, NULL);
	if (!run.dir) {
		lm_err("merge: cannot make %s: %s", m->out, strerror(rc ? -rc : errno));
		return EXIT_NOTREADY;
	}
	slash = strrchr(run.dir, '/');
	snprintf(run.id, sizeof(run.id), "%s", slash ? slash + 1 : run.dir);
	rc = merge_write_journal(m, run.dir);
	if (rc)
		lm_err("merge: cannot write %s/journal.jsonl: %s", run.dir, strerror(-rc));
	else
		rc = merge_copy_cells(m, run.dir);
	exit_code = rc ? EXIT_NOTREADY : merge_tables(m, &run);
	results_close(&run);
	return exit_code;
}
