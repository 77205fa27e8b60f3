// SPDX-License-Identifier: GPL-2.0
/* tickguest report and banner parsing, and the window arithmetic of
 * guest_metrics (guestreport.c). */
#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "guestreport.h"

#define BANNER                                                                                     \
	"tickguest period_us=1000 timer=periodic idle=hlt report_ms=1000 "                         \
	"tsc_khz=2994000 calib=pit vector=64"

static void report_good(void **state)
{
	struct tick_report r;

	(void)state;
	assert_int_equal(
	    tick_report_parse("tick seq=3 ticks=2990 expected=3000 maxgap_us=1777 late=2", &r), 0);
	assert_int_equal(r.seq, 3);
	assert_int_equal(r.ticks, 2990);
	assert_int_equal(r.expected, 3000);
	assert_int_equal(r.maxgap_us, 1777);
	assert_int_equal(r.late, 2);
}

/* Consoles add "\r\n"; newer guests may add keys; order does not matter. */
static void report_tolerated(void **state)
{
	struct tick_report r;

	(void)state;
	assert_int_equal(
	    tick_report_parse("tick seq=1 ticks=5 expected=6 maxgap_us=7 late=8\r", &r), 0);
	assert_int_equal(r.late, 8);
	assert_int_equal(
	    tick_report_parse("tick seq=1 ticks=5 expected=6 maxgap_us=7 late=9\r\n", &r), 0);
	assert_int_equal(r.late, 9);
	assert_int_equal(
	    tick_report_parse("tick late=1 cpu=0 seq=2 maxgap_us=3 expected=4 ticks=5 lag_ns=77",
			      &r),
	    0);
	assert_int_equal(r.seq, 2);
	assert_int_equal(r.ticks, 5);
	assert_int_equal(r.expected, 4);
	assert_int_equal(r.maxgap_us, 3);
	assert_int_equal(r.late, 1);
	assert_int_equal(
	    tick_report_parse("  tick\tseq=1  ticks=2 expected=3\tmaxgap_us=4 late=5  ", &r), 0);
	assert_int_equal(r.late, 5);
	assert_int_equal(
	    tick_report_parse("tick seq=18446744073709551615 ticks=0 expected=0 maxgap_us=0 late=0",
			      &r),
	    0);
	assert_true(r.seq == UINT64_MAX);
}

static void report_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "tick",
	    "tick\r\n",
	    "tick seq=1 ticks=2 expected=3 maxgap_us=4",	 /* late missing */
	    "tick seq=1 ticks=2 expected=3 maxgap_us=4 late=",	 /* empty */
	    "tick seq=1 ticks=2 expected=3 maxgap_us=4 late=-1", /* sign */
	    "tick seq=1 ticks=+2 expected=3 maxgap_us=4 late=5",
	    "tick seq=1 ticks=2x expected=3 maxgap_us=4 late=5",
	    "tick seq=1 ticks=0x10 expected=3 maxgap_us=4 late=5",
	    "tick seq=1 ticks=2.5 expected=3 maxgap_us=4 late=5",
	    "tick seq=18446744073709551616 ticks=2 expected=3 maxgap_us=4 late=5", /* 2^64 */
	    "tick seq=99999999999999999999 ticks=2 expected=3 maxgap_us=4 late=5",
	    "tick seq=1 ticks=2 ticks=2 expected=3 maxgap_us=4 late=5", /* twice */
	    "tick seq=1 ticks=2 expected=3 maxgap_us=4 late=5 garbage", /* not key=value */
	    "tick seq=1 ticks=2 expected=3 maxgap_us=4 late=5 =7",	/* empty key */
	    "ticks seq=1 ticks=2 expected=3 maxgap_us=4 late=5",	/* other word */
	    "xtick seq=1 ticks=2 expected=3 maxgap_us=4 late=5",
	    "tickseq=1 ticks=2 expected=3 maxgap_us=4 late=5",
	    "tick seq=1 ticks=2 expected=3 maxgap_us=4 late=5\r5", /* cut by a \r */
	    BANNER,
	};
	struct tick_report r = {.seq = 42};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tick_report_parse(bad[i], &r) != -EINVAL)
			fail_msg("accepted malformed report #%zu: \"%s\"", i, bad[i]);
	}
	assert_int_equal(r.seq, 42); /* untouched by failed parses */
}

