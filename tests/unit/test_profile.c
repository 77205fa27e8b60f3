// SPDX-License-Identifier: GPL-2.0
/* Profile parsing: values with units, axes, defaults, and one bad profile per
 * kind of error, each checked for file:line, the key and the fix. */
#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "hostknobs.h"
#include "inject.h"
#include "launch.h"
#include "lockmap.h"
#include "outcome.h"
#include "profile.h"

static struct profile *load_good(const char *name)
{
	char path[512], err[1024] = "";
	struct profile *p = NULL;
	int rc;

	test_data_path(path, sizeof(path), name);
	rc = profile_load(path, &p, err, sizeof(err));
	if (rc)
		print_error("%s: %s\n", path, err);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

static const struct pkey *key(const struct profile *p, const char *section, const char *k)
{
	const struct pkey *pk = profile_key(p, section, k);

	if (!pk)
		print_error("no key [%s] %s\n", section, k);
	assert_non_null(pk);
	return pk;
}

static const struct pspec *spec(const char *section, const char *k)
{
	const struct section_spec *ss = section_spec_find(section);

	assert_non_null(ss);
	for (size_t i = 0; i < ss->nkeys; i++)
		if (!strcmp(ss->keys[i].key, k))
			return &ss->keys[i];
	print_error("no spec [%s] %s\n", section, k);
	fail();
	return NULL;
}

static void test_full_run(void **state)
{
	struct profile *p = load_good("profiles/good-full.profile");
	const struct pkey *k;

	(void)state;
	assert_string_equal(key(p, "run", "name")->vals[0].text, "full-test");
	assert_string_equal(key(p, "run", "target")->vals[0].text, "local");
	k = key(p, "run", "cell_seconds");
	assert_int_equal(k->vals[0].num, 1500 * NSEC_PER_MSEC);
	assert_string_equal(k->vals[0].text, "1500ms");
	assert_true(k->is_set);
	assert_int_equal(k->line, 6);
	assert_int_equal(key(p, "run", "warmup")->vals[0].num, 500 * NSEC_PER_MSEC);
	assert_int_equal(key(p, "run", "cooldown")->vals[0].num, 0);
	assert_string_equal(key(p, "run", "cooldown")->vals[0].text, "0");
	assert_int_equal(key(p, "run", "repeat")->vals[0].num, 2);
	profile_free(p);
}

static void test_full_guests(void **state)
{
	struct profile *p = load_good("profiles/good-full.profile");
	static const int64_t counts[] = { 1, 2, 4, 8, 16, 32, 64 };
	static const char *const periods[] = { "100us", "200us", "300us", "400us", "500us" };
	const struct pkey *k;

	(void)state;
	k = key(p, "guests", "count");
	assert_int_equal(k->nvals, ARRAY_SIZE(counts));
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++)
		assert_int_equal(k->vals[i].num, counts[i]);
	assert_int_equal(k->line, 17);
	k = key(p, "guests", "period");
	assert_int_equal(k->nvals, ARRAY_SIZE(periods));
	for (size_t i = 0; i < ARRAY_SIZE(periods); i++) {
		assert_string_equal(k->vals[i].text, periods[i]);
		assert_int_equal(k->vals[i].num, (int64_t)(i + 1) * 100 * NSEC_PER_USEC);
	}
	assert_int_equal(key(p, "guests", "vcpus")->vals[0].num, 2);
	k = key(p, "guests", "memory");
	assert_int_equal(k->vals[0].num, 1024);
	assert_string_equal(k->vals[0].text, "1G");
	/* Enum values and units are case-insensitive; the text is canonical. */
	assert_string_equal(key(p, "guests", "timer")->vals[0].text, "periodic");
	assert_int_equal(key(p, "guests", "report")->vals[0].num, 250 * NSEC_PER_MSEC);
	assert_string_equal(key(p, "guests", "idle")->vals[0].text, "busy");
	k = key(p, "guests", "pin");
	assert_int_equal(k->nvals, 3);
	assert_int_equal(k->vals[0].mask, 1);
	assert_int_equal(k->vals[1].mask, 2);
	assert_int_equal(k->vals[2].mask, 3);
	assert_string_equal(k->vals[2].text, "0-1");
	k = key(p, "guests", "tick_loss");
	assert_int_equal(k->vals[0].num, 50);
	assert_string_equal(k->vals[0].text, "0.5%");
	assert_string_equal(key(p, "guests", "accel")->vals[0].text, "tcg");
	assert_string_equal(key(p, "guests", "launcher")->vals[0].text, "qemu");
	k = key(p, "guests", "payload");
	assert_string_equal(k->vals[0].text, "tickguest");
	assert_false(k->is_set);
	assert_int_equal(k->line, 0);
	profile_free(p);
}

