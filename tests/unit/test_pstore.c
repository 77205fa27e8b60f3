// SPDX-License-Identifier: GPL-2.0
/* pstore records as the kernel writes them (tests/data/pstore/: ramoops and
 * efi-pstore, old and new names, several parts, a record it could not
 * decompress), and the resume decision for a cell a dead host cut: decided
 * from a record of its time (hardlockup, softlockup, panic, host_hang, the
 * record copied into the cell's directory), run again with a cell_rerun
 * record when nothing survived, when the only record is older than the cell,
 * or when the host did not reboot. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crashlog.h"
#include "grid.h"
#include "journal.h"
#include "lockmap.h"
#include "pstore.h"
#include "resume_crash.h"
#include "results.h"

#define PROFILE "[run]\nname = p\ncell_seconds = 2s\n[guests]\ncount = 1\nperiod = 1ms, 2ms\n"
#define BOOT_THEN "0b6a7c21-3f0e-4b38-9d51-5a2e4c1f9e07"
#define BOOT_NOW "7d1e95aa-0c44-4e6b-8a0f-2b9b61c3d4e5"

static char base[64];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/lockmap-test-pstore-XXXXXX");
	assert_non_null(mkdtemp(base));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_tree(base);
	return 0;
}

static void data_dir(char *buf, size_t len, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "pstore/%s", name);
	test_data_path(buf, len, rel);
}

static void test_header(void **state)
{
	struct pstore_record r = { 0 };

	(void)state;
	assert_true(pstore_parse_header("Panic#1 Part1\n<0>[ 1.0] x", &r));
	assert_string_equal(r.reason, "Panic");
	assert_int_equal(r.count, 1);
	assert_int_equal(r.part, 1);
	assert_true(pstore_parse_header("Oops#12 Part3\n", &r));
	assert_string_equal(r.reason, "Oops");
	assert_int_equal(r.count, 12);
	assert_int_equal(r.part, 3);
	assert_false(pstore_parse_header("<0>[ 1.0] Panic#1 Part1\n", &r));
	assert_false(pstore_parse_header("Panic#1 Part1 and more\n", &r));
}

static void test_read_records(void **state)
{
	char dir[512];
	struct pstore_record *r;
	size_t n;

	(void)state;
	data_dir(dir, sizeof(dir), "efi-panic");
	assert_int_equal(pstore_read_dir(dir, &r, &n), 0);
	assert_int_equal(n, 2);
	/* Part 2 holds the older lines: it comes first. */
	assert_string_equal(r[0].name, "dmesg-efi_pstore-173280112602001");
	assert_int_equal(r[0].part, 2);
	assert_int_equal(r[1].part, 1);
	assert_string_equal(r[1].backend, "efi_pstore");
	assert_string_equal(r[1].reason, "Panic");
	assert_int_equal(r[1].count, 2);
	assert_non_null(strstr(r[1].text, "Kernel panic - not syncing: Fatal exception"));
	pstore_free(r, n);

	data_dir(dir, sizeof(dir), "efi-old-name");
	assert_int_equal(pstore_read_dir(dir, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].backend, "efi");
	assert_string_equal(r[0].reason, "Oops");
	pstore_free(r, n);

	data_dir(dir, sizeof(dir), "compressed");
	assert_int_equal(pstore_read_dir(dir, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_true(r[0].compressed);
	assert_string_equal(r[0].backend, "ramoops");
	assert_string_equal(r[0].reason, "");
	pstore_free(r, n);

	/* A console record is no dmesg dump. */
	data_dir(dir, sizeof(dir), "empty");
	assert_int_equal(pstore_read_dir(dir, &r, &n), 0);
	assert_int_equal(n, 0);
	pstore_free(r, n);
	assert_int_equal(pstore_read_dir("/nonexistent-pstore", &r, &n), -ENOENT);
}

/* A journal of journalctl -k -o short-monotonic is classified too. */
static void test_journal_text(void **state)
{
	char path[512], *text;
	struct crash_evidence ce;

	(void)state;
	test_data_path(path, sizeof(path), "pstore/journal/boot.log");
	assert_int_equal(pstore_read_text(AT_FDCWD, path, &text, NULL, NULL), 0);
	crash_evidence_init(&ce);
	crash_from_text(&ce, "journal", text, -1);
	assert_int_equal(ce.nevents[EV_HARDLOCKUP], 1);
	assert_int_equal(ce.nevents[EV_TIMER_CLAMP], 1);
	assert_int_equal(crash_decide(&ce), OUT_HARDLOCKUP);
	crash_evidence_free(&ce);
	/* The cell began later than the clamp line: only the lockup is its. */
	crash_evidence_init(&ce);
	crash_from_text(&ce, "journal", text, 150.0);
	assert_int_equal(ce.nevents[EV_TIMER_CLAMP], 0);
	assert_int_equal(ce.nevents[EV_HARDLOCKUP], 1);
	crash_evidence_free(&ce);
	free(text);
}

/* What a resume found for the cut cell 0. */
struct outcome_seen {
	json_t *end;		/* its cell_end, or NULL */
	json_t *rerun;		/* its cell_rerun, or NULL */
};

static int find_records(json_t *rec, void *arg)
{
	struct outcome_seen *s = arg;
	const char *type = json_string_value(json_object_get(rec, "type"));

	if (!strcmp(type, "cell_end"))
		s->end = json_incref(rec);
	else if (!strcmp(type, "cell_rerun"))
		s->rerun = json_incref(rec);
	return 0;
}

/* Date the records of dir age seconds after (or before, < 0) now. */
static void touch_records(const char *dst, long age)
{
	struct timespec ts[2];
	struct pstore_record *r;
	size_t n;

	assert_int_equal(pstore_read_dir(dst, &r, &n), 0);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += age;
	ts[1] = ts[0];
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dst, r[i].name);

		assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
		free(p);
	}
	pstore_free(r, n);
}

