// SPDX-License-Identifier: GPL-2.0
/* `lockmap merge`: shard runs as the run writers leave them (run.json with
 * its shard, journal records from the journal's own builders, cell
 * directories with logs) joined into one run whose cells.csv is the
 * unsharded run's, whose journal holds every record, whose cell logs are
 * there (copies, not links); refused (nothing written) for another profile, another
 * shard count, the same shard twice, overlapping cells, an OUT in use; a
 * partial set written with what is missing; fail_on outcomes exit 1. */
#include "testutil.h"

#include <dirent.h>

#include "grid.h"
#include "journal.h"
#include "lockmap.h"
#include "merge.h"
#include "results.h"
#include "shard.h"

/* 3 cells of 2 repeats: shard 1/2 holds cells 0 and 2, shard 2/2 cell 1. */
#define PROFILE_M \
	"[run]\nname = m\ncell_seconds = 1s\nrepeat = 2\n[expect]\nfail_on = hardlockup\n" \
	"[guests]\ncount = 1\nperiod = 1ms, 2ms, 3ms\n"
#define PROFILE_OTHER \
	"[run]\nname = m\ncell_seconds = 1s\nrepeat = 2\n[expect]\nfail_on = hardlockup\n" \
	"[guests]\ncount = 1\nperiod = 1ms, 2ms, 4ms\n"

static char base[64];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/lockmap-test-merge-XXXXXX");
	assert_non_null(mkdtemp(base));
	lm_verbose = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_tree(base);
	return 0;
}

/* What cell i measured, the same in every run of it. */
static void result_of(const struct cell *c, enum outcome o, struct cell_result *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = o;
	r->ticks = 1000 + c->index;
	r->expected = 1000 + c->index;
	r->seconds = 2;
}

/* A run of shard i/n of text (n 1: no shard), as `run` leaves it: each cell
 * of its slice started and ended (but cut, which only starts), a log in its
 * directory; cells.csv written. bad: the outcome of cell 0. Its directory. */
static char *shard_run(const char *text, unsigned i, unsigned n, ssize_t cut, enum outcome bad)
{
	struct profile *p;
	struct grid g;
	struct shard sh;
	struct run run;
	json_t *extra = NULL;
	char err[512], spec[32], *dir;
	bool *mine;
	size_t nmine;

	assert_int_equal(profile_parse("m.profile", text, &p, err, sizeof(err)), 0);
	assert_int_equal(grid_build(p, &g), 0);
	snprintf(spec, sizeof(spec), "%u/%u", i, n);
	assert_int_equal(shard_parse(spec, "--shard", &sh, err, sizeof(err)), 0);
	mine = calloc(g.ncells, sizeof(*mine));
	assert_non_null(mine);
	nmine = shard_cells(&sh, &g, mine);
	if (sh.count)
		extra = json_pack("{s:o}", "shard", shard_json(&sh, &g, nmine));
	assert_int_equal(results_create(base, p, &g, extra, &run), 0);
	json_decref(extra);
	for (size_t c = 0; c < g.ncells; c++) {
		const struct cell *cl = &g.cells[c];
		struct journal_cell_end_info x = { .source = "cell" };
		char *cdir;

		if (!mine[c])
			continue;
		assert_int_equal(journal_append(run.journal,
						json_pack("{s:s, s:s, s:I, s:i}", "type", "cell_start",
							  "cell", cl->id, "index",
							  (json_int_t)cl->index, "rep", cl->rep),
						false), 0);
		cdir = results_cell_dir(&run, cl);
		test_put_file(cdir, "guest-0.log", cl->id, 0644);
		free(cdir);
		if ((ssize_t)c == cut)
			continue;
		result_of(cl, c ? OUT_CLEAN : bad, &run.res[c]);
		run.done[c] = true;
		assert_int_equal(journal_append(run.journal, journal_cell_end(cl, &run.res[c], &x),
						false), 0);
	}
	assert_int_equal(results_write_tables(&run), 0);
	dir = strdup(run.dir);
	results_close(&run);
	free(mine);
	grid_free(&g);
	profile_free(p);
	return dir;
}

