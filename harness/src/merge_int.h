/* SPDX-License-Identifier: GPL-2.0 */
/* Inside `lockmap merge`: the runs being merged, shared by its checks
 * (merge.c) and its writer (merge_write.c). */
#ifndef LOCKMAP_MERGE_INT_H
#define LOCKMAP_MERGE_INT_H

#include <stdbool.h>
#include <jansson.h>

#include "grid.h"
#include "merge.h"
#include "profile.h"
#include "shard.h"

struct merge_part {
	const char *arg;	/* the directory as given */
	char *dir;		/* its real path */
	json_t *rj;		/* its run.json */
	char gid[17];		/* its grid_id */
	struct shard sh;	/* 1/1 for a run of the whole grid */
	bool *touched;		/* cells with a cell_start or cell_end in its journal */
};

struct merge {
	const char *out;
	struct merge_part *parts;	/* in shard order once checked */
	size_t nparts;
	unsigned count;			/* the shard count N of every part */
	struct profile *prof;		/* the profile the parts keep */
	struct grid grid;
	bool have_grid;
	char gid[17];
};

/* Write out from the checked parts. Returns the exit code (merge.h). */
int merge_write(struct merge *m);

#endif
