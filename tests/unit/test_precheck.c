// SPDX-License-Identifier: GPL-2.0
/* The checks made before anything starts (precheck.c): one profile per
 * mistake, each refused with file:line, the key and what is allowed, for every
 * value of an axis; the host checks against a directory tree standing in for
 * /sys and /proc/sys (LOCKMAP_SYSROOT), and against a lab host's cpus. */
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "grid.h"
#include "lockmap.h"
#include "precheck.h"
#include "profile.h"
#include "../../guests/tickguest/tickguest_params.h"

static char sysroot[128];

static void put(const char *rel, const char *text, mode_t mode)
{
	test_put_file(sysroot, rel, text, mode);
}

/* A host with cpus 0-1 online, kernel.panic, and kvm loaded with one
 * writable and one read-only parameter. */
static int setup(void **state)
{
	(void)state;
	snprintf(sysroot, sizeof(sysroot), "/tmp/lockmap-test-pre-%d", (int)getpid());
	test_rm_tree(sysroot);
	setenv("LOCKMAP_SYSROOT", sysroot, 1);
	put("sys/devices/system/cpu/online", "0-1", 0444);
	put("proc/sys/kernel/panic", "0", 0644);
	put("proc/sys/kernel/watchdog_thresh", "10", 0644);
	put("sys/module/kvm/parameters/min_timer_period_us", "200", 0644);
	put("sys/module/kvm/parameters/enable_pmu", "Y", 0444);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_tree(sysroot);
	unsetenv("LOCKMAP_SYSROOT");
	return 0;
}

struct pg {
	struct profile *p;
	struct grid g;
};

#define BASE "[guests]\ncount = 1\n"	/* lines 1-2: period and the rest follow */

