// SPDX-License-Identifier: GPL-2.0
/* Kernel log lines to events (DESIGN.md "Events").
 *
 * A line is first stripped of what surrounds the kernel's message: console
 * noise (ANSI escapes, text overwritten by '\r', another program's output in
 * front of the timestamp), syslog "<N>" levels, /dev/kmsg record headers,
 * journalctl/syslog prefixes, "[ secs.usecs]" timestamps and printk caller ids.
 * The message that is left must match one row of `patterns` from its first
 * character: the kernel prints these messages at the start of a record, so a
 * user message that merely quotes one ("... Kernel panic - not syncing: ...")
 * is not an event.
 *
 * The streaming classifier then gathers the report the kernel prints after an
 * event line (registers, stack, RCU detail lines...) into the event's trace.
 */
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "kmsg.h"
#include "lockmap.h"
#include "text.h"

#define TRACE_MAX_LINES 200

/* Own fields of each kind: the JSON object carries these and no others. */
enum {
	F_STUCK_S = 1 << 0,
	F_COMM = 1 << 1,
	F_PID = 1 << 2,
	F_FLAVOR = 1 << 3,
	F_NS = 1 << 4,
	F_HANDLER = 1 << 5,
	F_MS = 1 << 6,
	F_CLOCKSOURCE = 1 << 7,
	F_REASON = 1 << 8,
};

static const struct kind_desc {
	const char *name;
	unsigned fields;
} kinds[] = {
	[EV_HARDLOCKUP] = { "hardlockup", 0 },
	[EV_SOFTLOCKUP] = { "softlockup", F_STUCK_S | F_COMM | F_PID },
	[EV_RCU_STALL] = { "rcu_stall", F_FLAVOR },
	[EV_HRTIMER_HANG] = { "hrtimer_hang", F_NS },
	[EV_NMI_SLOW] = { "nmi_slow", F_HANDLER | F_MS },
	[EV_PERF_SLOW] = { "perf_slow", 0 },
	[EV_HUNG_TASK] = { "hung_task", F_COMM | F_PID },
	[EV_CLOCKSOURCE_UNSTABLE] = { "clocksource_unstable", F_CLOCKSOURCE },
	[EV_TIMER_CLAMP] = { "timer_clamp", F_NS },
	[EV_PANIC] = { "panic", F_REASON },
};
_Static_assert(ARRAY_SIZE(kinds) == EV__COUNT, "kinds[] incomplete");

typedef bool (*extract_fn)(struct event *ev, const char *msg, const regmatch_t *m);
typedef void (*trace_fn)(struct event *ev, const char *msg);

/* One row per message form. `needle` is a literal the message must contain,
 * a cheap filter before the regex; `re` is anchored at the message start;
 * `extract` fills the kind's fields from the sub-matches and may refuse the
 * line; `on_trace` sees every trace line of a pending event of this row;
 * `joins` makes the line part of a pending event of the same kind rather
 * than an event of its own (one incident printed as two messages). */
struct pattern {
	enum event_kind kind;
	const char *needle;
	const char *re;
	extract_fn extract;
	trace_fn on_trace;
	bool joins;
};

/* The CPU line of an RCU stall report, see tr_rcu_stall(). */
static regex_t rcu_cpu_re;

/* ---- field extractors ---- */

static size_t m_len(const regmatch_t *m)
{
	return (size_t)(m->rm_eo - m->rm_so);
}

static bool m_matched(const regmatch_t *m)
{
	return m->rm_so >= 0;
}

/* Copy a sub-match into a fixed field, truncating. */
static void m_copy(char *dst, size_t size, const char *msg, const regmatch_t *m)
{
	size_t n = m_len(m);

	if (n >= size)
		n = size - 1;
	memcpy(dst, msg + m->rm_so, n);
	dst[n] = '\0';
}

