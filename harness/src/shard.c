// SPDX-License-Identifier: GPL-2.0
/* Which slice of the grid this run is (shard.h): from --shard, or from what a
 * scheduler puts in the environment of each task of an array of jobs. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lockmap.h"
#include "shard.h"

/* The largest array index Slurm can give (MaxArraySize is at most 4000001). */
#define SHARD_ENV_MAX 10000000UL

/* A whole number written as digits only (no sign, no blank), at most max. */
static int shard_num(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Shard i of n (checked by the caller); 1 of 1 is the whole grid. */
static void shard_set(struct shard *sh, unsigned long i, unsigned long n)
{
	sh->index = n > 1 ? (unsigned)i : 0;
	sh->count = n > 1 ? (unsigned)n : 0;
}

/* i of n, each parsed or not (-EINVAL from shard_num); what names them. */
static int shard_check(int rc, unsigned long i, unsigned long n, const char *what,
		       struct shard *sh, char *why, size_t len)
{
	if (rc) {
		snprintf(why, len, "%s: give I/N, two whole numbers, N at most %d: the I-th of N slices of the grid (e.g. --shard 2/4)",
			 what, SHARD_MAX);
		return -EINVAL;
	}
	if (n == 0) {
		snprintf(why, len, "%s: N is the number of shards, at least 1", what);
		return -EINVAL;
	}
	if (i == 0 || i > n) {
		snprintf(why, len, "%s: shards are numbered from 1 to N (1/%lu .. %lu/%lu)", what,
			 n, n, n);
		return -EINVAL;
	}
	shard_set(sh, i, n);
	return 0;
}

int shard_parse(const char *s, const char *opt, struct shard *sh, char *why, size_t len)
{
	const char *slash = strchr(s, '/');
	unsigned long i = 0, n = 0;
	char ibuf[32], what[96];
	int rc = -EINVAL;

	memset(sh, 0, sizeof(*sh));
	snprintf(what, sizeof(what), "%s %.60s", opt, s);
	if (slash && (size_t)(slash - s) < sizeof(ibuf)) {
		snprintf(ibuf, sizeof(ibuf), "%.*s", (int)(slash - s), s);
		rc = shard_num(ibuf, SHARD_MAX, &i);
		if (!rc)
			rc = shard_num(slash + 1, SHARD_MAX, &n);
	}
	rc = shard_check(rc, i, n, what, sh, why, len);
	if (!rc)
		snprintf(sh->from, sizeof(sh->from), "%s", what);
	return rc;
}

/* A Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) of --shard-count. */
static int shard_k8s(const char *count_opt, struct shard *sh, char *why, size_t len)
{
	const char *jci = getenv("JOB_COMPLETION_INDEX");
	unsigned long n, idx;

	if (shard_num(count_opt, SHARD_MAX, &n) || n == 0) {
		snprintf(why, len, "--shard-count %.40s: give N, the number of shards (the Job's completions), 1 to %d",
			 count_opt, SHARD_MAX);
		return -EINVAL;
	}
	if (!jci) {
		snprintf(why, len, "--shard-count %lu takes the shard from JOB_COMPLETION_INDEX, which a Kubernetes Indexed Job sets, and it is not set: give --shard I/N",
			 n);
		return -EINVAL;
	}
	if (shard_num(jci, SHARD_ENV_MAX, &idx) || idx >= n) {
		snprintf(why, len, "JOB_COMPLETION_INDEX=%.40s is no index of %lu shards (0 to %lu): give the Job's completions as --shard-count",
			 jci, n, n - 1);
		return -EINVAL;
	}
	shard_set(sh, idx + 1, n);
	snprintf(sh->from, sizeof(sh->from), "JOB_COMPLETION_INDEX=%lu with --shard-count %lu",
		 idx, n);
	return 0;
}

/* One SLURM_ARRAY_TASK_* variable; -ENOENT when unset, -EINVAL with why
 * when it is no number. */
static int shard_slurm_var(const char *name, unsigned long *v, char *why, size_t len)
{
	const char *s = getenv(name);

	if (!s)
		return -ENOENT;
	if (shard_num(s, SHARD_ENV_MAX, v)) {
		snprintf(why, len, "%s=%.40s: not a whole number (Slurm sets it for each task of a job array); give --shard I/N",
			 name, s);
		return -EINVAL;
	}
	return 0;
}

/* A Slurm job array: task SLURM_ARRAY_TASK_ID of the indices MIN, MIN+STEP,
 * ..., MAX (COUNT of them). The array may start at 0 or 1 or anywhere, with
 * a step (--array=0-3, 1-4, 10-40:10); a list that is no such range
 * (--array=1,2,9) cannot be told apart from one with gaps, and is refused. */
static int shard_slurm(struct shard *sh, char *why, size_t len)
{
	static const char *const names[] = { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
					     "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_STEP",
					     "SLURM_ARRAY_TASK_MAX" };
	unsigned long v[ARRAY_SIZE(names)] = { 0, 0, 0, 1, 0 }, id, min, count, step, pos;
	bool have_max = false;

	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		int rc = shard_slurm_var(names[k], &v[k], why, len);

		if (rc == -ENOENT && k < 3) {
			snprintf(why, len, "SLURM_ARRAY_TASK_ID is set but %s is not: give --shard I/N",
				 names[k]);
			return -EINVAL;
		}
		if (rc == -EINVAL)
			return rc;
		have_max |= k == 4 && rc == 0;
	}
	id = v[0], min = v[1], count = v[2], step = v[3];
	pos = id >= min && step ? (id - min) / step : 0;
	if (count == 0 || count > SHARD_MAX || step == 0 || id < min || (id - min) % step ||
	    pos >= count || (have_max && min + (count - 1) * step != v[4])) {
		snprintf(why, len, "SLURM_ARRAY_TASK_ID=%lu in an array of SLURM_ARRAY_TASK_COUNT=%lu from SLURM_ARRAY_TASK_MIN=%lu%s%.20s step %lu: shards need the array to be one range (--array=0-3, 1-4 or 0-30:10 for 4 shards, at most %d); or give --shard I/N",
			 id, count, min, have_max ? " to " : "",
			 have_max ? getenv("SLURM_ARRAY_TASK_MAX") : "", step, SHARD_MAX);
		return -EINVAL;
	}
	shard_set(sh, pos + 1, count);
	snprintf(sh->from, sizeof(sh->from),
		 "SLURM_ARRAY_TASK_ID=%lu of %lu tasks from SLURM_ARRAY_TASK_MIN=%lu step %lu", id,
		 count, min, step);
	return 0;
}