static void banner_good(void **state)
{
	struct tick_banner b;

	(void)state;
	assert_int_equal(tick_banner_parse(BANNER "\r\n", &b), 0);
	assert_int_equal(b.period_us, 1000);
	assert_string_equal(b.timer, "periodic");
	assert_string_equal(b.idle, "hlt");
	assert_int_equal(b.report_ms, 1000);
	assert_int_equal(b.tsc_khz, 2994000);
	assert_string_equal(b.calib, "pit");
	assert_int_equal(tick_banner_parse("tickguest period_us=200 timer=tscdeadline idle=busy "
					   "report_ms=500 tsc_khz=2096000 calib=cpuid15 vector=64 "
					   "apic_khz=1000000 duration_s=5",
					   &b),
			 0);
	assert_int_equal(b.period_us, 200);
	assert_string_equal(b.timer, "tscdeadline");
	assert_string_equal(b.idle, "busy");
	assert_string_equal(b.calib, "cpuid15");
}

/* A Linux guest's banner (guests/linux/init.sh): tickguest's keys after
 * "linuxguest", and the tick device it checked. */
static void banner_linux(void **state)
{
	struct tick_banner b;

	(void)state;
	assert_int_equal(tick_banner_parse("linuxguest period_us=4000 timer=periodic idle=kernel "
					   "report_ms=1000 tsc_khz=2297360 calib=cpuinfo "
					   "clockevent=lapic tick_mode=periodic hz=250 cpus=1 "
					   "kernel=6.1.0-50-amd64\r\n", &b), 0);
	assert_string_equal(b.guest, "linuxguest");
	assert_int_equal(b.period_us, 4000);
	assert_string_equal(b.timer, "periodic");
	assert_string_equal(b.idle, "kernel");
	assert_string_equal(b.clockevent, "lapic");
	assert_string_equal(b.tick_mode, "periodic");
	assert_int_equal(b.hz, 250);
	/* tickguest's banner has none of them. */
	assert_int_equal(tick_banner_parse(BANNER, &b), 0);
	assert_string_equal(b.guest, "tickguest");
	assert_string_equal(b.clockevent, "");
	assert_int_equal(b.hz, 0);
	/* The Linux keys are held to their forms too. */
	assert_int_equal(tick_banner_parse("linuxguest period_us=4000 timer=periodic idle=kernel "
					   "report_ms=1000 tsc_khz=1 calib=cpuinfo hz=250Hz", &b),
			 -EINVAL);
	assert_int_equal(tick_banner_parse("linuxguest period_us=4000 timer=periodic idle=kernel "
					   "report_ms=1000 tsc_khz=1 calib=cpuinfo clockevent=", &b),
			 -EINVAL);
	assert_int_equal(tick_banner_parse("linuxguests period_us=4000 timer=periodic idle=kernel "
					   "report_ms=1000 tsc_khz=1 calib=cpuinfo", &b), -EINVAL);
}

static void banner_malformed(void **state)
{
	static const char *const bad[] = {
	    "tickguest",
	    "tickguest period_us=1000 timer=periodic idle=hlt report_ms=1000 tsc_khz=2994000",
	    "tickguest period_us=1k timer=periodic idle=hlt report_ms=1000 tsc_khz=2994000 "
	    "calib=pit",
	    "tickguest period_us=1000 timer= idle=hlt report_ms=1000 tsc_khz=2994000 calib=pit",
	    "tickguest period_us=1000 timer=periodic-but-much-too-long idle=hlt report_ms=1000 "
	    "tsc_khz=2994000 calib=pit",
	    "tickguest period_us=1000 timer=periodic idle=hlt-or-busy report_ms=1000 tsc_khz=1 "
	    "calib=pit",
	    "tickguest period_us=1000 period_us=2 timer=periodic idle=hlt report_ms=1000 "
	    "tsc_khz=2994000 calib=pit",
	    "tickguest: period_us=1000 timer=periodic idle=hlt report_ms=1000 tsc_khz=2994000 "
	    "calib=pit",
	    "tick seq=1 ticks=2 expected=3 maxgap_us=4 late=5",
	};
	struct tick_banner b;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tick_banner_parse(bad[i], &b) != -EINVAL)
			fail_msg("accepted malformed banner #%zu: \"%s\"", i, bad[i]);
	}
}

