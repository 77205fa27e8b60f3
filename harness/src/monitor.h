/* SPDX-License-Identifier: GPL-2.0 */
/* What a cell watches through the helper module: the buddy hard-lockup
 * detector (for hosts whose perf NMI watchdog cannot run) and the
 * apic_timer_fn probe (KVM's periodic-timer catch-up, measured per cpu). */
#ifndef LOCKMAP_MONITOR_H
#define LOCKMAP_MONITOR_H

#include <jansson.h>

#include "grid.h"
#include "lockmap_uapi.h"

struct monitor;

/* Probe figures of the observation window, over all cpus. */
struct probe_summary {
	bool ran;
	double calls_per_s;		/* apic_timer_fn calls per second */
	uint64_t max_chain;		/* most calls in one hrtimer interrupt */
	uint64_t max_lag_us;		/* worst lag behind the hrtimer's expiry */
	uint64_t max_irq_us;		/* longest local timer interrupt, */
	bool irq_known;			/* which journals before uAPI 4 lack */
};

/* Start what the cell's [monitor] asks for. No module and "auto": *out is a
 * monitor that does nothing. Returns -errno (err says why) when "on" was asked
 * and cannot be had. */
int monitor_start(const struct cell *c, struct monitor **out, char *err, size_t len);
/* The observation window starts: probe figures count from here. */
void monitor_window_open(struct monitor *m);
/* The probe's statistics for a per-second sample (sample.h), its maxima
 * taken: they are the interval's. -ENODEV when the probe does not run. The
 * window's figures keep the maxima taken. */
int monitor_sample(struct monitor *m, struct lockmap_stats *st);
/* The window ends: take the probe's figures. */
void monitor_window_close(struct monitor *m, struct probe_summary *ps);
/* The probe handlers' cost per apic_timer_fn call on one cpu, in ns. */
double monitor_probe_cost_ns(const struct lockmap_stats *s, const struct lockmap_cpu_stats *cs);
/* Stop everything, describe it into out, free. NULL is a no-op. */
void monitor_stop(struct monitor *m, json_t *out);

#endif