/* A sub-match of digits as a non-negative integer; false on overflow. */
static bool m_int(const char *msg, const regmatch_t *m, int64_t max, int64_t *out)
{
	int64_t v = 0;

	for (regoff_t i = m->rm_so; i < m->rm_eo; i++) {
		int d = msg[i] - '0';

		if (d < 0 || d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return m_len(m) > 0;
}

static bool m_cpu(const char *msg, const regmatch_t *m, int *cpu)
{
	int64_t v;

	if (!m_int(msg, m, 1 << 20, &v))
		return false;
	*cpu = (int)v;
	return true;
}

/* "123.456" (a sub-match) as a double through one correctly rounded division,
 * so "3.017" gives the same double strtod() would, whatever the locale. */
static bool m_decimal(const char *msg, const regmatch_t *m, double *out)
{
	int64_t v = 0, scale = 1;
	bool frac = false;

	for (regoff_t i = m->rm_so; i < m->rm_eo; i++) {
		if (msg[i] == '.' && !frac) {
			frac = true;
			continue;
		}
		if (msg[i] < '0' || msg[i] > '9' || v > (INT64_C(1) << 53) / 10 ||
		    scale > INT64_C(1000000000))
			return false;
		v = v * 10 + (msg[i] - '0');
		if (frac)
			scale *= 10;
	}
	*out = (double)v / (double)scale;
	return m_len(m) > 0;
}

static bool ex_hardlockup(struct event *ev, const char *msg, const regmatch_t *m)
{
	return m_cpu(msg, &m[1], &ev->cpu);
}

/* BUG: soft lockup - CPU#N stuck for Ss! [comm:pid] */
static bool ex_softlockup(struct event *ev, const char *msg, const regmatch_t *m)
{
	int64_t pid;

	if (!m_cpu(msg, &m[1], &ev->cpu) || !m_int(msg, &m[2], INT64_MAX, &ev->stuck_s) ||
	    !m_int(msg, &m[4], INT32_MAX, &pid))
		return false;
	m_copy(ev->comm, sizeof(ev->comm), msg, &m[3]);
	ev->pid = (int)pid;
	return true;
}

/* RCU rows differ in their optional "rcu: " group: the flavor is the first
 * group starting "rcu_", and a group of digits (the expedited form names
 * the CPU in the line, "{ 2-... }") is the CPU. */
static bool ex_rcu_stall(struct event *ev, const char *msg, const regmatch_t *m)
{
	for (int i = 1; i < 6; i++) {
		if (!m_matched(&m[i]) || !m_len(&m[i]))
			continue;
		if (!ev->flavor[0] && !strncmp(msg + m[i].rm_so, "rcu_", 4))
			m_copy(ev->flavor, sizeof(ev->flavor), msg, &m[i]);
		else if (msg[m[i].rm_so] >= '0' && msg[m[i].rm_so] <= '9')
			(void)m_cpu(msg, &m[i], &ev->cpu);
	}
	return ev->flavor[0] != '\0';
}

/* The CPU of a stall is on the first detail line after it, printed by
 * print_cpu_stall_info(): "\t1-....: (5249 ticks this GP) idle=...". */
static void tr_rcu_stall(struct event *ev, const char *msg)
{
	regmatch_t m[3];

	if (ev->cpu < 0 && regexec(&rcu_cpu_re, msg, ARRAY_SIZE(m), m, 0) == 0)
		(void)m_cpu(msg, &m[2], &ev->cpu);
}

static bool ex_ns(struct event *ev, const char *msg, const regmatch_t *m)
{
	return m_int(msg, &m[1], INT64_MAX, &ev->ns);
}

/* INFO: NMI handler (H) took too long to run: M msecs; H is %ps, so a
 * module's handler reads "name [module]". */
static bool ex_nmi_slow(struct event *ev, const char *msg, const regmatch_t *m)
{
	m_copy(ev->handler, sizeof(ev->handler), msg, &m[1]);
	return m_decimal(msg, &m[2], &ev->ms);
}

static bool ex_none(struct event *ev, const char *msg, const regmatch_t *m)
{
	(void)ev;
	(void)msg;
	(void)m;
	return true;
}

/* The comm may itself hold ':' (kworker/u4:2): the regex's greedy comm group
 * ends at the last colon. */
static bool ex_hung_task(struct event *ev, const char *msg, const regmatch_t *m)
{
	int64_t pid;

	if (!m_int(msg, &m[2], INT32_MAX, &pid))
		return false;
	m_copy(ev->comm, sizeof(ev->comm), msg, &m[1]);
	ev->pid = (int)pid;
	return true;
}

/* clocksource watchdog lines: group 1 the watchdog's CPU, group 2 the name. */
static bool ex_clocksource(struct event *ev, const char *msg, const regmatch_t *m)
{
	if (!m_cpu(msg, &m[1], &ev->cpu))
		return false;
	m_copy(ev->clocksource, sizeof(ev->clocksource), msg, &m[2]);
	return true;
}

static bool ex_tsc(struct event *ev, const char *msg, const regmatch_t *m)
{
	(void)msg;
	(void)m;
	strcpy(ev->clocksource, "tsc");
	return true;
}

/* kvm: vcpu V: requested R ns lapic timer period limited to L ns. The vcpu
 * is the guest's, not a host CPU, so cpu stays null; ns is the limit. */
static bool ex_timer_clamp(struct event *ev, const char *msg, const regmatch_t *m)
{
	return m_int(msg, &m[1], INT64_MAX, &ev->ns);
}

static bool ex_panic(struct event *ev, const char *msg, const regmatch_t *m)
{
	m_copy(ev->reason, sizeof(ev->reason), msg, &m[1]);
	return true;
}

/* ---- the table ---- */

static const struct pattern patterns[] = {
	/* kernel/watchdog_hld.c, pr_fmt "NMI watchdog: " (4.19 .. 6.5) */
	{ EV_HARDLOCKUP, "hard LOCKUP",
	  "^NMI watchdog: Watchdog detected hard LOCKUP on cpu ([0-9]+)", ex_hardlockup, NULL, false },
	/* kernel/watchdog.c watchdog_hardlockup_check() (6.6 .. 6.8) */
	{ EV_HARDLOCKUP, "hard LOCKUP",
	  "^watchdog: Watchdog detected hard LOCKUP on cpu ([0-9]+)", ex_hardlockup, NULL, false },
	/* the same, naming the reporting CPU for the buddy detector (6.9+):
	 * "CPU%u: Watchdog detected hard LOCKUP on cpu %u", this_cpu, cpu */
	{ EV_HARDLOCKUP, "hard LOCKUP",
	  "^watchdog: CPU[0-9]+: Watchdog detected hard LOCKUP on cpu ([0-9]+)",
	  ex_hardlockup, NULL, false },
	/* lockmap_inject's own buddy detector, for hosts without a PMU */
	{ EV_HARDLOCKUP, "hard LOCKUP",
	  "^lockmap_inject: buddy: Watchdog detected hard LOCKUP on cpu ([0-9]+)",
	  ex_hardlockup, NULL, false },

	/* kernel/watchdog.c; pr_fmt was "NMI watchdog: " until 4.12 */
	{ EV_SOFTLOCKUP, "soft lockup",
	  "^NMI watchdog: BUG: soft lockup - CPU#([0-9]+) stuck for ([0-9]+)s! \\[(.*):([0-9]+)\\]",
	  ex_softlockup, NULL, false },
	/* pr_fmt "watchdog: " (4.13+) */
	{ EV_SOFTLOCKUP, "soft lockup",
	  "^watchdog: BUG: soft lockup - CPU#([0-9]+) stuck for ([0-9]+)s! \\[(.*):([0-9]+)\\]",
	  ex_softlockup, NULL, false },

	/* kernel/rcu/tree.c before pr_fmt "rcu: " (4.14 and older) */
	{ EV_RCU_STALL, "self-detected stall",
	  "^INFO: (rcu_[a-z_]+) self-detected stall on CPU", ex_rcu_stall, tr_rcu_stall, false },
	{ EV_RCU_STALL, "detected stalls",
	  "^INFO: (rcu_[a-z_]+) detected stalls on CPUs/tasks:", ex_rcu_stall, tr_rcu_stall, false },
	/* pr_fmt "rcu: " (4.19+; kernel/rcu/tree_stall.h from 5.1) */
	{ EV_RCU_STALL, "self-detected stall",
	  "^rcu: INFO: (rcu_[a-z_]+) self-detected stall on CPU", ex_rcu_stall, tr_rcu_stall, false },
	{ EV_RCU_STALL, "detected stalls",
	  "^rcu: INFO: (rcu_[a-z_]+) detected stalls on CPUs/tasks:", ex_rcu_stall, tr_rcu_stall, false },
	/* rcu_tasks: kernel/rcu/update.c (4.19), tasks.h "%s detected stalls on
	 * tasks:" with rcu_tasks, rcu_tasks_rude, rcu_tasks_trace (5.8+) */
	{ EV_RCU_STALL, "detected stalls",
	  "^(rcu: )?INFO: (rcu_tasks[a-z_]*) detected stalls on tasks:", ex_rcu_stall, NULL, false },
	/* kernel/rcu/tree_exp.h: "... detected expedited stalls on CPUs/tasks: { 2-... }" */
	{ EV_RCU_STALL, "expedited stalls",
	  "^(rcu: )?INFO: (rcu_[a-z_]+) detected expedited stalls on CPUs/tasks: \\{( ([0-9]+)-)?",
	  ex_rcu_stall, NULL, false },

	/* kernel/time/hrtimer.c hrtimer_interrupt(), no pr_fmt */
	{ EV_HRTIMER_HANG, "hrtimer: interrupt took",
	  "^hrtimer: interrupt took ([0-9]+) ns$", ex_ns, NULL, false },

	/* arch/x86/kernel/nmi.c nmi_check_duration() / nmi_handle() */
	{ EV_NMI_SLOW, "took too long to run",
	  "^INFO: NMI handler \\((.+)\\) took too long to run: ([0-9]+(\\.[0-9]+)?) msecs$",
	  ex_nmi_slow, NULL, false },

	/* kernel/events/core.c perf_sample_event_took() */
	{ EV_PERF_SLOW, "perf: interrupt took too long",
	  "^perf: interrupt took too long \\([0-9]+ > [0-9]+\\), lowering "
	  "kernel\\.perf_event_max_sample_rate to [0-9]+$", ex_none, NULL, false },

	/* kernel/hung_task.c check_hung_task(), later hung_task_info() (4.19+;
	 * from 7.1 only for a task that is not in I/O wait) */
	{ EV_HUNG_TASK, "blocked for more than",
	  "^INFO: task (.+):([0-9]+) blocked for more than [0-9]+ seconds\\.$",
	  ex_hung_task, NULL, false },
	/* the same for a task in I/O wait (task_struct.in_iowait), 7.1+:
	 * "INFO: task %s:%d blocked%s for more than %ld seconds." with
	 * " in I/O wait" as the middle %s */
	{ EV_HUNG_TASK, "blocked in I/O wait for more than",
	  "^INFO: task (.+):([0-9]+) blocked in I/O wait for more than [0-9]+ seconds\\.$",
	  ex_hung_task, NULL, false },

	/* kernel/time/clocksource.c clocksource_watchdog(), pr_fmt "clocksource: " */
	{ EV_CLOCKSOURCE_UNSTABLE, "Marking clocksource",
	  "^clocksource: timekeeping watchdog on CPU([0-9]+): Marking clocksource '([^']*)' "
	  "as unstable because the skew is too large", ex_clocksource, NULL, false },
	/* cs_watchdog_read() read-back delay (5.13 .. 5.14) */
	{ EV_CLOCKSOURCE_UNSTABLE, "read-back delay",
	  "^clocksource: timekeeping watchdog on CPU([0-9]+): wd-(.+)-wd read-back delay of "
	  "-?[0-9]+ns, attempt [0-9]+, marking unstable$", ex_clocksource, NULL, false },
	/* the same with the limit and the clocksource named again (5.15+) */
	{ EV_CLOCKSOURCE_UNSTABLE, "read-back delay",
	  "^clocksource: timekeeping watchdog on CPU([0-9]+): wd-(.+)-wd excessive read-back "
	  "delay of .*, marking .+ unstable$", ex_clocksource, NULL, false },
	/* arch/x86/kernel/tsc.c mark_tsc_unstable(), pr_fmt "tsc: "; after the
	 * clocksource watchdog's report it is the same incident. */
	{ EV_CLOCKSOURCE_UNSTABLE, "Marking TSC unstable", "^tsc: Marking TSC unstable due to .+",
	  ex_tsc, NULL, true },

	/* arch/x86/kvm/lapic.c limit_periodic_timer_frequency(); "kvm: " is in
	 * the string in old kernels and KVM's pr_fmt in new ones. */
	{ EV_TIMER_CLAMP, "lapic timer period limited",
	  "^kvm: vcpu [0-9]+: requested [0-9]+ ns lapic timer period limited to ([0-9]+) ns$",
	  ex_timer_clamp, NULL, false },

	/* kernel/panic.c panic(); its closing "---[ end Kernel panic ..." line
	 * does not start the message and so is no second event. */
	{ EV_PANIC, "Kernel panic", "^Kernel panic - not syncing: ?(.*)$", ex_panic, NULL, false },
};

/* Lines that belong to the report after an event line. Leading whitespace
 * (stack frames, <IRQ> markers, rcu detail lines, "Not tainted" lines) is
 * checked separately. kind -1: after any event. */
static const struct report_form {
	int kind;
	const char *prefix;
} report_prefixes[] = {
	{ -1, "Modules linked in:" },
	{ -1, "CPU: " },
	{ -1, "Hardware name:" },
	{ -1, "Workqueue:" },
	{ -1, "Tainted: " },
	{ -1, "irq event stamp:" },
	{ -1, "hardirqs last" },
	{ -1, "softirqs last" },
	{ -1, "Call Trace:" },
	{ -1, "Call trace:" },
	{ -1, "---[ end trace" },
	{ -1, "---[ end Kernel panic" },
	{ -1, "Sending NMI from CPU" },
	{ -1, "NMI backtrace for cpu" },
	{ -1, "Kernel Offset:" },
	{ -1, "Shutting down cpus with NMI" },
	{ -1, "Rebooting in " },
	{ -1, "task:" },
	{ -1, "Task dump for CPU" },
	{ -1, "Stack:" },	/* x86 show_stack() raw words, up to 4.9 */
	{ EV_RCU_STALL, "rcu: " },
	{ EV_RCU_STALL, "RCU grace-period kthread stack dump:" },
	{ EV_RCU_STALL, "Stack dump where RCU GP kthread last ran:" },
	{ EV_RCU_STALL, "INFO: Stall ended before state dump start" },
	{ EV_RCU_STALL, "All QSes seen" },
	{ EV_HUNG_TASK, "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message." },
	{ EV_HUNG_TASK, "INFO: task " },	/* "... is blocked on a mutex likely owned by ..." */
	{ EV_HUNG_TASK, "Showing all locks held in the system:" },
	{ EV_HUNG_TASK, "Future hung task reports are suppressed" },
	{ EV_CLOCKSOURCE_UNSTABLE, "clocksource:  " },	/* indented detail lines */
	{ EV_CLOCKSOURCE_UNSTABLE, "clocksource: Checking clocksource" },
	{ EV_CLOCKSOURCE_UNSTABLE, "clocksource: Switched to clocksource" },
	{ EV_CLOCKSOURCE_UNSTABLE, "TSC found unstable after boot" },
	{ EV_CLOCKSOURCE_UNSTABLE, "sched_clock: Marking unstable" },
};

static const struct report_re {
	int kind;
	const char *re;
} report_res[] = {
	/* x86 register dump of show_regs() / __show_regs() */
	{ -1, "^(RIP|EIP|RSP|ESP|RAX|EAX|RBX|RCX|RDX|EDX|RSI|ESI|RDI|RBP|EBP|R08|R09|R10|R11|R12|"
	      "R13|R14|R15|FS|GS|CS|DS|CR0|CR2|DR0|DR3|DR6|PKRU|Code): " },
	/* arm64 register dump */
	{ -1, "^(pc|lr|sp|pstate) : |^x[0-9]+: " },
	/* sched_show_task() before 5.x: "%-15.15s %c%5lu %5d %6d 0x%08lx" */
	{ -1, "^.{15} [A-Z] .*[0-9]+ +[0-9]+ +[0-9]+ 0x[0-9a-f]{8,16}$" },
	/* 4.14 and older without "rcu: ": "rcu_sched kthread starved for ..." */
	{ EV_RCU_STALL, "^rcu_[a-z_]+ kthread (starved|timer wakeup)" },
	/* rcu_tasks holdout lines: "00000000c0ffee00: .. nvcsw: 2/2 holdout: 1 ..." */
	{ EV_RCU_STALL, "^[0-9a-f]{8,16}: " },
	/* lockdep after a hung task: "1 lock held by khungtaskd/35:" */
	{ EV_HUNG_TASK, "^[0-9]+ locks? held by |^=+$" },
};

/* Prefixes that come before the kernel's message. */
static const char *const prefix_res[] = {
	/* syslog / journalctl short: "Nov 25 12:00:01 host kernel: " */
	"^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)? [^ ]+ kernel: ",
	/* journalctl -o short-iso / rsyslog RFC 3339 */
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ [^ ]+ kernel: ",
	/* journalctl -o short-monotonic, after its "[ secs.usecs]": "host kernel: " */
	"^[^ :]+ kernel: ",
	/* dmesg -T: "[Tue Nov 25 12:00:01 2025] " */
	"^\\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\\] ?",
	/* /dev/kmsg dictionary line */
	"^ [A-Z][A-Z0-9_]*=",
};
enum { PFX_SYSLOG, PFX_ISO, PFX_MONO_HOST, PFX_DMESG_T, PFX_KMSG_DICT, PFX__COUNT };
_Static_assert(ARRAY_SIZE(prefix_res) == PFX__COUNT, "prefix_res incomplete");

static regex_t pattern_re[ARRAY_SIZE(patterns)];
static regex_t report_re_c[ARRAY_SIZE(report_res)];
static regex_t prefix_re_c[ARRAY_SIZE(prefix_res)];
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_one(regex_t *re, const char *src)
{
	int rc = regcomp(re, src, REG_EXTENDED);

	if (rc) {
		char buf[256];

		regerror(rc, re, buf, sizeof(buf));
		lm_err("classify: bad built-in pattern \"%s\": %s", src, buf);
		/* A static table that does not compile is a bug in this file,
		 * caught by its unit test; there is no way to run on without it. */
		abort();
	}
}

static void compile_all(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++)
		compile_one(&pattern_re[i], patterns[i].re);
	for (size_t i = 0; i < ARRAY_SIZE(report_res); i++)
		compile_one(&report_re_c[i], report_res[i].re);
	for (size_t i = 0; i < ARRAY_SIZE(prefix_res); i++)
		compile_one(&prefix_re_c[i], prefix_res[i]);
	compile_one(&rcu_cpu_re, "^(rcu: )?[[:space:]]*([0-9]+)-[^:[:space:]]{3,5}: \\(");
}

static void compile_patterns(void)
{
	pthread_once(&compile_once, compile_all);
}

/* ---- taking a line apart ---- */

struct lineinfo {
	char *buf;		/* cleaned copy of the line (owned) */
	const char *msg;	/* the kernel's message within buf */
	bool has_t;
	double t;
};

/* Copy a line without what a terminal would not show: ANSI escape
 * sequences, control characters other than tab, text a '\r' overwrote, and
 * the line end. */
static char *line_clean(const char *line)
{
	const char *p = line, *cr = NULL;
	size_t len = strlen(line);
	char *out, *o;

	for (const char *q = line; *q && *q != '\n'; q++) {
		/* "progress\r[ 1.0] msg": the terminal shows what follows '\r'. */
		if (*q == '\r' && q[1] && q[1] != '\r' && q[1] != '\n')
			cr = q;
	}
	if (cr)
		p = cr + 1;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	o = out;
	while (*p && *p != '\n') {
		unsigned char c = (unsigned char)*p;

		if (c == 0x1b) {
			p++;
			if (*p == '[') {
				/* CSI: parameters and intermediates, then a final byte */
				p++;
				while (*p && (unsigned char)*p >= 0x20 && (unsigned char)*p <= 0x3f)
					p++;
				if (*p >= 0x40 && *p <= 0x7e)
					p++;
			} else if (*p == ']') {
				/* OSC: up to BEL or ESC \ */
				while (*p && *p != '\a' && *p != 0x1b)
					p++;
				if (*p == '\a')
					p++;
				else if (*p == 0x1b && p[1] == '\\')
					p += 2;
			} else if (*p) {
				p++;
			}
			continue;
		}
		if (c < 0x20 && c != '\t') {
			p++;
			continue;
		}
		if (c == 0x7f) {
			p++;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	str_rtrim(out);
	return out;
}

/* Digits at *p as an integer of at most 18 digits; advances *p. */
static bool take_digits(const char **p, int64_t *v, int *ndigits)
{
	const char *s = *p;
	int64_t x = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9' && n < 18) {
		x = x * 10 + (*s - '0');
		s++;
		n++;
	}
	if (!n || (*s >= '0' && *s <= '9'))
		return false;
	*p = s;
	*v = x;
	if (ndigits)
		*ndigits = n;
	return true;
}

/* "[ 1234.567890]" at p: seconds and the end of the bracket. The value is
 * one correctly rounded division, equal to what a JSON parser reads back. */
static bool parse_timestamp(const char *p, double *t, const char **end)
{
	int64_t sec, frac, scale = 1;
	int nfrac;

	if (*p++ != '[')
		return false;
	while (*p == ' ')
		p++;
	if (!take_digits(&p, &sec, NULL) || *p++ != '.' || !take_digits(&p, &frac, &nfrac) ||
	    *p != ']' || nfrac > 9 || sec > INT64_C(1) << 32)
		return false;
	for (int i = 0; i < nfrac; i++)
		scale *= 10;
	*t = (double)(sec * scale + frac) / (double)scale;
	*end = p + 1;
	return true;
}

/* After the timestamp: one space, and a printk caller id "[T123]"/"[  C1]"
 * (CONFIG_PRINTK_CALLER) with its space. */
static const char *skip_after_timestamp(const char *p)
{
	const char *q = p;

	if (*q == '[') {
		q++;
		while (*q == ' ')
			q++;
		if (*q == 'T' || *q == 'C') {
			q++;
			if (*q >= '0' && *q <= '9') {
				while (*q >= '0' && *q <= '9')
					q++;
				if (*q == ']')
					p = q + 1;
			}
		}
	}
	if (*p == ' ')
		p++;
	return p;
}

/* /dev/kmsg record header "prio,seq,usec,flags[,...];": the time is the
 * third field, in microseconds. */
static bool parse_kmsg_header(const char *p, double *t, const char **end)
{
	int64_t v, usec;

	if (!take_digits(&p, &v, NULL) || *p++ != ',' || !take_digits(&p, &v, NULL) ||
	    *p++ != ',' || !take_digits(&p, &usec, NULL))
		return false;
	/* flags ("-", "c", "+") and optional fields such as "caller=T1" */
	if (*p == ',') {
		while (*p && *p != ';' && *p != ' ')
			p++;
	}
	if (*p != ';')
		return false;
	*t = (double)usec / 1e6;
	*end = p + 1;
	return true;
}

/* Find the kernel message in a log line. Returns false on allocation
 * failure only; li->buf must be freed by the caller. */
static bool line_parse(const char *line, struct lineinfo *li)
{
	regmatch_t m[1];
	const char *p, *end;

	compile_patterns();
	li->has_t = false;
	li->t = 0;
	li->buf = line_clean(line);
	if (!li->buf)
		return false;
	p = li->buf;
	/* syslog level "<4>" (also before the timestamp of /proc/kmsg lines) */
	if (*p == '<') {
		const char *q = p + 1;

		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == '>' && q > p + 1)
			p = q + 1;
	}
	/* a saved /dev/kmsg record's dictionary line (" SUBSYSTEM=pci"): no
	 * part of any message, not even of a report's trace */
	if (regexec(&prefix_re_c[PFX_KMSG_DICT], p, 1, m, 0) == 0) {
		li->msg = p + strlen(p);
		return true;
	}
	if (parse_kmsg_header(p, &li->t, &end)) {
		li->has_t = true;
		/* A saved record escapes tabs (RCU detail lines start with one). */
		(void)kmsg_unescape((char *)end, strlen(end) + 1, end);
		li->msg = end;
		return true;
	}
	if (regexec(&prefix_re_c[PFX_SYSLOG], p, 1, m, 0) == 0 ||
	    regexec(&prefix_re_c[PFX_ISO], p, 1, m, 0) == 0) {
		p += m[0].rm_eo;
		/* old syslogs keep the kernel's own timestamp after "kernel: " */
		if (parse_timestamp(p, &li->t, &end)) {
			li->has_t = true;
			p = skip_after_timestamp(end);
		}
		li->msg = p;
		return true;
	}
	if (regexec(&prefix_re_c[PFX_DMESG_T], p, 1, m, 0) == 0) {
		li->msg = p + m[0].rm_eo;
		return true;
	}
	/* The first "[ secs.usecs]" anywhere: console noise may precede it. */
	for (const char *q = strchr(p, '['); q; q = strchr(q + 1, '[')) {
		if (parse_timestamp(q, &li->t, &end)) {
			li->has_t = true;
			p = skip_after_timestamp(end);
			if (regexec(&prefix_re_c[PFX_MONO_HOST], p, 1, m, 0) == 0)
				p += m[0].rm_eo;
			break;
		}
	}
	li->msg = p;
	return true;
}

/* Match a message against the table; fills ev (trace NULL) on a match. */
static const struct pattern *match_msg(const struct lineinfo *li, struct event *ev)
{
	const char *msg = li->msg;

	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		const struct pattern *pt = &patterns[i];
		regmatch_t m[6];

		if (!strstr(msg, pt->needle))
			continue;
		if (regexec(&pattern_re[i], msg, ARRAY_SIZE(m), m, 0) != 0)
			continue;
		memset(ev, 0, sizeof(*ev));
		ev->kind = pt->kind;
		ev->cpu = -1;
		ev->has_t = li->has_t;
		ev->t = li->t;
		snprintf(ev->line, sizeof(ev->line), "%s", msg);
		if (!pt->extract(ev, msg, m))
			continue;
		return pt;
	}
	return NULL;
}

