// SPDX-License-Identifier: GPL-2.0
/* journal.jsonl: records append as single lines, read back in order; a torn
 * last line (a crash mid-write) is skipped by the reader and cut off, with a
 * journal_repair record, by the next open. A cell_end has the same keys
 * whoever writes it. */
#include "testutil.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "classify.h"
#include "grid.h"
#include "journal.h"
#include "lockmap.h"
#include "outcome.h"
#include "text.h"

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

/* A journal of one cell_start, and frag after it: a crash mid-record. */
static void write_torn(const char *frag)
{
	struct journal *j;
	FILE *f;

	assert_int_equal(journal_open(path, &j), 0);
	assert_int_equal(journal_append(j, json_pack("{s:s}", "type", "cell_start"), true), 0);
	journal_close(j);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(frag, f);
	fclose(f);
}

static void test_torn_tail_skipped(void **state)
{
	struct seen s = { 0 };

	(void)state;
	write_torn("{\"type\":\"cell_e");
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
	/* A panic the lockup detectors call is that lockup; any other, a panic. */
	{
		struct event ev = { .kind = EV_PANIC };

		snprintf(ev.reason, sizeof(ev.reason), "Hard LOCKUP");
		assert_int_equal(event_outcome(&ev), OUT_HARDLOCKUP);
		snprintf(ev.reason, sizeof(ev.reason), "softlockup: hung tasks");
		assert_int_equal(event_outcome(&ev), OUT_SOFTLOCKUP);
		snprintf(ev.reason, sizeof(ev.reason), "sysrq triggered crash");
		assert_int_equal(event_outcome(&ev), OUT_PANIC);
		ev.kind = EV_RCU_STALL;
		assert_int_equal(event_outcome(&ev), OUT_RCU_STALL);
	}
	assert_int_equal(outcome_parse("rcu_stall", &o), 0);
	assert_int_equal(o, OUT_RCU_STALL);
	assert_int_equal(outcome_parse("nonsense", &o), -EINVAL);
	for (int i = 0; i < OUT__COUNT; i++) {
		assert_int_equal(outcome_parse(outcome_name((enum outcome)i), &o), 0);
		assert_int_equal(o, i);
	}
}

/* Every key of a cell_end, in every writer's record. */
static const char *const cell_end_keys[] = {
	"type", "cell", "index", "rep", "outcome", "error", "error_cause", "interrupted", "signal",
	"seconds", "events", "injectors", "summary", "metrics", "source", "boot",
	"console_events", "console_tail", "hang_cpus", "evidence",
};

/* A cell the lockmap that ran it ends (cell.c). */
static json_t *cell_end_local(const struct cell *c, struct cell_result *res)
{
	const struct journal_cell_end_info x = {
		.source = "cell", .injectors = json_object(),
		.metrics = json_pack("{s:[]}", "guests"),
	};

	memset(res, 0, sizeof(*res));
	res->outcome = OUT_SOFTLOCKUP;
	res->nevents[EV_SOFTLOCKUP] = 2;
	res->ticks = 1000;
	res->expected = 1000;
	res->seconds = 8;
	return journal_cell_end(c, res, &x);
}

/* A cell the lab host died in (lab_journal.c): no injectors, no metrics. */
static json_t *cell_end_lab_died(const struct cell *c, struct cell_result *res)
{
	const struct journal_cell_end_info x = {
		.source = "lab", .boot = 2, .console_events = json_array(),
		.console_tail = json_pack("[s]", "[   12.3] last line"),
		.hang_cpus = json_pack("{s:[s]}", "0", "apic_timer_fn+0x10"),
	};

	memset(res, 0, sizeof(*res));
	res->outcome = OUT_HOST_HANG;
	res->nevents[EV_HRTIMER_HANG] = 1;
	res->seconds = 31;
	snprintf(res->error, sizeof(res->error), "lab host silent for 30 s");
	return journal_cell_end(c, res, &x);
}

static void assert_same_keys(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;

	assert_int_equal(json_object_size(a), ARRAY_SIZE(cell_end_keys));
	assert_int_equal(json_object_size(b), ARRAY_SIZE(cell_end_keys));
	for (size_t i = 0; i < ARRAY_SIZE(cell_end_keys); i++) {
		assert_non_null(json_object_get(a, cell_end_keys[i]));
		assert_non_null(json_object_get(b, cell_end_keys[i]));
	}
	json_object_foreach((json_t *)a, key, v)
		assert_non_null(json_object_get(b, key));
}

/* A local cell and a lab-died cell: the same keys; what a writer does not
 * have is null; each reads back to the result it was built from. */