#define MS (1000LL * 1000)
#define SEC (1000 * MS)
/* The window tests' guests: 1 ms period, a report a second. */
#define PERIOD MS
#define REPORT SEC

/* A report read at t ns. */
static void feed_report(struct guest_metrics *m, int64_t t, unsigned seq, unsigned ticks,
			unsigned expected, unsigned maxgap, unsigned late)
{
	char line[160];

	snprintf(line, sizeof(line), "tick seq=%u ticks=%u expected=%u maxgap_us=%u late=%u\n", seq,
		 ticks, expected, maxgap, late);
	guest_metrics_feed(m, line, t);
}

/* The report current at open is the base; reports after close are ignored;
 * maxgap covers only reports inside the window. */
static void window_base_before_open(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, BANNER "\n", 1 * SEC);
	feed_report(&m, 2 * SEC, 1, 1000, 1000, 9000, 0);
	feed_report(&m, 3 * SEC, 2, 2000, 2000, 1100, 0); /* the base */
	guest_metrics_open(&m, 3 * SEC + 500 * MS, PERIOD, REPORT);
	feed_report(&m, 4 * SEC, 3, 3000, 3000, 1200, 0);
	feed_report(&m, 5 * SEC, 4, 4000, 4000, 1300, 0);
	guest_metrics_close(&m, 5 * SEC + 500 * MS);
	feed_report(&m, 6 * SEC, 5, 4000, 5000, 99000, 7); /* after close */
	guest_metrics_open(&m, 6 * SEC, PERIOD, REPORT);    /* no reopening */
	feed_report(&m, 7 * SEC, 6, 4000, 6000, 99000, 9);

	assert_true(m.banner_seen);
	assert_int_equal(m.banner_ns, 1 * SEC);
	assert_int_equal(m.banner.tsc_khz, 2994000);
	assert_int_equal(m.base.seq, 2);
	assert_int_equal(m.last.seq, 4);
	assert_int_equal(m.nreports, 2);
	assert_int_equal(m.maxgap_us, 1300);
	assert_int_equal(guest_metrics_silent_ns(&m), 0);
	assert_int_equal(guest_metrics_ticks(&m), 2000);
	assert_int_equal(guest_metrics_expected(&m), 2000);
	assert_int_equal(guest_metrics_lost(&m), 0);
	assert_int_equal(guest_metrics_loss_bp(&m), 0);
	assert_int_equal(guest_metrics_late(&m), 0);
	assert_string_equal(m.error, "");
	/* The latest report, window or not: the cell's samples go on after it. */
	assert_true(m.have_latest);
	assert_int_equal(m.latest.seq, 6);
	assert_int_equal(m.latest.expected, 6000);
}

/* No report before open: the first one inside the window is the base. */
static void window_base_inside(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_open(&m, 10 * SEC, PERIOD, REPORT);
	assert_int_equal(guest_metrics_ticks(&m), 0);
	feed_report(&m, 10 * SEC + 300 * MS, 1, 990, 1000, 2500, 1);
	assert_int_equal(m.base.seq, 1);
	assert_int_equal(guest_metrics_ticks(&m), 0);
	assert_int_equal(guest_metrics_expected(&m), 0);
	feed_report(&m, 11 * SEC + 300 * MS, 2, 1990, 2000, 1500, 1);
	feed_report(&m, 12 * SEC + 300 * MS, 3, 2985, 3000, 1800, 3);
	guest_metrics_close(&m, 13 * SEC);
	assert_int_equal(m.nreports, 3);
	assert_int_equal(m.maxgap_us, 2500);
	assert_int_equal(guest_metrics_silent_ns(&m), 0);
	assert_int_equal(guest_metrics_ticks(&m), 1995);
	assert_int_equal(guest_metrics_expected(&m), 2000);
	assert_int_equal(guest_metrics_lost(&m), 5);
	assert_int_equal(guest_metrics_loss_bp(&m), 25); /* 5/2000 = 0.25 % */
	assert_int_equal(guest_metrics_late(&m), 2);
}

