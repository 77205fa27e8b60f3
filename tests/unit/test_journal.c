// SPDX-License-Identifier: GPL-2.0
/* journal.jsonl: records append as single lines, read back in order, and a torn
 * last line (a crash mid-write) is skipped rather than failing the reader. */
#include "testutil.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "outcome.h"

static char path[256];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/lockmap-test-journal-%d.jsonl", (int)getpid());
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

struct seen {
	int n;
	char types[8][32];
	json_int_t idx[8];
};

static int collect(json_t *rec, void *arg)
{
	struct seen *s = arg;

	if (s->n >= 8)
		return -1;
	snprintf(s->types[s->n], sizeof(s->types[0]), "%s",
		 json_string_value(json_object_get(rec, "type")));
	s->idx[s->n] = json_integer_value(json_object_get(rec, "index"));
	assert_non_null(json_object_get(rec, "ts"));
	s->n++;
	return 0;
}

static void test_append_read(void **state)
{
	struct journal *j;
	struct seen s = { 0 };
	const char *types[] = { "cell_start", "event", "cell_end" };

	(void)state;
	assert_int_equal(journal_open(path, &j), 0);
	for (int i = 0; i < 3; i++) {
		json_t *rec = json_pack("{s:s, s:i, s:s}", "type", types[i], "index", i,
					"text", "line\nwith newline");

		assert_int_equal(journal_append(j, rec, i != 1), 0);
	}
	journal_close(j);
	assert_int_equal(journal_read(path, collect, &s), 0);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(s.types[i], types[i]);
		assert_int_equal(s.idx[i], i);
	}
}

/* Each record is exactly one line, even with newlines in its strings. */
static void test_one_line_per_record(void **state)
{
	struct journal *j;
	char buf[4096];
	FILE *f;
	int lines = 0;

	(void)state;
	assert_int_equal(journal_open(path, &j), 0);
	assert_int_equal(journal_append(j, json_pack("{s:s}", "type", "a\nb"), true), 0);
	assert_int_equal(journal_append(j, json_pack("{s:s}", "type", "c"), false), 0);
	journal_close(j);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f))
		lines++;
	fclose(f);
	assert_int_equal(lines, 2);
}

/* A reopened journal appends: resume keeps what was there. */
static void test_reopen_appends(void **state)
{
	struct journal *j;
	struct seen s = { 0 };

	(void)state;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(journal_open(path, &j), 0);
		assert_int_equal(journal_append(j, json_pack("{s:s, s:i}", "type", "x", "index", k),
						true), 0);
		journal_close(j);
	}
	assert_int_equal(journal_read(path, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.idx[1], 1);
}

static void test_torn_tail_skipped(void **state)
{
	struct journal *j;
	struct seen s = { 0 };
	FILE *f;

	(void)state;
	assert_int_equal(journal_open(path, &j), 0);
	assert_int_equal(journal_append(j, json_pack("{s:s}", "type", "cell_start"), true), 0);
	journal_close(j);
	f = fopen(path, "a");
	fputs("{\"type\":\"cell_e", f);	/* the crash */
	fclose(f);
	assert_int_equal(journal_read(path, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.types[0], "cell_start");
}

static void test_missing_file(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(journal_read("/nonexistent/journal.jsonl", collect, &s), -ENOENT);
}

static void test_outcome_order(void **state)
{
	enum outcome o;

	(void)state;
	assert_int_equal(outcome_worst(OUT_CLEAN, OUT_HARDLOCKUP), OUT_HARDLOCKUP);
	assert_int_equal(outcome_worst(OUT_PANIC, OUT_SOFTLOCKUP), OUT_PANIC);
	assert_int_equal(outcome_worst(OUT_HOST_HANG, OUT_ERROR), OUT_ERROR);
	assert_int_equal(outcome_of_event(EV_SOFTLOCKUP), OUT_SOFTLOCKUP);
	assert_int_equal(outcome_of_event(EV_NMI_SLOW), OUT_CLEAN);
	assert_int_equal(outcome_parse("rcu_stall", &o), 0);
	assert_int_equal(o, OUT_RCU_STALL);
	assert_int_equal(outcome_parse("nonsense", &o), -EINVAL);
	for (int i = 0; i < OUT__COUNT; i++) {
		assert_int_equal(outcome_parse(outcome_name((enum outcome)i), &o), 0);
		assert_int_equal(o, i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_line_per_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_skipped, setup, teardown),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_outcome_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
