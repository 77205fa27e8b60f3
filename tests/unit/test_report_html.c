// SPDX-License-Identifier: GPL-2.0
/* report.html of a run written in a temporary directory (run.json, journal,
 * a guest log) as lockmap writes them: the page is well-formed (every tag
 * closed in order, checked by a small parser here), hostile text from the
 * profile, the host and kernel lines comes out escaped, the heatmap has a
 * square per cell id with its rate and a link to the cell's section, and
 * [report] x/y choose its axes. */
#include "testutil.h"

#include <ctype.h>
#include <jansson.h>

#include "compare.h"
#include "report.h"
#include "report_html.h"

#define HOSTILE "</pre></td><script>alert(1)</script><img src=x onerror=alert(2)> & \"q\" '"

static const char profile_text[] =
	"[run]\nname = html\nrepeat = 2\ncell_seconds = 1s\n"
	"# " HOSTILE "\n"
	"[guests]\ncount = 1, 2\nperiod = 1ms, 2ms, 4ms\npin = 0 | 1\n"
	"[report]\nx = guests.period\ny = guests.count\n";

struct fx {
	char dir[64];
	struct profile *p;
	struct grid g;
};

static void fx_journal_cell(FILE *j, const struct cell *c, const char *outcome, double ts)
{
	fprintf(j, "{\"type\":\"cell_start\",\"cell\":\"%s\",\"index\":%zu,\"rep\":%d,\"ts\":%.1f}\n",
		c->id, c->index, c->rep, ts);
	fprintf(j, "{\"type\":\"guests_start\",\"cell\":\"%s\",\"ts\":%.1f}\n", c->id, ts + 0.2);
	if (strcmp(outcome, "clean"))
		fprintf(j, "{\"type\":\"event\",\"cell\":\"%s\",\"event\":{\"kind\":\"hardlockup\","
			   "\"cpu\":1,\"t\":null,\"line\":\"watchdog: %s \\u001b[31m\",\"trace\":[]},"
			   "\"ts\":%.1f}\n", c->id, "\\u003c/td\\u003e\\u003cscript\\u003ex", ts + 1.5);
	fprintf(j, "{\"type\":\"cell_end\",\"cell\":\"%s\",\"index\":%zu,\"rep\":%d,\"outcome\":\"%s\","
		   "\"summary\":{\"ticks\":1900,\"expected\":2000,\"probe\":{\"calls_per_s\":1000.0,"
		   "\"max_chain\":7,\"max_lag_us\":123}},\"ts\":%.1f}\n",
		c->id, c->index, c->rep, outcome, ts + 3);
}

/* A run of profile_text: the cell of period 4ms and count 2 hard-locks in
 * its first repeat; every cell has a guest log. */
static void fx_run(struct fx *fx, const char *text)
{
	char err[512] = "", path[256];
	json_t *rj;
	FILE *j;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/lockmap-test-report-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	if (profile_parse("html.profile", text, &fx->p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(fx->p, &fx->g), 0);
	rj = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "run_id", "html-test", "profile", text,
		       "profile_path", "html.profile", "host", "hostname", HOSTILE, "kernel",
		       "6.1.0", "cmdline", "console=ttyS0 " HOSTILE);
	snprintf(path, sizeof(path), "%s/run.json", fx->dir);
	assert_int_equal(json_dump_file(rj, path, 0), 0);
	json_decref(rj);
	snprintf(path, sizeof(path), "%s/journal.jsonl", fx->dir);
	j = fopen(path, "w");
	assert_non_null(j);
	fprintf(j, "{\"type\":\"run_start\",\"accel\":\"tcg\",\"ts\":100.0}\n");
	for (size_t i = 0; i < fx->g.ncells; i++) {
		const struct cell *c = &fx->g.cells[i];
		bool hot = cell_num(c, "guests", "count") == 2 &&
			   cell_num(c, "guests", "period") == 4000000 && c->rep == 0;
		char rel[128];

		fx_journal_cell(j, c, hot ? "hardlockup" : "clean", 100.0 + 10 * (double)i);
		snprintf(rel, sizeof(rel), c->rep ? "cells/%s-r%d/guest-0.log" : "cells/%s/guest-0.log",
			 c->id, c->rep);
		test_put_file(fx->dir, rel, "tick seq=1 ticks=500 expected=500\n"
			      "tick seq=2 ticks=700 expected=1000\ntick seq=3 ticks=1200 expected=1500",
			      0644);
	}
	fclose(j);
}

static void fx_free(struct fx *fx)
{
	grid_free(&fx->g);
	profile_free(fx->p);
	test_rm_tree(fx->dir);
}