int shard_resolve(const char *opt, const char *count_opt, struct shard *sh, char *why,
		  size_t len)
{
	const char *jci = getenv("JOB_COMPLETION_INDEX");

	memset(sh, 0, sizeof(*sh));
	if (opt && count_opt) {
		snprintf(why, len, "--shard and --shard-count: give one, --shard I/N or --shard-count N (with JOB_COMPLETION_INDEX, set by a Kubernetes Indexed Job)");
		return -EINVAL;
	}
	if (opt)
		return shard_parse(opt, "--shard", sh, why, len);
	if (count_opt)
		return shard_k8s(count_opt, sh, why, len);
	if (getenv("SLURM_ARRAY_TASK_ID"))
		return shard_slurm(sh, why, len);
	if (jci) {
		/* Every pod of an Indexed Job running the whole grid is a
		 * mistake, not a choice: say how to say either. */
		snprintf(why, len, "JOB_COMPLETION_INDEX=%.40s is set (a Kubernetes Indexed Job) but --shard-count is not: give --shard-count N (the Job's completions) to run one shard of N, or --shard 1/1 to run the whole grid",
			 jci);
		return -EINVAL;
	}
	return 0;
}

/* The cell (its repeats counted once) that cell i of g is a repeat of, for
 * i = 0, 1, 2, ... in turn: repeats follow their cell, rep 0 starts the next. */
