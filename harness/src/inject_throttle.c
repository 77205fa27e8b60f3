// SPDX-License-Identifier: GPL-2.0
/* Injector "throttle": a CPU bandwidth limit on the guests' VMM processes. A
 * throttled vCPU thread is descheduled for the rest of each period, so its
 * guest's timer falls behind the way a paused guest's does, but over and over
 * at the period's rhythm. cgroup v2 cpu.max where the cpu controller is on the
 * unified hierarchy, else cgroup v1 cpu.cfs_quota_us/cpu.cfs_period_us. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "cgroup.h"
#include "inject.h"
#include "lockmap.h"
#include "text.h"

static const struct pspec throttle_keys[] = {
	{ "quota", PT_DURATION, 0, 10 * NSEC_PER_SEC, "0", NULL,
	  "CPU time the guests' processes may use per period (at least 1ms); 0 turns the injector off" },
	{ "period", PT_DURATION, NSEC_PER_MSEC, NSEC_PER_SEC, "100ms", NULL,
	  "the bandwidth period (1ms..1s)" },
};

/* One flat allocation: where each guest came from is kept inline. */
struct throttle_state {
	int64_t quota_us, period_us;
	struct cgroup cg;
	struct cgroup_throttle stat;	/* last read of cpu.stat */
	bool have_stat;
	char error[512];
	size_t nguests;
	struct throttle_guest {
		pid_t pid;		/* 0: not moved */
		char from[256];		/* its cgroup before, relative to the root */
	} g[];
};

static int throttle_supported(char *why, size_t len)
{
	struct cgroup_cpu cpu;
	int rc = cgroup_cpu_find(NULL, &cpu);

	snprintf(why, len, "%s", cpu.desc);
	return rc ? -ENOTSUP : 0;
}

/* Put every guest back where it was; the root when its old cgroup is gone. */
static int throttle_move_back(struct throttle_state *st)
{
	char err[512];
	int first = 0;

	for (size_t i = 0; i < st->nguests; i++) {
		struct throttle_guest *tg = &st->g[i];
		int rc;

		if (!tg->pid)
			continue;
		rc = cgroup_move(&st->cg.cpu, tg->from, tg->pid, err, sizeof(err));
		if (rc == -ENOENT && strcmp(tg->from, "/"))
			rc = cgroup_move(&st->cg.cpu, "/", tg->pid, err, sizeof(err));
		/* A VMM that exited has nothing left to move. */
		if (rc && rc != -ESRCH && kill(tg->pid, 0) == 0) {
			lm_err("throttle: %s", err);
			if (!first)
				first = rc;
			continue;
		}
		tg->pid = 0;
	}
	return first;
}

/* Read the final cpu.stat, move the guests back, remove the cgroup. */
static int throttle_stop(struct inject_ctx *ic)
{
	struct throttle_state *st = ic->priv;
	int rc, r;

	if (!st || !st->cg.created)
		return 0;
	if (cgroup_read_throttle(&st->cg, &st->stat) == 0)
		st->have_stat = true;
	rc = throttle_move_back(st);
	r = cgroup_remove(&st->cg);
	return rc ? rc : r;
}

/* The kernel refuses a quota under 1 ms (min_cfs_quota_period), and cgroups
 * take whole microseconds. */
static int throttle_validate(const struct cell *c, const char *section, char *err, size_t len)
{
	static const char *const keys[] = { "quota", "period" };
	int64_t quota = cell_num(c, section, "quota");
	char where[600];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (cell_num(c, section, keys[i]) % NSEC_PER_USEC == 0)
			continue;
		cell_where(c, section, keys[i], where, sizeof(where));
		snprintf(err, len, "%s: %s is not a whole number of microseconds, which is what "
			 "cgroups take; round it to whole us", where,
			 cell_val(c, section, keys[i])->text);
		return -EINVAL;
	}
	if (quota == 0 || quota >= NSEC_PER_MSEC)
		return 0;
	cell_where(c, section, "quota", where, sizeof(where));
	snprintf(err, len, "%s: %s is under the kernel's minimum CPU bandwidth quota of 1ms "
		 "(min_cfs_quota_period); write 0 (off) or 1ms or more", where,
		 cell_val(c, section, "quota")->text);
	return -EINVAL;
}

