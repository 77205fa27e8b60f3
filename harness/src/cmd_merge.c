// SPDX-License-Identifier: GPL-2.0
/* `lockmap merge OUT RUN...`: the runs of a grid's shards as one run. */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "lockmap.h"
#include "merge.h"

static void merge_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap merge [OPTIONS] OUT RUN...\n"
		"\n"
		"Join the runs of the shards of one profile (`lockmap run --shard I/N`, a\n"
		"Slurm job array, a Kubernetes Indexed Job) into the new run directory OUT,\n"
		"which `lockmap report` and `--compare` read as any other run:\n"
		"  run.json       the lowest shard's, without its \"shard\", with \"merged\":\n"
		"                 each part's run id, directory, shard, host and start, and\n"
		"                 the shards and cells missing\n"
		"  journal.jsonl  every record of every RUN, RUN after RUN in shard order,\n"
		"                 each after a merge_part record that names it\n"
		"  cells.csv, junit.xml  rewritten from that journal, as a run writes them\n"
		"  cells/<id>/    each RUN's cell directories, copied (reflinked where the\n"
		"                 filesystem can): OUT stands alone\n"
		"OUT must not exist or be empty. results/latest is left alone. Refused,\n"
		"before anything is written: RUNs of different profiles (their run.json's\n"
		"grid_id), of different shard counts, the same shard twice, a cell in two\n"
		"RUNs. A merge of some of the shards is written, with a warning that lists\n"
		"the missing shards and cells; `lockmap run --run-dir OUT PROFILE` then\n"
		"runs the rest on one host, or merge again with them.\n"
		"\n"
		"  -q, --quiet   only the summary\n"
		"  -h, --help    this text\n"
		"\n"
		"Exit codes:\n"
		"  0    every cell of the grid has a result; none reached a fail_on outcome\n"
		"  1    every cell has a result; some reached a fail_on outcome\n"
		"  2    usage error, or the RUNs cannot be merged (the message says why):\n"
		"       nothing was written\n"
		"  3    cells are missing (OUT is written; the warning lists them), or a\n"
		"       RUN could not be read or OUT written\n");
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': lm_verbose = 0; break;
		case 'h': merge_usage(stdout); return EXIT_CLEAN;
		default: merge_usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		merge_usage(stderr);
		return EXIT_USAGE;
	}
	return merge_runs(argv[optind], argv + optind + 1, (size_t)(argc - optind - 1));
}