/* A guest starved for 1.5 s of a 4 s window at 1 kHz: it lost the ticks of
 * the stall (the timer skips missed periods), one tick came late with a
 * 1.5 s gap. */
static void window_lost_ticks(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, BANNER, 0);
	feed_report(&m, 10 * SEC, 10, 10000, 10000, 1010, 0);
	guest_metrics_open(&m, 10 * SEC + 100 * MS, PERIOD, REPORT);
	feed_report(&m, 11 * SEC, 11, 11000, 11000, 1020, 0);
	feed_report(&m, 12 * SEC, 12, 11501, 12000, 1500003, 1);
	feed_report(&m, 13 * SEC, 13, 12501, 13000, 1030, 1);
	feed_report(&m, 14 * SEC, 14, 13500, 14000, 1015, 1);
	guest_metrics_close(&m, 14 * SEC + 100 * MS);
	assert_int_equal(guest_metrics_ticks(&m), 3500);
	assert_int_equal(guest_metrics_expected(&m), 4000);
	assert_int_equal(guest_metrics_lost(&m), 500);
	assert_int_equal(guest_metrics_loss_bp(&m), 1250); /* 12.50 % */
	assert_int_equal(guest_metrics_late(&m), 1);
	assert_int_equal(m.maxgap_us, 1500003);
}

/* More ticks than expected (catch-up bursts): lost stays 0, the loss is
 * negative; and a guest that restarted (counters went back) yields 0. */
static void window_excess_and_restart(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	feed_report(&m, 1 * SEC, 1, 1000, 1000, 1000, 0);
	guest_metrics_open(&m, 1 * SEC, PERIOD, REPORT);
	feed_report(&m, 2 * SEC, 2, 2010, 2000, 1000, 0);
	assert_int_equal(guest_metrics_lost(&m), 0);
	assert_int_equal(guest_metrics_loss_bp(&m), -100);
	feed_report(&m, 3 * SEC, 1, 400, 500, 1000, 0);
	assert_int_equal(guest_metrics_ticks(&m), 0);
	assert_int_equal(guest_metrics_expected(&m), 0);
	assert_int_equal(guest_metrics_loss_bp(&m), 0);
}

/* A guest that sends nothing in a 10 s window at 200 us, with or without a
 * report before it: silent for the whole window, every expected tick lost
 * (10 s / 200 us = 50000), 100 %. */
static void silent_whole_window(void **state)
{
	struct guest_metrics quiet, never;

	(void)state;
	memset(&quiet, 0, sizeof(quiet));
	memset(&never, 0, sizeof(never));
	guest_metrics_feed(&quiet, BANNER, 1 * SEC);
	feed_report(&quiet, 2 * SEC, 1, 4000, 5000, 900, 3);
	guest_metrics_open(&quiet, 3 * SEC, 200 * 1000, REPORT);
	guest_metrics_open(&never, 3 * SEC, 200 * 1000, REPORT);
	assert_int_equal(guest_metrics_silent_ns(&quiet), 0); /* not closed yet */
	guest_metrics_close(&quiet, 13 * SEC);
	guest_metrics_close(&never, 13 * SEC);
	feed_report(&quiet, 14 * SEC, 2, 5000, 60000, 9000000, 4); /* after close */
	for (int i = 0; i < 2; i++) {
		const struct guest_metrics *m = i ? &never : &quiet;

		assert_int_equal(m->nreports, 0);
		assert_int_equal(guest_metrics_silent_ns(m), 10 * SEC);
		assert_int_equal(guest_metrics_ticks(m), 0);
		assert_int_equal(guest_metrics_expected(m), 50000);
		assert_int_equal(guest_metrics_lost(m), 50000);
		assert_int_equal(guest_metrics_loss_bp(m), 10000);
		assert_int_equal(guest_metrics_late(m), 0);
	}
	assert_false(never.banner_seen);
	assert_int_equal(never.banner_ns, 0);
}

/* No report before the window and the first one 4.5 s into it: the 4.5 s
 * before it are silent (4500 ticks at 1 ms, all lost), the reports after it
 * count as usual (3000 expected, 2900 received). */
