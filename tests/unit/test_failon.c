// SPDX-License-Identifier: GPL-2.0
/* [expect] fail_on with metric thresholds: what parses (and its canonical
 * text), what is refused when the profile loads (file:line, the key, what is
 * allowed), which cells cross a threshold (their outcome unchanged, the run
 * failed, cells.csv's fail_on column), and `lockmap bisect`'s --runs rule. */
#include "testutil.h"

#include "bisect.h"
#include "failon.h"
#include "grid.h"
#include "journal.h"
#include "outcome.h"
#include "results.h"

static const char base[] = "[run]\ncell_seconds = 1s\n[guests]\ncount = 8\nperiod = 200us\n"
			   "[expect]\nfail_on = ";

/* The profile base + fail_on; rc of profile_parse, its message in err. */
static int load(const char *fail_on, struct profile **p, char *err, size_t len)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s\n", base, fail_on);
	*p = NULL;
	return profile_parse("f.profile", text, p, err, len);
}

static void test_parse_ok(void **state)
{
	static const struct {
		const char *in, *canon;
		uint32_t mask;
		size_t nconds;
	} cases[] = {
		{ "probe.max_chain > 1000", "probe.max_chain > 1000", 0, 1 },
		{ "error, probe.max_chain>1000", "error,probe.max_chain > 1000", 1u << OUT_ERROR, 1 },
		{ "guest.lost_ticks > 5%, events.hrtimer_hang >= 1",
		  "guest.lost_ticks > 5%,events.hrtimer_hang >= 1", 0, 2 },
		{ "probe.max_lag <= 2ms", "probe.max_lag <= 2ms", 0, 1 },
		{ "guest.maxgap == 0", "guest.maxgap == 0", 0, 1 },
		{ "hardlockup,probe.calls_per_s < 10", "hardlockup,probe.calls_per_s < 10",
		  1u << OUT_HARDLOCKUP, 1 },
	};
	char err[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct profile *p;
		const struct pkey *k;
		struct failon f;

		if (load(cases[i].in, &p, err, sizeof(err)))
			fail_msg("'%s': %s", cases[i].in, err);
		k = profile_key(p, "expect", "fail_on");
		assert_string_equal(k->vals[0].text, cases[i].canon);
		assert_int_equal(k->vals[0].num, cases[i].mask);
		assert_int_equal(failon_parse(k->vals[0].text, k->spec->choices, &f, err, sizeof(err)), 0);
		assert_int_equal(f.outcomes, cases[i].mask);
		assert_int_equal(f.nconds, cases[i].nconds);
		profile_free(p);
	}
}

/* Refused at load: the message names file:line, the key, the item and what
 * is allowed. */