const char *event_kind_name(enum event_kind k)
{
	return (unsigned)k < EV__COUNT ? kinds[k].name : "?";
}

bool classify_line(const char *line, struct event *ev)
{
	struct lineinfo li;
	bool found;

	if (!line_parse(line, &li))
		return false;
	found = match_msg(&li, ev) != NULL;
	free(li.buf);
	return found;
}

void event_clear(struct event *ev)
{
	free(ev->trace);
	ev->trace = NULL;
}

/* ---- JSON ---- */

static json_t *trace_to_json(const char *trace)
{
	json_t *a = json_array();
	const char *p = trace;

	if (!a || !p)
		return a;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		json_array_append_new(a, text_jsonn(p, n));
		if (!nl)
			break;
		p = nl + 1;
	}
	return a;
}

json_t *event_to_json(const struct event *ev)
{
	unsigned f = (unsigned)ev->kind < EV__COUNT ? kinds[ev->kind].fields : 0;
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "kind", json_string(event_kind_name(ev->kind)));
	json_object_set_new(o, "cpu", ev->cpu >= 0 ? json_integer(ev->cpu) : json_null());
	json_object_set_new(o, "t", ev->has_t ? json_real(ev->t) : json_null());
	if (f & F_STUCK_S)
		json_object_set_new(o, "stuck_s", json_integer(ev->stuck_s));
	if (f & F_COMM)
		json_object_set_new(o, "comm", text_json(ev->comm));
	if (f & F_PID)
		json_object_set_new(o, "pid", json_integer(ev->pid));
	if (f & F_FLAVOR)
		json_object_set_new(o, "flavor", text_json(ev->flavor));
	if (f & F_NS)
		json_object_set_new(o, "ns", json_integer(ev->ns));
	if (f & F_HANDLER)
		json_object_set_new(o, "handler", text_json(ev->handler));
	if (f & F_MS)
		json_object_set_new(o, "ms", json_real(ev->ms));
	if (f & F_CLOCKSOURCE)
		json_object_set_new(o, "clocksource", text_json(ev->clocksource));
	if (f & F_REASON)
		json_object_set_new(o, "reason", text_json(ev->reason));
	json_object_set_new(o, "line", text_json(ev->line));
	json_object_set_new(o, "trace", trace_to_json(ev->trace));
	return o;
}