static void silent_late_first_report(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, BANNER, 9 * SEC);
	guest_metrics_open(&m, 10 * SEC, PERIOD, REPORT);
	feed_report(&m, 14 * SEC + 500 * MS, 1, 2000, 5000, 4000000, 1);
	feed_report(&m, 15 * SEC + 500 * MS, 2, 2950, 6000, 1100, 1);
	feed_report(&m, 16 * SEC + 500 * MS, 3, 3900, 7000, 1200, 2);
	feed_report(&m, 17 * SEC + 500 * MS, 4, 4900, 8000, 1300, 2);
	guest_metrics_close(&m, 18 * SEC);
	assert_int_equal(m.base.seq, 1);
	assert_int_equal(guest_metrics_silent_ns(&m), 4500 * MS);
	assert_int_equal(guest_metrics_ticks(&m), 2900);
	assert_int_equal(guest_metrics_expected(&m), 3000 + 4500);
	assert_int_equal(guest_metrics_lost(&m), 100 + 4500);
	assert_int_equal(guest_metrics_loss_bp(&m), 4600 * 10000 / 7500);
	assert_int_equal(guest_metrics_late(&m), 1);
}

/* One report in a 1 s window and none before it (a guest the host starves
 * from its boot on): its counters span no time, so nothing was measured and
 * the whole window counts as silent (1000 ticks at 1 ms, all lost), never as
 * 0 of 0 expected, which would read as a clean cell. */
static void single_report_measures_nothing(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, BANNER, 9 * SEC);
	guest_metrics_open(&m, 10 * SEC, PERIOD, REPORT);
	feed_report(&m, 10 * SEC + 600 * MS, 1, 30, 40, 20000, 0);
	guest_metrics_close(&m, 11 * SEC);
	assert_int_equal(m.nreports, 1);
	assert_int_equal(guest_metrics_silent_ns(&m), 1 * SEC);
	assert_int_equal(guest_metrics_ticks(&m), 0);
	assert_int_equal(guest_metrics_expected(&m), 1000);
	assert_int_equal(guest_metrics_loss_bp(&m), 10000);
}

/* Reports that stop 3 s into a 10 s window: the 7 s after the last one are
 * silent; a report that comes late in the middle of the window (5 s after
 * the one before) is covered by its own counters and adds no silence. */
static void silent_tail_and_covered_gap(void **state)
{
	struct guest_metrics tail, gap;

	(void)state;
	memset(&tail, 0, sizeof(tail));
	memset(&gap, 0, sizeof(gap));
	feed_report(&tail, 0, 1, 1000, 1000, 1000, 0);
	feed_report(&gap, 0, 1, 1000, 1000, 1000, 0);
	guest_metrics_open(&tail, 500 * MS, PERIOD, REPORT);
	guest_metrics_open(&gap, 500 * MS, PERIOD, REPORT);
	feed_report(&tail, 1 * SEC, 2, 2000, 2000, 1000, 0);
	feed_report(&tail, 2 * SEC, 3, 3000, 3000, 1000, 0);
	feed_report(&tail, 3 * SEC + 500 * MS, 4, 4000, 4000, 1000, 0);
	feed_report(&gap, 1 * SEC, 2, 2000, 2000, 1000, 0);
	feed_report(&gap, 6 * SEC, 3, 3000, 7000, 5000000, 1);
	for (int s = 7; s <= 10; s++)
		feed_report(&gap, s * SEC, (unsigned)s - 3, 3000 + 1000 * (unsigned)(s - 6),
			    1000 * (unsigned)(s + 1), 1000, 1);
	guest_metrics_close(&tail, 10 * SEC + 500 * MS);
	guest_metrics_close(&gap, 10 * SEC + 500 * MS);
	assert_int_equal(guest_metrics_silent_ns(&tail), 7 * SEC);
	assert_int_equal(guest_metrics_expected(&tail), 3000 + 7000);
	assert_int_equal(guest_metrics_lost(&tail), 7000);
	assert_int_equal(guest_metrics_loss_bp(&tail), 7000);
	assert_int_equal(guest_metrics_silent_ns(&gap), 0);
	assert_int_equal(guest_metrics_expected(&gap), 10000);
	assert_int_equal(guest_metrics_lost(&gap), 4000); /* in the gap: 5000 expected, 1000 got */
	assert_int_equal(gap.maxgap_us, 5000000);
}

