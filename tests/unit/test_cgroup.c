// SPDX-License-Identifier: GPL-2.0
/* cgroup.c: finding the cpu controller in mounts files of four kinds of host
 * (tests/data/mounts), parsing /proc/<pid>/cgroup, and, as root on a host with
 * a cpu controller, a real cgroup that throttles a busy process. */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "cgroup.h"
#include "lockmap.h"
#include "spawn.h"

/* cgroup_cpu_find_in() on tests/data/mounts/NAME.mounts with NAME/ as root. */
static int find_fixture(const char *name, struct cgroup_cpu *cpu)
{
	char mounts[512], root[512];

	snprintf(mounts, sizeof(mounts), "%s/mounts/%s.mounts", test_data_dir(), name);
	snprintf(root, sizeof(root), "%s/mounts/%s", test_data_dir(), name);
	return cgroup_cpu_find_in(mounts, root, cpu);
}

static void test_find_hybrid_v1(void **state)
{
	struct cgroup_cpu cpu;
	char want[512];

	(void)state;
	assert_int_equal(find_fixture("hybrid", &cpu), 0);
	assert_int_equal(cpu.version, 1);
	snprintf(want, sizeof(want), "%s/mounts/hybrid/sys/fs/cgroup/cpu", test_data_dir());
	assert_string_equal(cpu.mount, want);
	/* cpuacct and cpuset mounts must not be mistaken for cpu. */
	assert_non_null(strstr(cpu.desc, "cgroup v1 cpu controller"));
	assert_non_null(strstr(cpu.desc, "offers only: hugetlb"));
}

static void test_find_cpu_cpuacct(void **state)
{
	struct cgroup_cpu cpu;

	(void)state;
	assert_int_equal(find_fixture("v1-cpuacct", &cpu), 0);
	assert_int_equal(cpu.version, 1);
	assert_non_null(strstr(cpu.mount, "/sys/fs/cgroup/cpu,cpuacct"));
	assert_non_null(strstr(cpu.desc, "offers only: nothing"));
}

static void test_find_v2(void **state)
{
	struct cgroup_cpu cpu;
	char want[512];

	(void)state;
	assert_int_equal(find_fixture("v2-systemd", &cpu), 0);
	assert_int_equal(cpu.version, 2);
	snprintf(want, sizeof(want), "%s/mounts/v2-systemd/sys/fs/cgroup", test_data_dir());
	assert_string_equal(cpu.mount, want);
	assert_non_null(strstr(cpu.desc, "cpu.max"));
}

static void test_find_v2_without_cpu(void **state)
{
	struct cgroup_cpu cpu;

	(void)state;
	assert_int_equal(find_fixture("v2-nocpu", &cpu), -ENOENT);
	assert_int_equal(cpu.version, 0);
	assert_non_null(strstr(cpu.desc, "offers only 'memory pids'"));
	assert_non_null(strstr(cpu.desc, "fix:"));
}

static void test_find_none(void **state)
{
	struct cgroup_cpu cpu;
	char mounts[512];

	(void)state;
	snprintf(mounts, sizeof(mounts), "%s/mounts/none.mounts", test_data_dir());
	assert_int_equal(cgroup_cpu_find_in(mounts, "", &cpu), -ENOENT);
	assert_non_null(strstr(cpu.desc, "no cgroup filesystem"));
	assert_int_equal(cgroup_cpu_find_in("/nonexistent/mounts", "", &cpu), -ENOENT);
	assert_non_null(strstr(cpu.desc, "cannot read /nonexistent/mounts"));
}