/* ---- streaming ---- */

struct classifier {
	event_cb cb;
	void *arg;
	bool pending;
	const struct pattern *row;	/* the pending event's row */
	struct event ev;
	char *trace;
	size_t trace_len, trace_cap;
	unsigned trace_lines;
	int64_t grew_ns;		/* when the pending event last grew */
};

struct classifier *classifier_new(event_cb cb, void *arg)
{
	struct classifier *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return NULL;
	compile_patterns();
	cl->cb = cb;
	cl->arg = arg;
	return cl;
}

/* Is msg part of the report printed after an event of kind k? */
static bool is_report_line(const char *msg, enum event_kind k)
{
	if (msg[0] == ' ' || msg[0] == '\t')
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(report_prefixes); i++) {
		const struct report_form *r = &report_prefixes[i];

		if ((r->kind < 0 || r->kind == (int)k) &&
		    !strncmp(msg, r->prefix, strlen(r->prefix)))
			return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(report_res); i++) {
		if ((report_res[i].kind < 0 || report_res[i].kind == (int)k) &&
		    regexec(&report_re_c[i], msg, 0, NULL, 0) == 0)
			return true;
	}
	return false;
}

/* Hand the pending event to the callback and forget it. */
static void classifier_emit(struct classifier *cl)
{
	if (!cl->pending)
		return;
	cl->ev.trace = cl->trace_lines ? cl->trace : NULL;
	cl->cb(&cl->ev, cl->arg);
	cl->ev.trace = NULL;
	free(cl->trace);
	cl->trace = NULL;
	cl->trace_len = cl->trace_cap = 0;
	cl->trace_lines = 0;
	cl->pending = false;
	cl->row = NULL;
}

