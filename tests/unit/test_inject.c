// SPDX-License-Identifier: GPL-2.0
/* The injectors that need no kernel module, run for real: throttle on a busy
 * process standing in for a VMM, stress with stress-ng, pause on QEMU guests
 * started by the qemu launcher. Each skips with its reason when this host
 * lacks what it needs (root, a cpu controller, stress-ng, QEMU). */
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "cell.h"
#include "cgroup.h"
#include "grid.h"
#include "inject.h"
#include "lockmap.h"
#include "profile.h"
#include "spawn.h"

struct fixture {
	struct profile *prof;
	struct grid grid;
	struct cell_ctx ctx;
	struct guest guests[2];
	char dir[64];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* A cell from profile text, with a fresh cell directory. */
static struct fixture *fixture_new(const char *text)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[1024];

	assert_non_null(fx);
	if (profile_parse("test.profile", text, &fx->prof, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(fx->prof, &fx->grid), 0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/lockmap-test-inj-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->ctx.run_id = "test-run";
	fx->ctx.cell = &fx->grid.cells[0];
	fx->ctx.dir = fx->dir;
	fx->ctx.accel = "tcg";
	fx->ctx.launcher = launcher_find("qemu");
	fx->ctx.guests = fx->guests;
	fx->ctx.nguests = 0;
	return fx;
}

static void fixture_free(struct fixture *fx)
{
	for (size_t i = 0; i < ARRAY_SIZE(fx->guests); i++)
		if (fx->guests[i].pid > 0 && !fx->guests[i].exited)
			spawn_stop(fx->guests[i].pid, 500);
	(void)nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	grid_free(&fx->grid);
	profile_free(fx->prof);
	free(fx);
}

static struct inject_ctx ic_for(struct fixture *fx, const char *name)
{
	struct inject_ctx ic = { .ops = injector_find(name), .cell = &fx->ctx };

	assert_non_null(ic.ops);
	snprintf(ic.section, sizeof(ic.section), "inject.%s", name);
	return ic;
}

static json_t *describe(struct inject_ctx *ic)
{
	json_t *o = json_object();

	ic->ops->describe(ic, o);
	return o;
}

#define BASE "[run]\ncell_seconds = 5s\n[guests]\ncount = 1\nperiod = 1ms\n"

static void test_unknown_stressor_is_profile_error(void **state)
{
	struct profile *p = NULL;
	char err[1024];

	(void)state;
	assert_int_equal(profile_parse("bad.profile", BASE "[inject.stress]\nstressors = cpu,nosuch\n",
				       &p, err, sizeof(err)), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(err, "nosuch"));
	assert_non_null(strstr(err, "bad.profile:"));
}

/* Every injector with its size at zero does nothing and says it was off. */
static void test_zero_is_off(void **state)
{
	struct fixture *fx = fixture_new(BASE "[inject.throttle]\nquota = 0\n[inject.stress]\n"
					 "workers = 0\n[inject.pause]\nlength = 0\n");
	const char *names[] = { "throttle", "stress", "pause" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct inject_ctx ic = ic_for(fx, names[i]);
		json_t *d;

		assert_int_equal(ic.ops->start(&ic), 0);
		if (ic.ops->step)
			assert_true(ic.ops->step(&ic, now_ns()) == INT64_MAX);
		assert_int_equal(ic.ops->stop(&ic), 0);
		assert_int_equal(ic.ops->stop(&ic), 0);
		d = describe(&ic);
		assert_true(json_is_true(json_object_get(d, "off")));
		json_decref(d);
		free(ic.priv);
	}
	/* Nothing written: no stress-ng log, no cgroup. */
	assert_int_equal(rmdir(fx->dir), 0);
	assert_int_equal(mkdir(fx->dir, 0700), 0);
	fixture_free(fx);
}

static void test_stress_missing(void **state)
{
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	const struct injector_ops *ops = injector_find("stress");
	char why[512];

	(void)state;
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(ops->supported(why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "apt-get install stress-ng"));
	if (old) {
		setenv("PATH", old, 1);
		free(old);
	}
}

/* Is any process left in process group pgid? */
static bool pgrp_alive(pid_t pgid)
{
	return killpg(pgid, 0) == 0;
}

static void test_stress_runs_and_stops(void **state)
{
	const struct injector_ops *ops = injector_find("stress");
	struct fixture *fx;
	struct inject_ctx ic;
	char why[512], log[128];
	json_t *d, *argv, *ops_j;
	pid_t pgid;

	(void)state;
	if (ops->supported(why, sizeof(why))) {
		fprintf(stderr, "# SKIP stress: %s\n", why);
		skip();
	}
	fx = fixture_new(BASE "[inject.stress]\nstressors = cpu\ncpus = 0\nworkers = 2\n");
	ic = ic_for(fx, "stress");
	assert_int_equal(ic.ops->start(&ic), 0);
	d = describe(&ic);
	argv = json_object_get(d, "argv");
	assert_string_equal(json_string_value(json_array_get(argv, 0)), "stress-ng");
	assert_string_equal(json_string_value(json_array_get(argv, 1)), "--cpu");
	assert_string_equal(json_string_value(json_array_get(argv, 2)), "2");
	/* stress-ng leads its own process group. */
	pgid = (pid_t)json_integer_value(json_object_get(d, "pid"));
	json_decref(d);
	assert_true(pgid > 0);
	for (int i = 0; i < 15; i++) {
		assert_true(ic.ops->step(&ic, now_ns()) != INT64_MAX);	/* still running */
		(void)sleep_ns(100 * NSEC_PER_MSEC);
	}
	assert_int_equal(ic.ops->stop(&ic), 0);
	assert_false(pgrp_alive(pgid));
	assert_int_equal(ic.ops->stop(&ic), 0);

	d = describe(&ic);
	assert_int_equal(json_integer_value(json_object_get(d, "exit_status")), 0);
	assert_true(json_is_false(json_object_get(d, "exited_early")));
	ops_j = json_object_get(json_object_get(d, "bogo_ops"), "cpu");
	assert_true(json_is_integer(ops_j));
	assert_true(json_integer_value(ops_j) > 0);
	json_decref(d);
	snprintf(log, sizeof(log), "%s/stress-ng.log", fx->dir);
	assert_int_equal(access(log, R_OK), 0);
	free(ic.priv);
	fixture_free(fx);
}

/* A stress-ng that dies mid-window (killed from outside here) is noticed by
 * step() and makes stop() fail: the cell did not get the stress it asked for. */
static void test_stress_dies_early(void **state)
{
	const struct injector_ops *ops = injector_find("stress");
	struct fixture *fx;
	struct inject_ctx ic;
	char why[512];
	pid_t pgid;
	json_t *d;
	int64_t end;

	(void)state;
	if (ops->supported(why, sizeof(why))) {
		fprintf(stderr, "# SKIP stress: %s\n", why);
		skip();
	}
	fx = fixture_new(BASE "[inject.stress]\nstressors = cpu\ncpus = 0\n");
	ic = ic_for(fx, "stress");
	assert_int_equal(ic.ops->start(&ic), 0);
	d = describe(&ic);
	pgid = (pid_t)json_integer_value(json_object_get(d, "pid"));
	json_decref(d);
	assert_int_equal(killpg(pgid, SIGKILL), 0);
	end = now_ns() + 2 * NSEC_PER_SEC;
	while (ic.ops->step(&ic, now_ns()) != INT64_MAX && now_ns() < end)
		(void)sleep_ns(20 * NSEC_PER_MSEC);
	assert_int_equal(ic.ops->stop(&ic), -ECHILD);
	assert_false(pgrp_alive(pgid));
	d = describe(&ic);
	assert_true(json_is_true(json_object_get(d, "exited_early")));
	assert_int_equal(json_integer_value(json_object_get(d, "signal")), SIGKILL);
	json_decref(d);
	free(ic.priv);
	fixture_free(fx);
}

/* Root with a cpu controller: both "VMM processes" land in the cgroup, get
 * throttled, and go back where they came from; the cgroup is removed. */
static void test_throttle_live(void **state)
{
	const struct injector_ops *ops = injector_find("throttle");
	char *yes[] = { "yes", NULL }, *slp[] = { "sleep", "30", NULL };
	struct spawn_opts o = { .stdout_fd = -1 };
	struct fixture *fx;
	struct inject_ctx ic;
	char why[512], from[2][256], now[256], want[64];
	const char *path;
	struct stat st;
	json_t *d;
	int version;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "# SKIP throttle: needs root\n");
		skip();
	}
	if (ops->supported(why, sizeof(why))) {
		fprintf(stderr, "# SKIP throttle: %s\n", why);
		skip();
	}
	fx = fixture_new(BASE "[inject.throttle]\nquota = 10ms\nperiod = 50ms\n");
	fx->ctx.nguests = 2;
	assert_int_equal(spawn_start(yes, &o, &fx->guests[0].pid), 0);
	assert_int_equal(spawn_start(slp, &o, &fx->guests[1].pid), 0);
	fx->guests[1].index = 1;
	ic = ic_for(fx, "throttle");

