/* SPDX-License-Identifier: GPL-2.0 */
/* cgroups: where the cpu controller lives (v2 unified hierarchy or a v1 cpu
 * mount), and creating, filling and removing one cgroup with a CPU bandwidth
 * limit. Used by the throttle injector and by `lockmap check`. */
#ifndef LOCKMAP_CGROUP_H
#define LOCKMAP_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup_cpu {
	int version;		/* 2 or 1; 0 when no cpu controller was found */
	char mount[PATH_MAX];	/* the hierarchy's mount point */
	char desc[512];		/* for people: where it is, or why none is usable + fix */
};

/* Find the hierarchy holding the cpu controller from a mounts file
 * (/proc/mounts). v2 wins when its root offers "cpu" in cgroup.controllers.
 * root prefixes the mount points when reading cgroup files ("" for the real
 * host; a fixture tree in tests). Returns 0 (version set), -ENOENT when none
 * (desc says why and how to fix), or -errno reading mounts_path. */
int cgroup_cpu_find_in(const char *mounts_path, const char *root, struct cgroup_cpu *out);
/* The same on the real host; mounts_path NULL means /proc/mounts. */
int cgroup_cpu_find(const char *mounts_path, struct cgroup_cpu *out);

/* The path (relative to the hierarchy's root, "/..." ) of a task's cgroup in
 * the given version, from the text of /proc/<pid>/cgroup. */
int cgroup_parse_proc(const char *text, int version, char *path, size_t len);
/* The same, read from /proc/<pid>/cgroup (or task/<tid>/cgroup when tid > 0). */
int cgroup_of_task(pid_t pid, pid_t tid, int version, char *path, size_t len);

/* One cgroup made by lockmap under a hierarchy's root. */
struct cgroup {
	struct cgroup_cpu cpu;
	char rel[256];		/* "/lockmap-<run id>-<cell id>" */
	char path[PATH_MAX];	/* mount + rel */
	bool created;		/* we made the directory (and so remove it) */
	bool enabled_cpu;	/* v2: we added +cpu to the root's subtree_control */
};

/* Create the cgroup named name (no slashes) under the cpu hierarchy's root. */
int cgroup_create(const struct cgroup_cpu *cpu, const char *name, struct cgroup *cg,
		  char *err, size_t errlen);
/* Limit the cgroup to quota_us of cpu time every period_us. */
int cgroup_set_bandwidth(struct cgroup *cg, int64_t quota_us, int64_t period_us,
			 char *err, size_t errlen);
/* Move a whole process (every thread) into the cgroup at rel ("/" is the
 * root) and check that each thread arrived. */
int cgroup_move(const struct cgroup_cpu *cpu, const char *rel, pid_t pid, char *err,
		size_t errlen);
/* Throttling so far, from cpu.stat (v1 throttled_time is ns, v2 throttled_usec). */
struct cgroup_throttle {
	uint64_t nr_periods, nr_throttled, throttled_us;
};
int cgroup_read_throttle(const struct cgroup *cg, struct cgroup_throttle *t);
/* Remove the cgroup (retrying while the kernel still counts tasks in it) and
 * undo +cpu if we enabled it. Safe to call twice. */
int cgroup_remove(struct cgroup *cg);

/* cgroups lockmap made (lockmap-*) under the cpu hierarchy's root: with
 * remove, rmdir each (their tasks died with the run that made them). left
 * lists those that remain, removed those removed. Returns how many remain. */
int cgroup_leftovers(bool remove, char *left, size_t llen, char *removed, size_t rlen);

#endif