/* Copy data case name into a pstore directory of our own, its records
 * dated age seconds after (or before, < 0) now. */
static char *pstore_copy(const char *name, long age)
{
	char src[512], *dst = xasprintf("%s/pstore-%s", base, name), *cmd;

	data_dir(src, sizeof(src), name);
	cmd = xasprintf("cp -r '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	touch_records(dst, age);
	return dst;
}

/* A run whose cell 0 started in boot `then` at `uptime` and never ended;
 * resumed in BOOT_NOW with the pstore of data case name (records age s
 * after its start). Returns what the journal says of cell 0; *done and
 * *outcome as the run now has them. */
static struct outcome_seen resume_case_in(const char *name, const char *archive, long age,
					  const char *then, double uptime, bool *done,
					  enum outcome *outcome)
{
	struct profile *p;
	struct grid g;
	struct run run;
	struct resume_env env = { .boot_id = BOOT_NOW };
	struct outcome_seen seen = { 0 };
	char err[256], *jpath, *pdir;
	json_t *start;

	assert_int_equal(profile_parse("p.profile", PROFILE, &p, err, sizeof(err)), 0);
	assert_int_equal(grid_build(p, &g), 0);
	assert_int_equal(results_create(base, p, &g, NULL, &run), 0);
	start = json_pack("{s:s, s:s, s:i, s:i, s:f}", "type", "cell_start", "cell",
			  g.cells[0].id, "index", 0, "rep", 0, "uptime_s", uptime);
	if (then)
		json_object_set_new(start, "boot_id", json_string(then));
	assert_int_equal(journal_append(run.journal, start, true), 0);
	pdir = name ? pstore_copy(name, age) : xasprintf("%s/no-pstore", base);
	env.pstore_dir = pdir;
	env.archive_dir = archive;
	(void)resume_crash_cells(&run, &env);
	*done = run.done[0];
	*outcome = run.res[0].outcome;
	jpath = xasprintf("%s/journal.jsonl", run.dir);
	assert_int_equal(journal_read(jpath, find_records, &seen), 0);
	free(jpath);
	free(pdir);
	results_close(&run);
	grid_free(&g);
	profile_free(p);
	return seen;
}

static struct outcome_seen resume_case(const char *name, long age, const char *then,
				       double uptime, bool *done, enum outcome *outcome)
{
	return resume_case_in(name, NULL, age, then, uptime, done, outcome);
}

static void seen_free(struct outcome_seen *s)
{
	json_decref(s->end);
	json_decref(s->rerun);
}

static void test_resume_hardlockup(void **state)
{
	bool done;
	enum outcome o;
	struct outcome_seen s = resume_case("ramoops-hardlockup", 5, BOOT_THEN, 90.0, &done, &o);
	json_t *ev, *rec;
	const char *copy;
	struct stat st;

	(void)state;
	assert_true(done);
	/* hardlockup_panic = 1: the panic is the lockup's, not another outcome. */
	assert_int_equal(o, OUT_HARDLOCKUP);
	assert_non_null(s.end);
	assert_null(s.rerun);
	assert_string_equal(json_string_value(json_object_get(s.end, "outcome")), "hardlockup");
	assert_string_equal(json_string_value(json_object_get(s.end, "source")), "resume");
	ev = json_object_get(s.end, "events");
	assert_int_equal(json_integer_value(json_object_get(ev, "hardlockup")), 1);
	assert_int_equal(json_integer_value(json_object_get(ev, "panic")), 1);
	/* The earlier cell's soft lockup, still in the log tail, is not this one's. */
	assert_int_equal(json_integer_value(json_object_get(ev, "softlockup")), 0);
	rec = json_array_get(json_object_get(json_object_get(s.end, "evidence"), "records"), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "file")), "dmesg-ramoops-0");
	assert_string_equal(json_string_value(json_object_get(rec, "reason")), "Panic");
	copy = json_string_value(json_object_get(rec, "copy"));
	assert_non_null(copy);
	assert_non_null(strstr(copy, "/cells/"));
	assert_int_equal(stat(copy, &st), 0);
	assert_int_equal(st.st_size, 2829);
	ev = json_array_get(json_object_get(json_object_get(s.end, "evidence"), "events"), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "line")),
			    "NMI watchdog: Watchdog detected hard LOCKUP on cpu 1");
	assert_string_equal(json_string_value(json_object_get(ev, "source")),
			    "pstore:dmesg-ramoops-0");
	assert_non_null(strstr(json_string_value(json_object_get(s.end, "error")),
			       "dmesg-ramoops-0"));
	seen_free(&s);
}

