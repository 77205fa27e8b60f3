// SPDX-License-Identifier: GPL-2.0
/* Rates over repeats: the Wilson interval against values worked out by hand
 * from the formula, per-cell counts, worst outcome and k over repeats that
 * were interrupted or ended in lockmap's own errors (not measurements),
 * rates.csv as written, and the summary's lines. */
#include "testutil.h"

#include <fcntl.h>
#include <math.h>

#include "grid.h"
#include "rates.h"
#include "results.h"

/* (k, n) -> [lo, hi], 4 decimals: p = k/n, z = 1.959964,
 * (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n). */
static void test_wilson_known(void **state)
{
	static const struct {
		unsigned k, n;
		double lo, hi;
	} cases[] = {
		{ 0, 5, 0.0, 0.4345 },
		{ 5, 5, 0.5655, 1.0 },
		{ 1, 5, 0.0362, 0.6245 },
		{ 3, 5, 0.2307, 0.8824 },
		{ 2, 3, 0.2077, 0.9385 },
		{ 0, 1, 0.0, 0.7935 },
		{ 1, 1, 0.2065, 1.0 },
		{ 50, 100, 0.4038, 0.5962 },
		{ 0, 0, 0.0, 1.0 },	/* nothing measured: nothing known */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		double lo, hi;

		rates_wilson(cases[i].k, cases[i].n, &lo, &hi);
		if (fabs(lo - cases[i].lo) > 5e-5 || fabs(hi - cases[i].hi) > 5e-5)
			fail_msg("%u/%u: [%.5f, %.5f], want [%.4f, %.4f]", cases[i].k, cases[i].n, lo,
				 hi, cases[i].lo, cases[i].hi);
	}
	/* exact at the ends */
	{
		double lo, hi;

		rates_wilson(0, 7, &lo, &hi);
		assert_true(lo == 0.0);
		rates_wilson(7, 7, &lo, &hi);
		assert_true(hi == 1.0);
	}
}

struct fx {
	struct profile *p;
	struct grid g;
	struct run run;
	char dir[64];
};