static void test_cell_end_same_keys(void **state)
{
	const struct cell c = { .id = "0123456789abcdef", .index = 3, .rep = 1 };
	struct cell_result local, died, back;
	json_t *a = cell_end_local(&c, &local), *b = cell_end_lab_died(&c, &died);

	(void)state;
	assert_same_keys(a, b);
	/* and a cell the lab host could not run (lab_journal_error_rest) */
	{
		struct cell_result err = { .outcome = OUT_ERROR, .error = "lab host did not boot" };
		const struct journal_cell_end_info x = { .source = "lab", .console_tail = json_array() };
		json_t *e = journal_cell_end(&c, &err, &x);

		assert_same_keys(a, e);
		json_decref(e);
	}
	/* and a cell a dead host cut, decided on resume (resume_crash.c) */
	{
		struct cell_result r = { .outcome = OUT_HARDLOCKUP };
		const struct journal_cell_end_info x = {
			.source = "resume", .evidence = json_pack("{s:[]}", "records"),
		};
		json_t *e = journal_cell_end(&c, &r, &x);

		assert_same_keys(a, e);
		assert_true(json_is_object(json_object_get(e, "evidence")));
		json_decref(e);
	}
	assert_string_equal(json_string_value(json_object_get(a, "type")), "cell_end");
	assert_string_equal(json_string_value(json_object_get(b, "cell")), c.id);
	assert_int_equal(json_integer_value(json_object_get(b, "index")), 3);
	assert_string_equal(json_string_value(json_object_get(a, "source")), "cell");
	assert_string_equal(json_string_value(json_object_get(b, "source")), "lab");
	assert_true(json_is_null(json_object_get(a, "error")));
	assert_true(json_is_null(json_object_get(a, "boot")));
	assert_true(json_is_null(json_object_get(a, "console_tail")));
	assert_true(json_is_null(json_object_get(a, "hang_cpus")));
	assert_true(json_is_null(json_object_get(a, "evidence")));
	assert_true(json_is_object(json_object_get(a, "metrics")));
	assert_true(json_is_null(json_object_get(b, "injectors")));
	assert_true(json_is_null(json_object_get(b, "metrics")));
	assert_int_equal(json_integer_value(json_object_get(b, "boot")), 2);
	assert_int_equal(json_object_size(json_object_get(a, "events")), EV__COUNT);
	assert_int_equal(json_object_size(json_object_get(b, "events")), EV__COUNT);

	assert_int_equal(cell_result_from_json(a, &back), 0);
	assert_int_equal(back.outcome, OUT_SOFTLOCKUP);
	assert_int_equal(back.nevents[EV_SOFTLOCKUP], 2);
	assert_int_equal(back.ticks, 1000);
	assert_int_equal(back.seconds, 8);
	assert_string_equal(back.error, "");
	assert_int_equal(cell_result_from_json(b, &back), 0);
	assert_int_equal(back.outcome, OUT_HOST_HANG);
	assert_int_equal(back.nevents[EV_HRTIMER_HANG], 1);
	assert_int_equal(back.seconds, 31);
	assert_string_equal(back.error, died.error);
	assert_false(back.interrupted);
	assert_true(json_is_null(json_object_get(a, "error_cause")));
	assert_string_equal(json_string_value(json_object_get(b, "error_cause")), "cell");
	assert_false(back.lockmap_error);
	/* An error of lockmap's own machinery reads back as one (a resume
	 * runs that cell again). */
	json_decref(b);
	died.outcome = OUT_ERROR;
	died.lockmap_error = true;
	b = journal_cell_end(&c, &died, &(struct journal_cell_end_info){ .source = "cell" });
	assert_string_equal(json_string_value(json_object_get(b, "error_cause")), "lockmap");
	assert_int_equal(cell_result_from_json(b, &back), 0);
	assert_true(back.lockmap_error);
	assert_int_equal(back.outcome, OUT_ERROR);
	json_decref(a);
	json_decref(b);
}

/* A cell_end goes through the journal as one record and reads back whole. */
static int find_cell_end(json_t *rec, void *arg)
{
	json_t **out = arg;

	if (!strcmp(json_string_value(json_object_get(rec, "type")) ?: "", "cell_end"))
		*out = json_incref(rec);
	return 0;
}

static void test_cell_end_through_journal(void **state)
{
	const struct cell c = { .id = "fedcba9876543210", .index = 0 };
	struct cell_result res;
	struct journal *j;
	json_t *rec = NULL, *cpu0;

	(void)state;
	assert_int_equal(journal_open(path, &j), 0);
	assert_int_equal(journal_append(j, cell_end_lab_died(&c, &res), true), 0);
	journal_close(j);
	assert_int_equal(journal_read(path, find_cell_end, &rec), 0);
	assert_non_null(rec);
	json_object_del(rec, "ts");
	assert_int_equal(json_object_size(rec), ARRAY_SIZE(cell_end_keys));
	assert_string_equal(json_string_value(json_object_get(rec, "outcome")), "host_hang");
	cpu0 = json_object_get(json_object_get(rec, "hang_cpus"), "0");
	assert_non_null(json_array_get(cpu0, 0));
	assert_string_equal(json_string_value(json_array_get(cpu0, 0)), "apic_timer_fn+0x10");
	json_decref(rec);
}


/* The whole file at path, NUL-terminated; *len its size. */
static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	*len = n;
	return buf;
}

static int find_repair(json_t *rec, void *arg)
{
	json_t **out = arg;

	if (!strcmp(json_string_value(json_object_get(rec, "type")) ?: "", "journal_repair"))
		*out = json_incref(rec);
	return 0;
}

