// SPDX-License-Identifier: GPL-2.0
/* The classifier: every log in tests/data/logs against its expectation, each
 * field extractor, each prefix form, lines that must not match, and the
 * streaming rules (trace collection, ends, flush, age, limit). */
#include <dirent.h>
#include <math.h>
#include <string.h>

#include "classify.h"
#include "lockmap.h"
#include "testutil.h"

/* ---- helpers ---- */

struct collected {
	json_t *events;		/* array of event_to_json() */
	int n;
	struct event last;	/* copy of the last event, trace not kept */
	char last_trace[8192];
};

static void collect(const struct event *ev, void *arg)
{
	struct collected *c = arg;

	json_array_append_new(c->events, event_to_json(ev));
	c->n++;
	c->last = *ev;
	c->last.trace = NULL;
	snprintf(c->last_trace, sizeof(c->last_trace), "%s", ev->trace ? ev->trace : "");
}

static void collected_init(struct collected *c)
{
	memset(c, 0, sizeof(*c));
	c->events = json_array();
}

/* JSON equality with reals compared to 1e-9 (timestamps, ms). */
static bool json_close(json_t *a, json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b) && (json_is_real(a) || json_is_real(b)))
		return fabs(json_number_value(a) - json_number_value(b)) < 1e-9;
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach(a, key, v) {
			json_t *w = json_object_get(b, key);

			if (!w || !json_close(v, w))
				return false;
		}
		return true;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, v) {
			if (!json_close(v, json_array_get(b, i)))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}

static void feed_lines(struct classifier *cl, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		classifier_feed(cl, lines[i]);
}

/* ---- every log against its expectation ---- */

/* Run one log through the streaming classifier; compare with NAME.expect. */
static void check_log(const char *dir, const char *name, bool *seen_kinds)
{
	char path[1024], expect[1024], *line = NULL, *dot;
	struct collected c;
	struct classifier *cl;
	size_t cap = 0, i = 0;
	json_t *want;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(expect, sizeof(expect), "%s/%s", dir, name);
	dot = strrchr(expect, '.');
	strcpy(dot, ".expect");
	collected_init(&c);
	cl = classifier_new(collect, &c);
	assert_non_null(cl);
	f = fopen(path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) >= 0)
		classifier_feed(cl, line);
	fclose(f);
	classifier_flush(cl);
	classifier_free(cl);

	f = fopen(expect, "r");
	if (!f)
		fail_msg("%s: no expectation %s (see tests/data/logs/README.md)", path, expect);
	while (getline(&line, &cap, f) >= 0) {
		json_error_t err;
		json_t *got = json_array_get(c.events, i);

		want = json_loads(line, 0, &err);
		if (!want)
			fail_msg("%s:%zu: %s", expect, i + 1, err.text);
		if (!got || !json_close(got, want)) {
			char *g = got ? json_dumps(got, JSON_COMPACT) : strdup("(none)");

			print_error("%s event %zu:\n  want %s  got  %s\n", path, i + 1, line, g);
			free(g);
			fail_msg("%s: event %zu differs from %s", path, i + 1, expect);
		}
		for (int k = 0; k < EV__COUNT; k++) {
			if (!strcmp(json_string_value(json_object_get(want, "kind")),
				    event_kind_name((enum event_kind)k)))
				seen_kinds[k] = true;
		}
		json_decref(want);
		i++;
	}
	fclose(f);
	free(line);
	if (i != json_array_size(c.events))
		fail_msg("%s: %zu events, %s expects %zu", path, json_array_size(c.events), expect, i);
	json_decref(c.events);
}

static void test_logs(void **state)
{
	char dir[512];
	bool seen[EV__COUNT] = { 0 };
	struct dirent *de;
	int nlogs = 0;
	DIR *d;

	(void)state;
	test_data_path(dir, sizeof(dir), "logs");
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 5 || (strcmp(de->d_name + n - 4, ".log") && strcmp(de->d_name + n - 4, ".txt")))
			continue;
		check_log(dir, de->d_name, seen);
		nlogs++;
	}
	closedir(d);
	assert_true(nlogs >= 20);
	/* every kind is exercised by some real-looking log */
	for (int k = 0; k < EV__COUNT; k++) {
		if (!seen[k])
			fail_msg("no log in %s produces a %s event", dir,
				 event_kind_name((enum event_kind)k));
	}
}

