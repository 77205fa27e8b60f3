// SPDX-License-Identifier: GPL-2.0
/* The QMP client against a scripted peer on a socketpair (each test's server
 * thread plays QEMU's side of one conversation), and against a real QEMU. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "lockmap.h"
#include "qmp.h"
#include "spawn.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 3, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n"

struct peer {
	int fd;
	void (*script)(struct peer *p);
	pthread_t thread;
	char last_cmd[64];	/* the last command the client executed */
	json_int_t last_id;
	int ncmds;
};

static void peer_send(struct peer *p, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = send(p->fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Read one request line; false on EOF. Records its command and id. */
static bool peer_recv(struct peer *p)
{
	char line[1024];
	size_t n = 0;
	json_t *req;

	while (n < sizeof(line) - 1) {
		char c;

		if (recv(p->fd, &c, 1, 0) != 1)
			return false;
		if (c == '\n')
			break;
		line[n++] = c;
	}
	line[n] = '\0';
	req = json_loads(line, 0, NULL);
	if (!req)
		return false;
	snprintf(p->last_cmd, sizeof(p->last_cmd), "%s",
		 json_string_value(json_object_get(req, "execute")));
	p->last_id = json_integer_value(json_object_get(req, "id"));
	p->ncmds++;
	json_decref(req);
	return true;
}

static void peer_reply(struct peer *p, const char *ret)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"return\": %s, \"id\": %lld}\r\n", ret,
		 (long long)p->last_id);
	peer_send(p, buf);
}

static void peer_handshake(struct peer *p)
{
	peer_send(p, GREETING);
	if (peer_recv(p) && !strcmp(p->last_cmd, "qmp_capabilities"))
		peer_reply(p, "{}");
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;

	p->script(p);
	return NULL;
}

/* Start a scripted peer and attach a client to the other end. */
static int peer_start(struct peer *p, void (*script)(struct peer *), int timeout_ms,
		      struct qmp **q)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->fd = sv[1];
	p->script = script;
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
	return qmp_attach(sv[0], timeout_ms, q);
}

static void peer_join(struct peer *p)
{
	pthread_join(p->thread, NULL);
	close(p->fd);
}

/* An event arrives before the reply: the reply is returned, the event kept. */
static void script_event_then_reply(struct peer *p)
{
	peer_handshake(p);
	if (!peer_recv(p))
		return;
	peer_send(p, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n");
	peer_reply(p, "{\"running\": false, \"status\": \"paused\"}");
	/* Wait for the client to close. */
	(void)peer_recv(p);
}

static void test_cmd_reply_and_event(void **state)
{
	struct peer p;
	struct qmp *q = NULL;
	json_t *reply = NULL, *ev;

	(void)state;
	assert_int_equal(peer_start(&p, script_event_then_reply, 2000, &q), 0);
	assert_string_equal(qmp_version(q), "7.2.3");
	assert_int_equal(qmp_cmd(q, "query-status", NULL, &reply, 2000), 0);
	assert_string_equal(p.last_cmd, "query-status");
	assert_string_equal(json_string_value(json_object_get(reply, "status")), "paused");
	json_decref(reply);
	ev = qmp_event_next(q);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "STOP");
	json_decref(ev);
	assert_null(qmp_event_next(q));
	qmp_close(q);
	peer_join(&p);
	assert_int_equal(p.ncmds, 2);
}

/* Arguments reach the peer; QEMU's error becomes -EIO with its desc. */
static void script_error(struct peer *p)
{
	char buf[256];

	peer_handshake(p);
	if (!peer_recv(p))
		return;
	snprintf(buf, sizeof(buf),
		 "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nosuch has not been found\"}, \"id\": %lld}\r\n",
		 (long long)p->last_id);
	peer_send(p, buf);
	(void)peer_recv(p);
}

static void test_cmd_error(void **state)
{
	struct peer p;
	struct qmp *q = NULL;
	json_t *reply = (json_t *)1;

	(void)state;
	assert_int_equal(peer_start(&p, script_error, 2000, &q), 0);
	assert_int_equal(qmp_cmd(q, "nosuch", NULL, &reply, 2000), -EIO);
	assert_null(reply);
	assert_non_null(strstr(qmp_error(q), "The command nosuch has not been found"));
	assert_non_null(strstr(qmp_error(q), "CommandNotFound"));
	qmp_close(q);
	peer_join(&p);
}