static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *buf = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	ssize_t n;

	assert_non_null(f);
	n = getdelim(&buf, &cap, '\0', f);
	assert_true(n >= 0);
	fclose(f);
	free(path);
	return buf;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static json_t *run_json(const char *dir)
{
	char *path = xasprintf("%s/run.json", dir);
	json_t *rj = json_load_file(path, 0, NULL);

	assert_non_null(rj);
	free(path);
	return rj;
}

static int merge2(const char *out, const char *a, const char *b)
{
	char *runs[] = { (char *)a, (char *)b };

	return merge_runs(out, runs, b ? 2 : 1);
}

static void test_merge_is_the_whole_run(void **state)
{
	char *whole = shard_run(PROFILE_M, 1, 1, -1, OUT_CLEAN);
	char *s1 = shard_run(PROFILE_M, 1, 2, -1, OUT_CLEAN);
	char *s2 = shard_run(PROFILE_M, 2, 2, -1, OUT_CLEAN);
	char *out = xasprintf("%s/merged", base), *a, *b, *c, *path;
	json_t *rj, *wj, *merged, *first;
	struct stat st;

	(void)state;
	/* given in any order */
	assert_int_equal(merge2(out, s2, s1), EXIT_CLEAN);
	a = slurp(out, "cells.csv");
	b = slurp(whole, "cells.csv");
	assert_string_equal(a, b);
	assert_int_equal(lines(a), 1 + 6);
	free(a);
	free(b);
	/* every record of both, after a merge_part record each, shard 1 first */
	a = slurp(out, "journal.jsonl");
	b = slurp(s1, "journal.jsonl");
	c = slurp(s2, "journal.jsonl");
	assert_int_equal(lines(a), lines(b) + lines(c) + 2);
	first = json_loads(a, JSON_DISABLE_EOF_CHECK, NULL);
	assert_string_equal(json_string_value(json_object_get(first, "type")), "merge_part");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(first, "shard"),
							    "index")), 1);
	json_decref(first);
	assert_non_null(strstr(a, b));
	assert_non_null(strstr(a, c));
	free(a);
	free(b);
	free(c);
	a = slurp(out, "junit.xml");
	assert_non_null(strstr(a, "tests=\"6\""));
	free(a);
	/* run.json: the whole grid's, no shard, what it was made of */
	rj = run_json(out);
	wj = run_json(whole);
	assert_string_equal(json_string_value(json_object_get(rj, "grid_id")),
			    json_string_value(json_object_get(wj, "grid_id")));
	assert_null(json_object_get(rj, "shard"));
	assert_string_equal(json_string_value(json_object_get(rj, "run_id")), "merged");
	merged = json_object_get(rj, "merged");
	assert_int_equal(json_array_size(json_object_get(merged, "parts")), 2);
	assert_int_equal(json_integer_value(json_object_get(merged, "missing_cells")), 0);
	assert_int_equal(json_array_size(json_object_get(merged, "missing_shards")), 0);
	json_decref(rj);
	json_decref(wj);
	/* every cell's logs, copies of their own (a resume of OUT rewrites the
	 * logs of a cell it runs again: never a shard's) */
	{
		const struct run to = { .dir = out };
		struct profile *p;
		char *text;
		struct grid g;
		char why[1024];

		assert_int_equal(profile_parse("m.profile", PROFILE_M, &p, why, sizeof(why)), 0);
		assert_int_equal(grid_build(p, &g), 0);
		for (size_t i = 0; i < g.ncells; i++) {
			char *cdir = results_cell_dir(&to, &g.cells[i]);

			path = xasprintf("%s/guest-0.log", cdir);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_nlink, 1);
			text = slurp(cdir, "guest-0.log");
			assert_int_equal(strncmp(text, g.cells[i].id, 16), 0);
			free(text);
			free(path);
			free(cdir);
		}
		/* OUT is a run like any other: a resume with its profile opens it */
		assert_int_equal(results_dir_check(out, p, &g, why, sizeof(why)), 0);
		grid_free(&g);
		profile_free(p);
	}
	free(out);
	free(whole);
	free(s1);
	free(s2);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void test_refused(void **state)
{
	char *s1 = shard_run(PROFILE_M, 1, 2, -1, OUT_CLEAN);
	char *s2 = shard_run(PROFILE_M, 2, 2, -1, OUT_CLEAN);
	char *o2 = shard_run(PROFILE_OTHER, 2, 2, -1, OUT_CLEAN);
	char *t2 = shard_run(PROFILE_M, 2, 3, -1, OUT_CLEAN);
	char *whole = shard_run(PROFILE_M, 1, 1, -1, OUT_CLEAN);
	char *fake = shard_run(PROFILE_M, 1, 2, -1, OUT_CLEAN);
	char *out = xasprintf("%s/refused", base), *busy = xasprintf("%s/busy", base);
	json_t *rj = run_json(fake);

	(void)state;
	/* another profile, another shard count, a whole run, the same shard */
	assert_int_equal(merge2(out, s1, o2), EXIT_USAGE);
	assert_int_equal(merge2(out, s1, t2), EXIT_USAGE);
	assert_int_equal(merge2(out, whole, s2), EXIT_USAGE);
	assert_int_equal(merge2(out, s1, s1), EXIT_USAGE);
	/* a shard 1 that says it is shard 2: its cells are shard 1's */
	json_integer_set(json_object_get(json_object_get(rj, "shard"), "index"), 2);
	assert_int_equal(results_write_json(fake, "run.json", rj), 0);
	assert_int_equal(merge2(out, s1, fake), EXIT_USAGE);
	/* no run, and an OUT that holds something */
	assert_int_equal(merge2(out, s1, base), EXIT_USAGE);
	assert_int_equal(merge2(out, s1, "/nonexistent/run"), EXIT_USAGE);
	test_put_file(busy, "notes", "keep", 0644);
	assert_int_equal(merge2(busy, s1, s2), EXIT_USAGE);
	/* nothing was written */
	assert_false(exists(out));
	{
		char *notes = xasprintf("%s/notes", busy);
		DIR *d = opendir(busy);
		size_t n = 0;

		while (readdir(d))
			n++;
		closedir(d);
		assert_int_equal(n, 3);
		assert_true(exists(notes));
		free(notes);
	}
	json_decref(rj);
	free(out);
	free(busy);
	free(s1);
	free(s2);
	free(o2);
	free(t2);
	free(whole);
	free(fake);
}