static char *fx_report(struct fx *fx, const struct compare *cmp, const struct report_run *other)
{
	struct report_run rr;
	char why[512] = "", path[256];
	FILE *f;
	char *buf = calloc(1, 1 << 20);

	if (report_run_open(fx->dir, &rr, why, sizeof(why)))
		fail_msg("%s", why);
	assert_int_equal(report_html_write(&rr, cmp, other), 0);
	report_run_free(&rr);
	snprintf(path, sizeof(path), "%s/report.html", fx->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	return buf;
}

/* Tags balanced and nested, attributes quoted, no stray '<' or '&' in text.
 * Returns NULL or what is wrong. */
static const char *html_check(const char *s)
{
	static char why[256];
	char stack[64][16];
	int depth = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '&') {
			const char *semi = strchr(p, ';');

			if (!semi || semi - p > 8)
				return "a bare &";
			continue;
		}
		if (*p == '>')
			return "a bare >";
		if (*p != '<')
			continue;
		if (!strncmp(p, "<!DOCTYPE", 9)) {
			p = strchr(p, '>');
			if (!p)
				return "unterminated doctype";
			continue;
		}
		bool closing = p[1] == '/';
		const char *n = p + 1 + closing, *e = n;
		char name[16];

		while (isalnum((unsigned char)*e))
			e++;
		if (e == n || e - n >= (int)sizeof(name))
			return "a < that starts no tag";
		memcpy(name, n, (size_t)(e - n));
		name[e - n] = '\0';
		/* the attributes: quoted values only */
		for (; *e && *e != '>'; e++) {
			if (*e == '"') {
				e = strchr(e + 1, '"');
				if (!e)
					return "an unterminated attribute";
			} else if (*e == '<' || *e == '\'') {
				return "a < or ' inside a tag";
			}
		}
		if (!*e)
			return "an unterminated tag";
		if (closing) {
			if (!depth || strcmp(stack[depth - 1], name)) {
				snprintf(why, sizeof(why), "</%s> closes <%s>", name,
					 depth ? stack[depth - 1] : "nothing");
				return why;
			}
			depth--;
		} else if (e[-1] != '/') {
			if (depth == 64)
				return "too deep";
			snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
		}
		p = e;
	}
	if (depth) {
		snprintf(why, sizeof(why), "<%s> never closed", stack[depth - 1]);
		return why;
	}
	return NULL;
}

/* The checker itself fails on what it is there to catch. */
static void test_html_check_catches(void **state)
{
	(void)state;
	assert_null(html_check("<p a=\"1\">x &amp; <b>y</b><br/></p>"));
	assert_non_null(html_check("<p><b>x</p></b>"));
	assert_non_null(html_check("<p>x < y</p>"));
	assert_non_null(html_check("<p>x & y</p>"));
	assert_non_null(html_check("<p>"));
	assert_non_null(html_check("<p a=\"1>x</p>"));
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void test_report_page(void **state)
{
	struct fx fx;
	char *html, want[128];
	const char *bad;

	(void)state;
	fx_run(&fx, profile_text);
	html = fx_report(&fx, NULL, NULL);
	bad = html_check(html);
	if (bad)
		fail_msg("report.html is not well-formed: %s", bad);
	/* hostile text escaped everywhere: host, cmdline, profile, kernel lines */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "\x1b"));
	assert_true(count(html, "&lt;script&gt;alert(1)&lt;/script&gt;") >= 3);
	assert_non_null(strstr(html, "&lt;/td&gt;&lt;script&gt;x"));
	assert_null(strstr(html, "<script>"));
	/* metadata and the accelerator */
	assert_non_null(strstr(html, "<td>tcg</td>"));
	assert_non_null(strstr(html, "6.1.0"));
	/* 2 facets (pin), each 3 periods x 2 counts: 12 squares, one per cell id,
	 * each linked to a section that exists */
	assert_int_equal(count(html, "class=\"heatmap\""), 2);
	assert_int_equal(count(html, "<a href=\"#cell-"), 12);
	for (size_t i = 0; i < fx.g.ncells; i += 2) {
		snprintf(want, sizeof(want), "id=\"cell-%s\"", fx.g.cells[i].id);
		assert_int_equal(count(html, want), 1);
	}
	/* the hot cell: hardlockup 1/2 in red, the others clean 2/2 */
	assert_int_equal(count(html, ">1/2</text>"), 2);
	assert_int_equal(count(html, ">2/2</text>"), 10);
	assert_int_equal(count(html, "fill=\"#c81e1e\" stroke=\"#fff\""), 2);
	/* [report] x = guests.period across, y = guests.count down */
	assert_non_null(strstr(html, "class=\"axis\">guests.period &#8594;"));
	assert_non_null(strstr(html, "class=\"axis\">guests.count &#8595;"));
	assert_non_null(strstr(html, "<h3>guests.pin=0 </h3>"));
	/* per cell: probe figures, the event, a timeline with the guest's line */
	assert_non_null(strstr(html, "longest chain 7, largest lag 123 us"));
	assert_int_equal(count(html, "<td>hardlockup</td><td>1</td>"), 2);
	assert_int_equal(count(html, "class=\"timeline\""), (long)fx.g.ncells);
	assert_int_equal(count(html, "<polyline"), (long)fx.g.ncells);
	assert_non_null(strstr(html, "guest-0.log\">guest-0.log</a>"));
	free(html);
	fx_free(&fx);
}