static void pg_load(struct pg *pg, const char *text)
{
	char err[1024];

	if (profile_parse("t.profile", text, &pg->p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(pg->p, &pg->g), 0);
}

static void pg_free(struct pg *pg)
{
	grid_free(&pg->g);
	profile_free(pg->p);
}

/* precheck_profile(text) refuses with a message starting with where and
 * holding every string of want. */
static void profile_refused(const char *text, const char *where, const char *const *want)
{
	struct pg pg;
	char err[2048] = "";
	int rc;

	pg_load(&pg, text);
	rc = precheck_profile(&pg.g, err, sizeof(err));
	if (rc != -EINVAL || strncmp(err, where, strlen(where)))
		fail_msg("rc %d, '%s'; want -EINVAL and a message starting '%s'", rc, err, where);
	for (; *want; want++)
		if (!strstr(err, *want))
			fail_msg("'%s' lacks '%s'", err, *want);
	pg_free(&pg);
}

static void profile_accepted(const char *text)
{
	struct pg pg;
	char err[2048] = "";

	pg_load(&pg, text);
	if (precheck_profile(&pg.g, err, sizeof(err)))
		fail_msg("refused: %s", err);
	pg_free(&pg);
}

static void test_throttle_quota(void **state)
{
	(void)state;
	profile_refused(BASE "period = 1ms\n[inject.throttle]\nquota = 500us\n",
			"t.profile:5: [inject.throttle] quota: 500us is under",
			(const char *[]){ "minimum", "1ms", "0 (off)", NULL });
	/* In an axis, the one value that is wrong. */
	profile_refused(BASE "period = 1ms\n[inject.throttle]\nquota = 0, 2ms, 999us, 5ms\n",
			"t.profile:5: [inject.throttle] quota: 999us is under",
			(const char *[]){ NULL });
	profile_refused(BASE "period = 1ms\n[inject.throttle]\nquota = 1500500ns\n",
			"t.profile:5: [inject.throttle] quota: 1500500ns is not a whole number of "
			"microseconds", (const char *[]){ NULL });
	profile_accepted(BASE "period = 1ms\n[inject.throttle]\nquota = 0, 1ms, 10s\n");
}

/* The payload's ranges are tickguest's own table: its bounds are accepted,
 * one step past them refused, wherever the profile key's own range allows. */
static void test_payload_ranges(void **state)
{
	char text[256], where[64];
	long long lo = 0, hi = 0;

#define RANGE_OF(key, min, max) \
	if (!strcmp(#key, "period_us")) lo = min, hi = max;
	TICKGUEST_NUM_PARAMS(RANGE_OF)
#undef RANGE_OF
	(void)state;
	assert_true(lo > 1);
	snprintf(text, sizeof(text), BASE "period = %lldus\n", lo);
	profile_accepted(text);
	snprintf(text, sizeof(text), BASE "period = 1ms, %lldus\n", lo - 1);
	snprintf(where, sizeof(where), "t.profile:3: [guests] period: %lldus is outside", lo - 1);
	profile_refused(text, where, (const char *[]){ "payload tickguest", "period_us",
						       "tickguest_params.h", NULL });
	/* The profile key stops at 1s, within tickguest's 10s. */
	assert_true(hi >= 1000000);
	profile_accepted(BASE "period = 1s\n");
	profile_refused(BASE "period = 1500ns\n", "t.profile:3: [guests] period: 1500ns is not "
			"a whole number of us", (const char *[]){ "period_us", NULL });
	profile_refused(BASE "period = 1ms\nreport = 100500us\n", "t.profile:4: [guests] "
			"report: 100500us is not a whole number of ms",
			(const char *[]){ "report_ms", NULL });
}

static void test_nmi_sender(void **state)
{
	(void)state;
	/* Both at their defaults is fine: cpus 1, sender 0. */
	profile_accepted(BASE "period = 1ms\n[inject.nmi]\nrate = 100hz\n");
	profile_refused(BASE "period = 1ms\n[inject.nmi]\ncpus = 0-1\nrate = 100hz\n",
			"t.profile:5: [inject.nmi] cpus: the sender cpu 0 is also one of the "
			"target cpus (cpus = 0-1)", (const char *[]){ "outside cpus", NULL });
	profile_refused(BASE "period = 1ms\n[inject.nmi]\nsender = 0, 1\nrate = 100hz\n",
			"t.profile:5: [inject.nmi] sender: the sender cpu 1",
			(const char *[]){ NULL });
	profile_refused(BASE "period = 1ms\n[inject.nmi]\ncpus = 2 | 0-3\nsender = 1\n"
			"rate = 100hz\n", "t.profile:6: [inject.nmi] sender:",
			(const char *[]){ "(cpus = 0-3)", NULL });
	/* An injector that is off sends nothing. */
	profile_accepted(BASE "period = 1ms\n[inject.nmi]\ncpus = 0-1\nrate = 0\n");
}

static void test_irqoff_interval(void **state)
{
	(void)state;
	profile_refused(BASE "period = 1ms\n[inject.irqoff]\nduration = 5ms\ninterval = 5ms\n",
			"t.profile:6: [inject.irqoff] interval: the interval (5ms) must be "
			"longer than the duration (5ms)", (const char *[]){ NULL });
	profile_accepted(BASE "period = 1ms\n[inject.irqoff]\nduration = 5ms\ninterval = 0, 6ms\n");
}

static int host_refused(struct pg *pg, const struct host_facts *hf, char *err, size_t len)
{
	err[0] = '\0';
	assert_int_equal(precheck_profile(&pg->g, err, len), 0);
	return precheck_host(&pg->g, hf, err, len);
}

static void test_host_facts_local(void **state)
{
	struct host_facts hf;

	(void)state;
	put("sys/devices/system/cpu/online", "0-2,5,70-71", 0444);
	host_facts_local(&hf);
	assert_int_equal(hf.cpus, 0x27);
	assert_non_null(strstr(hf.what, "0-2,5"));
	assert_true(hf.knobs);
	assert_int_equal(hf.kvm_min_timer_period_us, 200);
	put("sys/devices/system/cpu/online", "0-1", 0444);
	host_facts_lab(&hf, 4);
	assert_int_equal(hf.cpus, 0xf);
	assert_false(hf.knobs);
	assert_int_equal(hf.kvm_min_timer_period_us, -1);
}

static void test_offline_cpus(void **state)
{
	struct host_facts hf;
	struct pg pg;
	char err[2048];

	(void)state;
	host_facts_local(&hf);
	pg_load(&pg, BASE "period = 1ms\npin = 0 | 1-3\n");
	assert_int_equal(host_refused(&pg, &hf, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "t.profile:4: [guests] pin: cpu 2 (in 1-3) is not online on this "
			    "host, whose online cpus are 0-1; use those");
	pg_free(&pg);
	pg_load(&pg, BASE "period = 1ms\n[inject.nmi]\ncpus = 1\nsender = 7\nrate = 1khz\n");
	assert_int_equal(host_refused(&pg, &hf, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "t.profile:6: [inject.nmi] sender: cpu 7 is not online"));
	pg_free(&pg);
	/* A default that names a cpu the host lacks: the section's line. */
	put("sys/devices/system/cpu/online", "0", 0444);
	host_facts_local(&hf);
	pg_load(&pg, BASE "period = 1ms\n\n[inject.irqoff]\nduration = 0, 1ms\n");
	assert_int_equal(host_refused(&pg, &hf, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "t.profile:5: [inject.irqoff] cpus: cpu 1 is not online"));
	pg_free(&pg);
	put("sys/devices/system/cpu/online", "0-1", 0444);
	/* A lab host: its own cpus, and how to give it more. */
	host_facts_lab(&hf, 2);
	pg_load(&pg, BASE "period = 1ms\npin = 2\n");
	assert_int_equal(host_refused(&pg, &hf, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "t.profile:4: [guests] pin: cpu 2 is not a cpu of the lab "
			       "host, whose cpus are 0-1"));
	assert_non_null(strstr(err, "--cpus N` (now 2)"));
	pg_free(&pg);
}

static void test_knobs(void **state)
{
	static const struct {
		const char *line;
		const char *want;
	} bad[] = {
		{ "sysctl.kernel.no_such_knob = 1", "no such sysctl" },
		{ "kvm.no_such_param = 1", "this module has no such parameter" },
		{ "kvm_intel.preemption_timer = 0", "module kvm_intel is not loaded" },
		{ "kvm.enable_pmu = 0", "read-only at runtime" },
		{ "hardlockup_panic = 1", "no such sysctl" },
	};
	struct host_facts hf;
	struct pg pg;
	char text[256], err[2048], where[96];

	(void)state;
	host_facts_local(&hf);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), BASE "period = 1ms\n[host]\n%s\n", bad[i].line);
		snprintf(where, sizeof(where), "t.profile:5: [host] %.*s: ",
			 (int)strcspn(bad[i].line, " "), bad[i].line);
		pg_load(&pg, text);
		assert_int_equal(host_refused(&pg, &hf, err, sizeof(err)), -ENODEV);
		if (strncmp(err, where, strlen(where)) || !strstr(err, bad[i].want))
			fail_msg("'%s': want '%s...%s'", err, where, bad[i].want);
		/* Once: "[host] key:" is not repeated. */
		assert_null(strstr(err + strlen(where), "[host]"));
		/* A lab host's knobs are checked inside it. */
		hf.knobs = false;
		assert_int_equal(precheck_host(&pg.g, &hf, err, sizeof(err)), 0);
		hf.knobs = true;
		pg_free(&pg);
	}
	/* Knobs left as they are need not exist. */
	pg_load(&pg, BASE "period = 1ms\n[host]\nwatchdog_thresh = 5\nhardlockup_panic = -1\n"
		"sysctl.kernel.panic = 10\nkvm.min_timer_period_us = 50\n");
	assert_int_equal(host_refused(&pg, &hf, err, sizeof(err)), 0);
	pg_free(&pg);
}

/* Everything lm_info() prints while fn runs (it writes to stderr). */
static void capture_stderr(void (*fn)(void *), void *arg, char *buf, size_t len)
{
	char path[160];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr", sysroot);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, len - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

static void run_host_check(void *arg)
{
	struct pg *pg = arg;
	struct host_facts hf;
	char err[1024];

	host_facts_local(&hf);
	assert_int_equal(precheck_host(&pg->g, &hf, err, sizeof(err)), 0);
}

/* A period under kvm's min_timer_period_us is accepted and said once. */
static void test_clamp_said(void **state)
{
	struct pg pg;
	char out[4096];

	(void)state;
	lm_verbose = 1;
	pg_load(&pg, BASE "period = 50us, 100us, 1ms\n[run]\nrepeat = 2\n");
	capture_stderr(run_host_check, &pg, out, sizeof(out));
	assert_non_null(strstr(out, "t.profile:3: [guests] period: 50us is below kvm's "
				    "min_timer_period_us (200 on this host): KVM clamps a periodic "
				    "LAPIC timer to 200us"));
	assert_non_null(strstr(out, "100us is below"));
	assert_null(strstr(strstr(out, "50us is below") + 1, "50us is below"));
	assert_null(strstr(out, "1ms is below"));
	pg_free(&pg);
	/* Not for oneshot timers (KVM clamps periodic ones), and the profile's own
	 * kvm.min_timer_period_us counts. */
	pg_load(&pg, BASE "period = 50us\ntimer = oneshot\n");
	capture_stderr(run_host_check, &pg, out, sizeof(out));
	assert_null(strstr(out, "is below"));
	pg_free(&pg);
	pg_load(&pg, BASE "period = 50us, 100us\n[host]\nkvm.min_timer_period_us = 80\n");
	capture_stderr(run_host_check, &pg, out, sizeof(out));
	assert_non_null(strstr(out, "50us is below kvm's min_timer_period_us (80, set by [host])"));
	assert_null(strstr(out, "100us is below"));
	pg_free(&pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttle_quota),
		cmocka_unit_test(test_payload_ranges),
		cmocka_unit_test(test_nmi_sender),
		cmocka_unit_test(test_irqoff_interval),
		cmocka_unit_test(test_host_facts_local),
		cmocka_unit_test(test_offline_cpus),
		cmocka_unit_test(test_knobs),
		cmocka_unit_test(test_clamp_said),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
