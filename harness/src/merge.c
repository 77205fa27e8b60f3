// SPDX-License-Identifier: GPL-2.0
/* `lockmap merge` (merge.h), its checks: what the runs are, that they are
 * shards of one grid that do not overlap, and that OUT is free. Nothing is
 * written until all of them passed; merge_write.c writes OUT. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"
#include "lockmap.h"
#include "merge_int.h"

/* A run directory as given: its run.json, grid and shard (a run without a
 * shard is 1/1: the whole grid). */
static int merge_load(struct merge_part *mp, char *why, size_t len)
{
	const char *gid;
	json_error_t jerr;
	char *path;

	mp->dir = realpath(mp->arg, NULL);
	if (!mp->dir) {
		int err = errno;

		snprintf(why, len, "%s: %s: give the directories of the runs to merge", mp->arg,
			 strerror(err));
		return err == ENOENT || err == ENOTDIR ? -EINVAL : -err;
	}
	path = xasprintf("%s/run.json", mp->dir);
	mp->rj = json_load_file(path, 0, &jerr);
	free(path);
	if (!json_is_object(mp->rj)) {
		snprintf(why, len, "%s is no lockmap run: cannot read its run.json (%s)", mp->arg,
			 jerr.text);
		return -EINVAL;
	}
	gid = json_string_value(json_object_get(mp->rj, "grid_id"));
	if (!gid || strlen(gid) != 16) {
		snprintf(why, len, "%s: its run.json has no grid_id (a lockmap older than shards wrote it), so nothing says which cells it is of",
			 mp->arg);
		return -EINVAL;
	}
	memcpy(mp->gid, gid, 17);
	if (shard_from_run_json(mp->rj, &mp->sh) < 0) {
		snprintf(why, len, "%s: its run.json's \"shard\" is malformed", mp->arg);
		return -EINVAL;
	}
	if (!mp->sh.count)
		mp->sh.index = mp->sh.count = 1;
	return 0;
}

static int merge_part_cmp(const void *a, const void *b)
{
	const struct merge_part *x = a, *y = b;

	return (x->sh.index > y->sh.index) - (x->sh.index < y->sh.index);
}

/* "run R (shard I/N)" of a part, for messages (static buffers, two). */
static const char *merge_part_name(const struct merge_part *mp)
{
	static char buf[2][600];
	static int k;

	k ^= 1;
	if (mp->sh.count > 1)
		snprintf(buf[k], sizeof(buf[k]), "%s (shard %u/%u)", mp->arg, mp->sh.index,
			 mp->sh.count);
	else
		snprintf(buf[k], sizeof(buf[k]), "%s (the whole grid)", mp->arg);
	return buf[k];
}

/* One grid, one shard count, every shard at most once; parts in shard order. */
static int merge_check_parts(struct merge *m, char *why, size_t len)
{
	const struct merge_part *first = &m->parts[0];

	for (size_t i = 1; i < m->nparts; i++) {
		const struct merge_part *mp = &m->parts[i];

		if (strcmp(mp->gid, first->gid)) {
			snprintf(why, len, "%s is a run of %s (grid %s) and %s of %s (grid %s): runs of different profiles make different cells and cannot be merged",
				 first->arg,
				 json_string_value(json_object_get(first->rj, "profile_path")),
				 first->gid, mp->arg,
				 json_string_value(json_object_get(mp->rj, "profile_path")), mp->gid);
			return -EINVAL;
		}
		if (mp->sh.count != first->sh.count) {
			snprintf(why, len, "%s and %s: slices of %u and of %u shards do not fit together; merge the shards of one count",
				 merge_part_name(first), merge_part_name(mp), first->sh.count,
				 mp->sh.count);
			return -EINVAL;
		}
	}
	qsort(m->parts, m->nparts, sizeof(*m->parts), merge_part_cmp);
	for (size_t i = 1; i < m->nparts; i++) {
		if (m->parts[i].sh.index == m->parts[i - 1].sh.index) {
			snprintf(why, len, "%s and %s are runs of the same shard: give one (resume a cut shard with `lockmap run --run-dir RUN --shard I/N PROFILE` rather than running it again)",
				 merge_part_name(&m->parts[i - 1]), merge_part_name(&m->parts[i]));
			return -EINVAL;
		}
	}
	m->count = first->sh.count;
	return 0;
}

/* The profile the runs keep, and its grid: it must still make their cells. */
static int merge_grid(struct merge *m, char *why, size_t len)
{
	const struct merge_part *mp = &m->parts[0];
	const char *text = json_string_value(json_object_get(mp->rj, "profile"));
	const char *path = json_string_value(json_object_get(mp->rj, "profile_path"));
	char err[512] = "";
	int rc;

	if (!text) {
		snprintf(why, len, "%s: its run.json keeps no profile", mp->arg);
		return -EINVAL;
	}
	rc = profile_parse(path ? path : "run.json", text, &m->prof, err, sizeof(err));
	if (!rc)
		rc = grid_build(m->prof, &m->grid);
	if (rc) {
		snprintf(why, len, "%s: the profile its run.json keeps does not load here (%.300s): merge with the lockmap that ran it",
			 mp->arg, err[0] ? err : strerror(-rc));
		return -EINVAL;
	}
	m->have_grid = true;
	grid_id(&m->grid, m->gid);
	if (strcmp(m->gid, mp->gid)) {
		snprintf(why, len, "%s: this lockmap makes other cells (grid %s) of the profile its run.json keeps than the lockmap that ran it (grid %s): merge with that lockmap",
			 mp->arg, m->gid, mp->gid);
		return -EINVAL;
	}
	return 0;
}

