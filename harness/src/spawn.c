// SPDX-License-Identifier: GPL-2.0
/* Child processes from argv arrays, with output to a file, always reaped. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockmap.h"
#include "spawn.h"

extern char **environ;

int spawn_start(char *const argv[], const struct spawn_opts *o, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	const char *out = o && o->stdout_path ? o->stdout_path : "/dev/null";
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (o && o->stdout_fd >= 0 && !o->stdout_path) {
		posix_spawn_file_actions_adddup2(&fa, o->stdout_fd, STDOUT_FILENO);
	} else {
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out,
						 O_WRONLY | O_CREAT | O_APPEND, 0644);
	}
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);

	/* The child starts with default signal handling and nothing blocked. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (o && o->new_pgrp) {
		/* Its own group: a ^C at the terminal reaches lockmap only, and
		 * lockmap stops the child in order. */
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, 0);
	}
	posix_spawnattr_setflags(&attr, flags);

	rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc ? -rc : 0;
}

int spawn_poll(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, WNOHANG);

	if (r < 0)
		return -errno;
	return r == pid ? 1 : 0;
}

int spawn_stop(pid_t pid, int grace_ms)
{
	int status = 0;
	int64_t end;

	if (pid <= 0)
		return 0;
	if (spawn_poll(pid, &status) != 0)
		return status;
	(void)kill(pid, SIGTERM);
	end = now_ns() + (int64_t)grace_ms * NSEC_PER_MSEC;
	while (now_ns() < end) {
		struct timespec ts = { 0, 10 * NSEC_PER_MSEC };

		if (spawn_poll(pid, &status) != 0)
			return status;
		nanosleep(&ts, NULL);
	}
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int spawn_run(char *const argv[], const struct spawn_opts *o, int timeout_ms)
{
	pid_t pid;
	int status, rc;
	int64_t end;

	rc = spawn_start(argv, o, &pid);
	if (rc)
		return rc;
	end = now_ns() + (int64_t)timeout_ms * NSEC_PER_MSEC;
	for (;;) {
		struct timespec ts = { 0, 5 * NSEC_PER_MSEC };

		rc = spawn_poll(pid, &status);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
		if (timeout_ms >= 0 && now_ns() > end) {
			spawn_stop(pid, 500);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

bool spawn_which(const char *name, char *path, size_t len)
{
	const char *env = getenv("PATH");
	char *dirs, *save = NULL, *d;
	bool found = false;

	if (strchr(name, '/')) {
		if (access(name, X_OK) == 0) {
			snprintf(path, len, "%s", name);
			return true;
		}
		return false;
	}
	dirs = strdup(env ? env : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	if (!dirs)
		return false;
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[PATH_MAX];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", d, name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
			snprintf(path, len, "%s", p);
			found = true;
			break;
		}
	}
	free(dirs);
	return found;
}
