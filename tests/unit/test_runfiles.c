// SPDX-License-Identifier: GPL-2.0
/* runfiles.c in a temporary LOCKMAP_STATE_DIR: QMP socket paths, and which
 * sockets count as left by a dead run (owner pid gone, nobody listening). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "lockmap.h"
#include "runfiles.h"

static char state[128];

static int setup(void **st)
{
	(void)st;
	snprintf(state, sizeof(state), "/tmp/lockmap-test-runfiles-%d", (int)getpid());
	assert_int_equal(rm_rf(state), 0);
	setenv("LOCKMAP_STATE_DIR", state, 1);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	(void)rm_rf(state);
	return 0;
}

/* A unix socket file at path; listening (fd returned) or closed (-1): a
 * closed one stays as a file nobody answers on, as a killed QEMU leaves it. */
static int make_socket(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening) {
		assert_int_equal(listen(fd, 1), 0);
		return fd;
	}
	close(fd);
	return -1;
}

static pid_t dead_pid(void)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	return child;
}

static void test_qmp_path(void **st)
{
	char why[512], *p, *want;

	(void)st;
	p = runfiles_qmp_path("abc-g0", why, sizeof(why));
	assert_non_null(p);
	want = xasprintf("%s/qmp/%d-abc-g0.sock", state, (int)getpid());
	assert_string_equal(p, want);
	assert_int_equal(access(state, F_OK), 0);
	free(p);
	free(want);
}

static void test_qmp_path_too_long(void **st)
{
	char why[512], *dir;

	(void)st;
	dir = xasprintf("%s/%0100d", state, 0);
	setenv("LOCKMAP_STATE_DIR", dir, 1);
	assert_null(runfiles_qmp_path("lab", why, sizeof(why)));
	assert_non_null(strstr(why, "LOCKMAP_STATE_DIR"));
	setenv("LOCKMAP_STATE_DIR", state, 1);
	free(dir);
}

static void test_stale(void **st)
{
	char names[1024], why[512];
	char *dir, *stale, *mine, *live, *other;
	pid_t dead = dead_pid();
	int fd;

	(void)st;
	free(runfiles_qmp_path("x", why, sizeof(why)));	/* makes the directory */
	dir = xasprintf("%s/qmp", state);
	stale = xasprintf("%s/%d-c0ffee-g0.sock", dir, (int)dead);
	mine = xasprintf("%s/%d-c0ffee-g1.sock", dir, (int)getpid());
	live = xasprintf("%s/%d-lab.sock", dir, (int)dead);
	other = xasprintf("%s/notours.sock", dir);
	make_socket(stale, false);
	make_socket(mine, false);
	fd = make_socket(live, true);
	make_socket(other, false);

	assert_int_equal(runfiles_stale(false, names, sizeof(names)), 1);
	assert_string_equal(names, stale);
	assert_int_equal(access(stale, F_OK), 0);
	assert_int_equal(runfiles_stale(true, names, sizeof(names)), 1);
	assert_int_equal(access(stale, F_OK), -1);
	/* Its owner alive, someone listening, or a name not ours: kept. */
	assert_int_equal(access(mine, F_OK), 0);
	assert_int_equal(access(live, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(runfiles_stale(false, names, sizeof(names)), 0);
	assert_string_equal(names, "");
	close(fd);
	free(dir);
	free(stale);
	free(mine);
	free(live);
	free(other);
}

/* --pstore RAM files in a directory of the test's own (/dev/shm in a lab):
 * one held by a live owner (its flock) is kept, one nobody holds (its lockmap
 * killed) is removed, a name not ours is left alone; the name of a held one
 * cannot be taken, a stale one's can (emptied). */
static void test_ram_sweep(void **st)
{
	char names[1024];
	char *dir = xasprintf("%s/shm", state), *held, *stale, *other, *again;
	int fd, fd2;
	FILE *f;

	(void)st;
	assert_int_equal(mkdir_p(dir, 0700), 0);
	fd = runfiles_ram_open(dir, "20261201-000000-held", &held);
	assert_true(fd >= 0);
	stale = xasprintf("%s/lockmap-lab-20261201-000000-held.ram", dir);
	assert_string_equal(held, stale);
	free(stale);
	stale = xasprintf("%s/lockmap-lab-20261201-000000-killed.ram", dir);
	other = xasprintf("%s/lockmap-lab-.ramx", dir);
	f = fopen(stale, "w");
	assert_non_null(f);
	fputs("ram", f);
	fclose(f);
	f = fopen(other, "w");
	assert_non_null(f);
	fclose(f);

	assert_int_equal(runfiles_ram_open(dir, "20261201-000000-held", &again), -EBUSY);
	assert_null(again);
	assert_int_equal(runfiles_ram_sweep(dir, names, sizeof(names)), 1);
	assert_string_equal(names, stale);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(held, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);

	/* The owner gone (its fd closed, as when it is killed): stale. */
	close(fd);
	assert_int_equal(runfiles_ram_sweep(dir, names, sizeof(names)), 1);
	assert_string_equal(names, held);
	assert_int_equal(access(held, F_OK), -1);

	/* A name a killed lab left is taken again, without its contents. */
	f = fopen(stale, "w");
	assert_non_null(f);
	fputs("ram", f);
	fclose(f);
	fd2 = runfiles_ram_open(dir, "20261201-000000-killed", &again);
	assert_true(fd2 >= 0);
	assert_string_equal(again, stale);
	assert_int_equal(lseek(fd2, 0, SEEK_END), 0);
	assert_int_equal(runfiles_ram_sweep(dir, names, sizeof(names)), 0);
	assert_string_equal(names, "");
	close(fd2);
	free(dir);
	free(held);
	free(stale);
	free(other);
	free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qmp_path),
		cmocka_unit_test(test_qmp_path_too_long),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_ram_sweep),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
