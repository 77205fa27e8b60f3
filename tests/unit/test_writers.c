// SPDX-License-Identifier: GPL-2.0
/* The writers of a run cannot be broken by what they are given: error texts
 * that quote kernel lines and VMM messages, profile values and paths with
 * bytes that are not UTF-8, control characters, terminal escape sequences,
 * quotes, XML markup, CR/LF, very long text. Each output is parsed back:
 * jansson for run.json and the journal, a strict check of junit.xml
 * (characters XML 1.0 allows, markup escaped, tags balanced), the field count
 * of every cells.csv and rates.csv row. */
#include "testutil.h"

#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "classify.h"
#include "grid.h"
#include "journal.h"
#include "lockmap.h"
#include "results.h"
#include "text.h"

static const char *const hostile[] = {
	"not utf-8 \xff\xfe, cut \xe2\x82, overlong \xc0\xaf, surrogate \xed\xa0\x80 \xc3",
	"terminal \x1b[31mred\x1b[0m \x1b]0;title\x07 bell \x07 del \x7f",
	"quotes \" and ' and , comma ; and \"\"doubled\"\"",
	"markup ]]> <testcase name=\"x\"> & &amp; </testsuite> <!-- -->",
	"cr\rlf\nboth\r\n tab\t vt\x0b ff\x0c nul-less \x01\x02\x1f",
	"c1 \xc2\x9b" "31m next-line \xc2\x85 nonchar \xef\xbf\xbe \xef\xbf\xbf ok \xe2\x82\xac",
};

/* Is s[0..len) valid UTF-8 with no C0 control character but newlines? And,
 * if printable, no DEL, C1 control or U+FFFE/U+FFFF either (XML 1.0 has no
 * place for them; JSON carries them as they are). */
static bool utf8_clean(const char *s, size_t len, bool printable)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(u + i, len - i);

		if (!n || (n == 1 && u[i] < 0x20 && u[i] != '\n'))
			return false;
		if (printable && ((n == 1 && u[i] == 0x7f) ||
				  (n == 2 && u[i] == 0xc2 && u[i + 1] <= 0x9f) ||
				  (n == 3 && u[i] == 0xef && u[i + 1] == 0xbf && u[i + 2] >= 0xbe)))
			return false;
		i += n;
	}
	return true;
}

/* A long error: every hostile string, over and over, cut at 255 bytes as
 * struct cell_result keeps it (mid-character, often). */
static void long_hostile(char *buf, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; off + 1 < len; i = (i + 1) % ARRAY_SIZE(hostile))
		off += (size_t)snprintf(buf + off, len - off, "%s", hostile[i]);
}

