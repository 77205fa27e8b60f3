// SPDX-License-Identifier: GPL-2.0
/* Host knobs: the [host] section. Every knob a cell sets is saved to a restore
 * file (fsync'd) before the first change, and written back in reverse order at
 * the end of the cell, or by `lockmap check --restore` after a crash.
 *
 * The fixed knobs default to -1, which means "leave the host's value as it
 * is": a profile changes only what it names. sysctl.NAME and MODULE.PARAM keys
 * reach any sysctl and the kvm module parameters.
 *
 * LOCKMAP_SYSROOT (default "/") roots /proc/sys and /sys/module, so the tests
 * can run against a directory tree. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostknobs.h"
#include "lockmap.h"
#include "runlock.h"

#define KEEP "-1"

const struct pspec hostknobs_keys[] = {
	{ "watchdog_thresh", PT_INT, -1, 60, KEEP, NULL,
	  "kernel.watchdog_thresh: seconds before a hard lockup is reported (soft lockups after twice that); 0 turns the detectors off; -1 leaves it unchanged" },
	{ "softlockup_panic", PT_INT, -1, 1, KEEP, NULL,
	  "kernel.softlockup_panic: 1 panics on a soft lockup; -1 leaves it unchanged" },
	{ "hardlockup_panic", PT_INT, -1, 1, KEEP, NULL,
	  "kernel.hardlockup_panic: 1 panics on a hard lockup; -1 leaves it unchanged" },
	{ "panic_on_rcu_stall", PT_INT, -1, 1, KEEP, NULL,
	  "kernel.panic_on_rcu_stall: 1 panics on an RCU stall; -1 leaves it unchanged" },
	{ "nmi_watchdog", PT_INT, -1, 1, KEEP, NULL,
	  "kernel.nmi_watchdog: the hard lockup detector on (1) or off (0); -1 leaves it unchanged" },
	{ "softlockup_all_cpu_backtrace", PT_INT, -1, 1, KEEP, NULL,
	  "kernel.softlockup_all_cpu_backtrace: backtrace every cpu on a soft lockup; -1 leaves it unchanged" },
	{ "hardlockup_all_cpu_backtrace", PT_INT, -1, 1, KEEP, NULL,
	  "kernel.hardlockup_all_cpu_backtrace: backtrace every cpu on a hard lockup; -1 leaves it unchanged" },
	{ "hung_task_timeout_secs", PT_INT, -1, 86400, KEEP, NULL,
	  "kernel.hung_task_timeout_secs: 0 disables the hung task check; -1 leaves it unchanged" },
	{ "sysctl.*", PT_STRING, 1, 0, "", NULL,
	  "any sysctl by its dotted name: sysctl.kernel.panic = 10 writes /proc/sys/kernel/panic" },
	{ "kvm.*", PT_STRING, 1, 0, "", NULL,
	  "a writable kvm module parameter: kvm.min_timer_period_us = 50" },
	{ "kvm_intel.*", PT_STRING, 1, 0, "", NULL,
	  "a writable kvm_intel module parameter (/sys/module/kvm_intel/parameters/NAME)" },
	{ "kvm_amd.*", PT_STRING, 1, 0, "", NULL,
	  "a writable kvm_amd module parameter (/sys/module/kvm_amd/parameters/NAME)" },
};
const size_t hostknobs_nkeys = ARRAY_SIZE(hostknobs_keys);

/* One knob set by a cell. */
struct knob {
	char name[96];		/* as in the profile: "watchdog_thresh", "kvm.x" */
	char path[PATH_MAX];
	char old[256];
	char new[128];
	bool set;		/* the new value was written */
};

struct hostknobs {
	char restore[PATH_MAX];	/* the restore file, while it exists */
	size_t n;
	struct knob k[];
};

const char *hostknobs_sysroot(void)
{
	const char *r = getenv("LOCKMAP_SYSROOT");

	return r && *r ? r : "/";
}

const char *hostknobs_restore_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/knobs.restore", lm_state_dir());
	return path;
}

/* Words of letters, digits, '_' (and '-' when dash) joined by single dots
 * (none when !dots): a name that cannot leave the directory it is joined to. */
