// SPDX-License-Identifier: GPL-2.0
/* QMP client: one JSON object a line over a unix socket, every wait bounded.
 * Replies carry our "id" so a late answer to a command that timed out is never
 * taken for the answer to the next one. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lockmap.h"
#include "qmp.h"

/* A reply larger than this is not something lockmap asks for. */
#define QMP_MAX_MSG (16u << 20)
/* Events nobody collects are dropped oldest first beyond this many. */
#define QMP_MAX_EVENTS 256

struct qmp {
	int fd;
	char *buf;		/* bytes received but not yet parsed */
	size_t len, cap;
	json_t *events;		/* queued asynchronous events, oldest first */
	json_int_t next_id;
	char err[256];
	char version[32];
};

static int64_t deadline_after(int timeout_ms)
{
	return now_ns() + (int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * NSEC_PER_MSEC;
}

/* Milliseconds left until deadline, rounded up so a last poll still happens. */
static int ms_left(int64_t deadline)
{
	int64_t left = deadline - now_ns();

	if (left <= 0)
		return 0;
	return (int)((left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

static void qmp_seterr(struct qmp *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void qmp_seterr(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
}

/* Take one complete line out of the buffer, or return NULL. */
static char *qmp_take_line(struct qmp *q)
{
	char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
	size_t n;
	char *line;

	if (!nl)
		return NULL;
	n = (size_t)(nl - q->buf);
	line = malloc(n + 1);
	if (!line)
		return NULL;
	memcpy(line, q->buf, n);
	line[n] = '\0';
	memmove(q->buf, nl + 1, q->len - n - 1);
	q->len -= n + 1;
	return str_rtrim(line);
}

/* Wait for more bytes until deadline. 0, -ETIMEDOUT, -ECONNRESET or -errno. */
static int qmp_fill(struct qmp *q, int64_t deadline)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	ssize_t n;
	int rc;

	if (q->cap - q->len < 4096) {
		size_t ncap = q->cap ? q->cap * 2 : 8192;
		char *nb;

		if (ncap > QMP_MAX_MSG) {
			qmp_seterr(q, "QMP message longer than %u bytes", QMP_MAX_MSG);
			return -EPROTO;
		}
		nb = realloc(q->buf, ncap);
		if (!nb)
			return -ENOMEM;
		q->buf = nb;
		q->cap = ncap;
	}
	do {
		rc = poll(&pfd, 1, ms_left(deadline));
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	if (rc == 0) {
		qmp_seterr(q, "no answer from QEMU on its QMP socket in time");
		return -ETIMEDOUT;
	}
	n = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		qmp_seterr(q, "reading the QMP socket: %s", strerror(errno));
		return -errno;
	}
	if (n == 0) {
		qmp_seterr(q, "QEMU closed its QMP socket (it exited?)");
		return -ECONNRESET;
	}
	q->len += (size_t)n;
	return 0;
}

/* Read one JSON object before deadline (blank lines skipped). */
static int qmp_read_msg(struct qmp *q, int64_t deadline, json_t **msg)
{
	for (;;) {
		char *line = qmp_take_line(q);

		if (line) {
			json_error_t jerr;
			json_t *m;

			if (!line[0]) {
				free(line);
				continue;
			}
			m = json_loads(line, 0, &jerr);
			if (!m || !json_is_object(m)) {
				qmp_seterr(q, "not a QMP message: %.80s (%s)", line,
					   m ? "not an object" : jerr.text);
				json_decref(m);
				free(line);
				return -EPROTO;
			}
			free(line);
			*msg = m;
			return 0;
		}
		int rc = qmp_fill(q, deadline);

		if (rc)
			return rc;
	}
}

static void qmp_queue_event(struct qmp *q, json_t *ev)
{
	if (json_array_size(q->events) >= QMP_MAX_EVENTS)
		json_array_remove(q->events, 0);
	json_array_append_new(q->events, ev);
}

/* Write all of s before deadline; MSG_NOSIGNAL so a dead QEMU is an error
 * code, not a SIGPIPE. */
static int qmp_send_all(struct qmp *q, const char *s, size_t n, int64_t deadline)
{
	while (n) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
		ssize_t w;
		int rc;

		do {
			rc = poll(&pfd, 1, ms_left(deadline));
		} while (rc < 0 && errno == EINTR);
		if (rc < 0)
			return -errno;
		if (rc == 0) {
			qmp_seterr(q, "QMP socket not writable in time");
			return -ETIMEDOUT;
		}
		w = send(q->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			qmp_seterr(q, "writing the QMP socket: %s", strerror(errno));
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int qmp_send(struct qmp *q, const char *cmd, json_t *args, int timeout_ms, long long *id)
{
	int64_t deadline = deadline_after(timeout_ms);
	json_t *req;
	char *text;
	int rc;

	*id = ++q->next_id;
	req = json_pack("{s:s, s:I}", "execute", cmd, "id", (json_int_t)*id);
	if (!req)
		return -ENOMEM;
	if (args)
		json_object_set(req, "arguments", args);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return -ENOMEM;
	/* QEMU takes one JSON object per line. */
	rc = qmp_send_all(q, text, strlen(text), deadline);
	free(text);
	if (!rc)
		rc = qmp_send_all(q, "\n", 1, deadline);
	return rc;
}

int qmp_reply(struct qmp *q, const char *cmd, long long id, json_t **reply, int timeout_ms)
{
	int64_t deadline = deadline_after(timeout_ms);
	int rc;

	if (reply)
		*reply = NULL;
	for (;;) {
		json_t *m, *mid, *ret, *err;

		rc = qmp_read_msg(q, deadline, &m);
		if (rc) {
			if (rc == -ETIMEDOUT)
				qmp_seterr(q, "QMP command %s: no reply within %d ms",
					   cmd, timeout_ms);
			return rc;
		}
		if (json_object_get(m, "event")) {
			qmp_queue_event(q, m);
			continue;
		}
		mid = json_object_get(m, "id");
		if (!json_is_integer(mid) || json_integer_value(mid) != id) {
			/* The late answer to an earlier command that timed out. */
			json_decref(m);
			continue;
		}
		ret = json_object_get(m, "return");
		err = json_object_get(m, "error");
		if (err) {
			const char *desc = json_string_value(json_object_get(err, "desc"));
			const char *cls = json_string_value(json_object_get(err, "class"));

			qmp_seterr(q, "QMP command %s failed: %s%s%s%s", cmd,
				   desc ? desc : "(no description)", cls ? " (" : "",
				   cls ? cls : "", cls ? ")" : "");
			json_decref(m);
			return -EIO;
		}
		if (!ret) {
			qmp_seterr(q, "QMP command %s: reply has neither return nor error", cmd);
			json_decref(m);
			return -EPROTO;
		}
		if (reply)
			*reply = json_incref(ret);
		json_decref(m);
		q->err[0] = '\0';
		return 0;
	}
}

int qmp_cmd(struct qmp *q, const char *cmd, json_t *args, json_t **reply,
	    int timeout_ms)
{
	int64_t deadline = deadline_after(timeout_ms);
	long long id;
	int rc;

	if (reply)
		*reply = NULL;
	rc = qmp_send(q, cmd, args, timeout_ms, &id);
	if (rc)
		return rc;
	return qmp_reply(q, cmd, id, reply, ms_left(deadline));
}

json_t *qmp_event_next(struct qmp *q)
{
	json_t *ev;

	if (!json_array_size(q->events))
		return NULL;
	ev = json_incref(json_array_get(q->events, 0));
	json_array_remove(q->events, 0);
	return ev;
}

int qmp_pump(struct qmp *q, int timeout_ms)
{
	int64_t deadline = deadline_after(timeout_ms);
	char saved[sizeof(q->err)];
	int n = 0;

	/* Running out of time is the normal end here, not an error to report. */
	memcpy(saved, q->err, sizeof(saved));
	for (;;) {
		json_t *m;
		int rc = qmp_read_msg(q, deadline, &m);

		if (rc == -ETIMEDOUT) {
			memcpy(q->err, saved, sizeof(saved));
			return n;
		}
		if (rc)
			return rc;
		if (json_object_get(m, "event")) {
			qmp_queue_event(q, m);
			n++;
		} else {
			json_decref(m);
		}
	}
}

int qmp_attach(int fd, int timeout_ms, struct qmp **out)
{
	int64_t deadline = deadline_after(timeout_ms);
	struct qmp *q = calloc(1, sizeof(*q));
	json_t *greet, *ver;
	int rc;

	if (!q) {
		close(fd);
		return -ENOMEM;
	}
	q->fd = fd;
	q->events = json_array();
	if (!q->events) {
		qmp_close(q);
		return -ENOMEM;
	}
	rc = qmp_read_msg(q, deadline, &greet);
	if (rc) {
		if (rc == -ETIMEDOUT)
			qmp_seterr(q, "no QMP greeting within %d ms", timeout_ms);
		lm_debug("qmp: %s", q->err);
		qmp_close(q);
		return rc;
	}
	ver = json_object_get(json_object_get(greet, "QMP"), "version");
	if (!ver) {
		lm_debug("qmp: the peer did not greet with a QMP banner");
		json_decref(greet);
		qmp_close(q);
		return -EPROTO;
	}
	ver = json_object_get(ver, "qemu");
	snprintf(q->version, sizeof(q->version), "%lld.%lld.%lld",
		 (long long)json_integer_value(json_object_get(ver, "major")),
		 (long long)json_integer_value(json_object_get(ver, "minor")),
		 (long long)json_integer_value(json_object_get(ver, "micro")));
	json_decref(greet);

	rc = qmp_cmd(q, "qmp_capabilities", NULL, NULL, ms_left(deadline));
	if (rc) {
		lm_debug("qmp: %s", q->err);
		qmp_close(q);
		return rc;
	}
	*out = q;
	return 0;
}

int qmp_connect(const char *path, int timeout_ms, struct qmp **out)
{
	int64_t deadline = deadline_after(timeout_ms);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int e;

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return qmp_attach(fd, ms_left(deadline) ? ms_left(deadline) : 1, out);
		e = errno;
		close(fd);
		/* QEMU creates and listens on the socket during its start-up:
		 * until then the path is missing or refuses. */
		if (e != ENOENT && e != ECONNREFUSED && e != EINTR)
			return -e;
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 10 * NSEC_PER_MSEC };

		nanosleep(&ts, NULL);
	}
}

const char *qmp_error(const struct qmp *q)
{
	return q->err;
}

const char *qmp_version(const struct qmp *q)
{
	return q->version;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	json_decref(q->events);
	free(q);
}
