// SPDX-License-Identifier: GPL-2.0
/* hostknobs.c against a directory tree standing in for /proc/sys and
 * /sys/module (LOCKMAP_SYSROOT), and, as root, against the real
 * /proc/sys/kernel/watchdog_thresh. */
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "grid.h"
#include "hostknobs.h"
#include "lockmap.h"
#include "profile.h"

static char sysroot[128], statedir[192];

static void put(const char *rel, const char *text, mode_t mode)
{
	test_put_file(sysroot, rel, text, mode);
}

static void get(const char *rel, char *buf, size_t len)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", sysroot, rel);
	assert_int_equal(read_file_str(p, buf, len), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(sysroot, sizeof(sysroot), "/tmp/lockmap-test-hk-%d", (int)getpid());
	snprintf(statedir, sizeof(statedir), "%s/state", sysroot);
	test_rm_tree(sysroot);
	setenv("LOCKMAP_SYSROOT", sysroot, 1);
	setenv("LOCKMAP_STATE_DIR", statedir, 1);
	put("proc/sys/kernel/watchdog_thresh", "10", 0644);
	put("proc/sys/kernel/softlockup_panic", "0", 0644);
	put("proc/sys/kernel/printk", "4\t4\t1\t7", 0644);
	put("sys/module/kvm/parameters/min_timer_period_us", "200", 0644);
	put("sys/module/kvm_intel/parameters/preemption_timer", "Y", 0444);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_tree(sysroot);
	unsetenv("LOCKMAP_SYSROOT");
	unsetenv("LOCKMAP_STATE_DIR");
	return 0;
}

/* A cell with the given [host] knobs, as grid.c would hand it over. */
struct fake_cell {
	struct cell c;
	struct cparam params[8];
	struct pkey keys[8];
	struct pval vals[8];
};

static const struct pspec *spec_for(const char *key)
{
	for (size_t i = 0; i < hostknobs_nkeys; i++) {
		const char *k = hostknobs_keys[i].key;
		size_t l = strlen(k);

		if (!strcmp(k, key) || (k[l - 1] == '*' && !strncmp(k, key, l - 1)))
			return &hostknobs_keys[i];
	}
	fail_msg("no [host] key %s", key);
	return NULL;
}

static void cell_add(struct fake_cell *fc, const char *key, const char *value)
{
	size_t i = fc->c.nparams++;
	char err[256];

	snprintf(fc->keys[i].section, sizeof(fc->keys[i].section), "host");
	snprintf(fc->keys[i].key, sizeof(fc->keys[i].key), "%s", key);
	fc->keys[i].spec = spec_for(key);
	fc->keys[i].vals = &fc->vals[i];
	fc->keys[i].nvals = 1;
	fc->keys[i].is_set = true;
	if (pval_parse(fc->keys[i].spec, value, &fc->vals[i], err, sizeof(err)))
		fail_msg("%s = %s: %s", key, value, err);
	fc->params[i].pkey = &fc->keys[i];
	fc->params[i].val = &fc->vals[i];
	fc->c.params = fc->params;
}

static bool restore_file_exists(void)
{
	return access(hostknobs_restore_path(), F_OK) == 0;
}

static void test_apply_restore(void **state)
{
	struct fake_cell fc = { 0 };
	struct hostknobs *hk;
	char err[512], buf[512], saved[1024];

	(void)state;
	cell_add(&fc, "watchdog_thresh", "4");
	cell_add(&fc, "softlockup_panic", "-1");	/* unchanged */
	cell_add(&fc, "sysctl.kernel.printk", "7 4 1 7");
	cell_add(&fc, "kvm.min_timer_period_us", "50");
	assert_int_equal(hostknobs_apply(&fc.c, &hk, err, sizeof(err)), 0);
	assert_non_null(hk);

	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "4");
	get("proc/sys/kernel/softlockup_panic", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	get("proc/sys/kernel/printk", buf, sizeof(buf));
	assert_string_equal(buf, "7 4 1 7");
	get("sys/module/kvm/parameters/min_timer_period_us", buf, sizeof(buf));
	assert_string_equal(buf, "50");

	/* The old values are on disk while the cell runs. */
	assert_int_equal(read_file_str(hostknobs_restore_path(), saved, sizeof(saved)), 0);
	snprintf(buf, sizeof(buf), "%s/proc/sys/kernel/watchdog_thresh\t10\n", sysroot);
	assert_non_null(strstr(saved, buf));
	snprintf(buf, sizeof(buf), "%s/proc/sys/kernel/printk\t4\t4\t1\t7\n", sysroot);
	assert_non_null(strstr(saved, buf));
	assert_null(strstr(saved, "softlockup_panic"));

	assert_int_equal(hostknobs_restore(hk), 0);
	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "10");
	get("proc/sys/kernel/printk", buf, sizeof(buf));
	assert_string_equal(buf, "4\t4\t1\t7");
	get("sys/module/kvm/parameters/min_timer_period_us", buf, sizeof(buf));
	assert_string_equal(buf, "200");
	assert_false(restore_file_exists());
	assert_int_equal(hostknobs_restore(NULL), 0);
}

