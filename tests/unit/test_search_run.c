// SPDX-License-Identifier: GPL-2.0
/* The run loop of a [search] (search_run.c) with a cell runner of known
 * thresholds in place of cell_run: the probes run as cells of the full grid,
 * journaled with cell_end, search_probe and search_result records;
 * thresholds.csv and the summary; a run cut short (mid-probe, between a
 * probe's last cell and its record) resumed from its journal without running
 * a cell twice or writing a record twice; a probe that ended in lockmap's own
 * errors ends its combination undecided, and a resume runs it again. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>

#include "grid.h"
#include "journal.h"
#include "results.h"
#include "search_plan.h"
#include "search_run.h"

/* 2 combinations x 33 values x 3 repeats: 198 cells; 7 probes a search. */
static const char prof[] = "[run]\nname = sr\n[guests]\ncount = 1, 8\nperiod = 1ms\n"
			   "[inject.pause]\n[search]\naxis = inject.pause.length\nlo = 0\n"
			   "hi = 16s\nresolution = 500ms\nreach = hardlockup\nrepeats = 3\n";

struct fx {
	struct profile *p;
	struct grid g;
	struct run run;
	char base[64];
	char *dir;
	/* the runner */
	unsigned calls, stop_after;
	unsigned char ran[256];
	int64_t error_value;	/* 1 guest: a lockmap error at this value (-1: none) */
};

/* The cell runner: 1 guest hard-locks from 6.2 s on, 8 guests from 2 s. */
static int fake_cell(void *arg, size_t idx)
{
	struct fx *fx = arg;
	const struct cell *c = &fx->g.cells[idx];
	int64_t v = cell_num(c, "inject.pause", "length");
	bool one = cell_num(c, "guests", "count") == 1;
	int64_t t = one ? 6200 * NSEC_PER_MSEC : 2 * NSEC_PER_SEC;
	struct cell_result res = { .outcome = v >= t ? OUT_HARDLOCKUP : OUT_CLEAN };
	struct journal_cell_end_info x = { .source = "cell" };

	if (one && v == fx->error_value) {
		res.outcome = OUT_ERROR;
		res.lockmap_error = true;
		snprintf(res.error, sizeof(res.error), "cannot spawn qemu");
	}
	assert_true(idx < ARRAY_SIZE(fx->ran));
	fx->ran[idx]++;
	fx->calls++;
	fx->run.res[idx] = res;
	fx->run.done[idx] = true;
	assert_int_equal(journal_append(fx->run.journal, journal_cell_end(c, &res, &x), true), 0);
	if (fx->stop_after && fx->calls == fx->stop_after)
		lm_stop_requested = SIGINT;
	return 0;
}

static void fx_build(struct fx *fx)
{
	char err[512] = "";

	memset(fx, 0, sizeof(*fx));
	fx->error_value = -1;
	if (profile_parse("sr.profile", prof, &fx->p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(fx->p, &fx->g), 0);
	assert_int_equal(fx->g.ncells, 198);
	snprintf(fx->base, sizeof(fx->base), "/tmp/lockmap-test-search-XXXXXX");
	assert_non_null(mkdtemp(fx->base));
	assert_int_equal(results_create(fx->base, fx->p, &fx->g, NULL, &fx->run), 0);
	assert_non_null(fx->run.search);
	fx->dir = strdup(fx->run.dir);
}

/* The run as a resume finds it: closed, opened again from its journal. */
static void fx_reopen(struct fx *fx)
{
	char why[1024] = "";

	results_close(&fx->run);
	lm_stop_requested = 0;
	if (results_open(fx->dir, fx->p, &fx->g, NULL, &fx->run, why, sizeof(why)))
		fail_msg("results_open: %s", why);
}

static void fx_free(struct fx *fx)
{
	results_close(&fx->run);
	test_rm_tree(fx->base);
	free(fx->dir);
	grid_free(&fx->g);
	profile_free(fx->p);
	lm_stop_requested = 0;
}

static int fx_do_search(struct fx *fx)
{
	return search_run(&fx->run, fake_cell, fx);
}

static int fx_do_summary(struct fx *fx)
{
	results_print_summary(&fx->run);
	return 0;
}

/* fn's stdout appended to BASE/name. */
static int fx_capture(struct fx *fx, const char *name, int (*fn)(struct fx *))
{
	char *path = xasprintf("%s/%s", fx->base, name);
	int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644), rc;

	assert_true(saved >= 0 && fd >= 0);
	fflush(stdout);
	assert_true(dup2(fd, 1) == 1);
	rc = fn(fx);
	fflush(stdout);
	assert_true(dup2(saved, 1) == 1);
	close(fd);
	close(saved);
	free(path);
	return rc;
}