/* ---- field extractors ---- */

static void test_hardlockup_forms(void **state)
{
	static const struct {
		const char *line;
		int cpu;
	} cases[] = {
		{ "[  655.298717] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1", 1 },
		{ "[   95.974379] watchdog: Watchdog detected hard LOCKUP on cpu 3", 3 },
		{ "[  164.964389] watchdog: CPU3: Watchdog detected hard LOCKUP on cpu 12", 12 },
		{ "[   40.518876] lockmap_inject: buddy: Watchdog detected hard LOCKUP on cpu 0", 0 },
		/* old consoles glued the next record to the line */
		{ "NMI watchdog: Watchdog detected hard LOCKUP on cpu 2Modules linked in:", 2 },
	};
	struct event ev;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_true(classify_line(cases[i].line, &ev));
		assert_int_equal(ev.kind, EV_HARDLOCKUP);
		assert_int_equal(ev.cpu, cases[i].cpu);
		assert_null(ev.trace);
	}
}

static void test_softlockup_fields(void **state)
{
	struct event ev;

	(void)state;
	assert_true(classify_line("[  126.436620] watchdog: BUG: soft lockup - CPU#1 stuck for 11s! "
				  "[kworker/u4:2:402]", &ev));
	assert_int_equal(ev.kind, EV_SOFTLOCKUP);
	assert_int_equal(ev.cpu, 1);
	assert_true(ev.has_t);
	assert_true(fabs(ev.t - 126.43662) < 1e-9);
	assert_int_equal(ev.stuck_s, 11);
	assert_string_equal(ev.comm, "kworker/u4:2");
	assert_int_equal(ev.pid, 402);

	assert_true(classify_line("NMI watchdog: BUG: soft lockup - CPU#23 stuck for 67s! "
				  "[CPU 0/KVM:1207]", &ev));
	assert_int_equal(ev.cpu, 23);
	assert_int_equal(ev.stuck_s, 67);
	assert_string_equal(ev.comm, "CPU 0/KVM");
	assert_int_equal(ev.pid, 1207);
	assert_false(ev.has_t);
}

static void test_rcu_stall_fields(void **state)
{
	static const struct {
		const char *line, *flavor;
		int cpu;
	} cases[] = {
		{ "INFO: rcu_sched self-detected stall on CPU", "rcu_sched", -1 },
		{ "INFO: rcu_bh detected stalls on CPUs/tasks:", "rcu_bh", -1 },
		{ "rcu: INFO: rcu_preempt self-detected stall on CPU", "rcu_preempt", -1 },
		{ "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu_preempt", -1 },
		{ "INFO: rcu_tasks detected stalls on tasks:", "rcu_tasks", -1 },
		{ "rcu: INFO: rcu_tasks_trace detected stalls on tasks:", "rcu_tasks_trace", -1 },
		{ "rcu: INFO: rcu_sched detected expedited stalls on CPUs/tasks: { 2-... } 6620 "
		  "jiffies s: 141 root: 0x4/.", "rcu_sched", 2 },
	};
	struct event ev;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_true(classify_line(cases[i].line, &ev));
		assert_int_equal(ev.kind, EV_RCU_STALL);
		assert_string_equal(ev.flavor, cases[i].flavor);
		assert_int_equal(ev.cpu, cases[i].cpu);
	}
}

