// SPDX-License-Identifier: GPL-2.0
/* cgroups: find the cpu controller (v2 or v1), and make one cgroup that holds
 * a cell's VMM processes under a CPU bandwidth limit.
 *
 * Hosts differ: a modern systemd host has everything on one cgroup2 mount at
 * /sys/fs/cgroup; a hybrid host (like the machines this project is built on)
 * keeps the cpu controller on a v1 mount (/sys/fs/cgroup/cpu) and a cgroup2
 * mount at /sys/fs/cgroup/unified that offers only what v1 did not take. A
 * controller lives in one hierarchy only, so exactly one of them has it. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "lockmap.h"

/* /proc/mounts escapes space, tab, newline and backslash as \ooo. */
static void mounts_unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Is word one of the sep-separated words of list? */
static bool word_in(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, word, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Text for people; a long path may cut it short, which is fine. */
static void desc_set(struct cgroup_cpu *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void desc_set(struct cgroup_cpu *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->desc, sizeof(out->desc), fmt, ap);
	va_end(ap);
}

int cgroup_cpu_find_in(const char *mounts_path, const char *root, struct cgroup_cpu *out)
{
	char line[4096], v2[PATH_MAX] = "", v2ctl[256] = "", v1[PATH_MAX] = "";
	bool v2cpu = false;
	FILE *f;

	memset(out, 0, sizeof(*out));
	f = fopen(mounts_path, "re");
	if (!f) {
		int rc = -errno;

		desc_set(out, "cannot read %s: %s", mounts_path,
			 strerror(-rc));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char dev[256], mnt[2048], type[64], opts[1024];

		if (sscanf(line, "%255s %2047s %63s %1023s", dev, mnt, type, opts) != 4)
			continue;
		mounts_unescape(mnt);
		if (!strcmp(type, "cgroup2") && !v2cpu) {
			char p[PATH_MAX + 64], ctl[256] = "";

			snprintf(p, sizeof(p), "%s%s/cgroup.controllers", root, mnt);
			if (read_file_str(p, ctl, sizeof(ctl)) < 0)
				ctl[0] = '\0';
			snprintf(v2, sizeof(v2), "%s%s", root, mnt);
			snprintf(v2ctl, sizeof(v2ctl), "%s", ctl);
			v2cpu = word_in(ctl, "cpu", ' ');
		} else if (!strcmp(type, "cgroup") && !v1[0] && word_in(opts, "cpu", ',')) {
			snprintf(v1, sizeof(v1), "%s%s", root, mnt);
		}
	}
	fclose(f);

	if (v2cpu) {
		out->version = 2;
		snprintf(out->mount, sizeof(out->mount), "%s", v2);
		desc_set(out, "cgroup v2 at %s (controllers: %s): cpu.max",
			 v2, v2ctl);
		return 0;
	}
	if (v1[0]) {
		out->version = 1;
		snprintf(out->mount, sizeof(out->mount), "%s", v1);
		if (v2[0])
			desc_set(out, "cgroup v1 cpu controller at %s: cpu.cfs_quota_us (the cgroup2 mount at %s offers only: %s)",
				 v1, v2, v2ctl[0] ? v2ctl : "nothing");
		else
			desc_set(out, "cgroup v1 cpu controller at %s: cpu.cfs_quota_us", v1);
		return 0;
	}
	if (v2[0])
		desc_set(out, "no cpu controller: the cgroup2 mount at %s offers only '%s' and no cgroup v1 mount has cpu; fix: boot with systemd.unified_cgroup_hierarchy=1 (cpu on v2), or mount v1: mkdir -p /sys/fs/cgroup/cpu && mount -t cgroup -o cpu cgroup /sys/fs/cgroup/cpu",
			 v2, v2ctl);
	else
		desc_set(out, "no cgroup filesystem mounted; fix: mount -t cgroup2 none /sys/fs/cgroup (or a v1 cpu mount: mount -t cgroup -o cpu cgroup /sys/fs/cgroup/cpu)");
	return -ENOENT;
}

int cgroup_cpu_find(const char *mounts_path, struct cgroup_cpu *out)
{
	return cgroup_cpu_find_in(mounts_path ? mounts_path : "/proc/mounts", "", out);
}

int cgroup_parse_proc(const char *text, int version, char *path, size_t len)
{
	const char *line = text;

	/* Lines are "id:controllers:path"; v2's is "0::path". */
	while (line && *line) {
		const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *eol = strchr(line, '\n');
		size_t plen;

		if (c1 && c2 && (!eol || c2 < eol)) {
			char ctl[256];
			size_t clen = (size_t)(c2 - c1 - 1);
			bool match;

			if (clen >= sizeof(ctl))
				clen = sizeof(ctl) - 1;
			memcpy(ctl, c1 + 1, clen);
			ctl[clen] = '\0';
			if (version == 2)
				match = !strncmp(line, "0:", 2) && !ctl[0];
			else
				match = word_in(ctl, "cpu", ',');
			if (match) {
				plen = eol ? (size_t)(eol - c2 - 1) : strlen(c2 + 1);
				if (plen >= len)
					return -ENAMETOOLONG;
				memcpy(path, c2 + 1, plen);
				path[plen] = '\0';
				return 0;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

int cgroup_of_task(pid_t pid, pid_t tid, int version, char *path, size_t len)
{
	char p[64], text[4096];
	int rc;

	if (tid > 0)
		snprintf(p, sizeof(p), "/proc/%d/task/%d/cgroup", (int)pid, (int)tid);
	else
		snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	rc = read_file_str(p, text, sizeof(text));
	if (rc)
		return rc;
	return cgroup_parse_proc(text, version, path, len);
}

/* mount + rel + "/" + file, with rel "/" meaning the root. A path too long
 * comes out empty, so whatever uses it fails with ENOENT. */
static void cgroup_file(const char *mount, const char *rel, const char *file, char *buf,
			size_t len)
{
	if (snprintf(buf, len, "%s%s%s%s", mount, strcmp(rel, "/") ? rel : "", file ? "/" : "",
		     file ? file : "") >= (int)len)
		buf[0] = '\0';
}

int cgroup_create(const struct cgroup_cpu *cpu, const char *name, struct cgroup *cg,
		  char *err, size_t errlen)
{
	char p[PATH_MAX + 64], ctl[256] = "";
	const char *limit = cpu->version == 2 ? "cpu.max" : "cpu.cfs_quota_us";
	int rc;

	memset(cg, 0, sizeof(*cg));
	cg->cpu = *cpu;
	if (cpu->version != 1 && cpu->version != 2) {
		snprintf(err, errlen, "%s", cpu->desc);
		return -ENOTSUP;
	}
	snprintf(cg->rel, sizeof(cg->rel), "/%s", name);
	cgroup_file(cpu->mount, cg->rel, NULL, cg->path, sizeof(cg->path));

	if (cpu->version == 2) {
		/* A child gets cpu.max only when its parent hands the cpu
		 * controller down. */
		cgroup_file(cpu->mount, "/", "cgroup.subtree_control", p, sizeof(p));
		rc = read_file_str(p, ctl, sizeof(ctl));
		if (rc) {
			snprintf(err, errlen, "cannot read %s: %s", p, strerror(-rc));
			return rc;
		}
		if (!word_in(ctl, "cpu", ' ')) {
			rc = write_file_str(p, "+cpu");
			if (rc) {
				snprintf(err, errlen,
					 "cannot enable the cpu controller in %s: %s (a realtime process outside the root cgroup blocks it)",
					 p, strerror(-rc));
				return rc;
			}
			cg->enabled_cpu = true;
		}
	}
	if (mkdir(cg->path, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create cgroup %s: %s", cg->path, strerror(-rc));
		goto fail;
	}
	/* An EEXIST one was left by a killed run: it is ours to reuse and remove. */
	cg->created = true;
	cgroup_file(cpu->mount, cg->rel, limit, p, sizeof(p));
	if (access(p, F_OK) < 0) {
		rc = -errno;
		snprintf(err, errlen,
			 "%s is missing: this kernel has no CPU bandwidth control (CONFIG_CFS_BANDWIDTH)",
			 p);
		goto fail;
	}
	return 0;
fail:
	(void)cgroup_remove(cg);
	return rc;
}

int cgroup_set_bandwidth(struct cgroup *cg, int64_t quota_us, int64_t period_us, char *err,
			 size_t errlen)
{
	char p[PATH_MAX + 64], v[64];
	int rc;

	if (cg->cpu.version == 2) {
		cgroup_file(cg->cpu.mount, cg->rel, "cpu.max", p, sizeof(p));
		snprintf(v, sizeof(v), "%lld %lld", (long long)quota_us, (long long)period_us);
		rc = write_file_str(p, v);
	} else {
		/* The period first: the kernel checks the quota against it. */
		cgroup_file(cg->cpu.mount, cg->rel, "cpu.cfs_period_us", p, sizeof(p));
		snprintf(v, sizeof(v), "%lld", (long long)period_us);
		rc = write_file_str(p, v);
		if (!rc) {
			cgroup_file(cg->cpu.mount, cg->rel, "cpu.cfs_quota_us", p, sizeof(p));
			snprintf(v, sizeof(v), "%lld", (long long)quota_us);
			rc = write_file_str(p, v);
		}
	}
	if (rc)
		snprintf(err, errlen, "writing '%s' to %s failed: %s", v, p, strerror(-rc));
	return rc;
}

int cgroup_move(const struct cgroup_cpu *cpu, const char *rel, pid_t pid, char *err,
		size_t errlen)
{
	char p[PATH_MAX + 64], v[32], tp[64];
	DIR *d;
	struct dirent *de;
	int rc;

	/* cgroup.procs moves the whole thread group, in v1 and v2 alike. */
	cgroup_file(cpu->mount, rel, "cgroup.procs", p, sizeof(p));
	snprintf(v, sizeof(v), "%d", (int)pid);
	rc = write_file_str(p, v);
	if (rc) {
		snprintf(err, errlen, "moving pid %d into %s failed: %s", (int)pid, p, strerror(-rc));
		return rc;
	}
	snprintf(tp, sizeof(tp), "/proc/%d/task", (int)pid);
	d = opendir(tp);
	if (!d) {
		rc = -errno;
		snprintf(err, errlen, "pid %d: cannot list %s: %s", (int)pid, tp, strerror(-rc));
		return rc;
	}
	while ((de = readdir(d))) {
		char now[PATH_MAX];
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0)
			continue;
		rc = cgroup_of_task(pid, tid, cpu->version, now, sizeof(now));
		if (rc == -ENOENT)
			continue;	/* the thread exited meanwhile */
		if (rc || strcmp(now, rel)) {
			snprintf(err, errlen, "pid %d thread %d is in cgroup %s, not %s after the move",
				 (int)pid, (int)tid, rc ? "(unknown)" : now, rel);
			closedir(d);
			return rc ? rc : -EIO;
		}
	}
	closedir(d);
	return 0;
}

int cgroup_read_throttle(const struct cgroup *cg, struct cgroup_throttle *t)
{
	char p[PATH_MAX + 64], line[128];
	FILE *f;

	memset(t, 0, sizeof(*t));
	cgroup_file(cg->cpu.mount, cg->rel, "cpu.stat", p, sizeof(p));
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		unsigned long long v;

		if (sscanf(line, "%63s %llu", key, &v) != 2)
			continue;
		if (!strcmp(key, "nr_periods"))
			t->nr_periods = v;
		else if (!strcmp(key, "nr_throttled"))
			t->nr_throttled = v;
		else if (!strcmp(key, "throttled_usec"))
			t->throttled_us = v;
		else if (!strcmp(key, "throttled_time"))	/* v1: ns */
			t->throttled_us = v / 1000;
	}
	fclose(f);
	return 0;
}

int cgroup_remove(struct cgroup *cg)
{
	int rc = 0;

	if (cg->created) {
		/* The kernel drops a moved-out task from the count a little
		 * later; rmdir says EBUSY until then. */
		for (int i = 0; i < 100; i++) {
			struct timespec ts = { 0, 10 * NSEC_PER_MSEC };

			if (rmdir(cg->path) == 0 || errno == ENOENT) {
				rc = 0;
				break;
			}
			rc = -errno;
			if (rc != -EBUSY)
				break;
			nanosleep(&ts, NULL);
		}
		if (rc)
			lm_err("cannot remove cgroup %s: %s (remove it with rmdir once its tasks are gone)",
			       cg->path, strerror(-rc));
		else
			cg->created = false;
	}
	if (cg->enabled_cpu) {
		char p[PATH_MAX + 64];
		int r;

		cgroup_file(cg->cpu.mount, "/", "cgroup.subtree_control", p, sizeof(p));
		r = write_file_str(p, "-cpu");
		if (r) {
			lm_warn("cannot undo +cpu in %s: %s", p, strerror(-r));
			if (!rc)
				rc = r;
		} else {
			cg->enabled_cpu = false;
		}
	}
	return rc;
}

int cgroup_leftovers(bool remove, char *left, size_t llen, char *removed, size_t rlen)
{
	struct cgroup_cpu cc;
	struct dirent *e;
	size_t loff = 0, roff = 0;
	int nleft = 0;
	DIR *d;

	left[0] = removed[0] = '\0';
	if (cgroup_cpu_find(NULL, &cc) < 0 || !(d = opendir(cc.mount)))
		return 0;
	while ((e = readdir(d))) {
		char path[PATH_MAX + 256];

		if (strncmp(e->d_name, "lockmap-", 8))
			continue;
		snprintf(path, sizeof(path), "%s/%s", cc.mount, e->d_name);
		if (remove && rmdir(path) == 0) {
			if (roff < rlen)
				roff += (size_t)snprintf(removed + roff, rlen - roff, "%s%s",
							 roff ? " " : "", path);
			continue;
		}
		nleft++;
		if (loff < llen)
			loff += (size_t)snprintf(left + loff, llen - loff, "%s%s", loff ? " " : "", path);
	}
	closedir(d);
	return nleft;
}
