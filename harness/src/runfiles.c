// SPDX-License-Identifier: GPL-2.0
/* A run's runtime files (QMP sockets in the state directory, lab RAM files
 * in /dev/shm), and how those of dead runs are told from live ones
 * (runfiles.h). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lockmap.h"
#include "runfiles.h"
#include "runlock.h"

char *runfiles_qmp_path(const char *what, char *why, size_t wlen)
{
	struct sockaddr_un sa;
	char *dir = xasprintf("%s/qmp", lm_state_dir());
	char *p = xasprintf("%s/%d-%s.sock", dir, (int)getpid(), what);
	int rc = mkdir_p(dir, 0700);

	if (rc) {
		snprintf(why, wlen, "cannot create %s for QMP sockets: %s (run as root, or set LOCKMAP_STATE_DIR)",
			 dir, strerror(-rc));
	} else if (strlen(p) >= sizeof(sa.sun_path)) {
		snprintf(why, wlen, "the QMP socket path %s is longer than a unix socket's %zu bytes: set LOCKMAP_STATE_DIR to a shorter directory",
			 p, sizeof(sa.sun_path) - 1);
		rc = -ENAMETOOLONG;
	}
	free(dir);
	if (rc) {
		free(p);
		return NULL;
	}
	return p;
}

/* Does a process listen on the unix socket at path? */
static bool runfiles_listening(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool up;

	if (fd < 0)
		return true;	/* cannot tell: keep it */
	/* Non-blocking: a listener with a full backlog (EAGAIN) is up too. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN;
	close(fd);
	return up;
}

/* "<pid>-...": is the lockmap of that pid gone? Names of another form are
 * not ours to judge. A pid reused since only keeps a stale file a while. */
static bool runfiles_owner_gone(const char *name)
{
	char *end;
	long pid = strtol(name, &end, 10);

	if (end == name || *end != '-' || pid <= 0 || pid > 0x3fffffff)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int runfiles_stale(bool remove, char *names, size_t len)
{
	char *dir = xasprintf("%s/qmp", lm_state_dir());
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t off = 0;
	int found = 0, rc = 0;

	if (len)
		names[0] = '\0';
	while (d && (e = readdir(d))) {
		char *p;

		if (!runfiles_owner_gone(e->d_name))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (!runfiles_listening(p)) {
			found++;
			if (remove && unlink(p) < 0 && errno != ENOENT)
				rc = -errno;
			if (off < len)
				off += (size_t)snprintf(names + off, len - off, "%s%s", off ? " " : "", p);
		}
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return rc ? rc : found;
}

#define RUNFILES_RAM_PREFIX "lockmap-lab-"
#define RUNFILES_RAM_SUFFIX ".ram"

/* Does path still name the file open on fd? A sweep may remove the file
 * between an open and its flock. */
static bool runfiles_same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int runfiles_ram_open(const char *dir, const char *id, char **path)
{
	char *p = xasprintf("%s/" RUNFILES_RAM_PREFIX "%s" RUNFILES_RAM_SUFFIX, dir, id);
	int fd = -1, rc = -EAGAIN;

	*path = NULL;
	/* Taken from under us by a sweep: the name is free again, once more. */
	for (int tries = 0; tries < 3 && rc == -EAGAIN; tries++) {
		fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			rc = -errno;
			break;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0)
			rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		else if (!runfiles_same_file(fd, p))
			rc = -EAGAIN;
		/* What a killed lab of the same name left is not this one's. */
		else
			rc = ftruncate(fd, 0) < 0 ? -errno : 0;
		if (rc)
			close(fd);
	}
	if (rc) {
		free(p);
		return rc;
	}
	*path = p;
	return fd;
}

/* lockmap-lab-<id>.ram? */
static bool runfiles_ram_name(const char *name)
{
	size_t n = strlen(name), pre = strlen(RUNFILES_RAM_PREFIX), suf = strlen(RUNFILES_RAM_SUFFIX);

	return n > pre + suf && !strncmp(name, RUNFILES_RAM_PREFIX, pre) &&
	       !strcmp(name + n - suf, RUNFILES_RAM_SUFFIX);
}

int runfiles_ram_sweep(const char *dir, char *names, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t off = 0;
	int removed = 0, rc = 0;

	if (len)
		names[0] = '\0';
	while (d && (e = readdir(d))) {
		char *p;
		int fd;

		if (!runfiles_ram_name(e->d_name))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		/* Another user's file does not open: not ours to judge. */
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && runfiles_same_file(fd, p)) {
			if (unlink(p) == 0) {
				removed++;
				if (off < len)
					off += (size_t)snprintf(names + off, len - off, "%s%s",
								off ? " " : "", p);
			} else if (errno != ENOENT) {
				rc = -errno;
			}
		}
		if (fd >= 0)
			close(fd);
		free(p);
	}
	if (d)
		closedir(d);
	return rc ? rc : removed;
}