/* The CPU of a self-detected stall comes from the detail line after it. */
static void test_rcu_stall_cpu_from_trace(void **state)
{
	static const char *const lines[] = {
		"[  947.512337] rcu: INFO: rcu_sched self-detected stall on CPU",
		"[  947.512344] rcu: \t3-...!: (2 GPs behind) idle=3b6/1/0x4000000000000002 "
		"softirq=30277/30278 fqs=0 ",
		"[  947.512345] rcu: \t (t=21002 jiffies g=61789 q=1453)",
		"[  947.512350] rcu: \t5-...!: (2 GPs behind) idle=3b6/1/0x4000000000000002",
		"[  950.000000] e1000: eth0 NIC Link is Up",
	};
	struct collected c;
	struct classifier *cl;

	(void)state;
	collected_init(&c);
	cl = classifier_new(collect, &c);
	feed_lines(cl, lines, ARRAY_SIZE(lines));
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last.cpu, 3);
	assert_string_equal(c.last_trace,
			    "rcu: \t3-...!: (2 GPs behind) idle=3b6/1/0x4000000000000002 softirq=30277/30278 fqs=0\n"
			    "rcu: \t (t=21002 jiffies g=61789 q=1453)\n"
			    "rcu: \t5-...!: (2 GPs behind) idle=3b6/1/0x4000000000000002");
	classifier_free(cl);
	json_decref(c.events);
}

static void test_small_kinds_fields(void **state)
{
	struct event ev;

	(void)state;
	assert_true(classify_line("[  203.004417] hrtimer: interrupt took 2195130 ns", &ev));
	assert_int_equal(ev.kind, EV_HRTIMER_HANG);
	assert_int_equal(ev.ns, 2195130);

	assert_true(classify_line("INFO: NMI handler (nh [lockmap_inject]) took too long to run: "
				  "3.017 msecs", &ev));
	assert_int_equal(ev.kind, EV_NMI_SLOW);
	assert_string_equal(ev.handler, "nh [lockmap_inject]");
	assert_true(ev.ms == 3.017);
	assert_true(classify_line("INFO: NMI handler (perf_event_nmi_handler) took too long to run: "
				  "12 msecs", &ev));
	assert_string_equal(ev.handler, "perf_event_nmi_handler");
	assert_true(ev.ms == 12.0);

	assert_true(classify_line("perf: interrupt took too long (2505 > 2500), lowering "
				  "kernel.perf_event_max_sample_rate to 79750", &ev));
	assert_int_equal(ev.kind, EV_PERF_SLOW);
	assert_int_equal(ev.cpu, -1);

	assert_true(classify_line("INFO: task kworker/u4:2:123 blocked for more than 120 seconds.",
				  &ev));
	assert_int_equal(ev.kind, EV_HUNG_TASK);
	assert_string_equal(ev.comm, "kworker/u4:2");
	assert_int_equal(ev.pid, 123);
	assert_true(classify_line("INFO: task CPU 0/KVM:2345 blocked for more than 122 seconds.",
				  &ev));
	assert_string_equal(ev.comm, "CPU 0/KVM");
	assert_int_equal(ev.pid, 2345);

	assert_true(classify_line("clocksource: timekeeping watchdog on CPU1: Marking clocksource "
				  "'tsc' as unstable because the skew is too large:", &ev));
	assert_int_equal(ev.kind, EV_CLOCKSOURCE_UNSTABLE);
	assert_int_equal(ev.cpu, 1);
	assert_string_equal(ev.clocksource, "tsc");
	assert_true(classify_line("clocksource: timekeeping watchdog on CPU0: Marking clocksource "
				  "'acpi_pm' as unstable because the skew is too large:", &ev));
	assert_string_equal(ev.clocksource, "acpi_pm");
	assert_true(classify_line("clocksource: timekeeping watchdog on CPU1: wd-hpet-wd excessive "
				  "read-back delay of 250341ns vs. limit of 125000ns, wd-wd read-back "
				  "delay only 41811ns, attempt 4, marking hpet unstable", &ev));
	assert_string_equal(ev.clocksource, "hpet");
	assert_true(classify_line("tsc: Marking TSC unstable due to clocksource watchdog", &ev));
	assert_string_equal(ev.clocksource, "tsc");
	assert_int_equal(ev.cpu, -1);

	assert_true(classify_line("kvm: vcpu 0: requested 100000 ns lapic timer period limited to "
				  "200000 ns", &ev));
	assert_int_equal(ev.kind, EV_TIMER_CLAMP);
	assert_int_equal(ev.ns, 200000);
	assert_int_equal(ev.cpu, -1);
	assert_true(classify_line("kvm: vcpu 15: requested 70240 ns lapic timer period limited to "
				  "500000 ns", &ev));
	assert_int_equal(ev.ns, 500000);

	assert_true(classify_line("Kernel panic - not syncing: Hard LOCKUP", &ev));
	assert_int_equal(ev.kind, EV_PANIC);
	assert_string_equal(ev.reason, "Hard LOCKUP");
	assert_true(classify_line("Kernel panic - not syncing: VFS: Unable to mount root fs on "
				  "unknown-block(0,0)", &ev));
	assert_string_equal(ev.reason, "VFS: Unable to mount root fs on unknown-block(0,0)");
}

