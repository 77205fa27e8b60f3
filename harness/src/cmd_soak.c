// SPDX-License-Identifier: GPL-2.0
/* `lockmap soak PROFILE --hours N`: the nightly soak (soak.h). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>

#include "cmd.h"
#include "lockmap.h"
#include "profile.h"
#include "results.h"
#include "soak.h"

static void soak_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap soak [OPTIONS] PROFILE --hours N\n"
		"       lockmap soak [OPTIONS] --resume PROFILE [--hours N]\n"
		"\n"
		"Run PROFILE's grid again and again until N hours (a fraction too:\n"
		"0.5) have passed, as one run: one run directory, one journal, in which\n"
		"each pass begins with a soak_pass record and its cells are numbered on\n"
		"(index pass*cells+i, repeat pass*repeat+r: the same cell ids, more\n"
		"repeats of each, so rates.csv and the report count every pass). A pass\n"
		"that has begun runs to its end; none begins once the time is up. At the\n"
		"end the soak is compared with the previous finished soak of the same\n"
		"profile (the same file, by its real path; `lockmap report --compare`),\n"
		"and what got worse is written to regressions.txt in the run and to\n"
		"stdout; report.html has the comparison. Local profiles only, not a\n"
		"[search] profile.\n"
		"Under systemd (NOTIFY_SOCKET) it sends READY=1, STATUS= with its\n"
		"progress and WATCHDOG=1 at half of WatchdogSec; with stderr on the\n"
		"journal its messages carry LOCKMAP_RUN=<run id>.\n"
		"\n"
		"  -o, --results DIR  where runs go (default: results)\n"
		"      --hours N      how long to soak: hours (0.5), or a duration with\n"
		"                     its unit as in a profile (1800s)\n"
		"      --resume       go on with the newest soak of PROFILE in DIR when\n"
		"                     it is unfinished (cut by a reboot, a host crash\n"
		"                     or a signal) and PROFILE still makes its cells:\n"
		"                     its pass is resumed as `lockmap run --run-dir RUN\n"
		"                     PROFILE` resumes a run, and passes follow until\n"
		"                     its own time is up. With --hours, a new soak\n"
		"                     starts when there is none to go on with\n"
		"      --keep K       at the end keep the last K soaks of PROFILE in DIR\n"
		"                     (this one among them) and remove the older ones;\n"
		"                     nothing else is removed\n"
		"      --wait         wait while another lockmap holds this host\n"
		"  -q, --quiet        only the cells, summaries and regressions\n"
		"  -v, --verbose      debug messages\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit codes:\n"
		"  0    every pass ran; no cell got worse than in the previous soak,\n"
		"       none reached an [expect] fail_on outcome\n"
		"  1    a cell got worse than in the previous soak (regressions.txt\n"
		"       lists it), or reached a fail_on outcome\n"
		"  2    usage or profile error; --resume with nothing to resume and no\n"
		"       --hours\n"
		"  3    this host lacks something the run needs, or another lockmap\n"
		"       holds it\n"
		"  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP): the soak is\n"
		"       unfinished; `lockmap soak --resume PROFILE` goes on with it\n");
}

/* --hours: a positive number of hours, or a duration with its unit as a
 * profile writes one (profile.h: "5400s", "90000ms"). */
static int soak_parse_hours(const char *s, double *out)
{
	struct pspec ds = { "hours", PT_DURATION, NSEC_PER_SEC, 366LL * 24 * 3600 * NSEC_PER_SEC, "1s",
			    NULL, NULL };
	char *end, err[512];
	double h = strtod(s, &end);
	struct pval v;

	if (end != s && *end) {
		if (pval_parse(&ds, s, &v, err, sizeof(err)) < 0) {
			lm_err("--hours %s: %s", s, err);
			return -EINVAL;
		}
		*out = (double)v.num / NSEC_PER_SEC / 3600.0;
		return 0;
	}
	if (end == s || !isfinite(h) || h <= 0 || h > 24 * 366) {
		lm_err("--hours %s: give a positive number of hours (0.25 is 15 minutes), or a duration with its unit (900s)",
		       s);
		return -EINVAL;
	}
	*out = h;
	return 0;
}

int cmd_soak(int argc, char **argv)
{
	enum { OPT_HOURS = 256, OPT_RESUME, OPT_KEEP, OPT_WAIT };
	static const struct option opts[] = {
		{ "results", required_argument, NULL, 'o' },
		{ "hours", required_argument, NULL, OPT_HOURS },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct soak_opts o = { .base = "results" };
	char err[1024], *end;
	unsigned long k;
	int c;

	while ((c = getopt_long(argc, argv, "o:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.base = optarg; break;
		case OPT_HOURS:
			if (soak_parse_hours(optarg, &o.hours) < 0)
				return EXIT_USAGE;
			break;
		case OPT_RESUME: o.resume = true; break;
		case OPT_KEEP:
			k = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || k > 100000) {
				lm_err("--keep %s: give how many soaks to keep, 1 or more", optarg);
				return EXIT_USAGE;
			}
			o.keep = (unsigned)k;
			break;
		case OPT_WAIT: o.wait = true; break;
		case 'q': lm_verbose = 0; break;
		case 'v': lm_verbose = 2; break;
		case 'h': soak_usage(stdout); return EXIT_CLEAN;
		default: soak_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (!o.resume && o.hours <= 0)) {
		soak_usage(stderr);
		return EXIT_USAGE;
	}
	if (results_base_check(o.base, err, sizeof(err)) < 0) {
		lm_err("%s", err);
		return EXIT_USAGE;
	}
	return soak_main(argv[optind], &o);
}