/* The window is closed at its end, after the last reads: a first report
 * read then (stamped after the end) leaves the guest silent for the whole
 * window, never longer. */
static void silent_clamped_to_window(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_open(&m, 0, PERIOD, REPORT);
	feed_report(&m, 10 * SEC + 300 * MS, 1, 20, 9000, 8000000, 1);
	guest_metrics_close(&m, 10 * SEC);
	assert_int_equal(m.nreports, 1);
	assert_int_equal(guest_metrics_silent_ns(&m), 10 * SEC);
	assert_int_equal(guest_metrics_expected(&m), 10000);
	assert_int_equal(guest_metrics_loss_bp(&m), 10000);
}

/* A guest the host starves reports every 8 s or so: its base came 6 s
 * before a 4 s window, its next report 2 s into it. The counters span 8 s,
 * a quarter of it (2 s) inside the window: a quarter of their ticks and
 * expected ticks count (the guest got 400 of 40000 at 200 us), and the 2 s
 * after that report are silent (10000 ticks, all lost). */
static void stale_base_share(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	feed_report(&m, 4 * SEC, 1, 100, 50000, 3000000, 9);
	guest_metrics_open(&m, 10 * SEC, 200 * 1000, REPORT);
	feed_report(&m, 12 * SEC, 2, 500, 90000, 4000000, 13);
	guest_metrics_close(&m, 14 * SEC + 100 * MS);
	assert_int_equal(guest_metrics_silent_ns(&m), 2100 * MS);
	assert_int_equal(guest_metrics_ticks(&m), 100);
	assert_int_equal(guest_metrics_expected(&m), 10000 + 10500);
	assert_int_equal(guest_metrics_lost(&m), 20400);
	assert_int_equal(guest_metrics_late(&m), 1);
	/* Within the grace nothing is cut: a base 1.5 s before the window. */
	memset(&m, 0, sizeof(m));
	feed_report(&m, 8 * SEC + 500 * MS, 1, 100, 50000, 3000000, 9);
	guest_metrics_open(&m, 10 * SEC, 200 * 1000, REPORT);
	feed_report(&m, 12 * SEC, 2, 500, 90000, 4000000, 13);
	feed_report(&m, 14 * SEC, 3, 900, 100000, 4000000, 13);
	guest_metrics_close(&m, 14 * SEC + 100 * MS);
	assert_int_equal(guest_metrics_silent_ns(&m), 0);
	assert_int_equal(guest_metrics_ticks(&m), 800);
	assert_int_equal(guest_metrics_expected(&m), 50000);
}

/* Up to two report intervals without a report is how reports arrive (due
 * once a second, read every 100 ms); one more and the whole stretch is
 * silent. */
static void silent_grace(void **state)
{
	struct guest_metrics m;

	(void)state;
	for (int late = 0; late < 2; late++) {
		int64_t close = 5 * SEC + (late ? 2100 : 1900) * MS;

		memset(&m, 0, sizeof(m));
		feed_report(&m, 0, 1, 1000, 1000, 1000, 0);
		guest_metrics_open(&m, 100 * MS, PERIOD, REPORT);
		for (unsigned s = 1; s <= 5; s++)
			feed_report(&m, s * SEC, s + 1, 1000 * (s + 1), 1000 * (s + 1), 1000, 0);
		guest_metrics_close(&m, close);
		assert_int_equal(guest_metrics_silent_ns(&m), late ? close - 5 * SEC : 0);
		assert_int_equal(guest_metrics_expected(&m), late ? 5000 + 2100 : 5000);
	}
}

/* Errors are kept (the first one, without its line end); junk and
 * malformed reports change nothing. */