static void test_text_clean(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *out;
	} cases[] = {
		{ "plain ascii", 0, "plain ascii" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", TEXT_PRINTABLE,
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xff" "b", 0, "a\\xffb" },
		{ "\xc0\xaf", 0, "\\xc0\\xaf" },		/* overlong '/' */
		{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },	/* a surrogate */
		{ "end \xe2\x82", 0, "end \\xe2\\x82" },	/* cut mid-character */
		{ "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" },	/* past U+10FFFF */
		{ "\x1b[1m\r\n", 0, "\x1b[1m\r\n" },		/* JSON escapes these */
		{ "\x1b[1m\r\n\t", TEXT_PRINTABLE, "\\x1b[1m\\x0d\\x0a\\x09" },
		{ "\xc2\x9b\xc2\xa0", TEXT_PRINTABLE, "\\xc2\\x9b\xc2\xa0" },	/* C1 CSI; NBSP stays */
		{ "\xef\xbf\xbe\xef\xbf\xbd", TEXT_PRINTABLE, "\\xef\\xbf\\xbe\xef\xbf\xbd" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *t = text_clean(cases[i].in, strlen(cases[i].in), cases[i].flags);

		assert_non_null(t);
		assert_string_equal(t, cases[i].out);
		free(t);
	}
	/* a NUL inside the bytes given cannot be carried by a C string */
	{
		char *t = text_clean("a\0b", 3, 0);

		assert_string_equal(t, "a\\x00b");
		free(t);
	}
}

/* jansson drops a string that is not UTF-8 (NULL, and the field is gone);
 * text_json keeps it, and what it keeps reads back. */
static void test_text_json(void **state)
{
	char big[8192];

	(void)state;
	long_hostile(big, sizeof(big));
	for (size_t i = 0; i <= ARRAY_SIZE(hostile); i++) {
		const char *s = i < ARRAY_SIZE(hostile) ? hostile[i] : big;
		json_t *o = json_object(), *back;
		char *dump, *want = text_clean(s, strlen(s), 0);

		assert_int_equal(json_object_set_new(o, "v", text_json(s)), 0);
		dump = json_dumps(o, JSON_COMPACT);
		assert_non_null(dump);
		back = json_loads(dump, 0, NULL);
		assert_non_null(back);
		assert_string_equal(json_string_value(json_object_get(back, "v")), want);
		free(dump);
		free(want);
		json_decref(back);
		json_decref(o);
	}
	assert_null(json_string(hostile[0]));
	assert_true(json_is_null(text_json(NULL)));
}

struct fixture {
	struct profile *p;
	struct grid g;
	char dir[64];
};

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	assert_non_null(fx);
	assert_int_equal(profile_parse("writers.profile",
				       "[run]\nname = writers\n[guests]\ncount = 1, 2, 4\n"
				       "period = 1ms, 2ms\n", &fx->p, err, sizeof(err)), 0);
	assert_int_equal(grid_build(fx->p, &fx->g), 0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/lockmap-test-writers-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);

	(void)!system(cmd);
	free(cmd);
	grid_free(&fx->g);
	profile_free(fx->p);
	free(fx);
	return 0;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);

	free(path);
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* The journal's records that carry outside text: a cell_end whose error
 * quotes it, and an event of a kernel line full of it. */
static void test_journal_hostile(void **state)
{
	struct fixture *fx = *state;
	char *path = xasprintf("%s/journal.jsonl", fx->dir), *buf, *p;
	struct journal *j;
	size_t len, n = 0;

	assert_int_equal(journal_open(path, &j), 0);
	for (size_t i = 0; i <= ARRAY_SIZE(hostile); i++) {
		const struct journal_cell_end_info x = { .source = "cell" };
		struct cell_result res = { .outcome = OUT_ERROR };
		struct event ev;
		char *line;

		if (i < ARRAY_SIZE(hostile))
			snprintf(res.error, sizeof(res.error), "%s", hostile[i]);
		else
			long_hostile(res.error, sizeof(res.error));
		assert_int_equal(journal_append(j, journal_cell_end(&fx->g.cells[0], &res, &x), true),
				 0);
		/* a kernel line holds no CR or LF (the console reader splits on them) */
		line = xasprintf("[ 12.5] Kernel panic - not syncing: %s", res.error);
		for (char *nl = line; (nl = strpbrk(nl, "\r\n"));)
			*nl = ' ';
		assert_true(classify_line(line, &ev));
		assert_int_equal(journal_append(j, json_pack("{s:s, s:o}", "type", "event", "event",
							     event_to_json(&ev)), true), 0);
		event_clear(&ev);
		free(line);
	}
	journal_close(j);
	buf = slurp(fx->dir, "journal.jsonl", &len);
	assert_true(utf8_clean(buf, len, false));
	for (p = buf; p < buf + len; n++) {
		char *nl = memchr(p, '\n', (size_t)(buf + len - p));
		json_t *rec = json_loadb(p, (size_t)(nl - p), 0, NULL), *ev;

		assert_non_null(rec);
		if (n % 2 == 0) {
			assert_true(json_is_string(json_object_get(rec, "error")));
		} else {
			ev = json_object_get(rec, "event");
			assert_true(json_is_string(json_object_get(ev, "reason")));
			assert_true(json_is_string(json_object_get(ev, "line")));
		}
		json_decref(rec);
		p = nl + 1;
	}
	assert_int_equal(n, 2 * (ARRAY_SIZE(hostile) + 1));
	free(buf);
	free(path);
}

/* run.json of a profile whose text and path are hostile: written whole,
 * nothing dropped. */