static void test_full_other_sections(void **state)
{
	struct profile *p = load_good("profiles/good-full.profile");
	static const char *const order[] = { "run", "host", "guests", "inject.pause", "expect",
					      "monitor" };
	const struct pkey *k;
	int64_t bits = (1 << OUT_SOFTLOCKUP) | (1 << OUT_HARDLOCKUP) | (1 << OUT_PANIC);

	(void)state;
	assert_int_equal(p->nsections, ARRAY_SIZE(order));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		assert_string_equal(p->sections[i], order[i]);
	assert_int_equal(key(p, "host", "watchdog_thresh")->vals[0].num, 4);
	/* A prefix key keeps the name it was written with. */
	k = key(p, "host", "sysctl.kernel.panic");
	assert_string_equal(k->spec->key, "sysctl.*");
	assert_string_equal(k->vals[0].text, "10");
	k = key(p, "inject.pause", "length");
	assert_int_equal(k->nvals, 2);
	assert_string_equal(k->vals[0].text, "20ms");
	assert_string_equal(k->vals[1].text, "1ms");
	assert_false(key(p, "inject.pause", "gap")->is_set);
	/* A list is printed in the order of its choices; num is an outcome mask. */
	k = key(p, "expect", "fail_on");
	assert_string_equal(k->vals[0].text, "softlockup,hardlockup,panic");
	assert_int_equal(k->vals[0].num, bits);
	assert_true(profile_has_section(p, "inject.pause"));
	assert_false(profile_has_section(p, "inject.stress"));
	profile_free(p);
}

static void test_defaults(void **state)
{
	struct profile *p = load_good("profiles/good-minimal.profile");
	const struct pkey *k;
	const struct section_spec *ss;

	(void)state;
	/* Every key of every built-in section exists, from its default; an
	 * injector's section, and [search], only when the profile has it. */
	for (size_t s = 0; (ss = section_spec_at(s)); s++) {
		if (!strncmp(ss->name, "inject.", 7) || !strcmp(ss->name, "search") ||
		    !strcmp(ss->name, "report")) {
			assert_false(profile_has_section(p, ss->name));
			continue;
		}
		assert_true(profile_has_section(p, ss->name));
		for (size_t i = 0; i < ss->nkeys; i++) {
			size_t l = strlen(ss->keys[i].key);

			if (ss->keys[i].key[l - 1] == '*')
				continue;
			k = key(p, ss->name, ss->keys[i].key);
			assert_int_equal(k->nvals, 1);
		}
	}
	k = key(p, "run", "name");
	assert_string_equal(k->vals[0].text, "good-minimal");
	assert_false(k->is_set);
	assert_int_equal(k->line, 0);
	assert_string_equal(key(p, "run", "target")->vals[0].text, "local");
	assert_int_equal(key(p, "run", "cell_seconds")->vals[0].num, 20 * NSEC_PER_SEC);
	assert_int_equal(key(p, "run", "warmup")->vals[0].num, 3 * NSEC_PER_SEC);
	assert_int_equal(key(p, "run", "cooldown")->vals[0].num, 2 * NSEC_PER_SEC);
	assert_int_equal(key(p, "run", "repeat")->vals[0].num, 1);
	assert_int_equal(key(p, "guests", "vcpus")->vals[0].num, 1);
	assert_int_equal(key(p, "guests", "memory")->vals[0].num, 32);
	assert_string_equal(key(p, "guests", "timer")->vals[0].text, "periodic");
	assert_string_equal(key(p, "guests", "idle")->vals[0].text, "hlt");
	assert_int_equal(key(p, "guests", "report")->vals[0].num, NSEC_PER_SEC);
	assert_int_equal(key(p, "guests", "pin")->vals[0].mask, 1);
	assert_int_equal(key(p, "guests", "tick_loss")->vals[0].num, 500);
	assert_string_equal(key(p, "guests", "accel")->vals[0].text, "auto");
	assert_string_equal(key(p, "expect", "fail_on")->vals[0].text,
			    "rcu_stall,softlockup,hardlockup,panic,host_hang,error");
	k = key(p, "guests", "count");
	assert_true(k->is_set);
	assert_int_equal(k->line, 3);
	assert_null(profile_key(p, "guests", "nosuchkey"));
	assert_non_null(p->text);
	assert_non_null(strstr(p->text, "count = 2"));
	profile_free(p);
}