static void test_resume_softlockup(void **state)
{
	bool done;
	enum outcome o;
	struct outcome_seen s = resume_case("ramoops-softlockup", 5, BOOT_THEN, 400.0, &done, &o);

	(void)state;
	assert_true(done);
	assert_int_equal(o, OUT_SOFTLOCKUP);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s.end, "events"),
							    "softlockup")), 1);
	seen_free(&s);
}

static void test_resume_panic_efi(void **state)
{
	bool done;
	enum outcome o;
	struct outcome_seen s = resume_case("efi-panic", 5, BOOT_THEN, 290.0, &done, &o);

	(void)state;
	assert_true(done);
	assert_int_equal(o, OUT_PANIC);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s.end, "evidence"),
							 "records")), 2);
	seen_free(&s);
	/* A record captured from Debian's 6.1 after echo c > /proc/sysrq-trigger. */
	s = resume_case("ramoops-sysrq-6.1", 5, BOOT_THEN, 1.0, &done, &o);
	assert_true(done);
	assert_int_equal(o, OUT_PANIC);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(
		json_object_get(s.end, "evidence"), "events"), 0), "line")), "sysrq triggered crash"));
	seen_free(&s);
}

/* A dump after an RCU stall, or one the kernel could not decompress: the host
 * died, but of nothing the map names more precisely. */
static void test_resume_host_hang(void **state)
{
	bool done;
	enum outcome o;
	struct outcome_seen s = resume_case("efi-old-name", 5, BOOT_THEN, 1100.0, &done, &o);

	(void)state;
	assert_true(done);
	assert_int_equal(o, OUT_HOST_HANG);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s.end, "events"),
							    "rcu_stall")), 1);
	seen_free(&s);
	s = resume_case("compressed", 5, BOOT_THEN, 10.0, &done, &o);
	assert_true(done);
	assert_int_equal(o, OUT_HOST_HANG);
	seen_free(&s);
}

/* systemd-pstore moved the records out of /sys/fs/pstore at boot. */
static void test_resume_systemd_archive(void **state)
{
	bool done;
	enum outcome o;
	char *archive = pstore_copy("systemd-archive", 0), *sub;
	struct outcome_seen s;

	(void)state;
	sub = xasprintf("%s/173280112601001", archive);
	touch_records(sub, 5);
	free(sub);
	s = resume_case_in("empty", archive, 5, BOOT_THEN, 400.0, &done, &o);
	free(archive);
	assert_true(done);
	assert_int_equal(o, OUT_SOFTLOCKUP);
	seen_free(&s);
}

static void assert_rerun(struct outcome_seen *s, bool done, const char *why)
{
	assert_false(done);
	assert_null(s->end);
	assert_non_null(s->rerun);
	assert_non_null(strstr(json_string_value(json_object_get(s->rerun, "why")), why));
	seen_free(s);
}

static void test_resume_rerun(void **state)
{
	bool done;
	enum outcome o;
	struct outcome_seen s;
	json_t *ign;

	(void)state;
	/* Nothing survived. */
	s = resume_case("empty", 5, BOOT_THEN, 10.0, &done, &o);
	assert_rerun(&s, done, "left no evidence");
	s = resume_case(NULL, 0, BOOT_THEN, 10.0, &done, &o);
	assert_rerun(&s, done, "left no evidence");
	/* The only record is an earlier crash's. */
	s = resume_case("older-boot", -3600, BOOT_THEN, 90.0, &done, &o);
	ign = json_object_get(json_object_get(s.rerun, "looked_at"), "pstore_ignored");
	assert_int_equal(json_array_size(ign), 1);
	assert_rerun(&s, done, "left no evidence");
	/* The host did not reboot: lockmap was stopped, the record is not ours. */
	s = resume_case("ramoops-hardlockup", 5, BOOT_NOW, 90.0, &done, &o);
	assert_rerun(&s, done, "did not reboot");
	/* A journal older than boot ids cannot tell. */
	s = resume_case("ramoops-hardlockup", 5, NULL, 90.0, &done, &o);
	assert_rerun(&s, done, "no boot id");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_read_records),
		cmocka_unit_test(test_journal_text),
		cmocka_unit_test_setup_teardown(test_resume_hardlockup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_softlockup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_panic_efi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_host_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_rerun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_systemd_archive, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