static void test_run_json_hostile(void **state)
{
	struct fixture *fx = *state;
	char big[8192], *text, *ppath, *path, *want;
	struct run run;
	json_t *rj;

	long_hostile(big, sizeof(big));
	text = xasprintf("%s\n%s\n%s", fx->p->text, hostile[0], big);
	free(fx->p->text);
	fx->p->text = text;
	ppath = fx->p->path;
	fx->p->path = xasprintf("/profiles/%s.profile", hostile[1]);
	assert_int_equal(results_create(fx->dir, fx->p, &fx->g, NULL, &run), 0);
	path = xasprintf("%s/run.json", run.dir);
	rj = json_load_file(path, 0, NULL);
	assert_non_null(rj);
	want = text_clean(text, strlen(text), 0);
	assert_string_equal(json_string_value(json_object_get(rj, "profile")), want);
	free(want);
	want = text_clean(fx->p->path, strlen(fx->p->path), 0);
	assert_string_equal(json_string_value(json_object_get(rj, "profile_path")), want);
	free(want);
	assert_int_equal(strlen(json_string_value(json_object_get(rj, "grid_id"))), 16);
	assert_non_null(json_object_get(rj, "host"));
	json_decref(rj);
	free(path);
	results_close(&run);
	free(fx->p->path);
	fx->p->path = ppath;
}

/* One CSV row into fields (RFC 4180 quotes); returns how many, and the
 * last one unquoted in last. The row must be one line. */
static size_t csv_fields(const char *row, size_t len, char *last, size_t lastlen)
{
	size_t n = 1, o = 0;
	bool q = false;

	for (size_t i = 0; i < len; i++) {
		char c = row[i];

		assert_true(c != '\n' && c != '\r');
		if (q && c == '"' && i + 1 < len && row[i + 1] == '"') {
			i++;
		} else if (c == '"') {
			q = !q;
			continue;
		} else if (c == ',' && !q) {
			n++;
			o = 0;
			continue;
		}
		if (o + 1 < lastlen)
			last[o++] = c;
		last[o] = '\0';
	}
	assert_false(q);
	return n;
}

/* "&lt;" and its kind back to characters; any other '&' fails. */
static void xml_unescape(const char *s, size_t len, char *out, size_t outlen)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' },
		     { "&apos;", '\'' } };
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < outlen; i++) {
		size_t k;

		if (s[i] != '&') {
			out[o++] = s[i];
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(ents); k++)
			if (!strncmp(s + i, ents[k].ent, strlen(ents[k].ent)))
				break;
		assert_true(k < ARRAY_SIZE(ents));
		out[o++] = ents[k].c;
		i += strlen(ents[k].ent) - 1;
	}
	out[o] = '\0';
}

/* Past the attributes of a tag at s (after its name) to its '>': every
 * value quoted, with no '<' and no bare '&'. Returns the '>' and whether the
 * tag closes itself. */
static const char *xml_attrs(const char *s, bool *empty)
{
	char val[2048];

	for (;;) {
		const char *end;

		while (*s == ' ')
			s++;
		if (*s == '>' || (s[0] == '/' && s[1] == '>')) {
			*empty = *s == '/';
			return *empty ? s + 1 : s;
		}
		while ((*s >= 'a' && *s <= 'z') || *s == '-')
			s++;
		assert_true(s[0] == '=' && s[1] == '"');
		s += 2;
		end = strchr(s, '"');
		assert_non_null(end);
		assert_null(memchr(s, '<', (size_t)(end - s)));
		xml_unescape(s, (size_t)(end - s), val, sizeof(val));
		s = end + 1;
	}
}

/* junit.xml well-formed in what matters here: only XML 1.0 characters, every
 * '&' an entity, no '<' or "]]>" in text, tags balanced. */
