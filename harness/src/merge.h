/* SPDX-License-Identifier: GPL-2.0 */
/* `lockmap merge OUT RUN...`: the runs of the shards of one grid (shard.h)
 * joined into one run directory that report and --compare read as any other:
 *   run.json       the lowest shard's, its "shard" dropped, run_id OUT's name,
 *                  and "merged": each part's run id, directory, shard, host
 *                  and start, the shards and cells missing;
 *   journal.jsonl  every record of every part, part after part in shard
 *                  order, each part after a merge_part record naming it;
 *   cells.csv, junit.xml  written from that journal by the results code;
 *   cells/<id>/    each part's cell directories, copied (treecopy.h): OUT
 *                  stands alone, and a resume of it rewrites no part's logs.
 * Refused before OUT is made (exit 2): runs of other grids (grid_id), of
 * another shard count, the same shard twice, a cell in two runs, an OUT that
 * exists and is not empty. Missing shards or cells are no refusal: OUT is
 * written, with a warning that lists them, and the merge exits 3. */
#ifndef LOCKMAP_MERGE_H
#define LOCKMAP_MERGE_H

#include <stddef.h>

/* Merge runs[0..nruns) into out. Returns the exit code: 0 every cell of the
 * grid has a result and none reached a fail_on outcome, 1 some did, 2
 * refused (nothing written), 3 cells are missing (out written) or a run
 * could not be read or out written. */
int merge_runs(const char *out, char *const *runs, size_t nruns);

#endif
