// SPDX-License-Identifier: GPL-2.0
/* [search] in a profile: its axis takes the values lo..hi at the resolution,
 * in the axis' own units, owned by the search (a required key needs no line
 * of its own); the cells and their ids are those of a profile listing the
 * same values; every mistake is refused when the profile loads, with its
 * line and what to write. And what `run -n` prints of it. */
#include "testutil.h"

#include "grid.h"
#include "search_plan.h"

#define BASE "[run]\nname = s\n[guests]\ncount = 1, 8\nperiod = 1ms\n[inject.irqoff]\ncpus = 1\n"
#define SEARCH "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 2s\nresolution = 500ms\nreach = hardlockup\n"

static struct profile *parse_ok(const char *text)
{
	struct profile *p = NULL;
	char err[1024] = "";

	if (profile_parse("t.profile", text, &p, err, sizeof(err)) < 0)
		fail_msg("profile refused: %s", err);
	return p;
}

static void test_axis_values(void **state)
{
	struct profile *p = parse_ok(BASE SEARCH "repeats = 3\n");
	const struct pkey *k = profile_key(p, "inject.irqoff", "duration");
	static const char *const want[] = { "0", "500ms", "1s", "1500ms", "2s" };

	(void)state;
	assert_non_null(p->search);
	assert_ptr_equal(p->search->axis, k);
	assert_int_equal(k->nvals, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(k->vals[i].text, want[i]);
	assert_true(k->is_set);
	assert_int_equal(k->line, 9);		/* the axis line in [search] */
	assert_int_equal(p->search->resolution.num, 500 * NSEC_PER_MSEC);
	assert_string_equal(p->search->hi.text, "2s");
	assert_string_equal(p->search->reach, "hardlockup");
	assert_int_equal(p->search->repeats, 3);
	assert_int_equal(profile_repeat(p), 3);
	profile_free(p);

	/* repeats defaults to [run] repeat; a last step shorter than the rest */
	p = parse_ok("[run]\nrepeat = 2\n[guests]\nperiod = 1ms\n[search]\naxis = guests.count\n"
		     "lo = 1\nhi = 10\nresolution = 4\nreach = degraded\n");
	k = profile_key(p, "guests", "count");
	assert_int_equal(p->search->repeats, 2);
	assert_int_equal(k->nvals, 4);
	assert_string_equal(k->vals[3].text, "10");
	assert_string_equal(k->vals[2].text, "9");
	profile_free(p);
	p = parse_ok(BASE);
	assert_null(p->search);
	assert_int_equal(profile_repeat(p), 1);
	profile_free(p);
}

/* The grid of a profile that lists the values the search may probe, with
 * the same repeats. */
static void test_ids_as_listed(void **state)
{
	struct profile *s = parse_ok(BASE SEARCH "repeats = 2\n");
	struct profile *l, *r;
	struct grid gs, gl, gr;
	char a[17], b[17];

	(void)state;
	l = parse_ok("[run]\nname = other\nrepeat = 2\n[guests]\ncount = 1, 8\nperiod = 1ms\n"
		     "[inject.irqoff]\ncpus = 1\nduration = 0, 500ms, 1s, 1.5s, 2000ms\n");
	/* another target and resolution text, same values: same cells */
	r = parse_ok(BASE "[search]\naxis = inject.irqoff.duration\nlo = 0s\nhi = 2000ms\n"
		     "resolution = 0.5s\nreach = softlockup\nrepeats = 2\n");
	assert_int_equal(grid_build(s, &gs), 0);
	assert_int_equal(grid_build(l, &gl), 0);
	assert_int_equal(grid_build(r, &gr), 0);
	assert_int_equal(gs.ncells, 2 * 5 * 2);
	assert_int_equal(gs.ncells, gl.ncells);
	for (size_t i = 0; i < gs.ncells; i++) {
		assert_string_equal(gs.cells[i].id, gl.cells[i].id);
		assert_string_equal(gs.cells[i].id, gr.cells[i].id);
	}
	grid_id(&gs, a);
	grid_id(&gr, b);
	assert_string_equal(a, b);
	grid_free(&gs);
	grid_free(&gl);
	grid_free(&gr);
	profile_free(s);
	profile_free(l);
	profile_free(r);
}

struct bad_search {
	const char *text;
	const char *want[3];
};

static const struct bad_search bads[] = {
	{ BASE "[search]\naxis = inject.irqoff.duraton\nlo = 0\nhi = 2s\nresolution = 1s\nreach = hardlockup\n",
	  { "t.profile:9: [search] axis:", "no key 'duraton'", "did you mean 'duration'" } },
	{ BASE "[search]\naxis = inject.pause.length\nlo = 0\nhi = 2s\nresolution = 1s\nreach = hardlockup\n",
	  { "t.profile:9: [search] axis:", "no [inject.pause] section", "add it" } },
	{ BASE "[search]\naxis = gusts.count\nlo = 1\nhi = 8\nresolution = 1\nreach = hardlockup\n",
	  { "t.profile:9: [search] axis:", "'gusts.count' is not SECTION.KEY", "guests.count" } },
	{ BASE "[search]\naxis = guests.timer\nlo = 1\nhi = 8\nresolution = 1\nreach = hardlockup\n",
	  { "t.profile:9: [search] axis: guests.timer is not numeric", "count", "period" } },
	{ BASE "[search]\naxis = run.cell_seconds\nlo = 1s\nhi = 8s\nresolution = 1s\nreach = hardlockup\n",
	  { "t.profile:9: [search] axis:", "a key of [run]", "[inject.NAME]" } },
	{ BASE "[search]\naxis = guests.count\nlo = 1\nhi = 8\nresolution = 1\nreach = hardlockup\n",
	  { "t.profile:4: [guests] count:", "[search] at line 9 searches this key",
	    "remove this line" } },
	{ BASE "duration = 3s\n" SEARCH,
	  { "t.profile:8: [inject.irqoff] duration:", "searches this key" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 2s\nhi = 2s\nresolution = 1s\nreach = hardlockup\n",
	  { "t.profile:11: [search] hi:", "2s is not above lo 2s" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 2s\nresolution = 0\nreach = hardlockup\n",
	  { "t.profile:12: [search] resolution:", "must be greater than 0" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 2s\nresolution = 3s\nreach = hardlockup\n",
	  { "t.profile:12: [search] resolution:", "3s must be greater than 0 and at most hi - lo (2s)" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 200s\nresolution = 1s\nreach = hardlockup\n",
	  { "t.profile:11: [search] hi:", "out of range", "between 0 and 120s" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 16\nresolution = 1s\nreach = hardlockup\n",
	  { "t.profile:11: [search] hi:", "'16' has no unit", "in its units" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 16s\nresolution = 1ms\nreach = hardlockup\n",
	  { "t.profile:12: [search] resolution:", "16001 values", "coarser resolution" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 2s\nresolution = 1s\nreach = hardlock\n",
	  { "t.profile:13: [search] reach:", "did you mean 'hardlockup'" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 2s\nresolution = 1s\n",
	  { "[search] reach: required key is missing" } },
	{ BASE SEARCH "repeats = 1, 3\n",
	  { "t.profile:14: [search] repeats: takes one value, not 2" } },
	{ BASE "[search]\naxis = inject.irqoff.duration\nlo = 0\nhi = 100s\nresolution = 500ms\nreach = hardlockup\nrepeats = 600\n",
	  { "more than 100000 cells", "inject.irqoff.duration 201", "repeat 600" } },
};

static void test_bad_search(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		struct profile *p = (struct profile *)1;
		char err[1024] = "";
		int rc = profile_parse("t.profile", bads[i].text, &p, err, sizeof(err));

		if (rc != -EINVAL)
			fail_msg("case %zu: rc %d, message '%s'", i, rc, err);
		assert_null(p);
		for (size_t w = 0; w < ARRAY_SIZE(bads[i].want) && bads[i].want[w]; w++)
			if (!strstr(err, bads[i].want[w]))
				fail_msg("case %zu: message '%s' lacks '%s'", i, err, bads[i].want[w]);
	}
}

/* `run -n`: the search, each combination with its bound, and the full
 * grid's size; a profile without [search] prints its cells as before. */
static void test_dry_run_print(void **state)
{
	struct profile *p = parse_ok(BASE SEARCH "repeats = 3\n");
	struct grid g;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(grid_build(p, &g), 0);
	search_plan_print(&g, f);
	fclose(f);
	assert_non_null(strstr(buf, "search inject.irqoff.duration from 0 to 2s at 500ms (5 values)"));
	assert_non_null(strstr(buf, "reaches hardlockup, 3 run(s) a probe"));
	assert_non_null(strstr(buf, "combination 0: guests.count=1: at most 4 probes (12 cells)"));
	assert_non_null(strstr(buf, "combination 1: guests.count=8: at most 4 probes (12 cells)"));
	assert_non_null(strstr(buf, "at most 24 cells in all; the grid at 500ms has 30"));
	free(buf);
	grid_free(&g);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axis_values),
		cmocka_unit_test(test_ids_as_listed),
		cmocka_unit_test(test_bad_search),
		cmocka_unit_test(test_dry_run_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