/* Every line of the file parses as a JSON object, and the file ends with a
 * newline; returns the number of lines. */
static int assert_every_line_parses(void)
{
	size_t len;
	char *buf = slurp(path, &len), *p = buf;
	int lines = 0;

	assert_true(len > 0);
	assert_int_equal(buf[len - 1], '\n');
	while (p < buf + len) {
		char *nl = memchr(p, '\n', (size_t)(buf + len - p));
		json_t *rec;

		assert_non_null(nl);
		rec = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_true(json_is_object(rec));
		json_decref(rec);
		lines++;
		p = nl + 1;
	}
	free(buf);
	return lines;
}

/* A record appended after a torn line (the next run, a resume) lands on a
 * line of its own: opening cuts the fragment off and says so. */
static void test_torn_tail_repaired(void **state)
{
	static const char frag[] = "{\"type\":\"cell_end\",\"error\":\"a\xff\x1b[31m";
	struct journal *j;
	json_t *rep = NULL;
	char *want;

	(void)state;
	write_torn(frag);
	assert_int_equal(journal_open(path, &j), 0);
	assert_int_equal(journal_append(j, json_pack("{s:s}", "type", "run_end"), true), 0);
	journal_close(j);
	assert_int_equal(assert_every_line_parses(), 3);
	assert_int_equal(journal_read(path, find_repair, &rep), 0);
	assert_non_null(rep);
	assert_int_equal(json_integer_value(json_object_get(rep, "dropped_bytes")), strlen(frag));
	assert_true(json_is_true(json_object_get(rep, "fragment_complete")));
	want = text_clean(frag, strlen(frag), 0);
	assert_string_equal(json_string_value(json_object_get(rep, "fragment")), want);
	free(want);
	json_decref(rep);
}

/* A fragment with no newline before it at all, longer than what the record
 * quotes; and a journal that ends with a whole line is left as it is. */
static void test_repair_edges(void **state)
{
	char big[5000];
	struct journal *j;
	json_t *rep = NULL;
	size_t before, after;
	FILE *f;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	f = fopen(path, "w");
	fputs(big, f);
	fclose(f);
	assert_int_equal(journal_open(path, &j), 0);
	journal_close(j);
	assert_int_equal(assert_every_line_parses(), 1);
	assert_int_equal(journal_read(path, find_repair, &rep), 0);
	assert_non_null(rep);
	assert_int_equal(json_integer_value(json_object_get(rep, "offset")), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "dropped_bytes")), sizeof(big) - 1);
	assert_false(json_is_true(json_object_get(rep, "fragment_complete")));
	assert_int_equal(strlen(json_string_value(json_object_get(rep, "fragment"))), 256);
	json_decref(rep);
	free(slurp(path, &before));
	assert_int_equal(journal_open(path, &j), 0);
	assert_int_equal(journal_repair(j), 0);
	journal_close(j);
	free(slurp(path, &after));
	assert_int_equal(before, after);
}

/* The probe's figures read back; the longest timer interrupt (uAPI 4) is
 * unknown, not 0, in a record written before it existed. */
static void test_cell_end_probe(void **state)
{
	const struct cell c = { .id = "0123456789abcdef", .index = 3, .rep = 1 };
	struct cell_result local, back;
	json_t *a = cell_end_local(&c, &local), *probe;

	(void)state;
	assert_null(json_object_get(json_object_get(a, "summary"), "probe"));
	assert_int_equal(cell_result_from_json(a, &back), 0);
	assert_false(back.probe.ran);
	json_decref(a);

	local.probe = (struct probe_summary){ .ran = true, .calls_per_s = 799000.5,
					      .max_chain = 5736000, .max_lag_us = 3200000,
					      .max_irq_us = 6912345, .irq_known = true };
	a = journal_cell_end(&c, &local, &(struct journal_cell_end_info){ .source = "cell" });
	assert_int_equal(cell_result_from_json(a, &back), 0);
	assert_true(back.probe.ran && back.probe.irq_known);
	assert_int_equal(back.probe.max_chain, 5736000);
	assert_int_equal(back.probe.max_lag_us, 3200000);
	assert_int_equal(back.probe.max_irq_us, 6912345);
	probe = json_object_get(json_object_get(a, "summary"), "probe");
	assert_int_equal(json_integer_value(json_object_get(probe, "max_irq_us")), 6912345);

	json_object_del(probe, "max_irq_us");
	assert_int_equal(cell_result_from_json(a, &back), 0);
	assert_true(back.probe.ran);
	assert_false(back.probe.irq_known);
	assert_int_equal(back.probe.max_chain, 5736000);
	json_decref(a);
	/* and it is not written back as 0 */
	a = journal_cell_end(&c, &back, &(struct journal_cell_end_info){ .source = "cell" });
	assert_null(json_object_get(json_object_get(json_object_get(a, "summary"), "probe"),
				    "max_irq_us"));
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_line_per_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_edges, setup, teardown),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_outcome_order),
		cmocka_unit_test(test_cell_end_same_keys),
		cmocka_unit_test(test_cell_end_probe),
		cmocka_unit_test_setup_teardown(test_cell_end_through_journal, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