/* Both hung-task forms of kernel/hung_task.c: "blocked for more than" and,
 * for a task in I/O wait, "blocked in I/O wait for more than" (7.1+). */
static void test_hung_task_forms(void **state)
{
	static const struct {
		const char *line, *msg, *comm;
		int pid;
		bool has_t;
	} cases[] = {
		{ "[ 1093.517204] INFO: task udevd:5612 blocked in I/O wait for more than 143 seconds.",
		  "INFO: task udevd:5612 blocked in I/O wait for more than 143 seconds.", "udevd", 5612,
		  true },
		{ "3,4117,1093536012,-;INFO: task kworker/u8:3:217 blocked in I/O wait for more than "
		  "122 seconds.", "INFO: task kworker/u8:3:217 blocked in I/O wait for more than 122 "
		  "seconds.", "kworker/u8:3", 217, true },
		{ "INFO: task CPU 0/KVM:6119 blocked in I/O wait for more than 120 seconds.",
		  "INFO: task CPU 0/KVM:6119 blocked in I/O wait for more than 120 seconds.",
		  "CPU 0/KVM", 6119, false },
		/* the older form, still printed for a task not in I/O wait */
		{ "[ 1093.536012] INFO: task CPU 1/KVM:6120 blocked for more than 147 seconds.",
		  "INFO: task CPU 1/KVM:6120 blocked for more than 147 seconds.", "CPU 1/KVM", 6120,
		  true },
	};
	struct event ev;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!classify_line(cases[i].line, &ev))
			fail_msg("case %zu not classified: %s", i, cases[i].line);
		assert_int_equal(ev.kind, EV_HUNG_TASK);
		assert_string_equal(ev.line, cases[i].msg);
		assert_string_equal(ev.comm, cases[i].comm);
		assert_int_equal(ev.pid, cases[i].pid);
		assert_int_equal(ev.cpu, -1);
		assert_int_equal(ev.has_t, cases[i].has_t);
	}
}

/* Out-of-range numbers are no event rather than a wrapped value. */
static void test_numbers_out_of_range(void **state)
{
	struct event ev;

	(void)state;
	assert_false(classify_line("hrtimer: interrupt took 99999999999999999999999 ns", &ev));
	assert_false(classify_line("watchdog: BUG: soft lockup - CPU#1 stuck for 2s! [a:99999999999]",
				   &ev));
	assert_false(classify_line("watchdog: Watchdog detected hard LOCKUP on cpu 99999999999", &ev));
}

/* ---- prefixes ---- */