/* A run of text's grid, no cell done yet, its directory a fresh one. */
static void fx_build(struct fx *fx, const char *text)
{
	char err[512] = "";

	memset(fx, 0, sizeof(*fx));
	if (profile_parse("rates.profile", text, &fx->p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(fx->p, &fx->g), 0);
	assert_int_equal(results_run_init(&fx->run, fx->p, &fx->g), 0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/lockmap-test-rates-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->run.dir = strdup(fx->dir);
	snprintf(fx->run.id, sizeof(fx->run.id), "rates-test");
}

static void fx_free(struct fx *fx)
{
	test_rm_tree(fx->dir);
	results_close(&fx->run);
	grid_free(&fx->g);
	profile_free(fx->p);
}

/* Cell i of the grid ended with o. */
static struct cell_result *fx_end(struct fx *fx, size_t i, enum outcome o)
{
	struct cell_result *r = &fx->run.res[i];

	memset(r, 0, sizeof(*r));
	r->outcome = o;
	fx->run.done[i] = true;
	return r;
}

static const char five_reps[] = "[run]\nrepeat = 5\n[guests]\nperiod = 1ms\ncount = 1, 8\n"
				"[expect]\nfail_on = hardlockup\n";

/* Cell 0 (count = 1): hardlockup 3/5 over clean. Cell 1 (count = 8): two
 * hardlockups, a lockmap error, an interrupted repeat, a softlockup. */
static void fx_fill_five(struct fx *fx)
{
	static const enum outcome c0[] = { OUT_HARDLOCKUP, OUT_CLEAN, OUT_HARDLOCKUP, OUT_CLEAN,
					   OUT_HARDLOCKUP };
	struct cell_result *r;

	for (size_t i = 0; i < 5; i++)
		fx_end(fx, i, c0[i]);
	fx_end(fx, 5, OUT_HARDLOCKUP);
	r = fx_end(fx, 6, OUT_ERROR);
	r->lockmap_error = true;
	snprintf(r->error, sizeof(r->error), "cannot spawn qemu");
	r = fx_end(fx, 7, OUT_ERROR);
	r->interrupted = true;
	r->signal = 2;
	fx_end(fx, 8, OUT_HARDLOCKUP);
	fx_end(fx, 9, OUT_SOFTLOCKUP);
}

static void test_compute_counts(void **state)
{
	struct fx fx;
	struct rates rt;
	const struct cell_rate *a, *b;

	(void)state;
	fx_build(&fx, five_reps);
	assert_int_equal(fx.g.ncells, 10);
	fx_fill_five(&fx);
	assert_int_equal(rates_compute(&fx.run, &rt), 0);
	assert_int_equal(rt.ncells, 2);
	assert_int_equal(rt.repeat, 5);
	a = &rt.cells[0];
	b = &rt.cells[1];
	assert_ptr_equal(a->cell, &fx.g.cells[0]);
	assert_ptr_equal(b->cell, &fx.g.cells[5]);
	assert_int_equal(a->repeats, 5);
	assert_int_equal(a->n, 5);
	assert_int_equal(a->counts[OUT_HARDLOCKUP], 3);
	assert_int_equal(a->counts[OUT_CLEAN], 2);
	assert_int_equal(a->worst, OUT_HARDLOCKUP);
	assert_int_equal(a->k, 3);
	assert_true(fabs(a->rate - 0.6) < 1e-9);
	assert_true(fabs(a->lo - 0.2307) < 5e-5 && fabs(a->hi - 0.8824) < 5e-5);
	/* the lockmap error and the interrupted repeat measured nothing */
	assert_int_equal(b->repeats, 5);
	assert_int_equal(b->n, 3);
	assert_int_equal(b->lockmap_errors, 1);
	assert_int_equal(b->interrupted, 1);
	assert_int_equal(b->counts[OUT_ERROR], 0);
	assert_int_equal(b->counts[OUT_SOFTLOCKUP], 1);
	assert_int_equal(b->worst, OUT_HARDLOCKUP);
	assert_int_equal(b->k, 2);
	assert_true(fabs(b->lo - 0.2077) < 5e-5 && fabs(b->hi - 0.9385) < 5e-5);
	/* fail_on is per repeat, as before: any hardlockup fails the run */
	assert_true(results_failed(&fx.run));
	rates_free(&rt);
	fx_free(&fx);
}

/* What is not a measurement and what is: a cell's own error counts (the
 * worst outcome, error); a lockup shown before the signal counts; repeats
 * not run yet are not there at all; only lockmap errors: n = 0. */
static void test_compute_unmeasured(void **state)
{
	struct fx fx;
	struct rates rt;
	struct cell_result *r;
	char line[256];

	(void)state;
	fx_build(&fx, "[run]\nrepeat = 3\n[guests]\nperiod = 1ms\ncount = 1, 2, 4\n");
	fx_end(&fx, 0, OUT_HARDLOCKUP);
	fx_end(&fx, 1, OUT_ERROR);	/* the VMM's KVM internal error: the cell's */
	r = fx_end(&fx, 2, OUT_SOFTLOCKUP);
	r->interrupted = true;		/* the softlockup came before the signal */
	for (size_t i = 3; i < 5; i++)
		fx_end(&fx, i, OUT_ERROR)->lockmap_error = true;
	/* cell 2 (count = 4) never ran */
	assert_int_equal(rates_compute(&fx.run, &rt), 0);
	assert_int_equal(rt.ncells, 3);
	assert_int_equal(rt.cells[0].n, 3);
	assert_int_equal(rt.cells[0].worst, OUT_ERROR);
	assert_int_equal(rt.cells[0].k, 1);
	assert_int_equal(rt.cells[0].counts[OUT_SOFTLOCKUP], 1);
	assert_int_equal(rt.cells[0].interrupted, 0);
	rates_describe(&rt.cells[0], line, sizeof(line));
	assert_string_equal(line, "error 1/3 (95% CI 6%-79%), hardlockup 1/3, softlockup 1/3");
	assert_int_equal(rt.cells[1].repeats, 2);
	assert_int_equal(rt.cells[1].n, 0);
	assert_int_equal(rt.cells[1].lockmap_errors, 2);
	rates_describe(&rt.cells[1], line, sizeof(line));
	assert_string_equal(line, "no measurement (2 lockmap errors)");
	assert_int_equal(rt.cells[2].repeats, 0);
	assert_ptr_equal(rt.cells[2].cell, &fx.g.cells[6]);
	rates_free(&rt);
	fx_free(&fx);
}

/* repeat = 1: every cell is its own n = 1. */
static void test_compute_single(void **state)
{
	struct fx fx;
	struct rates rt;
	char line[256];

	(void)state;
	fx_build(&fx, "[guests]\nperiod = 1ms\ncount = 1, 2\n");
	fx_end(&fx, 0, OUT_CLEAN);
	fx_end(&fx, 1, OUT_PANIC);
	assert_int_equal(rates_compute(&fx.run, &rt), 0);
	assert_int_equal(rt.repeat, 1);
	assert_int_equal(rt.ncells, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(rt.cells[i].n, 1);
		assert_int_equal(rt.cells[i].k, 1);
		assert_true(rt.cells[i].rate == 1.0);
		assert_true(fabs(rt.cells[i].lo - 0.2065) < 5e-5 && rt.cells[i].hi == 1.0);
	}
	assert_int_equal(rt.cells[0].worst, OUT_CLEAN);
	assert_int_equal(rt.cells[1].worst, OUT_PANIC);
	rates_describe(&rt.cells[1], line, sizeof(line));
	assert_string_equal(line, "panic 1/1 (95% CI 21%-100%)");
	rates_free(&rt);
	fx_free(&fx);
}

/* A soak's passes (grid_build_passes): the repeats of a cell id are spread
 * over the grid, one rate per id still counts them all. */
static void test_compute_passes(void **state)
{
	struct fx fx;
	struct rates rt;

	(void)state;
	fx_build(&fx, "[run]\nrepeat = 2\n[guests]\nperiod = 1ms\ncount = 1, 2\n");
	grid_free(&fx.g);
	assert_int_equal(grid_build_passes(fx.p, 3, &fx.g), 0);
	results_close(&fx.run);
	assert_int_equal(results_run_init(&fx.run, fx.p, &fx.g), 0);
	fx.run.dir = strdup(fx.dir);
	for (size_t i = 0; i < fx.g.ncells; i++)
		fx_end(&fx, i, i == 6 ? OUT_HARDLOCKUP : OUT_CLEAN);
	assert_int_equal(rates_compute(&fx.run, &rt), 0);
	assert_int_equal(rt.ncells, 2);
	assert_int_equal(rt.repeat, 6);
	assert_ptr_equal(rt.cells[0].cell, &fx.g.cells[0]);
	assert_ptr_equal(rt.cells[1].cell, &fx.g.cells[2]);
	assert_int_equal(rt.cells[0].n, 6);
	assert_int_equal(rt.cells[0].worst, OUT_CLEAN);
	assert_int_equal(rt.cells[1].n, 6);
	assert_int_equal(rt.cells[1].worst, OUT_HARDLOCKUP);
	assert_int_equal(rt.cells[1].k, 1);
	rates_free(&rt);
	fx_free(&fx);
}

static void test_describe_not_counted(void **state)
{
	struct fx fx;
	struct rates rt;
	char line[256];

	(void)state;
	fx_build(&fx, five_reps);
	fx_fill_five(&fx);
	assert_int_equal(rates_compute(&fx.run, &rt), 0);
	rates_describe(&rt.cells[0], line, sizeof(line));
	assert_string_equal(line, "hardlockup 3/5 (95% CI 23%-88%), clean 2/5");
	rates_describe(&rt.cells[1], line, sizeof(line));
	assert_string_equal(line, "hardlockup 2/3 (95% CI 21%-94%), softlockup 1/3; "
				  "not counted: 1 lockmap error, 1 interrupted");
	/* a buffer too small is cut, still a string */
	rates_describe(&rt.cells[1], line, 12);
	assert_string_equal(line, "hardlockup ");
	rates_free(&rt);
	fx_free(&fx);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_non_null(buf);
	(void)!fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

/* rates.csv as written: a row per cell id that has a done repeat, in grid
 * order, rewritten whole. */
static void test_rates_csv(void **state)
{
	struct fx fx;
	char *path, *csv, *want;

	(void)state;
	fx_build(&fx, five_reps);
	fx_end(&fx, 0, OUT_DEGRADED);
	assert_int_equal(results_write_tables(&fx.run), 0);
	path = xasprintf("%s/rates.csv", fx.dir);
	csv = slurp(path);
	want = xasprintf("cell_id,guests.count,repeats,n,clean,degraded,rcu_stall,softlockup,"
			 "hardlockup,panic,host_hang,error,skipped,interrupted,lockmap_error,worst,"
			 "k,rate,wilson_lo,wilson_hi\n"
			 "%s,1,1,1,0,1,0,0,0,0,0,0,0,0,0,degraded,1,1.0000,0.2065,1.0000\n",
			 fx.g.cells[0].id);
	assert_string_equal(csv, want);
	free(want);
	free(csv);
	fx_fill_five(&fx);
	for (size_t i = 5; i < 9; i++)
		fx_end(&fx, i, OUT_ERROR)->lockmap_error = true;
	fx_end(&fx, 9, OUT_ERROR)->interrupted = true;
	assert_int_equal(results_write_tables(&fx.run), 0);
	csv = slurp(path);
	want = xasprintf("\n%s,1,5,5,2,0,0,0,3,0,0,0,0,0,0,hardlockup,3,0.6000,0.2307,0.8824\n"
			 "%s,8,5,0,0,0,0,0,0,0,0,0,0,1,4,,,,,\n",
			 fx.g.cells[0].id, fx.g.cells[5].id);
	assert_non_null(strstr(csv, want));
	free(want);
	free(csv);
	free(path);
	fx_free(&fx);
}

/* stdout of results_print_summary, into a string. */
static char *summary_text(const struct run *run, const char *dir)
{
	char *path = xasprintf("%s/summary.txt", dir), *text;
	int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(saved >= 0 && fd >= 0);
	fflush(stdout);
	assert_true(dup2(fd, 1) == 1);
	results_print_summary(run);
	fflush(stdout);
	assert_true(dup2(saved, 1) == 1);
	close(fd);
	close(saved);
	text = slurp(path);
	free(path);
	return text;
}

static void test_summary_lines(void **state)
{
	struct fx fx;
	char *text;

	(void)state;
	fx_build(&fx, five_reps);
	fx_fill_five(&fx);
	text = summary_text(&fx.run, fx.dir);
	assert_non_null(strstr(text, "  per cell over its 5 repeats: worst outcome k/n, 95% Wilson "
				     "interval of its rate\n"
				     "  guests.count=1: hardlockup 3/5 (95% CI 23%-88%), clean 2/5\n"
				     "  guests.count=8: hardlockup 2/3 (95% CI 21%-94%), softlockup "
				     "1/3; not counted: 1 lockmap error, 1 interrupted\n"
				     "results: "));
	free(text);
	fx_free(&fx);
	/* without repeats the table says it all */
	fx_build(&fx, "[guests]\nperiod = 1ms\ncount = 1, 8\n");
	fx_end(&fx, 0, OUT_HARDLOCKUP);
	text = summary_text(&fx.run, fx.dir);
	assert_non_null(strstr(text, "hardlockup"));
	assert_null(strstr(text, "per cell"));
	assert_null(strstr(text, "95%"));
	free(text);
	fx_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wilson_known),
		cmocka_unit_test(test_compute_counts),
		cmocka_unit_test(test_compute_unmeasured),
		cmocka_unit_test(test_compute_single),
		cmocka_unit_test(test_compute_passes),
		cmocka_unit_test(test_describe_not_counted),
		cmocka_unit_test(test_rates_csv),
		cmocka_unit_test(test_summary_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
