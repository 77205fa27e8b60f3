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

static void feed_report(struct guest_metrics *m, unsigned seq, unsigned ticks, unsigned expected,
			unsigned maxgap, unsigned late)
{
	char line[160];

	snprintf(line, sizeof(line), "tick seq=%u ticks=%u expected=%u maxgap_us=%u late=%u\n", seq,
		 ticks, expected, maxgap, late);
	guest_metrics_feed(m, line);
}

/* The report current at open is the base; reports after close are ignored;
 * maxgap covers only reports inside the window. */
static void window_base_before_open(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, BANNER "\n");
	feed_report(&m, 1, 1000, 1000, 9000, 0);
	feed_report(&m, 2, 2000, 2000, 1100, 0); /* the base */
	guest_metrics_open(&m);
	feed_report(&m, 3, 3000, 3000, 1200, 0);
	feed_report(&m, 4, 4000, 4000, 1300, 0);
	guest_metrics_close(&m);
	feed_report(&m, 5, 4000, 5000, 99000, 7); /* after close */
	guest_metrics_open(&m);			  /* no reopening */
	feed_report(&m, 6, 4000, 6000, 99000, 9);

	assert_true(m.banner_seen);
	assert_int_equal(m.banner.tsc_khz, 2994000);
	assert_int_equal(m.base.seq, 2);
	assert_int_equal(m.last.seq, 4);
	assert_int_equal(m.nreports, 2);
	assert_int_equal(m.maxgap_us, 1300);
	assert_int_equal(guest_metrics_ticks(&m), 2000);
	assert_int_equal(guest_metrics_expected(&m), 2000);
	assert_int_equal(guest_metrics_lost(&m), 0);
	assert_int_equal(guest_metrics_loss_bp(&m), 0);
	assert_int_equal(guest_metrics_late(&m), 0);
	assert_string_equal(m.error, "");
}

/* No report before open: the first one inside the window is the base. */
static void window_base_inside(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_open(&m);
	assert_int_equal(guest_metrics_ticks(&m), 0);
	feed_report(&m, 1, 990, 1000, 2500, 1);
	assert_int_equal(m.base.seq, 1);
	assert_int_equal(guest_metrics_ticks(&m), 0);
	assert_int_equal(guest_metrics_expected(&m), 0);
	feed_report(&m, 2, 1990, 2000, 1500, 1);
	feed_report(&m, 3, 2985, 3000, 1800, 3);
	guest_metrics_close(&m);
	assert_int_equal(m.nreports, 3);
	assert_int_equal(m.maxgap_us, 2500);
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
	guest_metrics_feed(&m, BANNER);
	feed_report(&m, 10, 10000, 10000, 1010, 0);
	guest_metrics_open(&m);
	feed_report(&m, 11, 11000, 11000, 1020, 0);
	feed_report(&m, 12, 11501, 12000, 1500003, 1);
	feed_report(&m, 13, 12501, 13000, 1030, 1);
	feed_report(&m, 14, 13500, 14000, 1015, 1);
	guest_metrics_close(&m);
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
	feed_report(&m, 1, 1000, 1000, 1000, 0);
	guest_metrics_open(&m);
	feed_report(&m, 2, 2010, 2000, 1000, 0);
	assert_int_equal(guest_metrics_lost(&m), 0);
	assert_int_equal(guest_metrics_loss_bp(&m), -100);
	feed_report(&m, 1, 400, 500, 1000, 0);
	assert_int_equal(guest_metrics_ticks(&m), 0);
	assert_int_equal(guest_metrics_expected(&m), 0);
	assert_int_equal(guest_metrics_loss_bp(&m), 0);
}

/* Errors are kept (the first one, without its line end); junk and
 * malformed reports change nothing. */
static void feed_errors_and_junk(void **state)
{
	struct guest_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	guest_metrics_feed(&m, "SeaBIOS (version 1.16.2-debian-1.16.2-1)\n");
	guest_metrics_feed(&m, "error what=no-tsc-deadline fallback=oneshot\r\n");
	guest_metrics_feed(&m, "error what=bad-option option=foo\n");
	guest_metrics_feed(&m, "errors are not error lines\n");
	guest_metrics_feed(&m, "tick seq=1 ticks=1x expected=1 maxgap_us=1 late=0\n");
	guest_metrics_feed(&m, "tickguest period_us=1000\n");
	assert_string_equal(m.error, "error what=no-tsc-deadline fallback=oneshot");
	assert_false(m.banner_seen);
	assert_false(m.have_base);
	guest_metrics_open(&m);
	guest_metrics_close(&m);
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
	guest_metrics_open(&m);
	while (fgets(line, sizeof(line), f)) {
		struct tick_banner b;

		if (!tick_report_parse(line, &r))
			assert_int_equal(r.seq, m.nreports + 1);
		else if (tick_banner_parse(line, &b) && strncmp(line, "error ", 6) &&
			 strncmp(line, "done ", 5))
			fail_msg("%s: unexpected line \"%s\"", path, line);
		guest_metrics_feed(&m, line);
	}
	fclose(f);
	guest_metrics_close(&m);
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

static void captured_periodic(void **state)
{
	(void)state;
	captured_output("guest/tcg-periodic-1000us.log", "periodic", 1000);
}

static void captured_tscdeadline_fallback(void **state)
{
	struct guest_metrics m;
	char path[512], line[512];
	FILE *f;

	(void)state;
	captured_output("guest/tcg-tscdeadline-com1.log", "oneshot", 200);
	/* The fallback is announced as an error line before the banner. */
	test_data_path(path, sizeof(path), "guest/tcg-tscdeadline-com1.log");
	f = fopen(path, "r");
	assert_non_null(f);
	memset(&m, 0, sizeof(m));
	while (fgets(line, sizeof(line), f))
		guest_metrics_feed(&m, line);
	fclose(f);
	assert_string_equal(
	    m.error, "error what=no-tsc-deadline detail=cpuid.1:ecx[24]-clear fallback=oneshot");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(report_good),
	    cmocka_unit_test(report_tolerated),
	    cmocka_unit_test(report_malformed),
	    cmocka_unit_test(banner_good),
	    cmocka_unit_test(banner_malformed),
	    cmocka_unit_test(window_base_before_open),
	    cmocka_unit_test(window_base_inside),
	    cmocka_unit_test(window_lost_ticks),
	    cmocka_unit_test(window_excess_and_restart),
	    cmocka_unit_test(feed_errors_and_junk),
	    cmocka_unit_test(captured_periodic),
	    cmocka_unit_test(captured_tscdeadline_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
