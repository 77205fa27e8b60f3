// SPDX-License-Identifier: GPL-2.0
/* A run's runtime files in the state directory, and how those of dead runs
 * are told from live ones (runfiles.h). */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
