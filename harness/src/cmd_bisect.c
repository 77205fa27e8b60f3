// SPDX-License-Identifier: GPL-2.0
/* `lockmap bisect PROFILE --kernel IMAGE | --kernel-tree DIR`: one step of
 * `git bisect run` (bisect.c does the work). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bisect.h"
#include "cmd.h"
#include "lockmap.h"
#include "results.h"

static void bisect_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap bisect [OPTIONS] PROFILE (--kernel IMAGE | --kernel-tree DIR)\n"
		"\n"
		"One step of `git bisect run`: build the kernel tree DIR with\n"
		"harness/lab/build-kernel.sh --source DIR (tinyconfig, the lab fragment merged\n"
		"with the tree's merge_config.sh, make olddefconfig; built in place in\n"
		"$LOCKMAP_CACHE/kernel, ccache when installed) or take IMAGE, boot it as\n"
		"the lab host (as `lockmap lab`), build the helper module for it, run the\n"
		"profile's cells and judge them by its [expect] fail_on (outcomes and\n"
		"metric thresholds such as probe.max_chain > 1000). Cells whose outcome is\n"
		"error never count as reaching fail_on: they measured nothing.\n"
		"\n"
		"  -k, --kernel IMAGE       a bzImage to boot\n"
		"  -t, --kernel-tree DIR    a kernel source tree (a git checkout) to build\n"
		"  -r, --runs N             run the profile N times (default 1) and decide by\n"
		"                           the rule below\n"
		"  -o, --results DIR        where the runs go (default: results); the build's\n"
		"                           output is DIR/kernel-build.log\n"
		"      --no-ccache          build without ccache\n"
		"      --accel, --tcg-thread, --append, --boot-timeout, --hang-timeout,\n"
		"      --end-timeout, --cpus, --memory, --wait: as for `lockmap lab`\n"
		"  -q, --quiet              only the cell lines, the summaries and the verdict\n"
		"  -v, --verbose            debug messages\n"
		"  -h, --help               this text\n"
		"\n"
		"With --runs N: bad when at least max(2, N/6) runs had a cell reach\n"
		"fail_on (with N = 1, that run); good when no run did and at least half of\n"
		"the N runs completed (every cell ran, none an error); otherwise skip.\n"
		"\n"
		"Exit codes (what git bisect run reads):\n"
		"  0    good: no cell reached fail_on\n"
		"  1    bad: cells reached fail_on (by the rule above)\n"
		"  125  skip: the kernel did not build or boot, the module did not build,\n"
		"       lockmap's own machinery failed, or the runs did not decide\n"
		"  128  a usage error of bisect itself or a profile that does not load: the\n"
		"       same at every commit, so git bisect run stops\n"
		"  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP): git bisect run stops\n");
}

/* N of --runs: 1 to 1000. */
static int bisect_parse_runs(const char *s, unsigned *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 1000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int cmd_bisect(int argc, char **argv)
{
	enum { OPT_NO_CCACHE = LAB_OPT__END };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "kernel-tree", required_argument, NULL, 't' },
		{ "runs", required_argument, NULL, 'r' },
		{ "results", required_argument, NULL, 'o' },
		{ "no-ccache", no_argument, NULL, OPT_NO_CCACHE },
		LAB_LONG_OPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct bisect_opts bo = { .results = "results", .runs = 1 };
	char why[512];
	int c;

	while ((c = getopt_long(argc, argv, "k:t:r:o:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': bo.kernel = optarg; break;
		case 't': bo.tree = optarg; break;
		case 'o': bo.results = optarg; break;
		case 'q': lm_verbose = 0; break;
		case 'v': lm_verbose = 2; break;
		case 'h': bisect_usage(stdout); return EXIT_CLEAN;
		case OPT_NO_CCACHE: bo.no_ccache = true; break;
		case 'r':
			if (bisect_parse_runs(optarg, &bo.runs) < 0) {
				fprintf(stderr, "lockmap bisect: --runs %s: a whole number from 1 to 1000\n",
					optarg);
				return EXIT_BISECT_ABORT;
			}
			break;
		default:
			switch (cmd_lab_opt(c, optarg, argv[optind - 1], "bisect", &bo.lab)) {
			case 1: break;
			case 0: bisect_usage(stderr); return EXIT_BISECT_ABORT;
			default: return EXIT_BISECT_ABORT;
			}
		}
	}
	if (optind != argc - 1 || !bo.kernel == !bo.tree) {
		if (optind == argc - 1)
			fprintf(stderr, "lockmap bisect: give one of --kernel IMAGE and --kernel-tree DIR\n");
		bisect_usage(stderr);
		return EXIT_BISECT_ABORT;
	}
	if (results_base_check(bo.results, why, sizeof(why)) < 0) {
		lm_err("%s", why);
		return EXIT_BISECT_ABORT;
	}
	return bisect_run(argv[optind], &bo);
}