static void test_prefix_forms(void **state)
{
	static const struct {
		const char *line;
		bool has_t;
		double t;
	} cases[] = {
		{ "hrtimer: interrupt took 5000 ns", false, 0 },
		{ "[ 1234.567890] hrtimer: interrupt took 5000 ns", true, 1234.56789 },
		{ "[    0.100000] hrtimer: interrupt took 5000 ns\n", true, 0.1 },
		{ "<4>[   12.000001] hrtimer: interrupt took 5000 ns", true, 12.000001 },
		{ "<4>hrtimer: interrupt took 5000 ns", false, 0 },
		{ "4,1234,5678901,-;hrtimer: interrupt took 5000 ns", true, 5.678901 },
		{ "4,1234,5678901,-,caller=C1;hrtimer: interrupt took 5000 ns", true, 5.678901 },
		{ "Nov 25 12:00:01 host kernel: hrtimer: interrupt took 5000 ns", false, 0 },
		{ "Nov  5 02:10:17 kvmhost03 kernel: [ 4021.551234] hrtimer: interrupt took 5000 ns",
		  true, 4021.551234 },
		{ "2025-11-25T12:00:01.204117+00:00 lab kernel: hrtimer: interrupt took 5000 ns", false, 0 },
		{ "[  311.602412][    C0] hrtimer: interrupt took 5000 ns", true, 311.602412 },
		{ "[  311.602412][  T123] hrtimer: interrupt took 5000 ns", true, 311.602412 },
		{ "[  12.345678] lab kernel: hrtimer: interrupt took 5000 ns", true, 12.345678 },
		{ "[Tue Nov 25 12:00:01 2025] hrtimer: interrupt took 5000 ns", false, 0 },
		{ "kern  :warn  : [   12.500000] hrtimer: interrupt took 5000 ns", true, 12.5 },
		{ "lab login: [   45.002113] hrtimer: interrupt took 5000 ns\r", true, 45.002113 },
		{ "root@lab:~# stress\r[   45.5] hrtimer: interrupt took 5000 ns\r\n", true, 45.5 },
		{ "\x1b[1;31m[   46.000000] hrtimer: interrupt took 5000 ns\x1b[0m", true, 46.0 },
		{ "[   47.000000] \x1b]0;title\x07hrtimer: interrupt took 5000 ns", true, 47.0 },
	};
	struct event ev;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!classify_line(cases[i].line, &ev))
			fail_msg("case %zu not classified: %s", i, cases[i].line);
		assert_int_equal(ev.kind, EV_HRTIMER_HANG);
		assert_int_equal(ev.ns, 5000);
		assert_string_equal(ev.line, "hrtimer: interrupt took 5000 ns");
		assert_int_equal(ev.has_t, cases[i].has_t);
		if (cases[i].has_t && fabs(ev.t - cases[i].t) > 1e-9)
			fail_msg("case %zu: t %.9f, want %.9f", i, ev.t, cases[i].t);
	}
}

/* ---- lines that must not match ---- */

static void test_negatives(void **state)
{
	static const char *const lines[] = {
		"NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.",
		"NMI watchdog: Perf NMI watchdog permanently disabled",
		"watchdog: Disabling watchdog on nohz_full cores by default",
		"[    0.052111] rcu: Hierarchical RCU implementation.",
		"[    0.052111] rcu: \tRCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=2.",
		"clocksource: Switched to clocksource tsc",
		"clocksource: timekeeping watchdog on CPU0: hpet retried 2 times before success",
		"tsc: Refined TSC clocksource calibration: 2894.563 MHz",
		/* the message must start the record: a longer word, a quote */
		"myhrtimer: interrupt took 5000 ns",
		"hrtimer: interrupt took 5000 nsec",
		"hrtimer: interrupt took too long",
		"[    3.2] lockmap: note: saw Kernel panic - not syncing: Hard LOCKUP last night",
		"---[ end Kernel panic - not syncing: Fatal exception ]---",
		"[  655.321436] ---[ end Kernel panic - not syncing: Hard LOCKUP ]---",
		"echo: INFO: task foo:12 blocked for more than 120 seconds.",
		"echo: INFO: task udevd:5612 blocked in I/O wait for more than 143 seconds.",
		"INFO: task udevd:5612 blocked in I/O wait for more than 143 seconds",
		"INFO: task udevd:5612 blocked in I/O wait for more than seconds.",
		"INFO: task udevd blocked in I/O wait for more than 143 seconds.",
		"INFO: task udevd:99999999999 blocked in I/O wait for more than 143 seconds.",
		"INFO: task foo:12 is blocked on a mutex likely owned by task bar:13.",
		"kvm: vcpu 0: requested lapic timer restore with starting count register 0x390=1000 "
		"(4000 ns) > initial count (1000 ns). Using initial count to start timer.",
		"limit_periodic_timer_frequency: 14 callbacks suppressed",
		"perf: interrupt took too long (2505 > 2500)",
		"watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
		"rcu: INFO: rcu_sched detected stall in sys_ioctl",
		"lockmap_inject: buddy: detector started on cpus 0-1, thresh=4s",
		"tsc: Marking TSC unstable due to",
		"INFO: NMI handler (perf_event_nmi_handler) took too long to run: msecs",
		"[  OK  ] Started systemd-journald.service - Journal Service.",
		" SUBSYSTEM=pci",
		"",
		"[   1.000000] ",
	};
	struct event ev;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		if (classify_line(lines[i], &ev))
			fail_msg("classified as %s: \"%s\"", event_kind_name(ev.kind), lines[i]);
	}
}

