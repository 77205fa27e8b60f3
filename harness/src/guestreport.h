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

/* The banner tickguest prints once, before the first report; a Linux guest
 * (guests/linux/init.sh) prints the same keys after "linuxguest", and the
 * tick device it checked. */
struct tick_banner {
	char guest[12];		/* its first word: tickguest|linuxguest */
	uint64_t period_us;
	char timer[16];		/* periodic|oneshot|tscdeadline */
	char idle[8];		/* hlt|busy */
	uint64_t report_ms;
	uint64_t tsc_khz;
	char calib[16];		/* how the TSC was calibrated: pit, cpuid... */
	/* Linux guests only ("" and 0 for tickguest): each cpu's tick device
	 * from /proc/timer_list, "lapic" in "periodic" mode, and CONFIG_HZ. */
	char clockevent[24];
	char tick_mode[12];
	uint64_t hz;
};
/* Metrics of one guest over a window: the report current when the window
 * opened is the base; deltas are taken against it. Times are the harness's
 * monotonic clock (ns) when a line was read: a guest that reports nothing
 * for a while says nothing about that time, so the harness has to time it.
 *
 * Silence: the counters of a report cover the guest's time back to the
 * report before it (they come from its TSC), so a late report in the middle
 * of the window loses nothing. What no report covers is the time from the
 * window's opening to the base, when the base came inside the window (no
 * report before it), and from the last report to the close. Each of these
 * that is longer than GUEST_SILENCE_REPORTS report intervals is silent
 * time: it counts as expected ticks (silent time / period), all of them
 * lost. A guest with no report in the window was silent for all of it.
 * A base far older than the window (or a last report read well after it)
 * counts for the part of its span inside the window only. */
#define GUEST_SILENCE_REPORTS 2

struct guest_metrics {
	bool banner_seen;
	struct tick_banner banner;
	int64_t banner_ns;	/* when the banner was read */
	bool have_base, have_last;
	struct tick_report base, last;
	int64_t base_ns, last_ns;	/* when base and last were read */
	uint64_t maxgap_us;	/* max of maxgap_us over reports inside the window */
	unsigned nreports;	/* reports inside the window */
	bool window_open;
	bool window_closed;	/* guest_metrics_close() was called */
	int64_t open_ns, close_ns;
	int64_t period_ns;	/* the guest's timer period, as asked of it */
	int64_t report_ns;	/* its report interval, as asked of it */
	char error[128];	/* a guest "error ..." line, if any */
	/* its latest report, window or not (the cell's per-second samples) */
	bool have_latest;
	struct tick_report latest;
};

/* 0 if line is a report (r filled), -EINVAL otherwise. */
int tick_report_parse(const char *line, struct tick_report *r);
/* 0 if line is the banner, -EINVAL otherwise. */
int tick_banner_parse(const char *line, struct tick_banner *b);

/* Feed one line of guest output, read at now_ns. */
void guest_metrics_feed(struct guest_metrics *m, const char *line, int64_t now_ns);
/* Open the observation window at now_ns: later reports count against the
 * latest one. period_ns and report_ns are what the guest was asked for
 * (> 0); they time its silences. */
void guest_metrics_open(struct guest_metrics *m, int64_t now_ns, int64_t period_ns,
			int64_t report_ns);
/* Freeze the window at now_ns: later lines are ignored. */
void guest_metrics_close(struct guest_metrics *m, int64_t now_ns);
/* Silent time in the window (see above); 0 until the window is closed. */
int64_t guest_metrics_silent_ns(const struct guest_metrics *m);
/* Ticks received / expected (the reports' own, plus those of the silent
 * time) / lost (expected - received, >= 0) in the window, and the loss in
 * hundredths of a percent of expected. */
uint64_t guest_metrics_ticks(const struct guest_metrics *m);
uint64_t guest_metrics_expected(const struct guest_metrics *m);
uint64_t guest_metrics_lost(const struct guest_metrics *m);
int64_t guest_metrics_loss_bp(const struct guest_metrics *m);
uint64_t guest_metrics_late(const struct guest_metrics *m);
/* Ticks received per second of the harness's clock over the time the
 * counters cover (base to last report as read, the part inside the window
 * when they stick out of it): a Linux guest's LOC rate. 0 when the window
 * has no report after its base. */
double guest_metrics_tick_rate(const struct guest_metrics *m);

#endif
