// SPDX-License-Identifier: GPL-2.0
/* The cell's watchers in the helper module: buddy detector and probe. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmodctl.h"
#include "ksyms.h"
#include "lockmap.h"
#include "monitor.h"

struct monitor {
	int fd;				/* -1: nothing runs */
	uint32_t active;		/* LOCKMAP_ACT_BUDDY / _PROBE */
	struct lockmap_buddy buddy;
	char probe_note[600];		/* why the probe does not run */
	char buddy_note[600];
	int64_t window_start, window_ns;
	struct lockmap_stats window;	/* stats at the end of the window */
	bool have_window;
	/* Samples take the probe's maxima (STATS_TAKE): the window's are
	 * kept here, from its opening to its close. */
	bool in_window;
	uint64_t win_chain[LOCKMAP_MAX_CPUS], win_lag_ns[LOCKMAP_MAX_CPUS];
	uint64_t win_irq_ns[LOCKMAP_MAX_CPUS];
};

/* The kernel's own hard-lockup detector needs the perf NMI watchdog, which
 * needs a PMU: TCG lab hosts have none. */
static bool monitor_kernel_nmi_watchdog(void)
{
	char v[16] = "";

	(void)read_file_str("/proc/sys/kernel/nmi_watchdog", v, sizeof(v));
	return !strcmp(v, "1") && access("/sys/bus/event_source/devices/cpu", F_OK) == 0;
}

static int monitor_start_buddy(struct monitor *m, const struct cell *c, bool required,
			       char *err, size_t len)
{
	int64_t thresh = cell_num(c, "monitor", "buddy_thresh");
	char v[16] = "10";
	int rc;

	if (!thresh) {
		(void)read_file_str("/proc/sys/kernel/watchdog_thresh", v, sizeof(v));
		thresh = atoll(v) * NSEC_PER_SEC;
		if (thresh <= 0)
			thresh = 10 * NSEC_PER_SEC;
	}
	m->buddy.cpumask = 0;	/* all online cpus */
	m->buddy.thresh_ms = (uint32_t)(thresh / NSEC_PER_MSEC);
	/* A few heartbeats per threshold: a stall is seen within 25% of it. */
	m->buddy.period_ms = m->buddy.thresh_ms / 4 ? m->buddy.thresh_ms / 4 : 1;
	if (m->buddy.period_ms > 1000)
		m->buddy.period_ms = 1000;
	rc = kmodctl_ioctl(m->fd, LOCKMAP_IOC_BUDDY_START, &m->buddy);
	if (rc == 0) {
		m->active |= LOCKMAP_ACT_BUDDY;
		return 0;
	}
	snprintf(m->buddy_note, sizeof(m->buddy_note), "buddy detector: %s", strerror(-rc));
	if (required)
		snprintf(err, len, "monitor.buddy = on: %s", m->buddy_note);
	return required ? rc : 0;
}

/* The probe compares hrtimer callbacks with apic_timer_fn, which is static in
 * kvm.ko: its address comes from /proc/kallsyms (absent: kvm not loaded). */
static int monitor_start_probe(struct monitor *m, const char *mode, char *err, size_t len)
{
	struct lockmap_probe req = { .flags = !strcmp(mode, "timed") ? LOCKMAP_PROBE_TIME : 0 };
	bool required = strcmp(mode, "auto") != 0;
	uint64_t fn = 0;
	int rc = ksyms_lookup("/proc/kallsyms", "apic_timer_fn", &fn);

	req.fn_addr = fn;
	if (rc == -EPERM) {
		snprintf(m->probe_note, sizeof(m->probe_note),
			 "/proc/kallsyms shows apic_timer_fn at 0 (hidden by kernel.kptr_restrict = 2); set kernel.kptr_restrict = 1");
	} else if (rc && rc != -ENOENT) {
		snprintf(m->probe_note, sizeof(m->probe_note), "cannot read /proc/kallsyms: %s",
			 strerror(-rc));
	} else {
		/* fn_addr 0 (kvm not loaded): the module answers -ENOENT */
		rc = kmodctl_ioctl(m->fd, LOCKMAP_IOC_PROBE_START, &req);
		if (rc == 0) {
			m->active |= LOCKMAP_ACT_PROBE;
			return 0;
		}
		snprintf(m->probe_note, sizeof(m->probe_note), "%s",
			 rc == -ENOENT ? "apic_timer_fn not found: kvm is not loaded"
				       : strerror(-rc));
	}
	if (required)
		snprintf(err, len, "monitor.probe = %s: %s", mode, m->probe_note);
	return required ? rc : 0;
}

