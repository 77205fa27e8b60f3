// SPDX-License-Identifier: GPL-2.0
/* report.html's timeline and boundary chart (report_timeline.c,
 * report_boundary.c) drawn from runs written here as lockmap writes them:
 * the timeline has a tick-rate line per guest with a point per sample that
 * had a report, a calls line with a point per sample, a chain bar per sample
 * with a chain (a catch-up of 2000 stands far above a chain of 1 on the log
 * scale), one shaded span per run of samples with an injector on, and each
 * event marked with its kind; the boundary chart of a [search] has a line
 * per facet through the thresholds, lower thresholds lower, and an open mark
 * for a combination that never reached. */
#include "testutil.h"

#include <jansson.h>

#include "report.h"
#include "report_svg.h"

struct fx {
	char dir[64];
	struct report_run rr;
	struct profile *p;
	struct grid g;
};

static void fx_open(struct fx *fx, const char *text)
{
	char err[512] = "", path[256];
	json_t *rj;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/lockmap-test-svg-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	if (profile_parse("svg.profile", text, &fx->p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(fx->p, &fx->g), 0);
	rj = json_pack("{s:s, s:s, s:s}", "run_id", "svg-test", "profile", text, "profile_path",
		       "svg.profile");
	snprintf(path, sizeof(path), "%s/run.json", fx->dir);
	assert_int_equal(json_dump_file(rj, path, 0), 0);
	json_decref(rj);
}

static FILE *fx_journal(struct fx *fx)
{
	char path[256];
	FILE *j;

	snprintf(path, sizeof(path), "%s/journal.jsonl", fx->dir);
	j = fopen(path, "w");
	assert_non_null(j);
	return j;
}

static void fx_cell(FILE *j, const struct cell *c, const char *outcome, double ts, double end)
{
	fprintf(j, "{\"type\":\"cell_start\",\"cell\":\"%s\",\"index\":%zu,\"rep\":%d,\"ts\":%.3f}\n",
		c->id, c->index, c->rep, ts);
	fprintf(j, "{\"type\":\"cell_end\",\"cell\":\"%s\",\"index\":%zu,\"rep\":%d,\"outcome\":\"%s\","
		   "\"summary\":{},\"ts\":%.3f}\n", c->id, c->index, c->rep, outcome, end);
}

static char *fx_draw(struct fx *fx, void (*draw)(FILE *, const struct report_run *, size_t),
		     size_t i)
{
	char why[512] = "", *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (report_run_open(fx->dir, &fx->rr, why, sizeof(why)))
		fail_msg("%s", why);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	draw(f, &fx->rr, i);
	fclose(f);
	report_run_free(&fx->rr);
	return buf;
}

static void fx_free(struct fx *fx)
{
	grid_free(&fx->g);
	profile_free(fx->p);
	test_rm_tree(fx->dir);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* The points="..." of the first element of class cls, as a count; the y of
 * point k in *y (when asked). */
static size_t points_of(const char *svg, const char *cls, size_t k, double *y)
{
	char key[64];
	const char *p;
	size_t n = 0;

	snprintf(key, sizeof(key), "class=\"%s\"", cls);
	p = strstr(svg, key);
	assert_non_null(p);
	p = strstr(p, "points=\"");
	assert_non_null(p);
	for (p += 8; *p && *p != '"';) {
		double px, py;
		int used = 0;

		assert_int_equal(sscanf(p, "%lf,%lf%n", &px, &py, &used), 2);
		if (y && n == k)
			*y = py;
		n++;
		p += used;
		while (*p == ' ')
			p++;
	}
	return n;
}

/* The y attribute of the n-th element of class cls. */
static double nth_y(const char *svg, const char *cls, size_t n)
{
	char key[64];
	const char *p = svg;
	double y;

	snprintf(key, sizeof(key), "class=\"%s\"", cls);
	for (size_t i = 0; i <= n; i++) {
		p = strstr(p, key);
		assert_non_null(p);
		p += strlen(key);
	}
	p = strstr(p, " y=\"");
	assert_non_null(p);
	assert_int_equal(sscanf(p + 4, "%lf", &y), 1);
	return y;
}

static const char tl_profile[] =
	"[run]\nname = tl\ncell_seconds = 4s\nwarmup = 2s\ncooldown = 2s\n"
	"[guests]\ncount = 2\nperiod = 1ms\n[inject.irqoff]\nduration = 3s\n";

/* 8 samples, irq-off on in samples 3 to 5, a catch-up (chain 2000) in 6,
 * a hard lockup in 6; guest 1 reports only every other second. */
static void tl_run(struct fx *fx)
{
	const struct cell *c;
	FILE *j;

	fx_open(fx, tl_profile);
	c = &fx->g.cells[0];
	j = fx_journal(fx);
	fprintf(j, "{\"type\":\"cell_start\",\"cell\":\"%s\",\"index\":0,\"rep\":0,\"ts\":1000.0}\n",
		c->id);
	for (int s = 1; s <= 8; s++) {
		int on = s >= 3 && s <= 5, chain = s == 6 ? 2000 : 1;

		fprintf(j, "{\"type\":\"sample\",\"cell\":\"%s\",\"rep\":0,\"phase\":\"%s\",\"t\":%d.0,"
			   "\"dt\":1.0,\"cpus\":{\"1\":{\"calls\":%d,\"max_chain\":%d,\"max_lag_us\":%d}},"
			   "\"guests\":[{\"ticks\":%d,\"expected\":1000},{\"ticks\":%d,\"expected\":%d}],"
			   "\"inject\":{\"irqoff\":%s},\"ts\":%d.0}\n",
			c->id, s <= 2 ? "warmup" : s <= 6 ? "window" : "cooldown", s,
			s == 6 ? 5000 : 2000, chain, chain * 10, on ? 10 : 990,
			s % 2 ? 0 : 1900, s % 2 ? 0 : 2000, on ? "true" : "false", 1000 + s);
		if (s == 6)
			fprintf(j, "{\"type\":\"event\",\"cell\":\"%s\",\"event\":{\"kind\":\"hardlockup\","
				   "\"cpu\":1,\"t\":null,\"line\":\"watchdog: Watchdog detected hard LOCKUP on cpu 1\","
				   "\"trace\":[]},\"ts\":1005.5}\n", c->id);
	}
	fprintf(j, "{\"type\":\"cell_end\",\"cell\":\"%s\",\"index\":0,\"rep\":0,\"outcome\":\"hardlockup\","
		   "\"summary\":{},\"ts\":1010.0}\n", c->id);
	fclose(j);
}

static void test_timeline(void **state)
{
	struct fx fx;
	char *svg, *g0;
	double y_low, y_high;

	(void)state;
	tl_run(&fx);
	svg = fx_draw(&fx, report_svg_timeline, 0);
	assert_non_null(strstr(svg, "<svg class=\"timeline\""));
	assert_int_equal(count(svg, "class=\"tl-rate\""), 2);
	/* Guest 1 first, guest 0 drawn over it; guest 1's line skips the
	 * samples without its report. */
	g0 = strstr(strstr(svg, "class=\"tl-rate\"") + 1, "class=\"tl-rate\"") - 1;
	assert_int_equal(points_of(svg, "tl-rate", 0, NULL), 4);
	assert_int_equal(points_of(g0, "tl-rate", 0, NULL), 8);
	assert_int_equal(count(svg, "class=\"tl-calls\""), 1);
	assert_int_equal(points_of(svg, "tl-calls", 0, NULL), 8);
	/* Its irq-off samples: the rate drops to 0.01. */
	points_of(g0, "tl-rate", 1, &y_high);
	points_of(g0, "tl-rate", 3, &y_low);
	assert_true(y_low > y_high + 50);
	assert_int_equal(count(svg, "class=\"tl-chain\""), 8);
	/* Log scale: the catch-up's bar reaches far higher than a chain of 1. */
	y_low = nth_y(svg, "tl-chain", 0);
	y_high = nth_y(svg, "tl-chain", 5);
	assert_true(y_high < y_low - 40);
	/* The lag (us) on the same scale: 20 ms in the catch-up, 10 us before. */
	assert_int_equal(points_of(svg, "tl-lag", 0, NULL), 8);
	points_of(svg, "tl-lag", 0, &y_low);
	points_of(svg, "tl-lag", 5, &y_high);
	assert_true(y_high < y_low - 40);
	assert_int_equal(count(svg, "class=\"tl-inject\""), 1);
	assert_non_null(strstr(svg, "<title>inject.irqoff on, 2.0 s to 5.0 s</title>"));
	assert_int_equal(count(svg, "class=\"tl-event\""), 1);
	/* A line where each phase begins, named. */
	assert_int_equal(count(svg, "class=\"tl-phase\""), 3);
	assert_non_null(strstr(svg, ">warmup</text>"));
	assert_non_null(strstr(svg, ">window</text>"));
	assert_non_null(strstr(svg, ">cooldown</text>"));
	assert_non_null(strstr(svg, ">hardlockup</text>"));
	assert_non_null(strstr(svg, ">irqoff on</text>"));
	free(svg);
	fx_free(&fx);
}

/* A run from before sample records: the guests' rates from their logs. */
static void test_timeline_without_samples(void **state)
{
	struct fx fx;
	const struct cell *c;
	char *svg, rel[128];
	FILE *j;

	(void)state;
	fx_open(&fx, tl_profile);
	c = &fx.g.cells[0];
	j = fx_journal(&fx);
	fx_cell(j, c, "clean", 1000, 1010);
	fclose(j);
	snprintf(rel, sizeof(rel), "cells/%s/guest-0.log", c->id);
	test_put_file(fx.dir, rel, "tick seq=1 ticks=500 expected=500\ntick seq=2 ticks=700 expected=1000\n",
		      0644);
	svg = fx_draw(&fx, report_svg_timeline, 0);
	assert_int_equal(count(svg, "class=\"tl-rate\""), 1);
	assert_int_equal(points_of(svg, "tl-rate", 0, NULL), 2);
	assert_int_equal(count(svg, "class=\"tl-calls\""), 0);
	free(svg);
	fx_free(&fx);
}

static const char bd_profile[] =
	"[run]\nname = bd\n[guests]\ncount = 1, 8\nperiod = 1ms, 4ms\n"
	"[inject.irqoff]\ncpus = 1\n[search]\naxis = inject.irqoff.duration\n"
	"lo = 0\nhi = 4s\nresolution = 1s\nreach = hardlockup\n";

static void bd_boundary(FILE *f, const struct report_run *rr, size_t i)
{
	(void)i;
	report_svg_boundary(f, rr);
}

/* Every probe of the grid run: 1 guest hard-locks from 3 s, 8 from 1 s;
 * with period 4 ms, 8 guests never do. */
static void test_boundary(void **state)
{
	struct fx fx;
	char *svg;
	double y1, y8;
	FILE *j;

	(void)state;
	fx_open(&fx, bd_profile);
	j = fx_journal(&fx);
	for (size_t i = 0; i < fx.g.ncells; i++) {
		const struct cell *c = &fx.g.cells[i];
		int64_t d = cell_num(c, "inject.irqoff", "duration");
		int64_t n = cell_num(c, "guests", "count"), p = cell_num(c, "guests", "period");
		bool hard = n == 1 ? d >= 3 * NSEC_PER_SEC : p == NSEC_PER_MSEC && d >= NSEC_PER_SEC;

		fx_cell(j, c, hard ? "hardlockup" : "clean", 100 + (double)i, 100.5 + (double)i);
	}
	fclose(j);
	svg = fx_draw(&fx, bd_boundary, 0);
	assert_non_null(strstr(svg, "<svg class=\"boundary\""));
	/* x: guests.count; a line per guests.period. */
	assert_non_null(strstr(svg, "guests.count &#8594;"));
	assert_non_null(strstr(svg, "inject.irqoff.duration threshold"));
	assert_int_equal(count(svg, "class=\"bd-point\""), 3);
	assert_int_equal(count(svg, "class=\"bd-above\""), 1);
	assert_int_equal(count(svg, "class=\"bd-line\""), 1);
	assert_non_null(strstr(svg, ">guests.period=1ms</text>"));
	assert_non_null(strstr(svg, ">guests.period=4ms</text>"));
	assert_non_null(strstr(svg, "<title>threshold 3s</title>"));
	assert_non_null(strstr(svg, "<title>threshold 1s</title>"));
	/* The line runs from 1 guest at 3 s down to 8 guests at 1 s. */
	assert_int_equal(points_of(svg, "bd-line", 0, &y1), 2);
	points_of(svg, "bd-line", 1, &y8);
	assert_true(y8 > y1 + 50);
	free(svg);
	fx_free(&fx);
}

/* No [search]: no chart. */
static void test_no_boundary(void **state)
{
	struct fx fx;
	char *svg;
	FILE *j;

	(void)state;
	fx_open(&fx, tl_profile);
	j = fx_journal(&fx);
	fx_cell(j, &fx.g.cells[0], "clean", 100, 101);
	fclose(j);
	svg = fx_draw(&fx, bd_boundary, 0);
	assert_string_equal(svg, "");
	free(svg);
	fx_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_timeline_without_samples),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_no_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