/* ---- JSON ---- */

static void test_json_keys(void **state)
{
	static const char *const own[EV__COUNT] = {
		[EV_HARDLOCKUP] = "",
		[EV_SOFTLOCKUP] = "stuck_s comm pid",
		[EV_RCU_STALL] = "flavor",
		[EV_HRTIMER_HANG] = "ns",
		[EV_NMI_SLOW] = "handler ms",
		[EV_PERF_SLOW] = "",
		[EV_HUNG_TASK] = "comm pid",
		[EV_CLOCKSOURCE_UNSTABLE] = "clocksource",
		[EV_TIMER_CLAMP] = "ns",
		[EV_PANIC] = "reason",
	};
	struct event ev;

	(void)state;
	for (int k = 0; k < EV__COUNT; k++) {
		char want[128], got[256] = "";
		const char *key;
		json_t *o, *v;

		memset(&ev, 0, sizeof(ev));
		ev.kind = (enum event_kind)k;
		ev.cpu = -1;
		o = event_to_json(&ev);
		assert_non_null(o);
		snprintf(want, sizeof(want), "kind cpu t %s%sline trace", own[k], *own[k] ? " " : "");
		json_object_foreach(o, key, v) {
			if (got[0])
				strcat(got, " ");
			strcat(got, key);
		}
		assert_string_equal(got, want);
		assert_true(json_is_null(json_object_get(o, "cpu")));
		assert_true(json_is_null(json_object_get(o, "t")));
		assert_true(json_is_array(json_object_get(o, "trace")));
		assert_int_equal(json_array_size(json_object_get(o, "trace")), 0);
		assert_string_equal(json_string_value(json_object_get(o, "kind")),
				    event_kind_name((enum event_kind)k));
		json_decref(o);
	}
}

/* Console garbage in a field still gives valid JSON. */
static void test_json_bad_utf8(void **state)
{
	struct event ev;
	json_t *o;
	char *s;

	(void)state;
	assert_true(classify_line("watchdog: BUG: soft lockup - CPU#1 stuck for 3s! [a\xff\xc3:7]",
				  &ev));
	assert_string_equal(ev.comm, "a\xff\xc3");
	o = event_to_json(&ev);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "comm")), "a\\xff\\xc3");
	s = json_dumps(o, JSON_COMPACT);
	assert_non_null(s);
	free(s);
	json_decref(o);
	/* a valid multi-byte character passes untouched */
	assert_true(classify_line("Kernel panic - not syncing: caf\xc3\xa9", &ev));
	o = event_to_json(&ev);
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "caf\xc3\xa9");
	json_decref(o);
}

/* ---- streaming ---- */