static void test_parse_refused(void **state)
{
	static const struct {
		const char *in, *want[2];
	} cases[] = {
		{ "probe.max_chian > 1000", { "unknown metric 'probe.max_chian'", "probe.max_chain" } },
		{ "probe.max_chain = 1000", { "one of >, >=, <, <=, ==", "'probe.max_chain = 1000'" } },
		{ "probe.max_chain => 1000", { "one of >, >=, <, <=, ==", "=>" } },
		{ "probe.max_lag > 5", { "is a duration", "ns, us, ms, s" } },
		{ "probe.max_chain > 5ms", { "'ms' is no unit of probe.max_chain", "a number alone" } },
		{ "guest.lost_ticks > 5s", { "'s' is no unit of guest.lost_ticks", "N%" } },
		{ "guest.lost_ticks > -1", { "not a number of 0 or more", "-1" } },
		{ "events.hrtimer > 0", { "unknown event kind 'hrtimer'", "hrtimer_hang" } },
		{ "hardlock", { "did you mean 'hardlockup'", "probe.max_chain" } },
		{ "guest.maxgap > 1,5ms", { "guest.maxgap is a duration", "'guest.maxgap > 1'" } },
		{ "panic,,probe.max_chain > 1", { "remove the extra ','", "panic" } },
	};
	char err[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct profile *p;

		if (load(cases[i].in, &p, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was accepted", cases[i].in);
		if (!strstr(err, "f.profile:7: [expect] fail_on:"))
			fail_msg("'%s': no file:line and key in: %s", cases[i].in, err);
		for (int w = 0; w < 2; w++)
			if (!strstr(err, cases[i].want[w]))
				fail_msg("'%s': no '%s' in: %s", cases[i].in, cases[i].want[w], err);
	}
}

static void test_hit(void **state)
{
	struct failon f;
	struct cell_result r = { .outcome = OUT_CLEAN };
	char err[512], why[200];

	(void)state;
	assert_int_equal(failon_parse("probe.max_chain > 1000, guest.lost_ticks > 5%, "
				      "events.hrtimer_hang >= 1, probe.max_lag >= 1ms, probe.max_irq > 4s",
				      NULL, &f, err, sizeof(err)), 0);
	/* No probe, no guests: nothing measured crosses nothing. */
	assert_false(failon_hit(&f, &r, why, sizeof(why)));
	r.probe.ran = true;
	r.probe.max_chain = 24;
	r.probe.max_lag_us = 999;
	assert_false(failon_hit(&f, &r, why, sizeof(why)));
	r.probe.max_chain = 124769;
	assert_true(failon_hit(&f, &r, why, sizeof(why)));
	assert_string_equal(why, "probe.max_chain 124769 (> 1000)");
	r.probe.max_chain = 1000;
	assert_false(failon_hit(&f, &r, why, sizeof(why)));
	r.probe.max_lag_us = 1000;
	assert_true(failon_hit(&f, &r, why, sizeof(why)));
	assert_string_equal(why, "probe.max_lag 1000us (>= 1ms)");
	r.probe.max_lag_us = 0;
	/* The longest timer interrupt: not from a journal that lacks it. */
	r.probe.max_irq_us = 6800000;
	assert_false(failon_hit(&f, &r, why, sizeof(why)));
	r.probe.irq_known = true;
	assert_true(failon_hit(&f, &r, why, sizeof(why)));
	assert_string_equal(why, "probe.max_irq 6800000us (> 4s)");
	r.probe.max_irq_us = 4000000;
	assert_false(failon_hit(&f, &r, why, sizeof(why)));
	r.expected = 1000;
	r.worst_loss_bp = 500;
	assert_false(failon_hit(&f, &r, why, sizeof(why)));
	r.worst_loss_bp = 501;
	assert_true(failon_hit(&f, &r, why, sizeof(why)));
	assert_string_equal(why, "guest.lost_ticks 5.01% (> 5%)");
	r.worst_loss_bp = 0;
	r.nevents[EV_HRTIMER_HANG] = 1;
	assert_true(failon_metric_hit(&f, &r, why, sizeof(why)));
	assert_string_equal(why, "events.hrtimer_hang 1 (>= 1)");
	/* A rate prints with two decimals. */
	r.nevents[EV_HRTIMER_HANG] = 0;
	assert_int_equal(failon_parse("probe.calls_per_s > 100", NULL, &f, err, sizeof(err)), 0);
	r.probe.calls_per_s = 27391.46;
	assert_true(failon_hit(&f, &r, why, sizeof(why)));
	assert_string_equal(why, "probe.calls_per_s 27391.46 (> 100)");
	r.probe.calls_per_s = 0;
	/* Outcomes too, by failon_hit only. */
	f.outcomes = 1u << OUT_CLEAN;
	assert_false(failon_metric_hit(&f, &r, why, sizeof(why)));
	assert_true(failon_hit(&f, &r, why, sizeof(why)));
	assert_string_equal(why, "outcome clean");
}

/* A threshold fails the run and shows in cells.csv; the outcome stays. */
static void test_run_threshold(void **state)
{
	struct profile *p;
	struct grid g;
	struct run run = { 0 };
	char err[512], dir[] = "/tmp/lockmap-test-failon-XXXXXX", *csv, line[2048];
	FILE *f;
	bool found = false;

	(void)state;
	assert_int_equal(load("hardlockup, probe.max_chain > 1000", &p, err, sizeof(err)), 0);
	assert_int_equal(grid_build(p, &g), 0);
	assert_int_equal(results_run_init(&run, p, &g), 0);
	assert_non_null(mkdtemp(dir));
	run.dir = strdup(dir);
	run.done[0] = true;
	run.res[0].outcome = OUT_CLEAN;
	run.res[0].probe.ran = true;
	run.res[0].probe.max_chain = 24;
	assert_false(results_failed(&run));
	run.res[0].probe.max_chain = 125001;
	assert_true(results_failed(&run));
	assert_int_equal(run.res[0].outcome, OUT_CLEAN);
	assert_int_equal(results_write_tables(&run), 0);
	csv = xasprintf("%s/cells.csv", dir);
	f = fopen(csv, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, ",fail_on,error\n"));
	assert_non_null(fgets(line, sizeof(line), f));
	found = strstr(line, ",clean,") && strstr(line, ",probe.max_chain 125001 (> 1000),\n");
	if (!found)
		fail_msg("cells.csv row: %s", line);
	fclose(f);
	free(csv);
	test_rm_tree(dir);
	results_close(&run);
	grid_free(&g);
	profile_free(p);
}

/* syzkaller's rule: bad needs max(2, N/6) hits (N = 1: the one run); good no
 * hit and half the runs complete; else skip. */
static void test_bisect_verdict(void **state)
{
	static const struct {
		unsigned runs, hits, complete;
		int want;
	} cases[] = {
		{ 1, 1, 1, EXIT_FAILED },
		{ 1, 1, 0, EXIT_FAILED },
		{ 1, 0, 1, EXIT_CLEAN },
		{ 1, 0, 0, EXIT_BISECT_SKIP },
		{ 2, 1, 2, EXIT_BISECT_SKIP },
		{ 2, 2, 2, EXIT_FAILED },
		{ 6, 1, 6, EXIT_BISECT_SKIP },
		{ 6, 2, 6, EXIT_FAILED },
		{ 12, 2, 12, EXIT_FAILED },
		{ 18, 2, 18, EXIT_BISECT_SKIP },
		{ 18, 3, 18, EXIT_FAILED },
		{ 4, 0, 2, EXIT_CLEAN },
		{ 4, 0, 1, EXIT_BISECT_SKIP },
		{ 5, 0, 3, EXIT_CLEAN },
		{ 5, 0, 2, EXIT_BISECT_SKIP },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bisect_tally t = { cases[i].runs, cases[i].hits, cases[i].complete };
		int v = bisect_verdict(cases[i].runs, &t);

		if (v != cases[i].want)
			fail_msg("runs %u hits %u complete %u: %d, want %d", cases[i].runs,
				 cases[i].hits, cases[i].complete, v, cases[i].want);
	}
	/* Bad is known as soon as enough runs hit; skip as soon as neither bad
	 * nor good can be reached; good only at the end. */
	{
		struct bisect_tally t = { 2, 2, 2 };

		assert_int_equal(bisect_decided(10, &t), EXIT_FAILED);
		t.hits = 1;
		assert_int_equal(bisect_decided(10, &t), -1);
		t.hits = 0;
		assert_int_equal(bisect_decided(10, &t), -1);
		/* runs that never complete (a kernel that does not boot): good
		 * is gone after 6 of 10, bad (2 hits) after 9 */
		t = (struct bisect_tally){ 8, 0, 0 };
		assert_int_equal(bisect_decided(10, &t), -1);
		t = (struct bisect_tally){ 9, 0, 0 };
		assert_int_equal(bisect_decided(10, &t), EXIT_BISECT_SKIP);
		/* one hit of 10 with one run left: bad needs 2, good is gone */
		t = (struct bisect_tally){ 9, 1, 8 };
		assert_int_equal(bisect_decided(10, &t), -1);
		t = (struct bisect_tally){ 10, 1, 9 };
		assert_int_equal(bisect_decided(10, &t), EXIT_BISECT_SKIP);
	}
}

/* A lab run of two cells (repeat 2) as its journal tells it, judged for a
 * bisect: written with the journal's own writer. */
static void judge_journal(const char *base, const char *prof_path, const struct cell_result *r0,
			  const struct cell_result *r1, int lab_rc, struct bisect_tally *t,
			  char *why, size_t len)
{
	struct profile *p;
	struct grid g;
	struct run run;
	struct journal_cell_end_info x = { .source = "cell" };
	char err[512];

	assert_int_equal(profile_load(prof_path, &p, err, sizeof(err)), 0);
	assert_int_equal(grid_build(p, &g), 0);
	assert_int_equal(results_create(base, p, &g, NULL, &run), 0);
	if (r0)
		assert_int_equal(journal_append(run.journal, journal_cell_end(&g.cells[0], r0, &x), true), 0);
	if (r1)
		assert_int_equal(journal_append(run.journal, journal_cell_end(&g.cells[1], r1, &x), true), 0);
	assert_int_equal(bisect_judge_run(run.dir, prof_path, lab_rc, t, why, len), 0);
	results_close(&run);
	grid_free(&g);
	profile_free(p);
}

static void test_bisect_judge(void **state)
{
	char dir[] = "/tmp/lockmap-test-judge-XXXXXX", *prof, *base, why[512];
	struct cell_result fixed = { .outcome = OUT_CLEAN, .probe = { .ran = true, .max_chain = 24 } };
	struct cell_result unfixed = fixed, err = fixed;
	struct bisect_tally t = { 0 };
	FILE *f;

	(void)state;
	unfixed.probe.max_chain = 124769;
	err.outcome = OUT_ERROR;
	err.probe.max_chain = 124769;
	snprintf(err.error, sizeof(err.error), "lab host did not boot");
	assert_non_null(mkdtemp(dir));
	prof = xasprintf("%s/b.profile", dir);
	base = xasprintf("%s/results", dir);
	f = fopen(prof, "w");
	assert_non_null(f);
	fprintf(f, "[run]\nrepeat = 2\n[guests]\ncount = 8\nperiod = 200us\n"
		   "[expect]\nfail_on = error, probe.max_chain > 1000\n");
	fclose(f);
	/* fixed: complete, no hit */
	judge_journal(base, prof, &fixed, &fixed, EXIT_CLEAN, &t, why, sizeof(why));
	assert_int_equal(t.runs, 1);
	assert_int_equal(t.hits, 0);
	assert_int_equal(t.complete, 1);
	/* unfixed: the chain in the second repeat */
	judge_journal(base, prof, &fixed, &unfixed, EXIT_FAILED, &t, why, sizeof(why));
	assert_int_equal(t.hits, 1);
	assert_int_equal(t.complete, 2);
	if (!strstr(why, "r1: probe.max_chain 124769 (> 1000)"))
		fail_msg("why: %s", why);
	/* an error cell (fail_on error, a chain) never hits, and the run is incomplete */
	judge_journal(base, prof, &err, &fixed, EXIT_FAILED, &t, why, sizeof(why));
	assert_int_equal(t.hits, 1);
	assert_int_equal(t.complete, 2);
	assert_non_null(strstr(why, "incomplete"));
	/* a cell that never ended: incomplete */
	judge_journal(base, prof, &fixed, NULL, EXIT_CLEAN, &t, why, sizeof(why));
	assert_int_equal(t.runs, 4);
	assert_int_equal(t.complete, 2);
	assert_non_null(strstr(why, "1 cells not run"));
	test_rm_tree(dir);
	free(prof);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_hit),
		cmocka_unit_test(test_run_threshold),
		cmocka_unit_test(test_bisect_verdict),
		cmocka_unit_test(test_bisect_judge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
