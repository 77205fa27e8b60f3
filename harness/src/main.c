// SPDX-License-Identifier: GPL-2.0
/* lockmap: CLI dispatch only. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "lockmap.h"

#ifndef LOCKMAP_VERSION
#define LOCKMAP_VERSION "unknown"
#endif

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} verbs[] = {
	{ "check", cmd_check, "is this host ready to run lockmap (KVM, cgroups, kmsg, tools)" },
	{ "run", cmd_run, "run every cell of a profile on this host" },
	{ "lab", cmd_lab, "run every cell of a profile inside a lab host VM booted from a kernel image" },
	{ "soak", cmd_soak, "repeat a profile for hours as one run; compare with the previous soak (nightly)" },
	{ "bisect", cmd_bisect, "one step of `git bisect run`: build a kernel tree, run a profile in the lab on it, exit 0/1/125" },
	{ "merge", cmd_merge, "join the runs of a profile's shards (run --shard I/N) into one run" },
	{ "report", cmd_report, "report.html and a summary of a run; --compare OTHER: what got worse" },
	{ "classify", cmd_classify, "kernel log (file or stdin) to events, one JSON object a line" },
	{ "inject", cmd_inject, "one injection by hand (irqoff, nmi, stress); prints what was measured" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: lockmap VERB [OPTIONS] ...\n\n"
		   "lockmap maps which host conditions make a KVM host lock up.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "\n`lockmap VERB --help` describes each verb. Exit codes: 0 clean, 1 a cell\n"
		   "reached a fail_on outcome, 2 usage or profile error, 3 host not ready,\n"
		   "130 interrupted by SIGINT (143 SIGTERM, 129 SIGHUP); bisect: 0 good, 1 bad,\n"
		   "125 skip, 128 its usage error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("lockmap %s\n", LOCKMAP_VERSION);
		return EXIT_CLEAN;
	}
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (!strcmp(argv[1], verbs[i].name)) {
			/* getopt in the verb sees its own argv[0]. */
			return verbs[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "lockmap: unknown verb '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