static void test_parse_proc(void **state)
{
	const char *hybrid = "9:name=systemd:/\n8:pids:/\n4:memory:/a/b\n3:cpuset:/\n"
			     "2:cpu,cpuacct:/lockmap-1\n1:cpuacct:/x\n0::/user.slice\n";
	char path[256];

	(void)state;
	assert_int_equal(cgroup_parse_proc(hybrid, 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/lockmap-1");
	assert_int_equal(cgroup_parse_proc(hybrid, 2, path, sizeof(path)), 0);
	assert_string_equal(path, "/user.slice");
	assert_int_equal(cgroup_parse_proc("0::/system.slice/x.service", 2, path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/x.service");
	assert_int_equal(cgroup_parse_proc("0::/system.slice/x.service\n", 1, path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(cgroup_parse_proc("3:cpuset:/\n", 1, path, sizeof(path)), -ENOENT);
	assert_int_equal(cgroup_parse_proc(hybrid, 1, path, 4), -ENAMETOOLONG);
}

/* Root with a cpu controller: a cgroup holding a busy process (yes > /dev/null)
 * limited to 10ms per 100ms gets throttled, and everything is undone. */
static void test_live_throttle(void **state)
{
	char *argv[] = { "yes", NULL };
	struct spawn_opts o = { .stdout_fd = -1 };
	struct cgroup_cpu cpu;
	struct cgroup cg;
	struct cgroup_throttle t;
	char err[512], from[256], now[256], name[64];
	struct stat st;
	pid_t pid;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "# SKIP live cgroup test: needs root\n");
		skip();
	}
	if (cgroup_cpu_find("/proc/mounts", &cpu)) {
		fprintf(stderr, "# SKIP live cgroup test: %s\n", cpu.desc);
		skip();
	}
	snprintf(name, sizeof(name), "lockmap-test-%d", (int)getpid());
	assert_int_equal(spawn_start(argv, &o, &pid), 0);
	assert_int_equal(cgroup_of_task(pid, 0, cpu.version, from, sizeof(from)), 0);

	if (cgroup_create(&cpu, name, &cg, err, sizeof(err))) {
		spawn_stop(pid, 100);
		fail_msg("cgroup_create: %s", err);
	}
	assert_int_equal(stat(cg.path, &st), 0);
	assert_int_equal(cgroup_set_bandwidth(&cg, 10000, 100000, err, sizeof(err)), 0);
	assert_int_equal(cgroup_move(&cpu, cg.rel, pid, err, sizeof(err)), 0);
	assert_int_equal(cgroup_of_task(pid, 0, cpu.version, now, sizeof(now)), 0);
	assert_string_equal(now, cg.rel);

	(void)sleep_ns(600 * NSEC_PER_MSEC);
	assert_int_equal(cgroup_read_throttle(&cg, &t), 0);
	/* ~6 periods, in each of which yes runs out of its 10 ms. */
	assert_true(t.nr_periods >= 3);
	assert_true(t.nr_throttled >= 2);
	assert_true(t.throttled_us > 100000);

	/* rmdir must wait while the task is still inside. */
	assert_int_equal(cgroup_move(&cpu, from, pid, err, sizeof(err)), 0);
	assert_int_equal(cgroup_of_task(pid, 0, cpu.version, now, sizeof(now)), 0);
	assert_string_equal(now, from);
	assert_int_equal(cgroup_remove(&cg), 0);
	assert_int_equal(stat(cg.path, &st), -1);
	assert_int_equal(cgroup_remove(&cg), 0);	/* twice is fine */
	spawn_stop(pid, 500);
}

/* A cgroup that still holds a task cannot be removed: the error says so. */
static void test_live_remove_busy(void **state)
{
	char *argv[] = { "sleep", "30", NULL };
	struct spawn_opts o = { .stdout_fd = -1 };
	struct cgroup_cpu cpu;
	struct cgroup cg;
	char err[512], from[256], name[64];
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || cgroup_cpu_find("/proc/mounts", &cpu)) {
		fprintf(stderr, "# SKIP live cgroup test: needs root and a cpu controller\n");
		skip();
	}
	snprintf(name, sizeof(name), "lockmap-test-busy-%d", (int)getpid());
	assert_int_equal(spawn_start(argv, &o, &pid), 0);
	assert_int_equal(cgroup_of_task(pid, 0, cpu.version, from, sizeof(from)), 0);
	assert_int_equal(cgroup_create(&cpu, name, &cg, err, sizeof(err)), 0);
	assert_int_equal(cgroup_move(&cpu, cg.rel, pid, err, sizeof(err)), 0);
	assert_int_equal(cgroup_remove(&cg), -EBUSY);
	assert_true(cg.created);
	spawn_stop(pid, 500);
	/* Once the task has exited (and been reaped) the cgroup can go. */
	assert_int_equal(cgroup_remove(&cg), 0);
	assert_false(cg.created);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_hybrid_v1),
		cmocka_unit_test(test_find_cpu_cpuacct),
		cmocka_unit_test(test_find_v2),
		cmocka_unit_test(test_find_v2_without_cpu),
		cmocka_unit_test(test_find_none),
		cmocka_unit_test(test_parse_proc),
		cmocka_unit_test(test_live_throttle),
		cmocka_unit_test(test_live_remove_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