static void test_empty_inject_section(void **state)
{
	struct profile *p = load_good("profiles/good-empty-inject.profile");

	(void)state;
	assert_true(profile_has_section(p, "inject.pause"));
	assert_false(key(p, "inject.pause", "length")->is_set);
	assert_int_equal(key(p, "inject.pause", "length")->vals[0].num, 0);
	profile_free(p);
}

/* Small profiles in memory: line endings, indentation, comments. */
static void test_text_forms(void **state)
{
	static const char *const texts[] = {
		"[guests]\r\ncount = 2\r\nperiod = 1ms\r\n",
		"\xEF\xBB\xBF[guests]\ncount = 2\nperiod = 1ms",
		"[guests]\n  count = 2\nperiod = 1ms # the tick\n",
		"; comment\n# comment\n[guests]\ncount = 2 ; two\nperiod = 1000us\n",
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct profile *p = NULL;
		char err[512] = "";
		int rc = profile_parse("mem.profile", texts[i], &p, err, sizeof(err));

		if (rc)
			print_error("text %zu: %s\n", i, err);
		assert_int_equal(rc, 0);
		assert_int_equal(key(p, "guests", "count")->vals[0].num, 2);
		assert_string_equal(key(p, "guests", "period")->vals[0].text, "1ms");
		assert_string_equal(key(p, "run", "name")->vals[0].text, "mem");
		profile_free(p);
	}
}

struct vcase {
	const char *section, *key, *text;
	int64_t num;
	const char *canon;	/* NULL: must fail */
	const char *why;	/* substring of the error */
};