/* A reply with another id (the late answer to a timed-out command) is skipped;
 * the reply is split across writes and shares a write with an event. */
static void script_stale_and_split(struct peer *p)
{
	char buf[256];

	peer_handshake(p);
	if (!peer_recv(p))
		return;
	snprintf(buf, sizeof(buf), "{\"return\": \"stale\", \"id\": %lld}\r\n{\"ev",
		 (long long)p->last_id - 1);
	peer_send(p, buf);
	usleep(20000);
	peer_send(p, "ent\": \"RESUME\"}\r\n{\"return\": {\"ok\"");
	usleep(20000);
	snprintf(buf, sizeof(buf), ": 1}, \"id\": %lld}\r\n", (long long)p->last_id);
	peer_send(p, buf);
	(void)peer_recv(p);
}

static void test_stale_id_and_split_lines(void **state)
{
	struct peer p;
	struct qmp *q = NULL;
	json_t *reply = NULL, *ev;

	(void)state;
	assert_int_equal(peer_start(&p, script_stale_and_split, 2000, &q), 0);
	assert_int_equal(qmp_cmd(q, "cont", NULL, &reply, 2000), 0);
	assert_int_equal(json_integer_value(json_object_get(reply, "ok")), 1);
	json_decref(reply);
	ev = qmp_event_next(q);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "RESUME");
	json_decref(ev);
	qmp_close(q);
	peer_join(&p);
}

/* A peer that never answers: the command ends at its timeout, not later. */
static void script_silent(struct peer *p)
{
	peer_handshake(p);
	(void)peer_recv(p);
	(void)peer_recv(p);
}

static void test_timeout(void **state)
{
	struct peer p;
	struct qmp *q = NULL;
	int64_t t0;

	(void)state;
	assert_int_equal(peer_start(&p, script_silent, 2000, &q), 0);
	t0 = now_ns();
	assert_int_equal(qmp_cmd(q, "stop", NULL, NULL, 200), -ETIMEDOUT);
	assert_true(now_ns() - t0 >= 190 * NSEC_PER_MSEC);
	assert_true(now_ns() - t0 < 2 * NSEC_PER_SEC);
	assert_non_null(strstr(qmp_error(q), "stop"));
	qmp_close(q);
	peer_join(&p);
}

/* QEMU exiting mid-command: -ECONNRESET, and later sends fail too. */
static void script_hangup(struct peer *p)
{
	peer_handshake(p);
	(void)peer_recv(p);
	shutdown(p->fd, SHUT_RDWR);
}

static void test_peer_closes(void **state)
{
	struct peer p;
	struct qmp *q = NULL;

	(void)state;
	assert_int_equal(peer_start(&p, script_hangup, 2000, &q), 0);
	assert_int_equal(qmp_cmd(q, "quit", NULL, NULL, 2000), -ECONNRESET);
	peer_join(&p);
	assert_true(qmp_cmd(q, "cont", NULL, NULL, 500) < 0);
	qmp_close(q);
}

/* Something that is not QEMU on the socket. */
static void script_not_qmp(struct peer *p)
{
	peer_send(p, "{\"hello\": 1}\r\n");
}

static void test_not_qmp(void **state)
{
	struct peer p;
	struct qmp *q = NULL;

	(void)state;
	assert_int_equal(peer_start(&p, script_not_qmp, 2000, &q), -EPROTO);
	assert_null(q);
	peer_join(&p);
}

static void script_garbage(struct peer *p)
{
	peer_send(p, "this is not json\r\n");
}

static void test_garbage(void **state)
{
	struct peer p;
	struct qmp *q = NULL;

	(void)state;
	assert_int_equal(peer_start(&p, script_garbage, 2000, &q), -EPROTO);
	peer_join(&p);
}

/* qmp_capabilities refused: the attach fails with -EIO. */
static void script_caps_refused(struct peer *p)
{
	char buf[256];

	peer_send(p, GREETING);
	if (!peer_recv(p))
		return;
	snprintf(buf, sizeof(buf),
		 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": %lld}\r\n",
		 (long long)p->last_id);
	peer_send(p, buf);
}

static void test_caps_refused(void **state)
{
	struct peer p;
	struct qmp *q = NULL;

	(void)state;
	assert_int_equal(peer_start(&p, script_caps_refused, 2000, &q), -EIO);
	peer_join(&p);
}