static void test_stream_ends(void **state)
{
	static const char *const lines[] = {
		"[  1.0] hrtimer: interrupt took 5000 ns",
		"[  2.0] watchdog: Watchdog detected hard LOCKUP on cpu 1",
		"[  2.1] Modules linked in: kvm",
		"",
		"[  2.2] CPU: 1 PID: 0 Comm: swapper/1 Not tainted 6.1.0 #1",
		"[  2.3] Call Trace:",
		"[  2.4]  <IRQ>",
		"[  2.5]  apic_timer_fn+0x2c/0x110 [kvm]",
		"[  2.6]  </IRQ>",
		"[  2.7] Kernel panic - not syncing: Hard LOCKUP",
		"[  2.8] Kernel Offset: disabled",
		"[  2.9] ---[ end Kernel panic - not syncing: Hard LOCKUP ]---",
		"[  3.0] e1000: eth0 NIC Link is Up",
		"[  3.1]  not_a_frame_any_more+0x1/0x2",
	};
	struct collected c;
	struct classifier *cl;
	json_t *hl, *pn;

	(void)state;
	collected_init(&c);
	cl = classifier_new(collect, &c);
	feed_lines(cl, lines, 2);
	/* the hrtimer event ended when the next event started */
	assert_int_equal(c.n, 1);
	feed_lines(cl, lines + 2, 8);
	assert_int_equal(c.n, 2);
	hl = json_array_get(c.events, 1);
	assert_int_equal(json_array_size(json_object_get(hl, "trace")), 6);
	assert_string_equal(json_string_value(json_array_get(json_object_get(hl, "trace"), 3)),
			    " <IRQ>");
	feed_lines(cl, lines + 10, ARRAY_SIZE(lines) - 10);
	/* the unrelated line ended the panic; the stray frame after it is dropped */
	assert_int_equal(c.n, 3);
	pn = json_array_get(c.events, 2);
	assert_string_equal(json_string_value(json_object_get(pn, "kind")), "panic");
	assert_int_equal(json_array_size(json_object_get(pn, "trace")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pn, "trace"), 1)),
			    "---[ end Kernel panic - not syncing: Hard LOCKUP ]---");
	classifier_flush(cl);
	assert_int_equal(c.n, 3);
	classifier_free(cl);
	json_decref(c.events);
}

static void test_stream_flush_and_age(void **state)
{
	struct collected c;
	struct classifier *cl;
	int64_t now;

	(void)state;
	collected_init(&c);
	cl = classifier_new(collect, &c);
	assert_int_equal(classifier_pending_age(cl, now_ns()), -1);
	classifier_feed(cl, "[ 5.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [a:1]");
	now = now_ns();
	assert_true(classifier_pending_age(cl, now) >= 0);
	assert_true(classifier_pending_age(cl, now + NSEC_PER_SEC) >= NSEC_PER_SEC);
	assert_int_equal(c.n, 0);
	classifier_feed(cl, "[ 5.1] Modules linked in: kvm");
	assert_true(classifier_pending_age(cl, now_ns() + 5 * NSEC_PER_SEC) >= 5 * NSEC_PER_SEC);
	classifier_flush(cl);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.last_trace, "Modules linked in: kvm");
	assert_int_equal(classifier_pending_age(cl, now_ns()), -1);
	classifier_flush(cl);
	assert_int_equal(c.n, 1);
	classifier_free(cl);
	json_decref(c.events);
}

static void test_stream_trace_limit(void **state)
{
	struct collected c;
	struct classifier *cl;
	json_t *tr;

	(void)state;
	collected_init(&c);
	cl = classifier_new(collect, &c);
	classifier_feed(cl, "watchdog: Watchdog detected hard LOCKUP on cpu 0");
	for (int i = 0; i < 450; i++) {
		char line[64];

		snprintf(line, sizeof(line), " frame_%d+0x1/0x2", i);
		classifier_feed(cl, line);
	}
	classifier_flush(cl);
	assert_int_equal(c.n, 1);
	tr = json_object_get(json_array_get(c.events, 0), "trace");
	/* the event completed at 200 trace lines; the rest had no event */
	assert_int_equal(json_array_size(tr), 200);
	assert_string_equal(json_string_value(json_array_get(tr, 0)), " frame_0+0x1/0x2");
	classifier_free(cl);
	json_decref(c.events);
}