struct merge_touch_ctx {
	const struct grid *g;
	bool *touched;
};

/* A cell_start or cell_end of a cell of the grid marks it the part's. */
static int merge_touch_rec(json_t *rec, void *arg)
{
	struct merge_touch_ctx *tc = arg;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *id = json_string_value(json_object_get(rec, "cell"));
	json_int_t idx = json_integer_value(json_object_get(rec, "index"));

	if (type && id && (!strcmp(type, "cell_start") || !strcmp(type, "cell_end")) &&
	    idx >= 0 && (size_t)idx < tc->g->ncells && !strcmp(tc->g->cells[idx].id, id))
		tc->touched[idx] = true;
	return 0;
}

/* Which cells each part ran; a cell run by two parts is refused: which of
 * its results would the merged run hold? */
static int merge_overlap(struct merge *m, char *why, size_t len)
{
	const struct grid *g = &m->grid;

	for (size_t k = 0; k < m->nparts; k++) {
		struct merge_part *mp = &m->parts[k];
		struct merge_touch_ctx tc = { g, NULL };
		char *path = xasprintf("%s/journal.jsonl", mp->dir);
		int rc;

		mp->touched = calloc(g->ncells ? g->ncells : 1, sizeof(*mp->touched));
		if (!mp->touched) {
			free(path);
			return -ENOMEM;
		}
		tc.touched = mp->touched;
		rc = journal_read(path, merge_touch_rec, &tc);
		free(path);
		if (rc < 0 && rc != -ENOENT) {
			snprintf(why, len, "%s: cannot read its journal.jsonl: %s", mp->arg,
				 strerror(-rc));
			return rc;
		}
		for (size_t j = 0; j < k; j++) {
			for (size_t i = 0; i < g->ncells; i++) {
				if (!mp->touched[i] || !m->parts[j].touched[i])
					continue;
				snprintf(why, len, "cell %zu (%s r%d) is in both %s and %s: overlapping runs cannot be merged (was a run.json edited, or a run resumed with another shard?)",
					 i, g->cells[i].id, g->cells[i].rep,
					 merge_part_name(&m->parts[j]), merge_part_name(mp));
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* OUT must be new: missing, or an empty directory. */
static int merge_out_check(const char *out, char *why, size_t len)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	bool empty = true;

	if (lstat(out, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	d = S_ISDIR(st.st_mode) ? opendir(out) : NULL;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	if (d)
		closedir(d);
	if (S_ISDIR(st.st_mode) && empty)
		return 0;
	snprintf(why, len, "%s exists and is %s: the merged run goes into a new directory (or an empty one)",
		 out, S_ISDIR(st.st_mode) ? "not empty" : "no directory");
	return -EINVAL;
}

static void merge_free(struct merge *m)
{
	for (size_t k = 0; m->parts && k < m->nparts; k++) {
		free(m->parts[k].dir);
		json_decref(m->parts[k].rj);
		free(m->parts[k].touched);
	}
	free(m->parts);
	if (m->have_grid)
		grid_free(&m->grid);
	profile_free(m->prof);
}

/* Every check, in order; -EINVAL with why for a refusal. */
static int merge_check(struct merge *m, char *why, size_t len)
{
	int rc = merge_out_check(m->out, why, len);

	for (size_t k = 0; !rc && k < m->nparts; k++)
		rc = merge_load(&m->parts[k], why, len);
	if (!rc)
		rc = merge_check_parts(m, why, len);
	if (!rc)
		rc = merge_grid(m, why, len);
	if (!rc)
		rc = merge_overlap(m, why, len);
	return rc;
}

int merge_runs(const char *out, char *const *runs, size_t nruns)
{
	struct merge m = { .out = out, .nparts = nruns };
	char why[2048] = "";
	int rc, exit_code;

	m.parts = calloc(nruns, sizeof(*m.parts));
	if (!m.parts)
		return EXIT_NOTREADY;
	for (size_t k = 0; k < nruns; k++)
		m.parts[k].arg = runs[k];
	rc = merge_check(&m, why, sizeof(why));
	if (rc) {
		if (why[0])
			lm_err("%s", why);
		else
			lm_err("merge into %s: %s", out, strerror(-rc));
		merge_free(&m);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_NOTREADY;
	}
	exit_code = merge_write(&m);
	merge_free(&m);
	return exit_code;
}