static void feed_errors_and_junk(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, "SeaBIOS (version 1.16.2-debian-1.16.2-1)\n", 1);
	guest_metrics_feed(&m, "error what=no-tsc-deadline fallback=oneshot\r\n", 2);
	guest_metrics_feed(&m, "error what=bad-option option=foo\n", 3);
	guest_metrics_feed(&m, "errors are not error lines\n", 4);
	guest_metrics_feed(&m, "tick seq=1 ticks=1x expected=1 maxgap_us=1 late=0\n", 5);
	guest_metrics_feed(&m, "tickguest period_us=1000\n", 6);
	assert_string_equal(m.error, "error what=no-tsc-deadline fallback=oneshot");
	assert_false(m.banner_seen);
	assert_false(m.have_base);
	guest_metrics_open(&m, 7, PERIOD, REPORT);
	guest_metrics_close(&m, 8);
	assert_int_equal(m.nreports, 0);
	assert_int_equal(guest_metrics_loss_bp(&m), 0);
}

/* Real tickguest output captured under QEMU TCG (tests/data/guest): every
 * line is a banner, a report, an error or the final "done" line, and the
 * window over all reports matches the last report's own counters. */
static void captured_output(const char *rel, const char *timer, uint64_t period_us)
{
	char path[512], line[512];
	struct guest_metrics m;
	struct tick_report r;
	FILE *f;

	test_data_path(path, sizeof(path), rel);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	guest_metrics_open(&m, 0, (int64_t)period_us * 1000, REPORT);
	while (fgets(line, sizeof(line), f)) {
		struct tick_banner b;

		if (!tick_report_parse(line, &r))
			assert_int_equal(r.seq, m.nreports + 1);
		else if (tick_banner_parse(line, &b) && strncmp(line, "error ", 6) &&
			 strncmp(line, "done ", 5))
			fail_msg("%s: unexpected line \"%s\"", path, line);
		/* Read as it came: a report interval after the one before. */
		guest_metrics_feed(&m, line, (int64_t)m.nreports * m.banner.report_ms * MS);
	}
	fclose(f);
	guest_metrics_close(&m, (int64_t)m.nreports * m.banner.report_ms * MS);
	assert_true(m.banner_seen);
	assert_string_equal(m.banner.timer, timer);
	assert_int_equal(m.banner.period_us, period_us);
	assert_string_equal(m.banner.calib, "pit");
	assert_true(m.nreports >= 4);
	assert_int_equal(guest_metrics_ticks(&m), r.ticks - m.base.ticks);
	assert_int_equal(guest_metrics_expected(&m), r.expected - m.base.expected);
	assert_true(guest_metrics_ticks(&m) > 0);
	assert_true(guest_metrics_loss_bp(&m) >= 0 && guest_metrics_loss_bp(&m) < 500);
}

/* Every line of a captured guest output fed into fresh metrics, read at 0. */
static void feed_file(const char *rel, struct guest_metrics *m)
{
	char path[512], line[512];
	FILE *f;

	test_data_path(path, sizeof(path), rel);
	f = fopen(path, "r");
	assert_non_null(f);
	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f))
		guest_metrics_feed(m, line, 0);
	fclose(f);
}

static void captured_periodic(void **state)
{
	(void)state;
	captured_output("guest/tcg-periodic-1000us.log", "periodic", 1000);
}

static void captured_tscdeadline_fallback(void **state)
{
	struct guest_metrics m;

	(void)state;
	captured_output("guest/tcg-tscdeadline-com1.log", "oneshot", 200);
	/* The fallback is announced as an error line before the banner. */
	feed_file("guest/tcg-tscdeadline-com1.log", &m);
	assert_string_equal(
	    m.error, "error what=no-tsc-deadline detail=cpuid.1:ecx[24]-clear fallback=oneshot");
}

/* Real output of a Linux guest under QEMU TCG (guests/linux/init.sh, Debian
 * 6.1.0-50-amd64, HZ=250, the host loaded): kernel lines, the banner and
 * LOC reports, read as tickguest's; the window's counters are the reports'
 * own, and the rate is near HZ. */