static void test_values(void **state)
{
	static const struct pspec int_any = { "n", PT_INT, 1, 0, "0", NULL, "" };
	static const struct pspec rate = { "rate", PT_RATE, 1, 0, "0", NULL, "" };
	static const struct pspec onoff = { "on", PT_BOOL, 1, 0, "no", NULL, "" };
	static const struct vcase cases[] = {
		{ "guests", "period", "200us", 200000, "200us", NULL },
		{ "guests", "period", "1000us", 1000000, "1ms", NULL },
		{ "guests", "period", "1.5ms", 1500000, "1500us", NULL },
		{ "guests", "period", "1.25us", 1250, "1250ns", NULL },
		{ "guests", "period", "500000ns", 500000, "500us", NULL },
		{ "guests", "period", "20 ms", 20000000, "20ms", NULL },
		{ "guests", "period", "1S", 1000000000, "1s", NULL },
		{ "run", "cooldown", "0", 0, "0", NULL },
		{ "run", "cell_seconds", "86400s", 86400 * NSEC_PER_SEC, "86400s", NULL },
		{ "guests", "period", "1.5ns", 0, NULL, "not a whole number of nanoseconds" },
		{ "guests", "period", "5", 0, NULL, "has no unit; allowed units: ns, us, ms, s" },
		{ "guests", "period", "5m", 0, NULL, "unknown unit 'm'" },
		{ "guests", "period", "-1ms", 0, NULL, "negative" },
		{ "guests", "period", "ms", 0, NULL, "not a number" },
		{ "guests", "period", "0", 0, NULL, "period must be between 1us and 1s" },
		{ "run", "cell_seconds", "24h", 0, NULL, "unknown unit 'h'" },
		{ "guests", "tick_loss", "5%", 500, "5%", NULL },
		{ "guests", "tick_loss", "0.5%", 50, "0.5%", NULL },
		{ "guests", "tick_loss", "12.25 %", 1225, "12.25%", NULL },
		{ "guests", "tick_loss", "0.05%", 5, "0.05%", NULL },
		{ "guests", "tick_loss", "0.001%", 0, NULL, "not a whole number" },
		{ "guests", "tick_loss", "5", 0, NULL, "has no unit; allowed units: %" },
		{ "guests", "tick_loss", "101%", 0, NULL, "between 0% and 100%" },
		{ "guests", "memory", "32M", 32, "32M", NULL },
		{ "guests", "memory", "1024m", 1024, "1G", NULL },
		{ "guests", "memory", "1.5G", 1536, "1536M", NULL },
		{ "guests", "memory", "64MiB", 64, "64M", NULL },
		{ "guests", "memory", "8M", 0, NULL, "memory must be between 16M and 4G" },
		{ "guests", "count", "08", 8, "8", NULL },
		{ "guests", "count", "8x", 0, NULL, "not a whole number" },
		{ "guests", "timer", "TscDeadline", 2, "tscdeadline", NULL },
		{ "guests", "pin", "3,0-1", 3, "0-1,3", NULL },	/* num: how many cpus */
		{ "expect", "fail_on", "error, clean", (1 << OUT_CLEAN) | (1 << OUT_ERROR),
		  "clean,error", NULL },
		{ "expect", "fail_on", "panic,", 0, NULL, "remove the extra ','" },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct vcase *c = &cases[i];
		struct pval v;
		char err[512] = "";
		int rc = pval_parse(spec(c->section, c->key), c->text, &v, err, sizeof(err));

		if (c->canon) {
			if (rc)
				print_error("'%s': %s\n", c->text, err);
			assert_int_equal(rc, 0);
			assert_int_equal(v.num, c->num);
			assert_string_equal(v.text, c->canon);
		} else {
			if (!rc || !strstr(err, c->why))
				print_error("'%s': rc %d, err '%s', want '%s'\n", c->text, rc,
					    err, c->why);
			assert_int_equal(rc, -EINVAL);
			assert_non_null(strstr(err, c->why));
		}
	}
	{
		struct pval v;
		char err[256];

		assert_int_equal(pval_parse(&int_any, "-5", &v, err, sizeof(err)), 0);
		assert_int_equal(v.num, -5);
		assert_int_equal(pval_parse(&rate, "2khz", &v, err, sizeof(err)), 0);
		assert_int_equal(v.num, 2000);
		assert_string_equal(v.text, "2khz");
		assert_int_equal(pval_parse(&rate, "1.5kHz", &v, err, sizeof(err)), 0);
		assert_string_equal(v.text, "1500hz");
		assert_int_equal(pval_parse(&rate, "10", &v, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "hz, khz"));
		assert_int_equal(pval_parse(&onoff, "Off", &v, err, sizeof(err)), 0);
		assert_int_equal(v.num, 0);
		assert_int_equal(pval_parse(&onoff, "true", &v, err, sizeof(err)), 0);
		assert_int_equal(v.num, 1);
		assert_string_equal(v.text, "yes");
		assert_int_equal(pval_parse(&onoff, "maybe", &v, err, sizeof(err)), -EINVAL);
	}
}