static void test_partial(void **state)
{
	char *s1 = shard_run(PROFILE_M, 1, 2, -1, OUT_CLEAN);
	char *s2cut = shard_run(PROFILE_M, 2, 2, 3, OUT_CLEAN);
	char *o1 = xasprintf("%s/one", base), *o2 = xasprintf("%s/cut", base), *csv;
	json_t *rj;

	(void)state;
	/* a shard missing: written, exit 3, what is missing in run.json */
	assert_int_equal(merge2(o1, s1, NULL), EXIT_NOTREADY);
	csv = slurp(o1, "cells.csv");
	assert_int_equal(lines(csv), 1 + 4);
	free(csv);
	rj = run_json(o1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rj, "merged"),
							    "missing_cells")), 2);
	assert_int_equal(json_integer_value(json_array_get(
				 json_object_get(json_object_get(rj, "merged"), "missing_shards"), 0)),
			 2);
	json_decref(rj);
	/* every shard, one cell cut (started, never ended) */
	assert_int_equal(merge2(o2, s1, s2cut), EXIT_NOTREADY);
	rj = run_json(o2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rj, "merged"),
							    "missing_cells")), 1);
	assert_int_equal(json_array_size(json_object_get(json_object_get(rj, "merged"),
							 "missing_shards")), 0);
	json_decref(rj);
	free(o1);
	free(o2);
	free(s1);
	free(s2cut);
}

static void test_failed(void **state)
{
	char *s1 = shard_run(PROFILE_M, 1, 2, -1, OUT_HARDLOCKUP);
	char *s2 = shard_run(PROFILE_M, 2, 2, -1, OUT_CLEAN);
	char *out = xasprintf("%s/failed", base), *csv;

	(void)state;
	assert_int_equal(merge2(out, s1, s2), EXIT_FAILED);
	csv = slurp(out, "cells.csv");
	assert_non_null(strstr(csv, ",hardlockup,"));
	free(csv);
	free(out);
	free(s1);
	free(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge_is_the_whole_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
