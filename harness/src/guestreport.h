/* SPDX-License-Identifier: GPL-2.0 */
/* tickguest's report lines (format: guests/tickguest/README.md) and the per-guest
 * metrics the harness derives from them over a cell's observation window. */
#ifndef LOCKMAP_GUESTREPORT_H
#define LOCKMAP_GUESTREPORT_H

#include <stdbool.h>
#include <stdint.h>

/* One report line. Counters are cumulative since the guest armed its timer. */
struct tick_report {
	uint64_t seq;
	uint64_t ticks;		/* timer interrupts received */
	uint64_t expected;	/* ticks expected from TSC time */
	uint64_t maxgap_us;	/* largest gap between ticks in this interval */
	uint64_t late;		/* ticks that came later than 2 periods */
};

/* The banner tickguest prints once, before the first report. */
struct tick_banner {
	uint64_t period_us;
	char timer[16];		/* periodic|oneshot|tscdeadline */
	char idle[8];		/* hlt|busy */
	uint64_t report_ms;
	uint64_t tsc_khz;
	char calib[16];		/* how the TSC was calibrated: pit, cpuid... */
};

/* Metrics of one guest over a window: the report current when the window
 * opened is the base; deltas are taken against it. */
struct guest_metrics {
	bool banner_seen;
	struct tick_banner banner;
	bool have_base, have_last;
	struct tick_report base, last;
	uint64_t maxgap_us;	/* max of maxgap_us over reports inside the window */
	unsigned nreports;	/* reports inside the window */
	bool window_open;
	bool window_closed;	/* guest_metrics_close() was called */
	char error[128];	/* a guest "error ..." line, if any */
};

/* 0 if line is a report (r filled), -EINVAL otherwise. */
int tick_report_parse(const char *line, struct tick_report *r);
/* 0 if line is the banner, -EINVAL otherwise. */
int tick_banner_parse(const char *line, struct tick_banner *b);

/* Feed one line of guest output. */
void guest_metrics_feed(struct guest_metrics *m, const char *line);
/* Open the observation window: later reports count against the latest one. */
void guest_metrics_open(struct guest_metrics *m);
/* Freeze the window: later lines are ignored. */
void guest_metrics_close(struct guest_metrics *m);
/* Ticks received / expected / lost (expected - received, >= 0) in the window,
 * and the loss in hundredths of a percent of expected. */
uint64_t guest_metrics_ticks(const struct guest_metrics *m);
uint64_t guest_metrics_expected(const struct guest_metrics *m);
uint64_t guest_metrics_lost(const struct guest_metrics *m);
int64_t guest_metrics_loss_bp(const struct guest_metrics *m);
uint64_t guest_metrics_late(const struct guest_metrics *m);

#endif