static void test_fmt_duration(void **state)
{
	static const struct {
		int64_t ns;
		const char *text;
	} cases[] = {
		{ 0, "0" }, { 1, "1ns" }, { 1500, "1500ns" }, { 2000, "2us" },
		{ 250 * NSEC_PER_USEC, "250us" }, { NSEC_PER_MSEC, "1ms" },
		{ 3 * NSEC_PER_SEC, "3s" }, { 86400 * NSEC_PER_SEC, "86400s" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fmt_duration(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_section_specs(void **state)
{
	const struct section_spec *ss, *g;
	size_t n = 0;
	bool has_launcher = false;

	(void)state;
	for (n = 0; section_spec_at(n); n++)
		;
	assert_int_equal(n, 7 + nr_injectors);
	assert_ptr_equal(section_spec_find("report")->keys, profile_report_keys);
	assert_ptr_equal(section_spec_find("search")->keys, profile_search_keys);
	for (size_t i = 0; i < nr_injectors; i++) {
		char name[64];

		snprintf(name, sizeof(name), "inject.%s", injectors[i]->name);
		ss = section_spec_find(name);
		assert_non_null(ss);
		assert_ptr_equal(ss->keys, injectors[i]->keys);
	}
	assert_ptr_equal(section_spec_find("host")->keys, hostknobs_keys);
	assert_null(section_spec_find("inject.nosuch"));
	assert_null(section_spec_find("guest"));
	g = section_spec_find("guests");
	assert_ptr_equal(g, section_spec_find("guests"));
	assert_int_equal(g->nkeys, profile_guests_nkeys + launcher_find("qemu")->nkeys);
	assert_ptr_equal(section_spec_guests(launcher_find("qemu"))->keys, g->keys);
	for (size_t i = 0; i < g->nkeys; i++) {
		if (strcmp(g->keys[i].key, "launcher"))
			continue;
		has_launcher = true;
		assert_non_null(g->keys[i].choices);
		assert_non_null(strstr(g->keys[i].choices, "qemu"));
	}
	assert_true(has_launcher);
}

static void test_load_missing(void **state)
{
	struct profile *p = (struct profile *)1;
	char err[512] = "";

	(void)state;
	assert_int_equal(profile_load("tests/data/profiles/no-such.profile", &p, err,
				      sizeof(err)), -ENOENT);
	assert_null(p);
	assert_non_null(strstr(err, "no-such.profile"));
	assert_non_null(strstr(err, "cannot open"));
}

/* One bad profile per kind of error: the message must name the place (file
 * and line: a missing section's is the end of the file, a grid too large's
 * its widest axis) and say what to do. */
struct bad {
	const char *file;
	int line;
	const char *want[4];
};

static const struct bad bads[] = {
	{ "unknown-section", 4, { "[gusts]", "unknown section", "did you mean [guests]",
				  "[inject.pause]" } },
	{ "unknown-injector", 5, { "[inject.pasue]", "unknown injector 'pasue'",
				   "did you mean 'pause'", "pause, stress, throttle" } },
	{ "unknown-key", 3, { "[guests] peroid: unknown key", "did you mean 'period'",
			      "allowed keys:", "tick_loss" } },
	{ "no-unit", 3, { "[guests] period:", "'200' has no unit", "ns, us, ms, s",
			  "e.g. 200ms" } },
	{ "unknown-unit", 3, { "[guests] period:", "unknown unit 'sec'", "ns, us, ms, s" } },
	{ "enum", 4, { "[guests] timer:", "'periodc' is not a valid value",
		       "did you mean 'periodic'", "periodic, oneshot, tscdeadline" } },
	{ "number", 2, { "[guests] count:", "'eight' is not a whole number" } },
	{ "range-inverted", 2, { "[guests] count:", "inverted range '64..1*2'",
				 "write the smaller value first (1..64*2)" } },
	{ "range-zero-step", 3, { "[guests] period:", "step of range", "greater than 0" } },
	{ "range-factor", 2, { "[guests] count:", "factor", "whole number greater than 1" } },
	{ "range-no-step", 2, { "[guests] count:", "has no step", "a..b+STEP", "a..b*FACTOR" } },
	{ "empty-value", 2, { "[guests] count:", "empty value", "count = VALUE" } },
	{ "empty-item", 2, { "[guests] count:", "empty value in '1,,2'", "remove the extra ','" } },
	{ "axis-too-long", 3, { "[guests] period:", "1000000 values", "at most 10000",
				"larger step" } },
	{ "duplicate-value", 3, { "[guests] period:", "1ms appears twice", "list each value once" } },
	{ "duplicate-key", 4, { "[guests] count:", "set twice (first at line 2)", "keep one" } },
	{ "duplicate-section", 6, { "[guests] appears twice (first at line 1)",
				    "one [guests] header" } },
	{ "zero-guests", 3, { "[guests] count:", "count must be between 1 and 512" } },
	{ "period-zero", 3, { "[guests] period:", "period must be between 1us and 1s" } },
	{ "out-of-range", 3, { "[guests] period:", "2s is out of range",
			       "between 1us and 1s" } },
	{ "missing-required", 4, { "[guests] period:", "required key is missing",
				   "'period = VALUE' under [guests]" } },
	{ "no-guests", 3, { "[guests] count:", "required key is missing",
			    "add a [guests] section" } },
	{ "launcher", 2, { "[guests] launcher:", "'xen' is not a valid value", "allowed: qemu" } },
	{ "outside-section", 1, { "count:", "outside any section", "[guests]" } },
	{ "section-bracket", 1, { "'[guests' has no closing ']'", "[name]" } },
	{ "syntax", 2, { "cannot read 'count 1'", "expected 'key = value'" } },
	{ "continuation", 3, { "[guests] count:", "indented", "remove the leading blanks" } },
	{ "fraction", 3, { "[guests] period:", "'1.5ns' is not a whole number of nanoseconds" } },
	{ "list-item", 5, { "[expect] fail_on:", "'hardlock'", "did you mean 'hardlockup'",
			    "rcu_stall" } },
	{ "cpulist", 4, { "[guests] pin:", "'0-' is not a cpu list", "0-3" } },
	{ "run-axis", 2, { "[run] repeat:", "takes one value" } },
	{ "report-axis", 6, { "[report] x:", "'guests.countt' is not an axis", "guests.count, guests.period" } },
	{ "report-same", 7, { "[report] y:", "is x too" } },
	{ "run-name", 2, { "[run] name:", "'../etc'", "letters, digits" } },
	{ "negative", 4, { "[guests] memory:", "negative" } },
	{ "inject-key", 5, { "[inject.pause] lenght: unknown key", "did you mean 'length'",
			     "gap" } },
	{ "grid-too-large", 4, { "more than 100000 cells", "guests.count 512",
				 "repeat 10", "fewer axis values" } },
	{ "long-line", 3, { "line is too long" } },
};

static void test_bad_profiles(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		const struct bad *b = &bads[i];
		char rel[128], path[512], where[600], err[1024] = "";
		struct profile *p = (struct profile *)1;
		int rc;

		snprintf(rel, sizeof(rel), "profiles/bad-%s.profile", b->file);
		test_data_path(path, sizeof(path), rel);
		rc = profile_load(path, &p, err, sizeof(err));
		snprintf(where, sizeof(where), "%s:%d: ", path, b->line);
		if (rc != -EINVAL || strncmp(err, where, strlen(where)))
			print_error("%s: rc %d, message '%s', want it to start with '%s'\n",
				    b->file, rc, err, where);
		assert_int_equal(rc, -EINVAL);
		assert_null(p);
		assert_memory_equal(err, where, strlen(where));
		for (size_t w = 0; w < ARRAY_SIZE(b->want) && b->want[w]; w++) {
			if (!strstr(err, b->want[w]))
				print_error("%s: message '%s' lacks '%s'\n", b->file, err,
					    b->want[w]);
			assert_non_null(strstr(err, b->want[w]));
		}
	}
}

/* No byte of a message is raw: no control character, ESC or C1 included, and
 * no byte that is not UTF-8 (only whole, printable UTF-8 is let through). */
static void assert_printable(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; u[i]; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f || (u[i] == 0xc2 && u[i + 1] >= 0x80 &&
						     u[i + 1] <= 0x9f) || u[i] == 0xe9)
			fail_msg("byte %zu of the message is 0x%02x: '%s'", i, u[i], s);
	}
}

/* Only printable UTF-8: each refused with its line, the key when the byte is
 * in a value, and the bytes shown escaped, never raw. */
static void test_text_printable(void **state)
{
	static const struct {
		const char *text;
		size_t len;		/* 0: strlen */
		const char *want[3];
	} bad[] = {
		{ "[run]\nname = x\x1b[31mred\n", 0,
		  { "t.profile:2: [run] name: the value holds an escape character",
		    "'x\\x1b[31mred'", "printable UTF-8" } },
		{ "[guests]\ncount = 1\nperiod = 1ms\n[host]\nsysctl.kernel.domainname = caf\xe9\n", 0,
		  { "t.profile:5: [host] sysctl.kernel.domainname: the value holds bytes that are "
		    "not UTF-8", "'caf\\xe9'" } },
		{ "[run]\nname = a\xc2\x9b" "31m\n", 0,
		  { "t.profile:2: [run] name: the value holds a C1 control character", "'a\\xc2\\x9b31m'" } },
		{ "[guests]\ncount = 1\x00\n", 21, { "t.profile:2: [guests] count: the value holds a NUL byte",
						     "'1\\x00'" } },
		{ "[run]\nname = \xe2\x80\xae" "evil\n", 0,
		  { "t.profile:2: [run] name: the value holds a bidirectional-text control" } },
		{ "[run]\n# a comment \x07\n", 0, { "t.profile:2: the line holds a control character" } },
		{ "[run]\nname = a\rb\n", 0, { "t.profile:2: [run] name: the value holds a control" } },
		{ "[run]\nname = \xc0\x80\n", 0, { "t.profile:2: [run] name: the value holds bytes that "
						   "are not UTF-8" } },
		{ "[run]\nname = \xed\xa0\x80\n", 0, { "not UTF-8" } },
		{ "[run]\nname = \xf4\x90\x80\x80\n", 0, { "not UTF-8" } },
		{ "[run]\nname = \xe2\x82\n", 0, { "not UTF-8", "'\\xe2\\x82'" } },
		{ "[gu\x1b" "ests]\n", 0, { "t.profile:1: the line holds an escape character" } },
		{ "[run]\nname = x\xef\xbb\xbf\n", 0, { "byte-order mark" } },
	};
	static const char *const good[] = {
		"[guests]\r\ncount = 1\r\nperiod = 1ms\r\n",
		"\xef\xbb\xbf[guests]\ncount = 1\nperiod = 1ms\n",
		"# caf\xc3\xa9, \xe4\xb8\xad, \xf0\x9f\x98\x80\n[guests]\ncount = 1\nperiod = 1ms\n",
		"[guests]\ncount = 1\t# tabbed\nperiod = 1ms\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct profile *p = (struct profile *)1;
		char err[1024] = "";
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		int rc = profile_parse_mem("t.profile", bad[i].text, len, &p, err, sizeof(err));

		if (rc != -EINVAL)
			fail_msg("case %zu: rc %d, '%s'", i, rc, err);
		assert_null(p);
		assert_printable(err);
		for (size_t w = 0; w < ARRAY_SIZE(bad[i].want) && bad[i].want[w]; w++)
			if (!strstr(err, bad[i].want[w]))
				fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].want[w]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct profile *p = NULL;
		char err[1024] = "";

		if (profile_parse("t.profile", good[i], &p, err, sizeof(err)))
			fail_msg("good %zu: %s", i, err);
		profile_free(p);
	}
}