/* Add a line to the pending event's trace; at the limit the event is
 * complete. A line that cannot be stored (no memory) is dropped: the event
 * itself matters more than its trace. */
static void classifier_append(struct classifier *cl, const char *msg)
{
	size_t n = strlen(msg), need = cl->trace_len + n + 2;

	if (need > cl->trace_cap) {
		size_t cap = cl->trace_cap ? cl->trace_cap : 1024;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(cl->trace, cap);
		if (!p)
			return;
		cl->trace = p;
		cl->trace_cap = cap;
	}
	if (cl->trace_lines)
		cl->trace[cl->trace_len++] = '\n';
	memcpy(cl->trace + cl->trace_len, msg, n + 1);
	cl->trace_len += n;
	cl->trace_lines++;
	cl->grew_ns = now_ns();
	if (cl->row->on_trace)
		cl->row->on_trace(&cl->ev, msg);
	if (cl->trace_lines >= TRACE_MAX_LINES)
		classifier_emit(cl);
}

void classifier_feed(struct classifier *cl, const char *line)
{
	struct lineinfo li;
	struct event ev;
	const struct pattern *row;

	if (!line_parse(line, &li))
		return;
	/* Blank lines (a console's "\r\n" echo) neither extend nor end a report. */
	if (!li.msg[0])
		goto out;
	row = match_msg(&li, &ev);
	if (row) {
		if (row->joins && cl->pending && cl->ev.kind == row->kind) {
			classifier_append(cl, li.msg);
			goto out;
		}
		classifier_emit(cl);
		cl->ev = ev;
		cl->row = row;
		cl->pending = true;
		cl->grew_ns = now_ns();
		goto out;
	}
	if (cl->pending) {
		if (is_report_line(li.msg, cl->ev.kind))
			classifier_append(cl, li.msg);
		else
			classifier_emit(cl);
	}
out:
	free(li.buf);
}

void classifier_flush(struct classifier *cl)
{
	classifier_emit(cl);
}

int64_t classifier_pending_age(const struct classifier *cl, int64_t now)
{
	if (!cl->pending)
		return -1;
	return now > cl->grew_ns ? now - cl->grew_ns : 0;
}

void classifier_free(struct classifier *cl)
{
	if (!cl)
		return;
	free(cl->trace);
	free(cl);
}
