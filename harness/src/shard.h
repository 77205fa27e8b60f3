/* SPDX-License-Identifier: GPL-2.0 */
/* Shards: `run --shard I/N` runs the I-th of N disjoint slices of a grid, so
 * that N hosts (a Slurm job array, a Kubernetes Indexed Job) share one map;
 * `lockmap merge` joins their runs. The rule, kept by every lockmap that
 * slices: the k-th cell of the grid (0-based, in grid order as `run -n` lists
 * them, the repeats of a cell counted once) goes to shard k mod N + 1. All
 * repeats of a cell are in one shard, so its rates over repeats stay whole;
 * round robin rather than blocks, so the costly end of an axis is spread. */
#ifndef LOCKMAP_SHARD_H
#define LOCKMAP_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "grid.h"

/* More shards than this is a typo, not a cluster. */
#define SHARD_MAX 100000

struct shard {
	unsigned index;		/* 1-based; 0: no shard, the whole grid */
	unsigned count;		/* N; 0: no shard */
	char from[160];		/* where I/N came from, for messages */
};

/* "I/N" (1 <= I <= N): into sh; 1/1 is the whole grid (no shard). -EINVAL
 * with why (naming opt, the option or variable it came from) otherwise. */
int shard_parse(const char *s, const char *opt, struct shard *sh, char *why, size_t len);
/* The shard of this run: --shard (opt, or NULL) wins; else --shard-count
 * (count_opt, or NULL) with JOB_COMPLETION_INDEX (0-based: Kubernetes); else
 * SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_MIN, _STEP, _COUNT (and _MAX,
 * checked) when set; else none. -EINVAL with why for a bad or incomplete
 * value (exit 2). */
int shard_resolve(const char *opt, const char *count_opt, struct shard *sh, char *why,
		  size_t len);
/* The shard (1..count) of every cell of g by the rule above, into of[]. */
void shard_assign(const struct grid *g, unsigned count, unsigned *of);
/* mine[i]: is cell i in sh (every cell when sh has no shard)? Returns how
 * many are. */
size_t shard_cells(const struct shard *sh, const struct grid *g, bool *mine);
/* "shard 2/4" or "the whole grid", for messages (static buffer). */
const char *shard_name(const struct shard *sh);
/* {"index", "count", "grid_id" of the whole grid, "cells" in the slice,
 * "from"}: run.json's and run_start's "shard". NULL for no shard. */
json_t *shard_json(const struct shard *sh, const struct grid *g, size_t ncells);
/* The shard a run.json (rj) records (none: index and count 0). -EINVAL when
 * its "shard" is there but malformed. */
int shard_from_run_json(const json_t *rj, struct shard *sh);
/* `run --run-dir DIR` with sh: 0 when DIR is new (no run.json) or a run of
 * the same shard; -EINVAL with why when it is another shard's run, or -errno
 * when its run.json cannot be read. */
int shard_check_run_dir(const char *dir, const struct shard *sh, char *why, size_t len);

#endif