/* A lab run: the host under test is the lab host of lab-host.json, and the
 * machine that launched it is named as such. */
static void test_report_lab_host(void **state)
{
	struct fx fx;
	char *html;

	(void)state;
	fx_run(&fx, profile_text);
	test_put_file(fx.dir, "lab-host.json",
		      "{\"hostname\": \"lockmap-lab\", \"kernel\": \"6.1.192-lab-unfixed\"}", 0644);
	html = fx_report(&fx, NULL, NULL);
	assert_non_null(strstr(html, "<tr><th>kernel</th><td>6.1.192-lab-unfixed</td></tr>"));
	assert_non_null(strstr(html, "<tr><th>host</th><td>lockmap-lab</td></tr>"));
	assert_non_null(strstr(html, "launched from "));
	assert_non_null(strstr(html, ", kernel 6.1.0</td>"));
	assert_null(html_check(html));
	free(html);
	fx_free(&fx);
}

/* The default axes: the first two; one axis makes one row; no [report]. */
static void test_report_axes_default(void **state)
{
	static const char one[] = "[run]\nname = one\n[guests]\ncount = 1\nperiod = 1ms, 2ms, 4ms\n";
	static const char two[] = "[run]\nname = two\n[guests]\ncount = 1, 2\nperiod = 1ms, 2ms\n";
	struct fx fx;
	struct report_run rr;
	struct report_axes ax;
	char why[512], *html;

	(void)state;
	fx_run(&fx, one);
	assert_int_equal(report_run_open(fx.dir, &rr, why, sizeof(why)), 0);
	report_axes(&rr, &ax);
	assert_int_equal(ax.x, 0);
	assert_int_equal(ax.y, -1);
	report_run_free(&rr);
	html = fx_report(&fx, NULL, NULL);
	assert_null(html_check(html));
	assert_int_equal(count(html, "class=\"heatmap\""), 1);
	assert_int_equal(count(html, "<a href=\"#cell-"), 3);
	assert_null(strstr(html, "&#8595;"));
	free(html);
	fx_free(&fx);

	fx_run(&fx, two);
	assert_int_equal(report_run_open(fx.dir, &rr, why, sizeof(why)), 0);
	report_axes(&rr, &ax);
	assert_string_equal(rr.grid.axes[ax.x]->key, "count");
	assert_string_equal(rr.grid.axes[ax.y]->key, "period");
	report_run_free(&rr);
	fx_free(&fx);
}

/* The compare section: a cell worse than in the other run, with both rates. */
static void test_report_compare(void **state)
{
	struct fx now, before;
	struct report_run a, b;
	struct compare cmp;
	char why[512], path[256], *html;
	FILE *f;

	(void)state;
	fx_run(&now, profile_text);
	fx_run(&before, profile_text);
	/* before: no hard lockup at all */
	snprintf(path, sizeof(path), "%s/journal.jsonl", before.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < before.g.ncells; i++)
		fx_journal_cell(f, &before.g.cells[i], "clean", 10.0 * (double)i);
	fclose(f);
	assert_int_equal(report_run_open(now.dir, &a, why, sizeof(why)), 0);
	assert_int_equal(report_run_open(before.dir, &b, why, sizeof(why)), 0);
	assert_int_equal(compare_rates(&a.rates, &b.rates, &cmp), 0);
	assert_int_equal(cmp.matched, 12);
	assert_int_equal(cmp.count[CMP_WORSE], 2);	/* the hot cell of each pin */
	assert_int_equal(report_html_write(&a, &cmp, &b), 0);
	compare_free(&cmp);
	report_run_free(&a);
	report_run_free(&b);
	snprintf(path, sizeof(path), "%s/report.html", now.dir);
	f = fopen(path, "r");
	html = calloc(1, 1 << 20);
	assert_true(fread(html, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	assert_null(html_check(html));
	assert_non_null(strstr(html, "id=\"compare\""));
	assert_non_null(strstr(html, "<tr class=\"worse\"><td>worse</td>"));
	assert_non_null(strstr(html, "hardlockup 1/2 (95% CI 9%-91%), clean 1/2</td><td>clean 2/2"));
	free(html);
	fx_free(&now);
	fx_free(&before);
}

/* Not a run: refused with why. */
static void test_report_not_a_run(void **state)
{
	struct report_run rr;
	char why[512] = "";
	char dir[] = "/tmp/lockmap-test-report-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(report_run_open(dir, &rr, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is no lockmap run"));
	report_run_free(&rr);
	test_rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_check_catches),
		cmocka_unit_test(test_report_page),
		cmocka_unit_test(test_report_lab_host),
		cmocka_unit_test(test_report_axes_default),
		cmocka_unit_test(test_report_compare),
		cmocka_unit_test(test_report_not_a_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
