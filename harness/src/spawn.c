// SPDX-License-Identifier: GPL-2.0
/* Child processes from argv arrays, with output to a file, always reaped. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockmap.h"
#include "spawn.h"

/* In the child, between fork and exec: only async-signal-safe calls. */
static void spawn_child(char *const argv[], const struct spawn_opts *o, pid_t parent, int errfd)
{
	const char *out = o && o->stdout_path ? o->stdout_path : "/dev/null";
	sigset_t none;
	int fd, err;

	/* A child must not outlive lockmap: if lockmap is killed (even with
	 * SIGKILL), its guests and load generators die with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (o && o->new_pgrp)
		/* Its own group: a ^C at the terminal reaches lockmap only, and
		 * lockmap stops the child in order. */
		(void)setpgid(0, 0);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)signal(s, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	if (o && o->stdout_fd >= 0 && !o->stdout_path)
		fd = dup(o->stdout_fd);
	else
		fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		goto fail;
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	execvp(argv[0], argv);
fail:
	err = errno;
	(void)!write(errfd, &err, sizeof(err));
	_exit(127);
}

int spawn_start(char *const argv[], const struct spawn_opts *o, pid_t *pid)
{
	pid_t parent = getpid(), child;
	int pfd[2], err = 0;
	ssize_t n;

	/* The exec error comes back through a close-on-exec pipe: EOF means
	 * the exec succeeded. */
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return -err;
	}
	if (child == 0) {
		close(pfd[0]);
		spawn_child(argv, o, parent, pfd[1]);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err)) {
		int st;

		while (waitpid(child, &st, 0) < 0 && errno == EINTR)
			;
		return -err;
	}
	*pid = child;
	return 0;
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

void spawn_argv_add(struct spawn_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->n >= SPAWN_MAX_ARGS - 1)
		abort();
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void spawn_argv_free(struct spawn_argv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
	a->v[0] = NULL;
}

char *spawn_opt_escape(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *o = out;

	if (!out)
		abort();
	for (; *s; s++) {
		*o++ = *s;
		if (*s == ',')
			*o++ = ',';
	}
	*o = '\0';
	return out;
}
