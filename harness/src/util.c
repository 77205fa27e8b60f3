// SPDX-License-Identifier: GPL-2.0
/* Logging, time, signals and small file helpers shared by the harness. */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lockmap.h"

int lm_verbose = 1;
bool lm_lab_inner;
volatile int lm_stop_requested;
static int sig_pipe[2] = { -1, -1 };

bool (*lm_log_hook)(int level, const char *msg);

static void lm_vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
	if (lm_log_hook) {
		char msg[4096];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		if (lm_log_hook(level, msg))
			return;
		fprintf(stderr, "lockmap: %s%s\n", prefix, msg);
		return;
	}
	fprintf(stderr, "lockmap: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void lm_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lm_vlog(LM_LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void lm_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lm_vlog(LM_LOG_WARN, "warning: ", fmt, ap);
	va_end(ap);
}

void lm_info(const char *fmt, ...)
{
	va_list ap;

	if (lm_verbose < 1)
		return;
	va_start(ap, fmt);
	lm_vlog(LM_LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void lm_debug(const char *fmt, ...)
{
	va_list ap;

	if (lm_verbose < 2)
		return;
	va_start(ap, fmt);
	lm_vlog(LM_LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int sleep_ns(int64_t ns)
{
	int64_t end = now_ns() + ns;

	while (!lm_stop_requested) {
		int64_t left = end - now_ns();
		struct timespec ts;

		if (left <= 0)
			return 0;
		/* Short slices so a stop request is seen within 50 ms. */
		if (left > 50 * NSEC_PER_MSEC)
			left = 50 * NSEC_PER_MSEC;
		ts.tv_sec = left / NSEC_PER_SEC;
		ts.tv_nsec = left % NSEC_PER_SEC;
		nanosleep(&ts, NULL);
	}
	return -EINTR;
}

/* Async-signal-safe: set the flag and wake the poll loop, nothing more. */
static void sig_handler(int sig)
{
	int saved = errno;
	char c = (char)sig;

	lm_stop_requested = sig;
	if (sig_pipe[1] >= 0)
		(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

int sig_install(void)
{
	struct sigaction sa;

	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	/* A closed results pipe must not kill us before teardown. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int sig_fd(void)
{
	return sig_pipe[0];
}

int read_file_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	buf[n] = '\0';
	str_rtrim(buf);
	return 0;
}

int write_file_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? -errno : -EIO;

		close(fd);
		return e;
	}
	if (close(fd) < 0)
		return -errno;
	return 0;
}

int mkdir_p(const char *path, unsigned mode)
{
	char tmp[PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		abort();
	return s;
}

char *str_rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

const char *exe_path(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n < 0)
		n = 0;
	path[n] = '\0';
	return path;
}

const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	char *slash;

	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "%s", exe_path()[0] ? exe_path() : "./lockmap");
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return dir;
}

char *data_path(const char *name)
{
	const char *env = getenv("LOCKMAP_DATADIR");
	char *p;

	if (env) {
		p = xasprintf("%s/%s", env, name);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	p = xasprintf("%s/%s", exe_dir(), name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	/* build-san/lockmap uses the guest of the plain build. */
	p = xasprintf("%s/../build/%s", exe_dir(), name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	p = xasprintf("%s/../lib/lockmap/%s", exe_dir(), name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

int cpulist_parse(const char *s, uint64_t *mask)
{
	uint64_t m = 0;
	const char *p = s;

	while (*p == ' ')
		p++;
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		long a, b;

		a = strtol(p, &end, 10);
		if (end == p || a < 0 || a > 63)
			return -EINVAL;
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b > 63)
				return -EINVAL;
			p = end;
		}
		for (long i = a; i <= b; i++)
			m |= 1ULL << i;
		while (*p == ' ')
			p++;
		if (*p == ',') {
			p++;
			while (*p == ' ')
				p++;
			if (!*p)
				return -EINVAL;
		} else if (*p) {
			return -EINVAL;
		}
	}
	*mask = m;
	return 0;
}

int cpus_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

bool is_tty(void)
{
	return isatty(STDOUT_FILENO) == 1;
}

char *data_source(const char *tree_rel, const char *installed)
{
	char *p = xasprintf("%s/../%s", exe_dir(), tree_rel);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return data_path(installed);
}

const char *data_where(void)
{
	static char where[2 * PATH_MAX + 64];

	snprintf(where, sizeof(where), "next to lockmap (%s) nor in %s/../lib/lockmap (make install)",
		 exe_dir(), exe_dir());
	return where;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

int rm_rf(const char *path)
{
	int rc = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	if (rc == -1)
		return errno == ENOENT ? 0 : -errno;
	return rc;
}