/* "tsc: Marking TSC unstable" right after the clocksource watchdog's report
 * is part of that incident, on its own it is an event. */
static void test_stream_tsc_joins(void **state)
{
	static const char *const lines[] = {
		"clocksource: timekeeping watchdog on CPU1: Marking clocksource 'tsc' as unstable "
		"because the skew is too large:",
		"clocksource:                       'hpet' wd_now: 3f6e8e1b wd_last: 3c4f1a06 mask: ffffffff",
		"tsc: Marking TSC unstable due to clocksource watchdog",
		"clocksource: Switched to clocksource hpet",
		"hrtimer: interrupt took 5000 ns",
		"tsc: Marking TSC unstable due to check_tsc_sync_source failed",
	};
	struct collected c;
	struct classifier *cl;

	(void)state;
	collected_init(&c);
	cl = classifier_new(collect, &c);
	feed_lines(cl, lines, ARRAY_SIZE(lines));
	classifier_flush(cl);
	assert_int_equal(c.n, 3);
	assert_int_equal(json_array_size(json_object_get(json_array_get(c.events, 0), "trace")), 3);
	assert_string_equal(c.last.line, "tsc: Marking TSC unstable due to check_tsc_sync_source failed");
	assert_int_equal(c.last.kind, EV_CLOCKSOURCE_UNSTABLE);
	classifier_free(cl);
	json_decref(c.events);
}

/* A saved /dev/kmsg file: dictionary lines are skipped, escapes undone. */
static void test_stream_kmsg_records(void **state)
{
	static const char *const lines[] = {
		"3,2872,836119220,-;rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
		" SUBSYSTEM=cpu",
		"3,2873,836119231,-;rcu: \\x091-...!: (0 ticks this GP) idle=3d54/1/0x4000000000000000",
		"6,2874,836119244,-;Sending NMI from CPU 0 to CPUs 1:",
		"12,2875,900000000,-;lockmap: done",
	};
	struct collected c;
	struct classifier *cl;

	(void)state;
	collected_init(&c);
	cl = classifier_new(collect, &c);
	feed_lines(cl, lines, ARRAY_SIZE(lines));
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last.cpu, 1);
	assert_true(fabs(c.last.t - 836.11922) < 1e-9);
	assert_string_equal(c.last_trace,
			    "rcu: \t1-...!: (0 ticks this GP) idle=3d54/1/0x4000000000000000\n"
			    "Sending NMI from CPU 0 to CPUs 1:");
	classifier_free(cl);
	json_decref(c.events);
}

static void test_kind_names(void **state)
{
	(void)state;
	for (int a = 0; a < EV__COUNT; a++) {
		assert_string_not_equal(event_kind_name((enum event_kind)a), "?");
		for (int b = a + 1; b < EV__COUNT; b++)
			assert_string_not_equal(event_kind_name((enum event_kind)a),
						event_kind_name((enum event_kind)b));
	}
	assert_string_equal(event_kind_name(EV__COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_hardlockup_forms),
		cmocka_unit_test(test_softlockup_fields),
		cmocka_unit_test(test_rcu_stall_fields),
		cmocka_unit_test(test_rcu_stall_cpu_from_trace),
		cmocka_unit_test(test_small_kinds_fields),
		cmocka_unit_test(test_hung_task_forms),
		cmocka_unit_test(test_numbers_out_of_range),
		cmocka_unit_test(test_prefix_forms),
		cmocka_unit_test(test_negatives),
		cmocka_unit_test(test_json_keys),
		cmocka_unit_test(test_json_bad_utf8),
		cmocka_unit_test(test_stream_ends),
		cmocka_unit_test(test_stream_flush_and_age),
		cmocka_unit_test(test_stream_trace_limit),
		cmocka_unit_test(test_stream_tsc_joins),
		cmocka_unit_test(test_stream_kmsg_records),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