static size_t shard_combo(const struct grid *g, size_t i, size_t *k)
{
	if (i && g->cells[i].rep == 0)
		(*k)++;
	return *k;
}

void shard_assign(const struct grid *g, unsigned count, unsigned *of)
{
	size_t k = 0;

	for (size_t i = 0; i < g->ncells; i++)
		of[i] = count > 1 ? (unsigned)(shard_combo(g, i, &k) % count) + 1 : 1;
}

size_t shard_cells(const struct shard *sh, const struct grid *g, bool *mine)
{
	size_t k = 0, n = 0;

	for (size_t i = 0; i < g->ncells; i++) {
		size_t combo = shard_combo(g, i, &k);

		mine[i] = !sh->count || combo % sh->count + 1 == sh->index;
		n += mine[i];
	}
	return n;
}

const char *shard_name(const struct shard *sh)
{
	static char buf[48];

	if (!sh->count)
		return "the whole grid";
	snprintf(buf, sizeof(buf), "shard %u/%u", sh->index, sh->count);
	return buf;
}

json_t *shard_json(const struct shard *sh, const struct grid *g, size_t ncells)
{
	char gid[17];

	if (!sh->count)
		return NULL;
	grid_id(g, gid);
	return json_pack("{s:i, s:i, s:s, s:I, s:s}", "index", (int)sh->index, "count",
			 (int)sh->count, "grid_id", gid, "cells", (json_int_t)ncells, "from",
			 sh->from);
}

int shard_from_run_json(const json_t *rj, struct shard *sh)
{
	const json_t *o = json_object_get(rj, "shard");
	json_int_t i, n;

	memset(sh, 0, sizeof(*sh));
	if (!o || json_is_null(o))
		return 0;
	i = json_integer_value(json_object_get(o, "index"));
	n = json_integer_value(json_object_get(o, "count"));
	if (!json_is_object(o) || n < 2 || n > SHARD_MAX || i < 1 || i > n)
		return -EINVAL;
	shard_set(sh, (unsigned long)i, (unsigned long)n);
	snprintf(sh->from, sizeof(sh->from), "run.json");
	return 0;
}

/* How to ask for shard sh again, for a message. */
static void shard_how(const struct shard *sh, char *buf, size_t len)
{
	if (sh->count)
		snprintf(buf, len, "--shard %u/%u", sh->index, sh->count);
	else
		snprintf(buf, len, "no shard (no --shard; --shard 1/1 where SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX is set)");
}

int shard_check_run_dir(const char *dir, const struct shard *sh, char *why, size_t len)
{
	char *path = xasprintf("%s/run.json", dir), how[160], mine[48];
	struct shard stored;
	json_error_t jerr;
	json_t *rj;
	struct stat st;
	int rc = 0;

	if (stat(path, &st) < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		free(path);
		return rc;
	}
	rj = json_load_file(path, 0, &jerr);
	if (!json_is_object(rj) || shard_from_run_json(rj, &stored)) {
		snprintf(why, len, "--run-dir %s: its run.json does not say which shard it is (%s)",
			 dir, rj ? "a malformed \"shard\"" : jerr.text);
		rc = -EINVAL;
	} else if (stored.index != sh->index || stored.count != sh->count) {
		snprintf(mine, sizeof(mine), "%s", shard_name(sh));
		shard_how(&stored, how, sizeof(how));
		snprintf(why, len, "--run-dir %s is the run of %s, and this run is %s (%s): resume it with %s, or give this one a directory of its own",
			 dir, shard_name(&stored), mine, sh->count ? sh->from : "no shard", how);
		rc = -EINVAL;
	}
	json_decref(rj);
	free(path);
	return rc;
}
