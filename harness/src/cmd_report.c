// SPDX-License-Identifier: GPL-2.0
/* `lockmap report RUN [--compare OTHER]`: report.html and a text summary;
 * with --compare, what got worse since OTHER (the nightly regression gate). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "compare.h"
#include "lockmap.h"
#include "report.h"
#include "report_html.h"

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap report [OPTIONS] RUN [--compare OTHER]\n"
		"\n"
		"Write RUN/report.html, one self-contained file (inline SVG and CSS, no\n"
		"script, nothing fetched): the run's host, kernel, CPU, kvm parameters,\n"
		"lockmap version, accelerator and profile; a heatmap of the worst outcome\n"
		"over two axes ([report] x and y of the profile; default its first two,\n"
		"one heatmap per value of the other axes), each square with its rate over\n"
		"repeats and linked to its cell; the thresholds of a [search]; and per\n"
		"cell its outcomes, probe figures, events, a timeline and its logs. Then\n"
		"print the run's summary. `lockmap run` writes the report at its end.\n"
		"\n"
		"  -c, --compare OTHER  match RUN's cells to OTHER's by cell id and list\n"
		"                what got worse, better, what is new and what is gone (also\n"
		"                a section of the report). Worse: the worst outcome over\n"
		"                the repeats is worse, or the same (not clean) at a rate\n"
		"                whose 95%% Wilson interval lies above OTHER's. Runs of\n"
		"                different profiles compare on the cells they share.\n"
		"  -q, --quiet   no summary, only the comparison\n"
		"  -h, --help    this text\n"
		"\n"
		"Exit codes:\n"
		"  0    written; with --compare, no cell got worse\n"
		"  1    with --compare, some cell got worse (each is listed)\n"
		"  2    usage error, a RUN or OTHER that cannot be read, or runs that\n"
		"       share no cell\n"
		"  3    report.html could not be written\n");
}

/* Open OTHER and compare; an exit code, or -1 to go on. */
static int report_compare(const struct report_run *rr, const char *other,
			  struct report_run *orr, struct compare *cmp)
{
	char why[1024];

	if (report_run_open(other, orr, why, sizeof(why))) {
		lm_err("report --compare: %s", why);
		return EXIT_USAGE;
	}
	if (compare_rates(&rr->rates, &orr->rates, cmp)) {
		lm_err("report --compare: out of memory");
		return EXIT_NOTREADY;
	}
	if (!cmp->matched && rr->rates.ncells && orr->rates.ncells) {
		lm_err("report --compare: %s and %s share no cell (their profiles make different cells: no cell id is in both); compare runs of the same profile, or of profiles with cells in common",
		       rr->dir, orr->dir);
		return EXIT_USAGE;
	}
	return -1;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "compare", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct report_run rr, orr = { 0 };
	struct compare cmp = { 0 };
	const char *other = NULL;
	bool quiet = false;
	char why[1024];
	int c, rc = -1;

	while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': other = optarg; break;
		case 'q': quiet = true; break;
		case 'h': report_usage(stdout); return EXIT_CLEAN;
		default: report_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		report_usage(stderr);
		return EXIT_USAGE;
	}
	if (report_run_open(argv[optind], &rr, why, sizeof(why))) {
		lm_err("report: %s", why);
		report_run_free(&rr);
		return EXIT_USAGE;
	}
	if (other)
		rc = report_compare(&rr, other, &orr, &cmp);
	if (rc < 0) {
		rc = report_html_write(&rr, other ? &cmp : NULL, other ? &orr : NULL);
		if (rc)
			lm_err("report: cannot write %s/report.html: %s", rr.dir, strerror(-rc));
		if (!quiet)
			results_print_summary(&rr.run);
		if (other)
			compare_print(stdout, &cmp, orr.dir);
		if (!rc)
			printf("report: %s/report.html\n", rr.dir);
		rc = rc ? EXIT_NOTREADY : cmp.count[CMP_WORSE] ? EXIT_FAILED : EXIT_CLEAN;
	}
	compare_free(&cmp);
	report_run_free(&orr);
	report_run_free(&rr);
	return rc;
}