int monitor_start(const struct cell *c, struct monitor **out, char *err, size_t len)
{
	const char *buddy = cell_str(c, "monitor", "buddy");
	const char *probe = cell_str(c, "monitor", "probe");
	bool want_buddy = !strcmp(buddy, "on") ||
			  (!strcmp(buddy, "auto") && !monitor_kernel_nmi_watchdog());
	bool want_probe = strcmp(probe, "off") != 0;
	bool required = !strcmp(buddy, "on") || !strcmp(probe, "on") || !strcmp(probe, "timed");
	struct monitor *m = calloc(1, sizeof(*m));
	char why[512];
	int rc = 0;

	if (!m)
		return -ENOMEM;
	m->fd = -1;
	*out = m;
	if (!want_buddy && !want_probe)
		return 0;
	if (!required && kmodctl_available(why, sizeof(why)) < 0) {
		snprintf(m->probe_note, sizeof(m->probe_note), "%s", why);
		return 0;
	}
	m->fd = kmodctl_open(why, sizeof(why));
	if (m->fd < 0) {
		rc = m->fd;
		snprintf(m->probe_note, sizeof(m->probe_note), "%s", why);
		if (required)
			snprintf(err, len, "[monitor] needs the helper module: %s", why);
		return required ? rc : 0;
	}
	if (want_buddy)
		rc = monitor_start_buddy(m, c, !strcmp(buddy, "on"), err, len);
	if (!rc && want_probe)
		rc = monitor_start_probe(m, probe, err, len);
	return rc;
}

void monitor_window_open(struct monitor *m)
{
	if (!m || m->fd < 0)
		return;
	/* Probe figures of the window only; the buddy detector keeps running. */
	(void)kmodctl_ioctl(m->fd, LOCKMAP_IOC_RESET, NULL);
	m->window_start = now_ns();
	memset(m->win_chain, 0, sizeof(m->win_chain));
	memset(m->win_lag_ns, 0, sizeof(m->win_lag_ns));
	memset(m->win_irq_ns, 0, sizeof(m->win_irq_ns));
	m->in_window = true;
}

/* Keep the window's maxima of statistics whose maxima were taken. */
static void monitor_keep_maxima(struct monitor *m, const struct lockmap_stats *st)
{
	for (unsigned i = 0; i < st->nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
		if (st->cpu[i].probe_max_chain > m->win_chain[i])
			m->win_chain[i] = st->cpu[i].probe_max_chain;
		if (st->cpu[i].probe_lag_max_ns > m->win_lag_ns[i])
			m->win_lag_ns[i] = st->cpu[i].probe_lag_max_ns;
		if (st->cpu[i].probe_irq_max_ns > m->win_irq_ns[i])
			m->win_irq_ns[i] = st->cpu[i].probe_irq_max_ns;
	}
}

int monitor_sample(struct monitor *m, struct lockmap_stats *st)
{
	int rc;

	if (!m || m->fd < 0 || !(m->active & LOCKMAP_ACT_PROBE))
		return -ENODEV;
	memset(st, 0, sizeof(*st));
	rc = kmodctl_ioctl(m->fd, LOCKMAP_IOC_STATS_TAKE, st);
	if (rc == 0 && m->in_window)
		monitor_keep_maxima(m, st);
	return rc;
}

void monitor_window_close(struct monitor *m, struct probe_summary *ps)
{
	memset(ps, 0, sizeof(*ps));
	if (!m || m->fd < 0 || !(m->active & LOCKMAP_ACT_PROBE) || !m->window_start)
		return;
	if (kmodctl_stats(m->fd, &m->window) < 0)
		return;
	/* The maxima since the last sample, and those the samples took. */
	monitor_keep_maxima(m, &m->window);
	m->in_window = false;
	for (unsigned i = 0; i < m->window.nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
		m->window.cpu[i].probe_max_chain = m->win_chain[i];
		m->window.cpu[i].probe_lag_max_ns = m->win_lag_ns[i];
		m->window.cpu[i].probe_irq_max_ns = m->win_irq_ns[i];
	}
	m->have_window = true;
	m->window_ns = now_ns() - m->window_start;
	ps->ran = true;
	ps->irq_known = true;
	for (unsigned i = 0; i < m->window.nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
		const struct lockmap_cpu_stats *cs = &m->window.cpu[i];

		ps->calls_per_s += (double)cs->probe_calls * 1e9 / (double)m->window_ns;
		if (cs->probe_max_chain > ps->max_chain)
			ps->max_chain = cs->probe_max_chain;
		if (cs->probe_lag_max_ns / 1000 > ps->max_lag_us)
			ps->max_lag_us = cs->probe_lag_max_ns / 1000;
		if (cs->probe_irq_max_ns / 1000 > ps->max_irq_us)
			ps->max_irq_us = cs->probe_irq_max_ns / 1000;
	}
}

