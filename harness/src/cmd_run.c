// SPDX-License-Identifier: GPL-2.0
/* `lockmap run PROFILE`: every cell of a profile on this host, into results/. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "accel.h"
#include "cell.h"
#include "cmd.h"
#include "grid.h"
#include "inject.h"
#include "journal.h"
#include "launch.h"
#include "lockmap.h"
#include "profile.h"
#include "progress.h"
#include "results.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap run [OPTIONS] PROFILE\n"
		"\n"
		"Run every cell of PROFILE on this host and write results/<run-id>/:\n"
		"run.json, journal.jsonl, cells.csv, junit.xml and cells/<cell-id>/ logs.\n"
		"\n"
		"  -o, --results DIR   where runs go (default: results)\n"
		"  -n, --dry-run       print the cells and exit\n"
		"  -q, --quiet         only the summary\n"
		"  -v, --verbose       debug messages\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit: 0 no cell reached a fail_on outcome, 1 some did, 2 usage or profile\n"
		"error, 3 this host lacks something the profile needs (it says what).\n");
}

/* Every launcher and injector the profile uses must be usable here. */
static int run_check_ready(const struct profile *p, const struct grid *g)
{
	char why[512];
	int bad = 0;

	for (size_t i = 0; i < g->ncells; i++) {
		const struct launcher_ops *l =
			launcher_find(cell_str(&g->cells[i], "guests", "launcher"));

		if (l->supported(why, sizeof(why)) < 0) {
			lm_err("launcher %s: %s", l->name, why);
			bad = 1;
			break;
		}
	}
	for (size_t i = 0; i < p->nsections; i++) {
		const struct injector_ops *in;

		if (strncmp(p->sections[i], "inject.", 7))
			continue;
		in = injector_find(p->sections[i] + 7);
		if (in && in->supported(why, sizeof(why)) < 0) {
			lm_err("injector %s: %s", in->name, why);
			bad = 1;
		}
	}
	return bad ? -ENOTSUP : 0;
}

/* One line per finished cell: parameters, outcome, key guest metrics. */
static void run_print_cell(const struct run *run, size_t i, const struct cell *c,
			   const struct cell_result *r)
{
	char desc[1024], ev[256] = "";
	size_t off = 0;

	cell_describe(c, desc, sizeof(desc));
	for (int k = 0; k < EV__COUNT && off < sizeof(ev); k++)
		if (r->nevents[k])
			off += snprintf(ev + off, sizeof(ev) - off, " %s=%u",
					event_kind_name((enum event_kind)k), r->nevents[k]);
	printf("[%zu/%zu] %s r%d %-11s %s  ticks %llu/%llu lost %.2f%% maxgap %lluus late %llu%s%s\n",
	       i + 1, run->grid->ncells, c->id, c->rep,
	       outcome_name(r->outcome), desc, (unsigned long long)r->ticks,
	       (unsigned long long)r->expected, r->worst_loss_bp / 100.0,
	       (unsigned long long)r->maxgap_us, (unsigned long long)r->late,
	       ev[0] ? "  events:" : "", ev);
	if (r->error[0])
		printf("      %s\n", r->error);
	fflush(stdout);
}

static void run_print_summary(const struct run *run)
{
	unsigned counts[OUT__COUNT] = { 0 };
	size_t done = 0;

	for (size_t i = 0; i < run->grid->ncells; i++) {
		if (!run->done[i])
			continue;
		counts[run->res[i].outcome]++;
		done++;
	}
	printf("\nrun %s: %zu of %zu cells\n", run->id, done, run->grid->ncells);
	printf("  %-12s %6s  %s\n", "outcome", "cells", "fails the run");
	for (int o = 0; o < OUT__COUNT; o++)
		if (counts[o])
			printf("  %-12s %6u  %s\n", outcome_name((enum outcome)o), counts[o],
			       run->fail_on & (1u << o) ? "yes" : "no");
	printf("results: %s\n", run->dir);
}