static void assert_xml_ok(const char *s, size_t len)
{
	char stack[8][32], text[4096];
	int depth = 0;

	assert_true(utf8_clean(s, len, true));
	assert_null(strstr(s, "]]>"));
	assert_int_equal(strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39), 0);
	s += 39;
	while (*s) {
		const char *lt = strchr(s, '<');
		bool closing, empty = false;
		size_t n;

		if (!lt) {
			xml_unescape(s, strlen(s), text, sizeof(text));
			break;
		}
		xml_unescape(s, (size_t)(lt - s), text, sizeof(text));
		closing = lt[1] == '/';
		s = lt + 1 + closing;
		n = strspn(s, "abcdefghijklmnopqrstuvwxyz-");
		assert_true(n > 0 && n < sizeof(stack[0]));
		if (closing) {
			assert_true(depth > 0);
			depth--;
			assert_true(strlen(stack[depth]) == n && !strncmp(stack[depth], s, n));
			s += n;
			assert_int_equal(*s, '>');
		} else {
			assert_true(depth < 8);
			memcpy(stack[depth], s, n);
			stack[depth][n] = '\0';
			s = xml_attrs(s + n, &empty);
			depth += !empty;
		}
		s++;
	}
	assert_int_equal(depth, 0);
}

/* cells.csv, rates.csv and junit.xml with hostile axis values and error texts, one cell
 * interrupted by SIGTERM. */
static void test_tables_hostile(void **state)
{
	struct fixture *fx = *state;
	struct run run = { .grid = &fx->g, .prof = fx->p };
	const struct pkey *count = profile_key(fx->p, "guests", "count");
	char *buf, *line, last[1024], *want;
	size_t len, header, rows = 0;

	snprintf(run.id, sizeof(run.id), "%s", "run <&> \"id\"");
	run.dir = fx->dir;
	run.res = calloc(fx->g.ncells, sizeof(*run.res));
	run.done = calloc(fx->g.ncells, sizeof(*run.done));
	assert_non_null(run.res);
	assert_non_null(run.done);
	/* the axis values as a hostile profile would give them */
	for (size_t v = 0; v < count->nvals; v++)
		snprintf(count->vals[v].text, sizeof(count->vals[v].text), "%s", hostile[v]);
	for (size_t i = 0; i < fx->g.ncells; i++) {
		run.done[i] = true;
		run.res[i].outcome = OUT_ERROR;
		if (i < ARRAY_SIZE(hostile))
			snprintf(run.res[i].error, sizeof(run.res[i].error), "%s", hostile[i]);
		else
			long_hostile(run.res[i].error, sizeof(run.res[i].error));
	}
	run.res[1].interrupted = true;
	run.res[1].signal = 15;
	assert_int_equal(results_write_tables(&run), 0);

	buf = slurp(fx->dir, "cells.csv", &len);
	assert_true(utf8_clean(buf, len, true));
	line = buf;
	header = csv_fields(line, strcspn(line, "\n"), last, sizeof(last));
	assert_string_equal(last, "error");
	for (line = strchr(line, '\n') + 1; *line; line = strchr(line, '\n') + 1, rows++) {
		const struct cell_result *r = &run.res[rows];

		assert_int_equal(csv_fields(line, strcspn(line, "\n"), last, sizeof(last)), header);
		want = text_clean(r->error, strlen(r->error), TEXT_PRINTABLE);
		assert_string_equal(last, want);
		free(want);
	}
	assert_int_equal(rows, fx->g.ncells);
	free(buf);

	/* rates.csv: the same axis values, a row per cell id */
	buf = slurp(fx->dir, "rates.csv", &len);
	assert_true(utf8_clean(buf, len, true));
	header = csv_fields(buf, strcspn(buf, "\n"), last, sizeof(last));
	assert_string_equal(last, "wilson_hi");
	rows = 0;
	for (line = strchr(buf, '\n') + 1; *line; line = strchr(line, '\n') + 1, rows++)
		assert_int_equal(csv_fields(line, strcspn(line, "\n"), last, sizeof(last)), header);
	assert_int_equal(rows, fx->g.ncells);
	free(buf);

	buf = slurp(fx->dir, "junit.xml", &len);
	assert_xml_ok(buf, len);
	assert_non_null(strstr(buf, "<skipped message=\"interrupted by signal 15\"/>"));
	assert_non_null(strstr(buf, "errors=\"5\" skipped=\"1\""));
	free(buf);
	free(run.res);
	free(run.done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_clean),
		cmocka_unit_test(test_text_json),
		cmocka_unit_test_setup_teardown(test_journal_hostile, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_run_json_hostile, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tables_hostile, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
