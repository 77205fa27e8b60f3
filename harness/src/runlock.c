// SPDX-License-Identifier: GPL-2.0
/* The host-wide lock: one lockmap that changes the host at a time. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup.h"
#include "hostknobs.h"
#include "lockmap.h"
#include "runfiles.h"
#include "runlock.h"

struct runlock {
	int fd;
	char what[32];
	char run_id[128];
	char profile[PATH_MAX];
	time_t since;
};

const char *lm_state_dir(void)
{
	const char *dir = getenv("LOCKMAP_STATE_DIR");

	return dir && *dir ? dir : "/run/lockmap";
}

static char *runlock_path(void)
{
	return xasprintf("%s/lock", lm_state_dir());
}

/* Who holds the lock, from what the holder wrote into it. */
static void runlock_holder(int fd, char *out, size_t len)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	json_t *o = NULL;
	const char *what, *run, *prof;
	json_int_t pid = 0, since = 0;
	char when[32] = "?";

	if (n > 0) {
		buf[n] = '\0';
		o = json_loads(buf, 0, NULL);
	}
	if (!o || json_unpack(o, "{s:s, s:I, s:I, s:s, s:s}", "what", &what, "pid", &pid,
			      "since", &since, "run", &run, "profile", &prof) < 0) {
		snprintf(out, len, "a lockmap that has not said who it is yet");
		json_decref(o);
		return;
	}
	strftime(when, sizeof(when), "%F %T UTC", gmtime(&(time_t){ (time_t)since }));
	snprintf(out, len, "lockmap %s (pid %lld, since %s%s%s%s%s)", what, (long long)pid, when,
		 run[0] ? ", run " : "", run, prof[0] ? ", profile " : "", prof);
	json_decref(o);
}

static void runlock_write(struct runlock *lk)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s}", "what", lk->what,
			      "pid", (json_int_t)getpid(), "since", (json_int_t)lk->since,
			      "run", lk->run_id, "profile", lk->profile);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!s || ftruncate(lk->fd, 0) < 0 || pwrite(lk->fd, s, strlen(s), 0) < 0)
		lm_warn("cannot write who holds the lock: %s", strerror(errno));
	free(s);
}

int runlock_take(const char *what, bool wait, struct runlock **out, char *err, size_t len)
{
	char *path = runlock_path(), *dir = strdup(path), holder[1024];
	struct runlock *lk = calloc(1, sizeof(*lk));
	int rc;

	*out = NULL;
	if (!lk || !dir) {
		rc = -ENOMEM;
		snprintf(err, len, "out of memory");
		goto fail;
	}
	*strrchr(dir, '/') = '\0';
	rc = mkdir_p(dir, 0755);
	/* CLOEXEC: a VMM that outlived us must not hold the lock. */
	lk->fd = rc ? -1 : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lk->fd < 0) {
		rc = rc ? rc : -errno;
		snprintf(err, len, "cannot open the lock %s: %s", path, strerror(-rc));
		goto fail;
	}
	if (flock(lk->fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		if (rc != -EWOULDBLOCK) {
			snprintf(err, len, "cannot lock %s: %s", path, strerror(-rc));
			goto fail;
		}
		runlock_holder(lk->fd, holder, sizeof(holder));
		if (!wait) {
			rc = -EBUSY;
			snprintf(err, len, "another lockmap holds %s: %s; wait for it with --wait",
				 path, holder);
			goto fail;
		}
		lm_info("waiting for %s to release %s", holder, path);
		/* Signals are installed without SA_RESTART: one interrupts the wait. */
		while (flock(lk->fd, LOCK_EX) < 0) {
			rc = -errno;
			if (rc != -EINTR || lm_stop_requested) {
				snprintf(err, len, "waiting for %s: %s", path,
					 rc == -EINTR ? "interrupted" : strerror(-rc));
				goto fail;
			}
		}
	}
	snprintf(lk->what, sizeof(lk->what), "%s", what);
	lk->since = time(NULL);
	runlock_write(lk);
	free(path);
	free(dir);
	*out = lk;
	return 0;
fail:
	if (lk && lk->fd >= 0)
		close(lk->fd);
	free(lk);
	free(path);
	free(dir);
	return rc;
}

void runlock_describe(struct runlock *lk, const char *run_id, const char *profile)
{
	if (!lk)
		return;
	if (run_id)
		snprintf(lk->run_id, sizeof(lk->run_id), "%s", run_id);
	if (profile)
		snprintf(lk->profile, sizeof(lk->profile), "%s", profile);
	runlock_write(lk);
}

void runlock_release(struct runlock *lk)
{
	if (!lk)
		return;
	/* Empty first: a reader between truncate and close sees "not said yet". */
	(void)!ftruncate(lk->fd, 0);
	close(lk->fd);
	free(lk);
}

bool runlock_busy(char *holder, size_t len)
{
	char *path = runlock_path();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool busy = false;

	free(path);
	holder[0] = '\0';
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		busy = true;
		runlock_holder(fd, holder, len);
	}
	close(fd);
	return busy;
}

int runlock_restore_leftovers(char *msg, size_t len, int *busy)
{
	const char *knobs = hostknobs_restore_path();
	char part[2048] = "", left[1024], removed[1024], names[1024];
	size_t off = 0;
	int n, rc = 0;

	msg[0] = '\0';
	if (access(knobs, F_OK) == 0) {
		rc = hostknobs_restore_file(knobs, part, sizeof(part));
		off += (size_t)snprintf(msg + off, len - off, "%s", part);
	}
	/* One that still has tasks is not a killed run's (their VMMs died with
	 * it): it is said, and left alone. */
	*busy = cgroup_leftovers(true, left, sizeof(left), removed, sizeof(removed));
	if (*busy && off < len)
		off += (size_t)snprintf(msg + off, len - off, "%scgroups in use, left alone: %s",
					off ? "; " : "", left);
	if (removed[0] && off < len)
		off += (size_t)snprintf(msg + off, len - off, "%sremoved cgroups %s",
					off ? "; " : "", removed);
	n = runfiles_stale(true, names, sizeof(names));
	if (n > 0 && off < len)
		snprintf(msg + off, len - off, "%sremoved QMP sockets %s", off ? "; " : "", names);
	else if (n < 0 && off < len)
		snprintf(msg + off, len - off, "%scannot remove a stale QMP socket: %s",
			 off ? "; " : "", strerror(-n));
	if (n < 0)
		(*busy)++;
	return rc;
}