static json_t *run_start_record(const struct run *run, const char *accel, const char *why)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "type", json_string("run_start"));
	json_object_set_new(rec, "run", json_string(run->id));
	json_object_set_new(rec, "cells", json_integer((json_int_t)run->grid->ncells));
	json_object_set_new(rec, "accel", json_string(accel));
	json_object_set_new(rec, "accel_reason", json_string(why));
	return rec;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "results", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *base = "results";
	struct profile *p = NULL;
	struct grid g = { 0 };
	struct run run;
	struct progress pg = { 0 };
	char err[1024], why[512] = "";
	const char *accel = NULL;
	bool dry = false, failed = false;
	int c, rc, exit_code = EXIT_CLEAN;

	while ((c = getopt_long(argc, argv, "o:nqvh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': base = optarg; break;
		case 'n': dry = true; break;
		case 'q': lm_verbose = 0; break;
		case 'v': lm_verbose = 2; break;
		case 'h': run_usage(stdout); return EXIT_CLEAN;
		default: run_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	if (profile_load(argv[optind], &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_USAGE;
	}
	if (strcmp(profile_key(p, "run", "target")->vals[0].text, "local")) {
		lm_err("%s: [run] target = %s: this lockmap runs target = local only; "
		       "the lab target comes with `lockmap lab`", p->path,
		       profile_key(p, "run", "target")->vals[0].text);
		exit_code = EXIT_USAGE;
		goto out;
	}
	rc = grid_build(p, &g);
	if (rc) {
		lm_err("%s: cannot build the grid: %s", p->path, strerror(-rc));
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (dry) {
		for (size_t i = 0; i < g.ncells; i++) {
			char desc[1024];

			cell_describe(&g.cells[i], desc, sizeof(desc));
			printf("%zu %s r%d %s\n", g.cells[i].index, g.cells[i].id, g.cells[i].rep, desc);
		}
		goto out;
	}
	if (run_check_ready(p, &g) < 0) {
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	if (sig_install() < 0) {
		lm_err("cannot install signal handlers");
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	rc = results_create(base, p, &g, NULL, &run);
	if (rc) {
		lm_err("cannot create the run directory under %s: %s", base, strerror(-rc));
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	lm_info("run %s: %zu cells, results in %s", run.id, g.ncells, run.dir);

	pg.ncells = g.ncells;
	pg.run_start = now_ns();
	pg.cell_ns = cell_num(&g.cells[0], "run", "cell_seconds") +
		     cell_num(&g.cells[0], "run", "warmup") +
		     cell_num(&g.cells[0], "run", "cooldown");
	for (size_t i = 0; i < g.ncells && !lm_stop_requested; i++) {
		const struct cell *cl = &g.cells[i];
		char *dir = results_cell_dir(&run, cl);

		accel = accel_choose(cell_str(cl, "guests", "accel"), why, sizeof(why));
		if (i == 0 || !accel) {
			json_t *rec = run_start_record(&run, accel ? accel : "none", why);

			if (i == 0)
				(void)journal_append(run.journal, rec, true);
			else
				json_decref(rec);
			if (why[0])
				lm_info("%s", why);
		}
		if (!accel) {
			lm_err("cell %s: guests.accel = %s is not usable here: %s", cl->id,
			       cell_str(cl, "guests", "accel"), why);
			free(dir);
			exit_code = EXIT_NOTREADY;
			break;
		}
		pg.cell = i + 1;
		(void)cell_run(cl, dir, accel, run.journal, &pg, &run.res[i]);
		free(dir);
		run.done[i] = true;
		pg.counts[run.res[i].outcome]++;
		progress_clear(&pg);
		run_print_cell(&run, i, cl, &run.res[i]);
		if (run.fail_on & (1u << run.res[i].outcome))
			failed = true;
		if (results_write_tables(&run) < 0)
			lm_warn("cannot write cells.csv/junit.xml in %s", run.dir);
	}
	progress_clear(&pg);
	{
		json_t *rec = json_object();

		json_object_set_new(rec, "type", json_string("run_end"));
		json_object_set_new(rec, "run", json_string(run.id));
		json_object_set_new(rec, "interrupted", json_boolean(lm_stop_requested != 0));
		(void)journal_append(run.journal, rec, true);
	}
	run_print_summary(&run);
	if (lm_stop_requested)
		lm_info("interrupted by signal %d: the cells not run are not in cells.csv",
			lm_stop_requested);
	if (exit_code == EXIT_CLEAN && failed)
		exit_code = EXIT_FAILED;
	results_close(&run);
out:
	grid_free(&g);
	profile_free(p);
	return exit_code;
}