/* The path is quoted in every message: its bytes are escaped too. */
static void test_path_escaped(void **state)
{
	struct profile *p = NULL;
	char err[1024] = "";

	(void)state;
	assert_int_equal(profile_parse("bad\x1b]0;x\x07.profile", "[guests]\ncount = x\n", &p, err,
				       sizeof(err)), -EINVAL);
	assert_printable(err);
	assert_non_null(strstr(err, "bad\\x1b]0;x\\x07.profile:2: [guests] count:"));
	assert_int_equal(profile_load("no\x1bsuch.profile", &p, err, sizeof(err)), -ENOENT);
	assert_printable(err);
	assert_non_null(strstr(err, "no\\x1bsuch.profile"));
}

/* [host] sysctl.* and MODULE.* keys are names, not paths. */
static void test_knob_names(void **state)
{
	static const char *const bad[] = {
		"sysctl.kernel/../hostname", "sysctl.kernel..panic", "sysctl..kernel.panic",
		"sysctl.kernel.panic.", "sysctl.kernel.pa nic", "kvm.a/b", "kvm.a.b", "kvm..",
		"kvm_amd.x-y", "sysctl./etc/passwd",
	};
	static const char *const good[] = {
		"sysctl.kernel.panic", "sysctl.net.ipv4.conf.all.accept_redirects",
		"sysctl.dev.raid.speed_limit_min", "sysctl.vm.dirty-x_1", "kvm.min_timer_period_us",
		"kvm_intel.preemption_timer",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct profile *p = (struct profile *)1;
		char text[256], err[1024] = "", where[128];

		snprintf(text, sizeof(text), "[guests]\ncount = 1\nperiod = 1ms\n[host]\n%s = 1\n",
			 bad[i]);
		snprintf(where, sizeof(where), "t.profile:5: [host] %s: '", bad[i]);
		if (profile_parse("t.profile", text, &p, err, sizeof(err)) != -EINVAL ||
		    strncmp(err, where, strlen(where)) || !strstr(err, "(no '/'"))
			fail_msg("%s: '%s'", bad[i], err);
		assert_null(p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct profile *p = NULL;
		char text[256], err[1024] = "";

		snprintf(text, sizeof(text), "[guests]\ncount = 1\nperiod = 1ms\n[host]\n%s = 1\n",
			 good[i]);
		if (profile_parse("t.profile", text, &p, err, sizeof(err)))
			fail_msg("%s: %s", good[i], err);
		profile_free(p);
	}
}

/* A cpu number (nmi sender): in range, with its bit in mask, in ranges too. */
static void test_cpu_values(void **state)
{
	struct profile *p = NULL;
	const struct pkey *k;
	char err[1024] = "";

	(void)state;
	assert_int_equal(profile_parse("t.profile", "[guests]\ncount = 1\nperiod = 1ms\n"
				       "[inject.nmi]\nsender = 0..6+3\n", &p, err, sizeof(err)), 0);
	k = key(p, "inject.nmi", "sender");
	assert_int_equal(k->nvals, 3);
	assert_int_equal(k->vals[1].num, 3);
	assert_int_equal(k->vals[1].mask, 1ULL << 3);
	assert_int_equal(k->vals[2].mask, 1ULL << 6);
	profile_free(p);
	assert_int_equal(profile_parse("t.profile", "[guests]\ncount = 1\nperiod = 1ms\n"
				       "[inject.nmi]\nsender = 64\n", &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.profile:5: [inject.nmi] sender: 64 is out of range"));
	/* A default's place is its section's header. */
	assert_int_equal(profile_parse("t.profile", "[guests]\ncount = 1\nperiod = 1ms\n\n"
				       "[inject.nmi]\n", &p, err, sizeof(err)), 0);
	profile_where(p, key(p, "inject.nmi", "sender"), err, sizeof(err));
	assert_string_equal(err, "t.profile:5: [inject.nmi] sender");
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_run),
		cmocka_unit_test(test_full_guests),
		cmocka_unit_test(test_full_other_sections),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_inject_section),
		cmocka_unit_test(test_text_forms),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_section_specs),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_text_printable),
		cmocka_unit_test(test_path_escaped),
		cmocka_unit_test(test_knob_names),
		cmocka_unit_test(test_cpu_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