/* search_run with its stdout (a line per cell and probe) kept in BASE/out. */
static int fx_search(struct fx *fx)
{
	return fx_capture(fx, "out", fx_do_search);
}

struct count {
	unsigned probes, results;
	char last_status[2][32];
};

static int count_rec(json_t *rec, void *arg)
{
	struct count *n = arg;
	const char *type = json_string_value(json_object_get(rec, "type"));
	json_int_t c = json_integer_value(json_object_get(rec, "combination"));

	if (!type)
		return 0;
	n->probes += !strcmp(type, "search_probe");
	if (!strcmp(type, "search_result") && c >= 0 && c < 2) {
		n->results++;
		snprintf(n->last_status[c], sizeof(n->last_status[c]), "%s",
			 json_string_value(json_object_get(rec, "status")));
	}
	return 0;
}

static struct count fx_journal(const struct fx *fx)
{
	char *path = xasprintf("%s/journal.jsonl", fx->dir);
	struct count n = { 0 };

	assert_int_equal(journal_read(path, count_rec, &n), 0);
	free(path);
	return n;
}

static char *fx_file(const struct fx *fx, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	free(path);
	(void)fx;
	return text;
}

/* thresholds.csv as written now, against want. */
static void fx_assert_thresholds(struct fx *fx, const char *want)
{
	char *text;

	assert_int_equal(results_write_tables(&fx->run), 0);
	text = fx_file(fx, fx->dir, "thresholds.csv");
	if (strcmp(text, want))
		fail_msg("thresholds.csv:\n%s\nwant:\n%s", text, want);
	free(text);
}

static void assert_ran_once(const struct fx *fx)
{
	for (size_t i = 0; i < ARRAY_SIZE(fx->ran); i++)
		if (fx->ran[i] > 1)
			fail_msg("cell %zu ran %u times", i, fx->ran[i]);
}

static const char thresholds[] =
	"combination,guests.count,axis,reach,status,threshold,probes,cells,lowest_reaching,"
	"highest_not_reaching\n"
	"0,1,inject.pause.length,hardlockup,found,6500ms,7,21,6500ms,6s\n"
	"1,8,inject.pause.length,hardlockup,found,2s,7,21,2s,1500ms\n";

/* A whole search: 7 probes of 3 cells per combination, what it wrote. */
static void test_search_whole(void **state)
{
	struct fx fx;
	struct count n;
	size_t want[8];
	char *text;

	(void)state;
	fx_build(&fx);
	/* first the hi of each combination */
	assert_int_equal(results_wanted(&fx.run, want, ARRAY_SIZE(want)), 6);
	assert_string_equal(cell_val(&fx.g.cells[want[0]], "inject.pause", "length")->text, "16s");
	assert_int_equal(fx_search(&fx), 0);
	assert_int_equal(fx.calls, 2 * 7 * 3);
	assert_ran_once(&fx);
	assert_int_equal(results_wanted(&fx.run, NULL, 0), 0);
	n = fx_journal(&fx);
	assert_int_equal(n.probes, 14);
	assert_int_equal(n.results, 2);
	assert_string_equal(n.last_status[0], "found");
	fx_assert_thresholds(&fx, thresholds);
	text = fx_file(&fx, fx.dir, "cells.csv");
	{
		size_t rows = 0;

		for (const char *c = text; *c; c++)
			rows += *c == '\n';
		assert_int_equal(rows, 1 + 42);	/* a row per probe cell */
	}
	free(text);
	text = fx_file(&fx, fx.base, "out");
	assert_non_null(strstr(text, "search guests.count=1: inject.pause.length=16s reaches "
				     "hardlockup in 3 of 3 counted runs"));
	free(text);
	fx_free(&fx);
}