static void test_nothing_set(void **state)
{
	struct fake_cell fc = { 0 };
	struct hostknobs *hk;
	char err[256];

	(void)state;
	cell_add(&fc, "watchdog_thresh", "-1");
	cell_add(&fc, "nmi_watchdog", "-1");
	assert_int_equal(hostknobs_apply(&fc.c, &hk, err, sizeof(err)), 0);
	assert_false(restore_file_exists());
	assert_int_equal(hostknobs_restore(hk), 0);
}

/* A write the kernel refuses midway: what was set is put back. */
static void test_write_fails_unwinds(void **state)
{
	struct fake_cell fc = { 0 };
	struct hostknobs *hk = (void *)1;
	char err[512], p[512], buf[64];

	(void)state;
	/* /dev/full reads as empty and refuses every write with ENOSPC. */
	snprintf(p, sizeof(p), "%s/proc/sys/kernel/panic", sysroot);
	assert_int_equal(symlink("/dev/full", p), 0);
	cell_add(&fc, "watchdog_thresh", "5");
	cell_add(&fc, "sysctl.kernel.panic", "10");
	assert_int_equal(hostknobs_apply(&fc.c, &hk, err, sizeof(err)), -ENOSPC);
	assert_null(hk);
	assert_non_null(strstr(err, "sysctl.kernel.panic"));
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, strerror(ENOSPC)));
	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "10");
	assert_false(restore_file_exists());
}

static void test_readonly_modparam(void **state)
{
	struct fake_cell fc = { 0 };
	struct hostknobs *hk;
	char err[512], buf[64];

	(void)state;
	cell_add(&fc, "watchdog_thresh", "5");
	cell_add(&fc, "kvm_intel.preemption_timer", "N");
	assert_int_equal(hostknobs_apply(&fc.c, &hk, err, sizeof(err)), -EROFS);
	assert_non_null(strstr(err, "kvm_intel.preemption_timer"));
	assert_non_null(strstr(err, "read-only at runtime"));
	assert_non_null(strstr(err, "modprobe kvm_intel preemption_timer=N"));
	/* Refused before anything changed. */
	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "10");
	assert_false(restore_file_exists());
}