	d = describe(&ic);	/* before start: off, nothing to say */
	json_decref(d);
	{
		struct cgroup_cpu cpu;

		assert_int_equal(cgroup_cpu_find(NULL, &cpu), 0);
		version = cpu.version;
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(cgroup_of_task(fx->guests[i].pid, 0, version, from[i],
						sizeof(from[i])), 0);
	assert_int_equal(ic.ops->start(&ic), 0);
	snprintf(want, sizeof(want), "/lockmap-test-run-%s", fx->ctx.cell->id);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(cgroup_of_task(fx->guests[i].pid, 0, version, now, sizeof(now)), 0);
		assert_string_equal(now, want);
	}
	(void)sleep_ns(500 * NSEC_PER_MSEC);
	assert_int_equal(ic.ops->stop(&ic), 0);
	assert_int_equal(ic.ops->stop(&ic), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(cgroup_of_task(fx->guests[i].pid, 0, version, now, sizeof(now)), 0);
		assert_string_equal(now, from[i]);
	}

	d = describe(&ic);
	path = json_string_value(json_object_get(d, "cgroup"));
	assert_non_null(path);
	assert_non_null(strstr(path, want));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(json_integer_value(json_object_get(d, "cgroup_version")), version);
	assert_string_equal(json_string_value(json_object_get(d, "quota")), "10ms");
	assert_string_equal(json_string_value(json_object_get(d, "period")), "50ms");
	/* yes wants a whole cpu and gets 10 ms of each 50. */
	assert_true(json_integer_value(json_object_get(d, "nr_throttled")) >= 3);
	assert_true(json_integer_value(json_object_get(d, "throttled_us")) > 100000);
	json_decref(d);
	free(ic.priv);
	fixture_free(fx);
}

