/* SPDX-License-Identifier: GPL-2.0 */
/* Child processes: started from argv arrays (never a shell string), always
 * reaped, and killed by the kernel if lockmap itself dies. */
#ifndef LOCKMAP_SPAWN_H
#define LOCKMAP_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn_opts {
	const char *stdout_path;	/* NULL: /dev/null; stdout and stderr go there */
	int stdout_fd;			/* >= 0: dup'd onto stdout/stderr instead of a path */
	bool new_pgrp;			/* child leads its own process group */
};

/* Start argv[0] (PATH searched). Returns 0 and *pid, or -errno. */
int spawn_start(char *const argv[], const struct spawn_opts *o, pid_t *pid);
/* Non-blocking reap: 1 exited (status set), 0 still running, -errno on error. */
int spawn_poll(pid_t pid, int *status);
/* SIGTERM, wait up to grace_ms, then SIGKILL; always reaps. Returns exit status. */
int spawn_stop(pid_t pid, int grace_ms);
/* Run to completion with a timeout; output to o->stdout_path. Returns exit
 * status (0..255), -ETIMEDOUT (child killed) or -errno. */
int spawn_run(char *const argv[], const struct spawn_opts *o, int timeout_ms);
/* An argv being built: each string owned, the array NULL-terminated. */
#define SPAWN_MAX_ARGS 64
struct spawn_argv {
	char *v[SPAWN_MAX_ARGS];
	int n;
};

/* Append one formatted argument. The lists are fixed in the code: overflowing
 * one is a programming error (abort). */
void spawn_argv_add(struct spawn_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void spawn_argv_free(struct spawn_argv *a);
/* Is an executable named name on PATH? Fills path if found. */
bool spawn_which(const char *name, char *path, size_t len);

/* A value for a QEMU option (-chardev file,path=VALUE...): QEMU splits option
 * values on commas, so a literal comma is doubled. Paths come from run names
 * and working directories. Never NULL (aborts when out of memory). */
char *spawn_opt_escape(const char *s);

#endif