static void captured_linux(void **state)
{
	char path[512], line[512];
	struct guest_metrics m;
	struct tick_report r;
	FILE *f;

	(void)state;
	test_data_path(path, sizeof(path), "guest/tcg-linux-periodic.log");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	guest_metrics_open(&m, 0, 4000 * 1000, REPORT);
	while (fgets(line, sizeof(line), f)) {
		(void)tick_report_parse(line, &r);
		guest_metrics_feed(&m, line, (int64_t)m.nreports * SEC);
	}
	fclose(f);
	guest_metrics_close(&m, (int64_t)m.nreports * SEC);
	assert_true(m.banner_seen);
	assert_string_equal(m.banner.guest, "linuxguest");
	assert_string_equal(m.banner.clockevent, "lapic");
	assert_string_equal(m.banner.tick_mode, "periodic");
	assert_int_equal(m.banner.hz, 250);
	assert_string_equal(m.error, "");
	assert_int_equal(m.nreports, 11);
	assert_int_equal(guest_metrics_ticks(&m), r.ticks - m.base.ticks);
	assert_int_equal(guest_metrics_expected(&m), r.expected - m.base.expected);
	/* 2448 LOC interrupts over 10 reports of about a second each. */
	assert_int_equal(guest_metrics_ticks(&m), 2448);
	assert_true(guest_metrics_loss_bp(&m) > 0 && guest_metrics_loss_bp(&m) < 1500);
	/* Over the 10 s from the first report to the last, as read. */
	assert_float_equal(guest_metrics_tick_rate(&m), 244.8, 0.001);
}

/* The tick rate is over the span the counters cover, as read; only the part
 * inside the window when a starved guest's base is far older. */
static void tick_rate_span(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_float_equal(guest_metrics_tick_rate(&m), 0, 0);
	guest_metrics_feed(&m, "tick seq=1 ticks=100 expected=100 maxgap_us=4000 late=0",
			   SEC / 2);
	guest_metrics_open(&m, 1 * SEC, 4 * MS, REPORT);
	assert_float_equal(guest_metrics_tick_rate(&m), 0, 0);
	guest_metrics_feed(&m, "tick seq=6 ticks=1350 expected=1350 maxgap_us=4000 late=0",
			   5 * SEC + SEC / 2);
	guest_metrics_close(&m, 6 * SEC);
	assert_float_equal(guest_metrics_tick_rate(&m), 250, 0.001);

	/* Base 20 s before a 5 s window: ticks count for the 5 s inside. */
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, "tick seq=1 ticks=0 expected=0 maxgap_us=0 late=0", 0);
	guest_metrics_open(&m, 20 * SEC, 4 * MS, REPORT);
	guest_metrics_feed(&m, "tick seq=2 ticks=2500 expected=6250 maxgap_us=9 late=0",
			   25 * SEC);
	guest_metrics_close(&m, 25 * SEC);
	assert_int_equal(guest_metrics_ticks(&m), 500);
	assert_float_equal(guest_metrics_tick_rate(&m), 100, 0.001);
}

/* A Linux guest booted with highres=on: its tick went oneshot, and its
 * init said so in the error line that fails the cell. */
static void captured_linux_oneshot(void **state)
{
	struct guest_metrics m;

	(void)state;
	feed_file("guest/tcg-linux-highres.log", &m);
	assert_false(m.banner_seen);
	assert_string_equal(m.error, "error what=tick-not-periodic cpu=0 clockevent=lapic "
			    "tick_mode=oneshot handler=hrtimer_interrupt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(report_good),
	    cmocka_unit_test(report_tolerated),
	    cmocka_unit_test(report_malformed),
	    cmocka_unit_test(banner_good),
	    cmocka_unit_test(banner_linux),
	    cmocka_unit_test(banner_malformed),
	    cmocka_unit_test(window_base_before_open),
	    cmocka_unit_test(window_base_inside),
	    cmocka_unit_test(window_lost_ticks),
	    cmocka_unit_test(window_excess_and_restart),
	    cmocka_unit_test(silent_whole_window),
	    cmocka_unit_test(silent_late_first_report),
	    cmocka_unit_test(silent_tail_and_covered_gap),
	    cmocka_unit_test(silent_clamped_to_window),
	    cmocka_unit_test(stale_base_share),
	    cmocka_unit_test(silent_grace),
	    cmocka_unit_test(single_report_measures_nothing),
	    cmocka_unit_test(feed_errors_and_junk),
	    cmocka_unit_test(captured_periodic),
	    cmocka_unit_test(captured_tscdeadline_fallback),
	    cmocka_unit_test(captured_linux),
	    cmocka_unit_test(captured_linux_oneshot),
	    cmocka_unit_test(tick_rate_span),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