static void test_missing_knobs(void **state)
{
	struct fake_cell fc1 = { 0 }, fc2 = { 0 }, fc3 = { 0 };
	struct hostknobs *hk;
	char err[512];

	(void)state;
	cell_add(&fc1, "kvm_amd.avic", "1");
	assert_int_equal(hostknobs_apply(&fc1.c, &hk, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "module kvm_amd is not loaded"));

	cell_add(&fc2, "kvm.no_such_param", "1");
	assert_int_equal(hostknobs_apply(&fc2.c, &hk, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no such parameter"));

	cell_add(&fc3, "hardlockup_panic", "1");
	assert_int_equal(hostknobs_apply(&fc3.c, &hk, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "hardlockup_panic"));
	assert_non_null(strstr(err, "no such sysctl"));
	assert_false(restore_file_exists());
}

static void test_bad_sysctl_name(void **state)
{
	struct fake_cell fc = { 0 };
	struct hostknobs *hk;
	char err[512];

	(void)state;
	cell_add(&fc, "sysctl.kernel..panic", "1");
	assert_int_equal(hostknobs_apply(&fc.c, &hk, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a sysctl name"));
}

/* A restore file left by a killed run blocks the next apply, and
 * hostknobs_restore_file() replays it newest first. */
static void test_restore_file_replay(void **state)
{
	struct fake_cell fc = { 0 };
	struct hostknobs *hk;
	char err[512], msg[1024], buf[64], wd[512];
	FILE *f;

	(void)state;
	assert_int_equal(hostknobs_restore_file(NULL, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "nothing to restore"));

	/* What a run killed after setting watchdog_thresh twice leaves. */
	snprintf(wd, sizeof(wd), "%s/proc/sys/kernel/watchdog_thresh", sysroot);
	assert_int_equal(mkdir_p(statedir, 0755), 0);
	f = fopen(hostknobs_restore_path(), "w");
	assert_non_null(f);
	fprintf(f, "%s\t10\n%s\t7\n", wd, wd);
	fclose(f);
	put("proc/sys/kernel/watchdog_thresh", "3", 0644);

	cell_add(&fc, "watchdog_thresh", "5");
	assert_int_equal(hostknobs_apply(&fc.c, &hk, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "lockmap check --restore"));
	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "3");

	assert_int_equal(hostknobs_restore_file(NULL, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "restored 2 knob(s)"));
	assert_non_null(strstr(msg, wd));
	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "10");
	assert_false(restore_file_exists());
}

/* The same through the real profile parser and grid: wildcard keys and the
 * -1 defaults arrive the way hostknobs_apply() expects them. */
static void test_from_profile(void **state)
{
	const char *text = "[run]\ncell_seconds = 5s\n[guests]\ncount = 1\nperiod = 1ms\n"
			   "[host]\nwatchdog_thresh = 3, 4\nsysctl.kernel.printk = 7 4 1 7\n"
			   "kvm.min_timer_period_us = 50\n";
	struct profile *p;
	struct grid g;
	struct hostknobs *hk;
	char err[1024], buf[64];

	(void)state;
	if (profile_parse("knobs.profile", text, &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(p, &g), 0);
	assert_int_equal(g.ncells, 2);
	if (hostknobs_apply(&g.cells[1], &hk, err, sizeof(err)))
		fail_msg("%s", err);
	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "4");
	get("proc/sys/kernel/printk", buf, sizeof(buf));
	assert_string_equal(buf, "7 4 1 7");
	get("sys/module/kvm/parameters/min_timer_period_us", buf, sizeof(buf));
	assert_string_equal(buf, "50");
	/* Not named in the profile: left alone. */
	get("proc/sys/kernel/softlockup_panic", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	assert_int_equal(hostknobs_restore(hk), 0);
	get("proc/sys/kernel/watchdog_thresh", buf, sizeof(buf));
	assert_string_equal(buf, "10");
	get("sys/module/kvm/parameters/min_timer_period_us", buf, sizeof(buf));
	assert_string_equal(buf, "200");
	grid_free(&g);
	profile_free(p);
}

/* Out-of-range values are refused by the profile, before any cell. */
static void test_profile_bounds(void **state)
{
	struct profile *p = NULL;
	char err[1024];

	(void)state;
	assert_int_equal(profile_parse("knobs.profile", "[run]\n[guests]\ncount = 1\nperiod = 1ms\n"
				       "[host]\nwatchdog_thresh = 61\n", &p, err, sizeof(err)), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(err, "watchdog_thresh"));
}

/* The real thing, as root: change watchdog_thresh and put it back. */
static void test_real_watchdog_thresh(void **state)
{
	struct fake_cell fc = { 0 };
	struct hostknobs *hk;
	char err[512], before[32], during[32], after[32], want[8];

	(void)state;
	unsetenv("LOCKMAP_SYSROOT");
	if (geteuid() != 0) {
		fprintf(stderr, "# SKIP real watchdog_thresh: needs root\n");
		skip();
	}
	if (read_file_str("/proc/sys/kernel/watchdog_thresh", before, sizeof(before))) {
		fprintf(stderr, "# SKIP real watchdog_thresh: this kernel has no lockup detector\n");
		skip();
	}
	snprintf(want, sizeof(want), "%d", atoi(before) == 7 ? 8 : 7);
	cell_add(&fc, "watchdog_thresh", want);
	if (hostknobs_apply(&fc.c, &hk, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(read_file_str("/proc/sys/kernel/watchdog_thresh", during, sizeof(during)), 0);
	assert_string_equal(during, want);
	assert_int_equal(hostknobs_restore(hk), 0);
	assert_int_equal(read_file_str("/proc/sys/kernel/watchdog_thresh", after, sizeof(after)), 0);
	assert_string_equal(after, before);
	assert_false(restore_file_exists());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_unwinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_modparam, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_knobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sysctl_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_file_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_watchdog_thresh, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