/* Make lockmap-<run id>-<cell id> with the limit and move every guest's VMM into it. */
static int throttle_start(struct inject_ctx *ic)
{
	const struct cell *c = ic->cell->cell;
	struct cell_ctx *ctx = ic->cell;
	struct throttle_state *st;
	struct cgroup_cpu cpu;
	char name[NAME_MAX + 1];
	int rc;

	st = calloc(1, sizeof(*st) + ctx->nguests * sizeof(st->g[0]));
	if (!st)
		return -ENOMEM;
	free(ic->priv);
	ic->priv = st;
	st->nguests = ctx->nguests;
	st->quota_us = cell_num(c, ic->section, "quota") / NSEC_PER_USEC;
	st->period_us = cell_num(c, ic->section, "period") / NSEC_PER_USEC;
	if (st->quota_us == 0)
		return 0;
	rc = cgroup_cpu_find(NULL, &cpu);
	if (rc) {
		snprintf(st->error, sizeof(st->error), "%s", cpu.desc);
		rc = -ENOTSUP;
		goto fail;
	}
	/* The run id too: two runs of one profile share cell ids. */
	snprintf(name, sizeof(name), "lockmap-%s-%s", ctx->run_id, c->id);
	rc = cgroup_create(&cpu, name, &st->cg, st->error, sizeof(st->error));
	if (rc)
		goto fail;
	rc = cgroup_set_bandwidth(&st->cg, st->quota_us, st->period_us, st->error,
				  sizeof(st->error));
	if (rc)
		goto fail;
	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		struct throttle_guest *tg = &st->g[i];

		if (g->pid <= 0 || g->exited)
			continue;
		rc = cgroup_of_task(g->pid, 0, cpu.version, tg->from, sizeof(tg->from));
		if (rc) {
			snprintf(st->error, sizeof(st->error),
				 "guest %d (pid %d): cannot read its cgroup from /proc/%d/cgroup: %s",
				 g->index, (int)g->pid, (int)g->pid, strerror(-rc));
			goto fail;
		}
		/* Recorded before the move: a half-done move is undone too. */
		tg->pid = g->pid;
		rc = cgroup_move(&cpu, st->cg.rel, g->pid, st->error, sizeof(st->error));
		if (rc)
			goto fail;
	}
	lm_debug("throttle: %s holds %zu guest(s), %lld/%lld us", st->cg.path, ctx->nguests,
		 (long long)st->quota_us, (long long)st->period_us);
	return 0;
fail:
	lm_err("throttle: %s", st->error);
	(void)throttle_stop(ic);
	return rc;
}

static void throttle_describe(struct inject_ctx *ic, json_t *out)
{
	struct throttle_state *st = ic->priv;
	char buf[32];

	if (!st || st->quota_us == 0) {
		json_object_set_new(out, "off", json_true());
		return;
	}
	fmt_duration(st->quota_us * NSEC_PER_USEC, buf, sizeof(buf));
	json_object_set_new(out, "quota", json_string(buf));
	fmt_duration(st->period_us * NSEC_PER_USEC, buf, sizeof(buf));
	json_object_set_new(out, "period", json_string(buf));
	if (st->cg.cpu.version) {
		json_object_set_new(out, "cgroup_version", json_integer(st->cg.cpu.version));
		json_object_set_new(out, "cgroup", json_string(st->cg.path));
	}
	/* Still running (describe before stop): read it live. */
	if (st->cg.created && cgroup_read_throttle(&st->cg, &st->stat) == 0)
		st->have_stat = true;
	if (st->have_stat) {
		json_object_set_new(out, "nr_periods", json_integer((json_int_t)st->stat.nr_periods));
		json_object_set_new(out, "nr_throttled",
				    json_integer((json_int_t)st->stat.nr_throttled));
		json_object_set_new(out, "throttled_us",
				    json_integer((json_int_t)st->stat.throttled_us));
	}
	if (st->error[0])
		json_object_set_new(out, "error", text_json(st->error));
}

/* Its injection runs: the guests sit in its cgroup (quota 0 is off). */
static bool throttle_active(const struct inject_ctx *ic)
{
	const struct throttle_state *st = ic->priv;

	return ic->started && st && st->quota_us > 0;
}

const struct injector_ops inject_throttle_ops = {
	.name = "throttle",
	.help = "limit the guests' VMM processes to `quota` of CPU time every `period` (cgroup CPU bandwidth)",
	.keys = throttle_keys,
	.nkeys = ARRAY_SIZE(throttle_keys),
	.supported = throttle_supported,
	.validate = throttle_validate,
	.start = throttle_start,
	.stop = throttle_stop,
	.describe = throttle_describe,
	.active = throttle_active,
};
