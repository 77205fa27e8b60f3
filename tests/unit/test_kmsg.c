// SPDX-License-Identifier: GPL-2.0
/* The /dev/kmsg reader: record parsing on a file and a pipe, and one round
 * trip through the real /dev/kmsg when we may write to it. */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kmsg.h"
#include "lockmap.h"
#include "testutil.h"

struct lines {
	int n;
	char buf[64][256];
};

static void collect(const char *line, void *arg)
{
	struct lines *l = arg;

	if (l->n < (int)ARRAY_SIZE(l->buf))
		snprintf(l->buf[l->n], sizeof(l->buf[0]), "%s", line);
	l->n++;
}

static void append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

/* Records written before the open are not read: kmsg_open starts at the end. */
static void test_file_records(void **state)
{
	char path[] = "/tmp/lockmap-test-kmsg-XXXXXX";
	struct lines l = { 0 };
	struct kmsg *k;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	append(path, "6,1,1000,-;old record, before the open\n");
	assert_int_equal(kmsg_open(path, &k), 0);
	assert_true(kmsg_fd(k) >= 0);
	append(path,
	       "4,10,655298717,-;NMI watchdog: Watchdog detected hard LOCKUP on cpu 1\n"
	       " SUBSYSTEM=cpu\n"
	       " DEVICE=+cpu:1\n"
	       "3,11,655298720,-,caller=C1;rcu: \\x091-...!: (0 ticks this GP)\n"
	       "6,12,5,c;two\\x0alines\n"
	       "6,13,6000000,-;back\\x5cslash \\xzz not an escape\n"
	       "this is not a record\n"
	       "6,17,7000000,-;after a gap\n"
	       "6,18,12345678901,-;big\n");
	assert_int_equal(kmsg_read(k, collect, &l), 6);
	assert_int_equal(l.n, 8);
	assert_string_equal(l.buf[0],
			    "[  655.298717] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1");
	assert_string_equal(l.buf[1], "[  655.298720] rcu: \t1-...!: (0 ticks this GP)");
	assert_string_equal(l.buf[2], "[    0.000005] two");
	assert_string_equal(l.buf[3], "[    0.000005] lines");
	assert_string_equal(l.buf[4], "[    6.000000] back\\slash \\xzz not an escape");
	assert_string_equal(l.buf[5], "lockmap: kmsg: 3 records lost");
	assert_string_equal(l.buf[6], "[    7.000000] after a gap");
	assert_string_equal(l.buf[7], "[12345.678901] big");
	/* nothing new: no lines, no error */
	l.n = 0;
	assert_int_equal(kmsg_read(k, collect, &l), 0);
	assert_int_equal(l.n, 0);
	kmsg_close(k);
	unlink(path);
}

/* A pipe delivers a record in pieces; only complete lines are records. */
static void test_pipe_partial(void **state)
{
	char dir[] = "/tmp/lockmap-test-kmsg-XXXXXX", path[64];
	struct lines l = { 0 };
	struct kmsg *k;
	int wfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(kmsg_open(path, &k), 0);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(wfd >= 0);
	assert_int_equal(write(wfd, "4,1,2000000,-;hrtimer: interr", 29), 29);
	assert_int_equal(kmsg_read(k, collect, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(write(wfd, "upt took 5000 ns\n", 17), 17);
	assert_int_equal(kmsg_read(k, collect, &l), 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.buf[0], "[    2.000000] hrtimer: interrupt took 5000 ns");
	close(wfd);
	kmsg_close(k);
	unlink(path);
	rmdir(dir);
}

static void test_open_missing(void **state)
{
	struct kmsg *k = NULL;

	(void)state;
	assert_int_equal(kmsg_open("/nonexistent/kmsg", &k), -ENOENT);
	assert_null(k);
	kmsg_close(NULL);
}

/* Write a unique line to the real /dev/kmsg and read it back. */
static void test_dev_kmsg_roundtrip(void **state)
{
	char mark[96], want[128];
	struct lines l = { 0 };
	struct kmsg *k;
	int wfd, rc;
	bool found = false;

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIP: needs root to write /dev/kmsg\n");
		skip();
	}
	wfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (wfd < 0) {
		print_message("SKIP: /dev/kmsg not writable: %s\n", strerror(errno));
		skip();
	}
	rc = kmsg_open(NULL, &k);
	if (rc < 0) {
		close(wfd);
		print_message("SKIP: /dev/kmsg not readable: %s\n", strerror(-rc));
		skip();
	}
	snprintf(mark, sizeof(mark), "lockmap-test-kmsg %d %lld", (int)getpid(),
		 (long long)now_ns());
	/* "<5>" sets the level; the kernel prefixes nothing else to the text */
	snprintf(want, sizeof(want), "<5>%s\n", mark);
	assert_int_equal(write(wfd, want, strlen(want)), (ssize_t)strlen(want));
	close(wfd);
	for (int tries = 0; tries < 20 && !found; tries++) {
		struct pollfd pfd = { .fd = kmsg_fd(k), .events = POLLIN };

		(void)poll(&pfd, 1, 100);
		l.n = 0;
		assert_true(kmsg_read(k, collect, &l) >= 0);
		for (int i = 0; i < l.n && i < (int)ARRAY_SIZE(l.buf); i++) {
			const char *p = strstr(l.buf[i], "] ");

			if (l.buf[i][0] == '[' && p && !strcmp(p + 2, mark))
				found = true;
		}
	}
	kmsg_close(k);
	assert_true(found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_records),
		cmocka_unit_test(test_pipe_partial),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_dev_kmsg_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