/* No socket at the path: the connect retries, then gives up at its timeout. */
static void test_connect_missing(void **state)
{
	struct qmp *q = NULL;
	int64_t t0 = now_ns();

	(void)state;
	assert_int_equal(qmp_connect("/tmp/lockmap-test-qmp-none.sock", 150, &q), -ETIMEDOUT);
	assert_true(now_ns() - t0 >= 140 * NSEC_PER_MSEC);
	assert_true(now_ns() - t0 < 2 * NSEC_PER_SEC);
	assert_null(q);
}

/* The QEMU of test_real_qemu, killed by the teardown if an assertion fails. */
static pid_t real_pid;

static int teardown_real_qemu(void **state)
{
	(void)state;
	if (real_pid > 0)
		(void)spawn_stop(real_pid, 100);
	real_pid = 0;
	return 0;
}

/* The real thing: QEMU with no machine, a QMP socket, stop/cont/quit. */
static void test_real_qemu(void **state)
{
	char dir[] = "/tmp/lockmap-test-qmp-XXXXXX", qemu[PATH_MAX];
	char *sock, *log, *qmparg;
	struct spawn_opts so = { .stdout_fd = -1, .new_pgrp = true };
	struct qmp *q = NULL;
	json_t *reply = NULL;
	int status = 0, rc;
	pid_t pid;

	(void)state;
	if (!spawn_which("qemu-system-x86_64", qemu, sizeof(qemu))) {
		print_message("# SKIP qemu-system-x86_64 not installed (apt-get install qemu-system-x86)\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	sock = xasprintf("%s/qmp.sock", dir);
	log = xasprintf("%s/qemu.log", dir);
	qmparg = xasprintf("unix:%s,server=on,wait=off", sock);
	char *const argv[] = { "qemu-system-x86_64", "-machine", "none", "-nodefaults",
			       "-display", "none", "-qmp", qmparg, NULL };
	so.stdout_path = log;
	assert_int_equal(spawn_start(argv, &so, &pid), 0);
	real_pid = pid;

	rc = qmp_connect(sock, 10000, &q);
	if (rc)
		fail_msg("qmp_connect to a real QEMU: %s", strerror(-rc));
	assert_true(strncmp(qmp_version(q), "", 1) != 0);
	assert_int_equal(qmp_cmd(q, "stop", NULL, NULL, 5000), 0);
	assert_int_equal(qmp_cmd(q, "query-status", NULL, &reply, 5000), 0);
	assert_string_equal(json_string_value(json_object_get(reply, "status")), "paused");
	json_decref(reply);
	assert_int_equal(qmp_cmd(q, "cont", NULL, NULL, 5000), 0);
	assert_int_equal(qmp_cmd(q, "query-status", NULL, &reply, 5000), 0);
	assert_true(json_is_true(json_object_get(reply, "running")));
	json_decref(reply);
	/* Arguments are passed: an unknown one is refused by QEMU's schema. */
	json_t *args = json_pack("{s:b}", "bogus", 1);
	assert_int_equal(qmp_cmd(q, "query-status", args, NULL, 5000), -EIO);
	json_decref(args);
	assert_int_equal(qmp_cmd(q, "no-such-command", NULL, NULL, 5000), -EIO);
	assert_non_null(strstr(qmp_error(q), "no-such-command"));
	/* The STOP and RESUME events were kept for us. */
	json_t *ev = qmp_event_next(q);

	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "STOP");
	json_decref(ev);
	assert_int_equal(qmp_cmd(q, "quit", NULL, NULL, 5000), 0);
	qmp_close(q);
	for (int i = 0; i < 500 && spawn_poll(pid, &status) == 0; i++)
		usleep(10000);
	status = spawn_stop(pid, 100);
	real_pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	(void)unlink(sock);
	(void)unlink(log);
	(void)rmdir(dir);
	free(sock);
	free(log);
	free(qmparg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_reply_and_event),
		cmocka_unit_test(test_cmd_error),
		cmocka_unit_test(test_stale_id_and_split_lines),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_peer_closes),
		cmocka_unit_test(test_not_qmp),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_caps_refused),
		cmocka_unit_test(test_connect_missing),
		cmocka_unit_test_teardown(test_real_qemu, teardown_real_qemu),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