/* A quota under the kernel's 1 ms is a profile mistake, found before anything
 * starts; a start that fails anyway (the kernel refuses it too) leaves nothing
 * behind. */
static void test_throttle_bad_quota(void **state)
{
	struct fixture *fx = fixture_new(BASE "[inject.throttle]\nquota = 500us\n");
	struct inject_ctx ic = ic_for(fx, "throttle");
	char err[1024], why[512];
	const char *path;
	struct stat st;
	json_t *d;

	(void)state;
	assert_int_equal(ic.ops->validate(fx->ctx.cell, ic.section, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "test.profile:7: [inject.throttle] quota: 500us is under"));
	assert_non_null(strstr(err, "1ms or more"));
	if (geteuid() != 0 || ic.ops->supported(why, sizeof(why))) {
		fprintf(stderr, "# SKIP throttle start: needs root and a cpu controller\n");
		fixture_free(fx);
		skip();
	}
	assert_true(ic.ops->start(&ic) < 0);
	d = describe(&ic);
	assert_non_null(json_string_value(json_object_get(d, "error")));
	path = json_string_value(json_object_get(d, "cgroup"));
	if (path)
		assert_int_equal(stat(path, &st), -1);
	json_decref(d);
	assert_int_equal(ic.ops->stop(&ic), 0);
	free(ic.priv);
	fixture_free(fx);
}

/* Two tickguests under QEMU (TCG), paused 200 ms every 300 ms by the
 * injector through the qemu launcher's QMP stop/cont; then throttled. */