static bool knob_name_ok(const char *s, bool dots, bool dash)
{
	bool word = false;

	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || (dash && *s == '-'))
			word = true;
		else if (*s == '.' && dots && word)
			word = false;
		else
			return false;
	}
	return word;
}

int hostknobs_key_check(const char *key, char *why, size_t len)
{
	const char *dot = strchr(key, '.');

	if (!strncmp(key, "sysctl.", 7)) {
		if (knob_name_ok(key + 7, true, true))
			return 0;
		snprintf(why, len, "'%s' is not a sysctl name: write its dotted name, words of "
			 "letters, digits, '_' and '-' joined by single dots (no '/', no '..'), "
			 "e.g. sysctl.kernel.panic", key + 7);
		return -EINVAL;
	}
	if (!dot || knob_name_ok(dot + 1, false, false))
		return 0;
	snprintf(why, len, "'%s' is not a parameter name of module %.*s: letters, digits and '_' "
		 "only (no '/', no '.'), e.g. kvm.min_timer_period_us", dot + 1, (int)(dot - key), key);
	return -EINVAL;
}

/* The file behind a [host] key, and whether it is a module parameter. */
static int knob_path(const char *key, char *path, size_t len, bool *modparam, char *err,
		     size_t errlen)
{
	const char *root = hostknobs_sysroot();
	const char *sep = root[strlen(root) - 1] == '/' ? "" : "/";
	char rel[PATH_MAX], why[256];
	const char *dot = strchr(key, '.');

	*modparam = false;
	if (hostknobs_key_check(key, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "[host] %s: %s", key, why);
		return -EINVAL;
	}
	if (!strncmp(key, "sysctl.", 7)) {
		snprintf(rel, sizeof(rel), "proc/sys/%s", key + 7);
		for (char *p = rel + 9; *p; p++)
			if (*p == '.')
				*p = '/';
	} else if (dot) {
		snprintf(rel, sizeof(rel), "sys/module/%.*s/parameters/%s", (int)(dot - key), key,
			 dot + 1);
		*modparam = true;
	} else {
		snprintf(rel, sizeof(rel), "proc/sys/kernel/%s", key);
	}
	if (snprintf(path, len, "%s%s%s", root, sep, rel) >= (int)len) {
		snprintf(err, errlen, "[host] %s: path too long", key);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Check that this kernel has the knob and takes writes to it at runtime. */
static int knob_settable(const struct knob *k, bool modparam, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (stat(k->path, &st) < 0) {
		rc = -errno;
		if (modparam) {
			char mod[PATH_MAX], *p;

			snprintf(mod, sizeof(mod), "%s", k->path);
			p = strstr(mod, "/parameters/");
			if (p)
				*p = '\0';
			if (access(mod, F_OK) < 0) {
				snprintf(err, errlen, "[host] %s: module %.*s is not loaded (%s missing): load it first: modprobe %.*s",
					 k->name, (int)strcspn(k->name, "."), k->name, mod,
					 (int)strcspn(k->name, "."), k->name);
				return rc;
			}
			snprintf(err, errlen, "[host] %s: this module has no such parameter (%s: %s)",
				 k->name, k->path, strerror(-rc));
		} else {
			snprintf(err, errlen, "[host] %s: %s: %s (this kernel has no such sysctl)", k->name,
				 k->path, strerror(-rc));
		}
		return rc;
	}
	/* Root passes access(W_OK) on anything; the mode says whether the
	 * kernel accepts writes at runtime. */
	if (!(st.st_mode & 0222)) {
		if (modparam)
			snprintf(err, errlen,
				 "[host] %s: %s is read-only at runtime: it can be set only when the module is loaded (modprobe -r %.*s; modprobe %.*s %s=%s) or on the kernel command line; remove it from the profile",
				 k->name, k->path, (int)strcspn(k->name, "."), k->name,
				 (int)strcspn(k->name, "."), k->name, strchr(k->name, '.') + 1, k->new);
		else
			snprintf(err, errlen, "[host] %s: %s is read-only", k->name, k->path);
		return -EROFS;
	}
	return 0;
}

/* Check that a knob can be set, and read its current value. */
static int knob_prepare(struct knob *k, bool modparam, char *err, size_t errlen)
{
	int rc = knob_settable(k, modparam, err, errlen);

	if (rc)
		return rc;
	rc = read_file_str(k->path, k->old, sizeof(k->old));
	if (rc) {
		snprintf(err, errlen, "[host] %s: cannot read %s: %s", k->name, k->path, strerror(-rc));
		return rc;
	}
	if (strchr(k->old, '\n')) {
		snprintf(err, errlen, "[host] %s: %s holds several lines; lockmap saves single-line values only",
			 k->name, k->path);
		return -EINVAL;
	}
	return 0;
}

/* A value that leaves the knob as it is: -1 for the fixed knobs, empty for
 * sysctl.* and module parameters. */
static bool knob_kept(const struct pkey *k, const struct pval *v)
{
	return strchr(k->key, '.') ? !v->text[0] : v->num == -1;
}

int hostknobs_check_key(const struct pkey *pk, char *err, size_t errlen)
{
	struct knob k = { 0 };
	bool modparam, sets = false;
	int rc;

	for (size_t i = 0; i < pk->nvals; i++)
		sets |= !knob_kept(pk, &pk->vals[i]);
	if (!sets)
		return 0;
	snprintf(k.name, sizeof(k.name), "%s", pk->key);
	snprintf(k.new, sizeof(k.new), "%s", pk->vals[0].text);
	rc = knob_path(k.name, k.path, sizeof(k.path), &modparam, err, errlen);
	return rc ? rc : knob_settable(&k, modparam, err, errlen);
}

/* Collect the knobs the cell sets (the fixed ones only when not -1). */
static int hostknobs_collect(const struct cell *c, struct hostknobs **out, char *err, size_t errlen)
{
	struct hostknobs *hk;
	size_t n = 0;

	hk = calloc(1, sizeof(*hk) + c->nparams * sizeof(hk->k[0]));
	if (!hk)
		return -ENOMEM;
	for (size_t i = 0; i < c->nparams; i++) {
		const struct cparam *p = &c->params[i];
		struct knob *k = &hk->k[n];
		bool modparam;
		int rc;

		if (strcmp(p->pkey->section, "host"))
			continue;
		if (knob_kept(p->pkey, p->val))
			continue;
		snprintf(k->name, sizeof(k->name), "%s", p->pkey->key);
		snprintf(k->new, sizeof(k->new), "%s", p->val->text);
		rc = knob_path(k->name, k->path, sizeof(k->path), &modparam, err, errlen);
		if (!rc)
			rc = knob_prepare(k, modparam, err, errlen);
		if (rc) {
			free(hk);
			return rc;
		}
		n++;
	}
	hk->n = n;
	*out = hk;
	return 0;
}

/* fsync a file's directory, so its creation survives a crash too. */
static void fsync_dir_of(const char *path)
{
	char dir[PATH_MAX], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Write every old value to the restore file before anything changes. */
static int hostknobs_save(struct hostknobs *hk, char *err, size_t errlen)
{
	const char *path = hostknobs_restore_path();
	char dir[PATH_MAX], *slash;
	FILE *f;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		rc = mkdir_p(dir, 0755);
		if (rc) {
			snprintf(err, errlen, "cannot create %s for the knobs restore file: %s", dir,
				 strerror(-rc));
			return rc;
		}
	}
	/* A file left by a killed run holds the host's real old values: it
	 * must be replayed, not overwritten. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EEXIST)
			snprintf(err, errlen,
				 "%s exists: a run that was killed left host knobs changed; run `lockmap check --restore` first",
				 path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
		return rc;
	}
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	for (size_t i = 0; i < hk->n; i++)
		fprintf(f, "%s\t%s\n", hk->k[i].path, hk->k[i].old);
	if (fflush(f) != 0 || fsync(fd) < 0) {
		rc = -errno;
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0) {
		rc = -errno;
		goto fail;
	}
	fsync_dir_of(path);
	snprintf(hk->restore, sizeof(hk->restore), "%s", path);
	return 0;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
	(void)unlink(path);
	return rc;
}

/* Write a knob the way `echo VALUE > FILE` does (O_TRUNC: a plain file in a
 * test tree must not keep the tail of a longer old value). */
static int knob_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? -errno : -EIO;

		close(fd);
		return e;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Write old values back, newest first; returns the first error. */
static int hostknobs_unwind(struct hostknobs *hk)
{
	int first = 0;

	for (size_t i = hk->n; i-- > 0;) {
		struct knob *k = &hk->k[i];
		int rc;

		if (!k->set)
			continue;
		rc = knob_write(k->path, k->old);
		if (rc) {
			lm_err("cannot restore %s (%s) to '%s': %s", k->name, k->path, k->old,
			       strerror(-rc));
			if (!first)
				first = rc;
			continue;
		}
		k->set = false;
	}
	return first;
}

int hostknobs_apply(const struct cell *c, struct hostknobs **out, char *err, size_t errlen)
{
	struct hostknobs *hk = NULL;
	int rc;

	*out = NULL;
	rc = hostknobs_collect(c, &hk, err, errlen);
	if (rc)
		return rc;
	if (hk->n == 0) {
		*out = hk;
		return 0;
	}
	rc = hostknobs_save(hk, err, errlen);
	if (rc) {
		free(hk);
		return rc;
	}
	for (size_t i = 0; i < hk->n; i++) {
		struct knob *k = &hk->k[i];

		rc = knob_write(k->path, k->new);
		if (rc) {
			snprintf(err, errlen, "[host] %s = %s: writing %s failed: %s", k->name, k->new,
				 k->path, strerror(-rc));
			(void)hostknobs_restore(hk);
			return rc;
		}
		k->set = true;
		lm_debug("host knob %s: %s -> %s", k->name, k->old, k->new);
	}
	*out = hk;
	return 0;
}

int hostknobs_restore(struct hostknobs *hk)
{
	int rc;

	if (!hk)
		return 0;
	rc = hostknobs_unwind(hk);
	/* Keep the restore file when something stayed changed, so `lockmap
	 * check --restore` can try again. */
	if (!rc && hk->restore[0] && unlink(hk->restore) < 0 && errno != ENOENT)
		rc = -errno;
	free(hk);
	return rc;
}

int hostknobs_restore_file(const char *path, char *msg, size_t len)
{
	struct hostknobs *hk;
	size_t cap = 16, n = 0, off = 0;
	char line[PATH_MAX + 300];
	FILE *f;
	int rc;

	if (!path)
		path = hostknobs_restore_path();
	msg[0] = '\0';
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT) {
			snprintf(msg, len, "no restore file at %s: nothing to restore", path);
			return 0;
		}
		rc = -errno;
		snprintf(msg, len, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	hk = calloc(1, sizeof(*hk) + cap * sizeof(hk->k[0]));
	while (hk && fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');
		struct knob *k;

		str_rtrim(line);
		if (!tab)
			continue;	/* a torn last line: the write never happened */
		*tab = '\0';
		if (n == cap) {
			struct hostknobs *bigger = realloc(hk, sizeof(*hk) + 2 * cap * sizeof(hk->k[0]));

			if (!bigger) {
				free(hk);
				hk = NULL;
				break;
			}
			hk = bigger;
			cap *= 2;
		}
		k = &hk->k[n++];
		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%.95s", line);
		snprintf(k->path, sizeof(k->path), "%.4095s", line);
		snprintf(k->old, sizeof(k->old), "%.255s", tab + 1);
		k->set = true;
	}
	fclose(f);
	if (!hk) {
		snprintf(msg, len, "out of memory reading %s", path);
		return -ENOMEM;
	}
	hk->n = n;
	rc = hostknobs_unwind(hk);
	off += (size_t)snprintf(msg, len, "%s %zu knob(s) from %s", rc ? "could not restore all of" : "restored",
				n, path);
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(msg + off, len - off, "%s %s=%s", i ? "," : ":", hk->k[i].path,
					hk->k[i].old);
	if (!rc && unlink(path) < 0 && errno != ENOENT)
		rc = -errno;
	free(hk);
	return rc;
}
