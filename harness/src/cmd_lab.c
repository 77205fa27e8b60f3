// SPDX-License-Identifier: GPL-2.0
/* `lockmap lab [--kernel IMAGE] PROFILE`: the profile's cells inside a lab
 * host booted from IMAGE (lab.c does the work). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lab.h"
#include "lockmap.h"
#include "results.h"

static void lab_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap lab [OPTIONS] PROFILE\n"
		"\n"
		"Boot a lab host VM from a kernel image (nested virtualization, this\n"
		"machine's root filesystem shared read-only, the run directory shared\n"
		"writable), run every cell of PROFILE inside it with this lockmap, and\n"
		"watch its serial console and heartbeat from outside: a lab host that\n"
		"panics or stops answering is classified panic or host_hang, and the lab\n"
		"boots again for the next cell. Results go to results/<run-id>/ as with\n"
		"`lockmap run`, plus lab-console.log and cells/<id>/console.log.\n"
		"\n"
		"  -k, --kernel IMAGE     bzImage to boot (default: the newest\n"
		"                         /boot/vmlinuz-* whose headers are installed)\n"
		"  -o, --results DIR      where runs go (default: results)\n"
		"  -n, --dry-run          check the cells, print them and exit: no image is\n"
		"                         prepared, nothing boots\n"
		"      --accel A          auto (default), kvm or tcg: how QEMU runs the lab\n"
		"                         host (kvm needs nested virtualization)\n"
		"      --tcg-thread T     single or multi: QEMU's TCG threading for a lab\n"
		"                         host under TCG (default %s; harness/lab/README.md\n"
		"                         has the stall counts behind it)\n"
		"      --append ARGS      more kernel command line for the lab host\n"
		"      --boot-timeout S   seconds to wait for the first heartbeat\n"
		"                         (default: [run] boot_timeout, else %d under TCG,\n"
		"                         %d under KVM)\n"
		"      --hang-timeout S   seconds of console and heartbeat silence that\n"
		"                         make host_hang (default: [run] hang_timeout, 30)\n"
		"      --end-timeout S    seconds a cell may run past its planned end with\n"
		"                         the lab host alive (a cpu locked so that its guests\n"
		"                         never finish exiting) before the host is rebooted\n"
		"                         and the cell is host_hang; a heartbeat silent that\n"
		"                         long is host_hang even while the console prints\n"
		"                         (default %d)\n"
		"      --cpus N           lab host vCPUs (default 2)\n"
		"      --memory MB        lab host memory (default 2048)\n"
		"      --pstore           the lab host keeps its RAM across its boots (a file\n"
		"                         in /dev/shm) with ramoops in it, as a real host\n"
		"                         with pstore: a cell it dies in is decided by the\n"
		"                         resumed run inside from the pstore record (README\n"
		"                         \"Resume after a host crash\"); from the console\n"
		"                         only when it dies in that cell again\n"
		"      --wait             wait while another lockmap holds this host (default:\n"
		"                         exit 3 at once, naming it)\n"
		"  -q, --quiet            only the cell lines and the summary\n"
		"  -v, --verbose          debug messages, and the lab console as it comes\n"
		"  -h, --help             this text\n"
		"\n"
		"%s",
		LAB_TCG_THREAD_DEFAULT, LAB_BOOT_TIMEOUT_TCG, LAB_BOOT_TIMEOUT_KVM,
		LAB_END_TIMEOUT, LOCKMAP_RUN_EXIT_HELP);
}

/* A positive number of seconds, MB or cpus; -1 when s is not one. */
static int lab_parse_pos(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v > 0 && v <= 1000000 ? (int)v : -1;
}

/* The lab host's options, shared with `lockmap bisect` (cmd.h): 1 when c is
 * one of them and was taken into lo, 0 when it is not one, -1 when its
 * argument is wrong (said, naming verb). */
int cmd_lab_opt(int c, const char *arg, const char *opt, const char *verb, struct lab_opts *lo)
{
	int *num;

	switch (c) {
	case LAB_OPT_ACCEL:
		if (strcmp(arg, "auto") && strcmp(arg, "kvm") && strcmp(arg, "tcg")) {
			fprintf(stderr, "lockmap %s: --accel %s: allowed are auto, kvm, tcg\n", verb, arg);
			return -1;
		}
		lo->accel = arg;
		return 1;
	case LAB_OPT_APPEND: lo->append = arg; return 1;
	case LAB_OPT_WAIT: lo->wait = true; return 1;
	case LAB_OPT_PSTORE: lo->pstore = true; return 1;
	case LAB_OPT_TCG_THREAD:
		if (strcmp(arg, "single") && strcmp(arg, "multi")) {
			fprintf(stderr, "lockmap %s: --tcg-thread %s: allowed are single, multi\n", verb,
				arg);
			return -1;
		}
		lo->tcg_thread = arg;
		return 1;
	case LAB_OPT_BOOT:
	case LAB_OPT_HANG:
	case LAB_OPT_END:
	case LAB_OPT_CPUS:
	case LAB_OPT_MEM:
		num = c == LAB_OPT_BOOT ? &lo->boot_timeout_s : c == LAB_OPT_HANG ? &lo->hang_timeout_s :
		      c == LAB_OPT_END ? &lo->end_timeout_s :
		      c == LAB_OPT_CPUS ? &lo->cpus : &lo->mem_mb;
		*num = lab_parse_pos(arg);
		if (*num < 0) {
			fprintf(stderr, "lockmap %s: %s: '%s' is not a positive whole number\n", verb,
				opt, arg);
			return -1;
		}
		return 1;
	}
	return 0;
}

int cmd_lab(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "results", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		LAB_LONG_OPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct lab_opts lo = { 0 };
	const char *kernel = NULL, *base = "results";
	char why[512];
	int c;

	while ((c = getopt_long(argc, argv, "k:o:nqvh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kernel = optarg; break;
		case 'o': base = optarg; break;
		case 'n': lo.dry_run = true; break;
		case 'q': lm_verbose = 0; break;
		case 'v': lm_verbose = 2; break;
		case 'h': lab_usage(stdout); return EXIT_CLEAN;
		default:
			switch (cmd_lab_opt(c, optarg, argv[optind - 1], "lab", &lo)) {
			case 1: break;
			case 0: lab_usage(stderr); return EXIT_USAGE;
			default: return EXIT_USAGE;
			}
		}
	}
	if (optind != argc - 1) {
		lab_usage(stderr);
		return EXIT_USAGE;
	}
	if (results_base_check(base, why, sizeof(why)) < 0) {
		lm_err("%s", why);
		return EXIT_USAGE;
	}
	return lab_run(kernel, argv[optind], base, &lo);
}