/* The summary: a line per combination and the cells against the grid's. */
static void test_search_summary(void **state)
{
	struct fx fx;
	char *text;

	(void)state;
	fx_build(&fx);
	assert_int_equal(fx_search(&fx), 0);
	assert_int_equal(fx_capture(&fx, "summary", fx_do_summary), 0);
	text = fx_file(&fx, fx.base, "summary");
	assert_non_null(strstr(text, "42 cells of a search (its grid has 198)"));
	assert_non_null(strstr(text, "  guests.count=1: threshold 6500ms (7 probes, 21 cells; "
				     "lowest reaching 6500ms, highest not reaching 6s)\n"));
	assert_non_null(strstr(text, "search: 42 cells, the grid at 500ms would be 198\n"));
	free(text);
	fx_free(&fx);
}

/* Cut short (a signal) mid-probe and right after a probe's last cell, before
 * its record: the resume goes on from the journal. */
static void test_search_resume(void **state)
{
	static const unsigned cuts[] = { 8, 9, 21, 23 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		struct fx fx;
		struct count n;

		fx_build(&fx);
		fx.stop_after = cuts[i];
		assert_int_equal(fx_search(&fx), 0);
		assert_int_equal(fx.calls, cuts[i]);
		assert_true(fx_journal(&fx).probes <= cuts[i] / 3);
		fx_reopen(&fx);
		fx.stop_after = 0;
		assert_int_equal(fx_search(&fx), 0);
		if (fx.calls != 42)
			fail_msg("cut after %u cells: %u cells in all, want 42", cuts[i], fx.calls);
		assert_ran_once(&fx);
		n = fx_journal(&fx);
		assert_int_equal(n.probes, 14);
		assert_int_equal(n.results, 2);
		fx_assert_thresholds(&fx, thresholds);
		fx_free(&fx);
	}
}

/* The lab's outer lockmap after the last cell: the records the journal
 * lacks, once. */
static void test_search_journal_sync(void **state)
{
	struct fx fx;

	(void)state;
	fx_build(&fx);
	fx.stop_after = 9;
	assert_int_equal(fx_search(&fx), 0);
	assert_int_equal(fx_journal(&fx).probes, 2);
	assert_int_equal(search_journal_sync(&fx.run), 0);
	assert_int_equal(fx_journal(&fx).probes, 3);
	assert_int_equal(search_journal_sync(&fx.run), 0);
	assert_int_equal(fx_journal(&fx).probes, 3);
	assert_int_equal(fx_journal(&fx).results, 0);
	fx_free(&fx);
}

/* lo of 1 guest ends in lockmap's own errors: that search is undecided (no
 * repeat counts), the other goes on; a resume runs the errors again and
 * finds the threshold. */
static void test_search_undecided(void **state)
{
	struct fx fx;
	struct count n;

	(void)state;
	fx_build(&fx);
	fx.error_value = 0;
	assert_int_equal(fx_search(&fx), 0);
	assert_int_equal(fx.calls, 2 * 3 + 7 * 3);
	assert_int_equal(results_wanted(&fx.run, NULL, 0), 0);
	n = fx_journal(&fx);
	assert_string_equal(n.last_status[0], "undecided");
	assert_string_equal(n.last_status[1], "found");
	fx_assert_thresholds(&fx, "combination,guests.count,axis,reach,status,threshold,probes,"
			     "cells,lowest_reaching,highest_not_reaching\n"
			     "0,1,inject.pause.length,hardlockup,undecided,,2,6,16s,\n"
			     "1,8,inject.pause.length,hardlockup,found,2s,7,21,2s,1500ms\n");

	fx_reopen(&fx);
	assert_int_equal(results_redo_lockmap_errors(&fx.run), 3);
	fx.error_value = -1;
	memset(fx.ran, 0, sizeof(fx.ran));
	assert_int_equal(fx_search(&fx), 0);
	assert_int_equal(fx.calls, 27 + 5 * 3 + 3);
	assert_ran_once(&fx);
	n = fx_journal(&fx);
	assert_string_equal(n.last_status[0], "found");
	assert_int_equal(n.results, 3);
	fx_assert_thresholds(&fx, thresholds);
	fx_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_whole),
		cmocka_unit_test(test_search_summary),
		cmocka_unit_test(test_search_resume),
		cmocka_unit_test(test_search_journal_sync),
		cmocka_unit_test(test_search_undecided),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
