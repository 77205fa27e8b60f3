/* SPDX-License-Identifier: GPL-2.0 */
/* A small QMP (QEMU Machine Protocol) client over a unix socket, with jansson.
 * Every call is bounded by a timeout; nothing here can hang on a dead QEMU. */
#ifndef LOCKMAP_QMP_H
#define LOCKMAP_QMP_H

#include <jansson.h>

struct qmp;

/* Connect to the QMP socket at path, retrying while it does not exist yet or
 * refuses (QEMU still starting), read the greeting and negotiate capabilities.
 * 0 and *out, or -ETIMEDOUT, -EPROTO (not QMP), -errno. */
int qmp_connect(const char *path, int timeout_ms, struct qmp **out);

/* The same over an already connected stream socket (tests; takes the fd). */
int qmp_attach(int fd, int timeout_ms, struct qmp **out);

/* Run one command. args (may be NULL) is borrowed. On success *reply (when
 * reply is not NULL) gets a new reference to the "return" value. Asynchronous
 * events read meanwhile are queued (qmp_event_next). Returns 0, -EIO when QEMU
 * answered with an error (its desc: qmp_error()), -ETIMEDOUT, -ECONNRESET when
 * QEMU closed the socket, or -errno. */
int qmp_cmd(struct qmp *q, const char *cmd, json_t *args, json_t **reply,
	    int timeout_ms);

/* qmp_cmd in two halves, so one caller can have commands running in several
 * QEMUs at once: send cmd (its id in *id), then wait for the reply to that
 * id. Same returns as qmp_cmd. */
int qmp_send(struct qmp *q, const char *cmd, json_t *args, int timeout_ms, long long *id);
int qmp_reply(struct qmp *q, const char *cmd, long long id, json_t **reply, int timeout_ms);

/* The oldest queued event (new reference, removed from the queue) or NULL. */
json_t *qmp_event_next(struct qmp *q);

/* Read and queue whatever events arrive within timeout_ms (0: only those
 * already buffered). Returns how many were queued, or -errno / -ECONNRESET. */
int qmp_pump(struct qmp *q, int timeout_ms);

/* The last error: QEMU's "desc", or what went wrong on the socket. */
const char *qmp_error(const struct qmp *q);

/* QEMU's version from the greeting ("7.2.22"), "" if unknown. */
const char *qmp_version(const struct qmp *q);

void qmp_close(struct qmp *q);

#endif