/* What the probe's handlers cost this cpu per apic_timer_fn call, in ns: the
 * call's own handler, plus its share of the handlers run for every timer
 * interrupt and every other hrtimer callback (costs timed by the module). */
double monitor_probe_cost_ns(const struct lockmap_stats *s, const struct lockmap_cpu_stats *cs)
{
	double calls = (double)cs->probe_calls;

	if (!calls)
		return 0;
	return ((double)s->probe_cost_call_ps +
		(double)s->probe_cost_irq_ps * (double)cs->probe_timer_irqs / calls +
		(double)s->probe_cost_other_ps * (double)cs->probe_other_expiries / calls) / 1000.0;
}

/* Per-cpu probe figures of the window. */
static json_t *monitor_probe_json(const struct monitor *m)
{
	json_t *cpus = json_object();
	double win_s = (double)m->window_ns / 1e9;

	for (unsigned i = 0; i < m->window.nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
		const struct lockmap_cpu_stats *cs = &m->window.cpu[i];
		json_t *o;
		char k[16];

		if (!cs->probe_calls)
			continue;
		snprintf(k, sizeof(k), "%u", i);
		o = json_pack("{s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
			      "calls", (json_int_t)cs->probe_calls,
			      "calls_per_s", (double)cs->probe_calls / win_s,
			      "hrtimer_irqs", (json_int_t)cs->probe_hrtimer_irqs,
			      "timer_irqs", (json_int_t)cs->probe_timer_irqs,
			      "max_chain", (json_int_t)cs->probe_max_chain,
			      "max_lag_us", (json_int_t)(cs->probe_lag_max_ns / 1000),
			      "max_irq_us", (json_int_t)(cs->probe_irq_max_ns / 1000),
			      "avg_lag_us", (json_int_t)(cs->probe_lag_total_ns / cs->probe_calls / 1000),
			      "cost_ns_per_call", monitor_probe_cost_ns(&m->window, cs));
		/* [monitor] probe = timed: the call's own cost and the share of
		 * the cpu spent in timer interrupts */
		if (o && cs->probe_fn_timed) {
			json_object_set_new(o, "fn_ns_avg", json_real((double)cs->probe_fn_ns_total /
								 (double)cs->probe_fn_timed));
			json_object_set_new(o, "timer_irq_ms_per_s",
					    json_real((double)cs->probe_irq_ns_total / 1e6 / win_s));
		}
		json_object_set_new(cpus, k, o);
	}
	return cpus;
}

void monitor_stop(struct monitor *m, json_t *out)
{
	struct lockmap_stats st;

	if (!m)
		return;
	if (m->fd >= 0) {
		(void)kmodctl_stop(m->fd, LOCKMAP_ACT_ALL);
		if (m->active & LOCKMAP_ACT_BUDDY) {
			json_t *rep = json_object();

			if (kmodctl_stats(m->fd, &st) == 0) {
				for (unsigned i = 0; i < st.nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
					char k[16];

					if (!st.cpu[i].buddy_reports)
						continue;
					snprintf(k, sizeof(k), "%u", i);
					json_object_set_new(rep, k, json_integer((json_int_t)
										 st.cpu[i].buddy_reports));
				}
			}
			json_object_set_new(out, "buddy", json_pack("{s:i, s:i, s:o}", "thresh_ms",
					    (int)m->buddy.thresh_ms, "period_ms",
					    (int)m->buddy.period_ms, "reports", rep));
		}
		close(m->fd);
	}
	if (m->buddy_note[0])
		json_object_set_new(out, "buddy_note", json_string(m->buddy_note));
	if (m->have_window)
		json_object_set_new(out, "probe", monitor_probe_json(m));
	else if (m->probe_note[0])
		json_object_set_new(out, "probe_note", json_string(m->probe_note));
	free(m);
}