static void test_pause_qemu(void **state)
{
	struct fixture *fx;
	struct inject_ctx ic;
	char why[512];
	int64_t end;
	json_t *d;

	(void)state;
	/* Tests run from the top of the tree; the guest is built into build/. */
	setenv("LOCKMAP_DATADIR", "build", 0);
	if (!launcher_find("qemu") || launcher_find("qemu")->supported(why, sizeof(why))) {
		fprintf(stderr, "# SKIP pause: %s\n", why);
		skip();
	}
	fx = fixture_new("[run]\ncell_seconds = 5s\n[guests]\ncount = 2\nperiod = 1ms\n"
			 "[inject.pause]\nlength = 200ms\ngap = 300ms\n"
			 "[inject.throttle]\nquota = 10ms\nperiod = 100ms\n");
	fx->ctx.nguests = 2;
	if (fx->ctx.launcher->start(&fx->ctx, why, sizeof(why))) {
		fx->ctx.launcher->stop(&fx->ctx);
		fail_msg("qemu launcher could not start 2 tickguests: %s (see %s)", why, fx->dir);
	}
	ic = ic_for(fx, "pause");
	assert_int_equal(ic.ops->start(&ic), 0);
	end = now_ns() + 1200 * NSEC_PER_MSEC;
	while (now_ns() < end) {
		int64_t next = ic.ops->step(&ic, now_ns()), now = now_ns();

		if (next > end)
			next = end;
		if (next > now)
			(void)sleep_ns(next - now);
	}
	/* At 1.2 s the third pause (from 1.0 s) is on: stop must resume. */
	assert_true(fx->guests[0].paused && fx->guests[1].paused);
	assert_int_equal(ic.ops->stop(&ic), 0);
	assert_false(fx->guests[0].paused || fx->guests[1].paused);
	assert_int_equal(ic.ops->stop(&ic), 0);
	d = describe(&ic);
	assert_int_equal(json_integer_value(json_object_get(d, "pauses")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "errors")), 0);
	assert_true(json_integer_value(json_object_get(d, "longest_ns")) >= 200 * NSEC_PER_MSEC);
	assert_true(json_integer_value(json_object_get(d, "paused_ns")) >= 400 * NSEC_PER_MSEC);
	json_decref(d);
	free(ic.priv);

	/* The same guests throttled: every QEMU thread (vCPUs, I/O) moves. */
	if (geteuid() == 0 && injector_find("throttle")->supported(why, sizeof(why)) == 0) {
		char want[64], now[256];
		struct cgroup_cpu cpu;
		DIR *dir;
		struct dirent *de;
		char tp[64];
		int threads = 0;

		assert_int_equal(cgroup_cpu_find(NULL, &cpu), 0);
		ic = ic_for(fx, "throttle");
		assert_int_equal(ic.ops->start(&ic), 0);
		snprintf(want, sizeof(want), "/lockmap-test-run-%s", fx->ctx.cell->id);
		snprintf(tp, sizeof(tp), "/proc/%d/task", (int)fx->guests[1].pid);
		dir = opendir(tp);
		assert_non_null(dir);
		while ((de = readdir(dir))) {
			if (atoi(de->d_name) <= 0)
				continue;
			assert_int_equal(cgroup_of_task(fx->guests[1].pid, atoi(de->d_name), cpu.version,
							now, sizeof(now)), 0);
			assert_string_equal(now, want);
			threads++;
		}
		closedir(dir);
		assert_true(threads > 1);
		(void)sleep_ns(300 * NSEC_PER_MSEC);
		assert_int_equal(ic.ops->stop(&ic), 0);
		d = describe(&ic);
		assert_true(json_integer_value(json_object_get(d, "nr_periods")) > 0);
		json_decref(d);
		free(ic.priv);
	} else {
		fprintf(stderr, "# throttle on QEMU guests not run: needs root and a cpu controller\n");
	}
	assert_int_equal(fx->ctx.launcher->stop(&fx->ctx), 0);
	for (int i = 0; i < 2; i++) {
		free(fx->guests[i].out_path);
		free(fx->guests[i].vmm_log);
	}
	fixture_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_stressor_is_profile_error),
		cmocka_unit_test(test_zero_is_off),
		cmocka_unit_test(test_stress_missing),
		cmocka_unit_test(test_stress_runs_and_stops),
		cmocka_unit_test(test_stress_dies_early),
		cmocka_unit_test(test_throttle_live),
		cmocka_unit_test(test_throttle_bad_quota),
		cmocka_unit_test(test_pause_qemu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
