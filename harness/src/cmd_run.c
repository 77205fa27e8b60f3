// SPDX-License-Identifier: GPL-2.0
/* `lockmap run PROFILE`: every cell of a profile on this host, into results/. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "accel.h"
#include "cell.h"
#include "cmd.h"
#include "crashlog.h"
#include "grid.h"
#include "inject.h"
#include "journal.h"
#include "lab.h"
#include "launch.h"
#include "lockmap.h"
#include "precheck.h"
#include "profile.h"
#include "progress.h"
#include "report_html.h"
#include "pstore.h"
#include "resume_crash.h"
#include "results.h"
#include "runlock.h"
#include "search_plan.h"
#include "search_run.h"
#include "shard.h"
#include "text.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap run [OPTIONS] PROFILE\n"
		"\n"
		"Run every cell of PROFILE on this host and write results/<run-id>/:\n"
		"run.json, journal.jsonl, cells.csv, rates.csv (outcomes over repeats),\n"
		"junit.xml and cells/<cell-id>/ logs.\n"
		"A profile with [search] runs only the probes of its boundary search and\n"
		"writes thresholds.csv too (profiles/README.md \"[search]\").\n"
		"A profile with [run] target = lab runs in a lab host (`lockmap lab`).\n"
		"\n"
		"  -o, --results DIR   where runs go (default: results; made if missing)\n"
		"      --run-dir DIR   run in DIR instead: an empty DIR becomes a new run;\n"
		"                      the DIR of a run of the same cells (run.json's grid:\n"
		"                      comments, key order and [run] name may differ)\n"
		"                      continues it, skipping the cells its journal ended\n"
		"                      (resume after a crash); anything else is refused\n"
		"      --shard I/N     run the I-th of N disjoint slices of the grid: cell k\n"
		"                      (k = 0, 1, ... in -n order, the repeats of a cell\n"
		"                      counted once) is in shard k mod N + 1; run.json and\n"
		"                      run_start record it, -n lists the slice, and\n"
		"                      `lockmap merge` joins the shards' runs. Without it,\n"
		"                      a task of a Slurm job array is its shard: task\n"
		"                      SLURM_ARRAY_TASK_ID of _MIN, _STEP, _COUNT (an array\n"
		"                      from 0, 1 or anywhere, one range); --shard 1/1 runs\n"
		"                      the whole grid there. A shard's --run-dir resumes\n"
		"                      with the same shard only. Local runs only, and no\n"
		"                      [search] profile (its probes follow one another)\n"
		"      --shard-count N in a Kubernetes Indexed Job: shard\n"
		"                      JOB_COMPLETION_INDEX + 1 of N (the Job's completions)\n"
		"      --lab-inner     this is the run inside a lab host (set by `lockmap lab`)\n"
		"      --wait          wait while another lockmap holds this host (default:\n"
		"                      exit 3 at once, naming it)\n"
		"  -n, --dry-run       check every cell against the profile's rules and this\n"
		"                      host, as a run does first, print them (a [search]:\n"
		"                      its combinations and bound on probes) and exit\n"
		"  -q, --quiet         only the summary\n"
		"  -v, --verbose       debug messages\n"
		"  -h, --help          this text\n"
		"\n"
		"%s", LOCKMAP_RUN_EXIT_HELP);
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

static void run_journal_mark(struct run *run, const char *type, json_t *rec)
{
	json_object_set_new(rec, "type", json_string(type));
	json_object_set_new(rec, "run", text_json(run->id));
	(void)journal_append(run->journal, rec, true);
}

/* Is cell i this run's (its shard's, or any without a shard)? */
static bool run_mine(const struct run *run, size_t i)
{
	return !run->mine || run->mine[i];
}

/* The first cell that runs starts the run in the journal. */
static void run_journal_start(struct run *run, const char *accel, const char *why,
			      bool lab_inner)
{
	char boot[37];
	json_t *rec = json_pack("{s:s, s:o, s:I, s:b}", "accel", accel, "accel_reason",
				text_json(why), "cells", (json_int_t)run->grid->ncells,
				"lab_inner", lab_inner);

	crash_boot_id(boot);
	json_object_set_new(rec, "boot_id", boot[0] ? json_string(boot) : json_null());

	if (run->shard && run->shard->count)
		json_object_set_new(rec, "shard", shard_json(run->shard, run->grid, run->nmine));
	run_journal_mark(run, "run_start", rec);
}

/* What the cells of one run share as they run one after the other. */
struct run_loop {
	struct run *run;
	bool lab_inner;
	struct progress pg;
	size_t ran;		/* cells run by this lockmap */
	size_t slot;		/* without a [search]: cell i's place among the run's */
};

/* Run grid cell i (search_cell_fn): 0, or the exit code that stops the run. */
static int run_one_cell(void *arg, size_t i)
{
	struct run_loop *rl = arg;
	struct run *run = rl->run;
	const struct cell *cl = &run->grid->cells[i];
	const char *accel;
	char why[512] = "", *dir;

	accel = accel_choose(cell_str(cl, "guests", "accel"), why, sizeof(why));
	if (!accel) {
		lm_err("cell %s: guests.accel = %s is not usable here: %s", cl->id,
		       cell_str(cl, "guests", "accel"), why);
		return EXIT_NOTREADY;
	}
	if (!rl->ran) {
		run_journal_start(run, accel, why, rl->lab_inner);
		lm_info("%s", why);
	}
	rl->ran++;
	/* A search runs few of its grid's cells: count them, not the index. */
	rl->pg.cell = run->search ? rl->ran : rl->slot;
	dir = results_cell_dir(run, cl);
	(void)cell_run(cl, run->id, dir, accel, run->journal, &rl->pg, &run->res[i]);
	free(dir);
	run->done[i] = true;
	rl->pg.counts[run->res[i].outcome]++;
	progress_clear(&rl->pg);
	results_print_cell(run, i);
	if (results_write_tables(run) < 0)
		lm_warn("cannot write cells.csv/rates.csv/junit.xml in %s", run->dir);
	return 0;
}

/* The run's cells not done yet (with a [search], those its probes ask for;
 * with a shard, those of its slice), one after the other. Returns an exit
 * code. */
static int run_cells(struct run *run, bool lab_inner)
{
	const struct grid *g = run->grid;
	struct run_loop rl = { .run = run, .lab_inner = lab_inner };
	char again[64] = "";
	size_t todo = 0, ncells = run->mine ? run->nmine : g->ncells;
	int exit_code = EXIT_CLEAN;

	for (size_t i = 0; i < g->ncells; i++)
		todo += run_mine(run, i) && !run->done[i];
	rl.pg.ncells = run->search ? search_plan_max_cells(run->search) : ncells;
	rl.pg.run_start = now_ns();
	rl.pg.cell_ns = cell_num(&g->cells[0], "run", "cell_seconds") +
			cell_num(&g->cells[0], "run", "warmup") +
			cell_num(&g->cells[0], "run", "cooldown");
	if (run->search && todo < ncells)
		lm_info("run %s: %zu cells of the search done already; going on from them", run->id,
			ncells - todo);
	else if (todo < ncells)
		lm_info("run %s: %zu of %zu cells done already; running the other %zu", run->id,
			ncells - todo, ncells, todo);
	if (run->search) {
		/* Never a shard (run_shard): its probes are the whole grid's. */
		int rc = search_run(run, run_one_cell, &rl);

		if (rc < 0)
			lm_err("search: %s", strerror(-rc));
		exit_code = rc < 0 ? EXIT_NOTREADY : rc;
	} else {
		for (size_t i = 0; i < g->ncells && !lm_stop_requested && !exit_code; i++) {
			if (!run_mine(run, i))
				continue;
			rl.slot++;
			if (!run->done[i])
				exit_code = run_one_cell(&rl, i);
		}
	}
	progress_clear(&rl.pg);
	run_journal_mark(run, "run_end",
			 json_pack("{s:b}", "interrupted", lm_stop_requested != 0));
	if (results_write_tables(run) < 0)
		lm_warn("cannot write cells.csv/rates.csv/junit.xml in %s", run->dir);
	results_print_summary(run);
	/* The lab's outer run writes it when the inner one is over. A report
	 * that cannot be written is a warning: the run's results stand. */
	if (!lab_inner && report_html_write_dir(run->dir) == 0)
		printf("report: %s/report.html\n", run->dir);
	if (run->shard && run->shard->count)
		snprintf(again, sizeof(again), "--shard %u/%u ", run->shard->index,
			 run->shard->count);
	if (lm_stop_requested)
		lm_info("interrupted by signal %d: `lockmap run --run-dir %s %s%s` runs the rest",
			lm_stop_requested, run->dir, again, run->prof->path);
	/* Interrupted is not failed: the shell's code for the signal. */
	if (lm_stop_requested)
		exit_code = EXIT_SIGNAL_BASE + lm_stop_requested;
	else if (exit_code == EXIT_CLEAN && results_failed(run))
		exit_code = EXIT_FAILED;
	return exit_code;
}

/* Inside a lab host: what the lab kernel is, next to the outer run.json, and
 * its text symbols (modules included), with which the outer lockmap names the
 * RIPs of a lab host that stops answering. */
static void run_write_lab_facts(const struct run *run)
{
	char *path = xasprintf("%s/lab-host.json", run->dir);
	json_t *facts = results_host_facts();
	FILE *in, *out;
	char line[512];

	if (json_dump_file(facts, path, JSON_INDENT(2)) < 0)
		lm_warn("cannot write %s", path);
	json_decref(facts);
	free(path);
	path = xasprintf("%s/lab-kallsyms", run->dir);
	in = fopen("/proc/kallsyms", "re");
	out = in ? fopen(path, "we") : NULL;
	while (out && fgets(line, sizeof(line), in)) {
		char *sp = strchr(line, ' ');

		if (sp && strchr("tTwW", sp[1]))
			fputs(line, out);
	}
	if (!out || fclose(out))
		lm_warn("cannot write %s", path);
	if (in)
		fclose(in);
	free(path);
}

/* Take the host for this run, and put back what a killed run left changed
 * (its restore file is the truth) before anything of ours is journaled.
 * restored says what was put back. */
static int run_take_host(bool wait, struct runlock **lk, char *restored, size_t len)
{
	char err[1024];
	int busy, rc = runlock_take("run", wait, lk, err, sizeof(err));

	if (rc) {
		lm_err("%s", err);
		return rc;
	}
	rc = runlock_restore_leftovers(restored, len, &busy);
	if (restored[0])
		lm_info("a run that was killed left this host changed: %s", restored);
	if (rc) {
		lm_err("cannot put this host back as it was; see above, and `lockmap check`");
		runlock_release(*lk);
		*lk = NULL;
	}
	return rc;
}

/* Before the first cell: each launcher the grid uses ends what killed runs
 * left of its own (libvirt's domains), saying each; it is journaled as a
 * host_restore with the host knobs' one. */
static void run_launcher_leftovers(const struct grid *g, char *restored, size_t len)
{
	for (size_t l = 0; l < nr_launchers; l++) {
		const struct launcher_ops *lo = launchers[l];
		size_t off = strlen(restored);
		bool used = false;
		char msg[2048];
		int n;

		for (size_t i = 0; i < g->ncells && !used; i++)
			used = launcher_find(cell_str(&g->cells[i], "guests", "launcher")) == lo;
		if (!used || !lo->leftovers)
			continue;
		n = lo->leftovers(msg, sizeof(msg));
		if (n < 0)
			lm_warn("launcher %s: cannot look for what killed runs left: %s", lo->name, msg);
		else if (n > 0 && off < len)
			snprintf(restored + off, len - off, "%s%s: ended %d left by killed runs: %s",
				 off ? "; " : "", lo->name, n, msg);
	}
}

/* A resumed run: the cells a dead host cut are decided from what survived it
 * (pstore, journald), or run again (resume_crash.h). */
static void run_resume_crashed(struct run *run)
{
	char boot[37];
	const char *dir = getenv("LOCKMAP_PSTORE_DIR");
	/* A pstore mounted elsewhere (and tests) name it; its archive then too. */
	struct resume_env env = {
		.pstore_dir = dir ? dir : PSTORE_DIR,
		.archive_dir = dir ? getenv("LOCKMAP_PSTORE_ARCHIVE") : PSTORE_ARCHIVE_DIR,
		.journal = true, .boot_id = boot,
	};
	int rc;

	crash_boot_id(boot);
	rc = resume_crash_cells(run, &env);
	if (rc < 0)
		lm_warn("run %s: cannot read its journal for the cells a crash cut: %s; they run again",
			run->id, strerror(-rc));
	else if (rc)
		lm_info("run %s: %d cell(s) cut by a crash of the host decided from what survived it",
			run->id, rc);
}

/* A --run-dir that is not this profile's run, or not this shard's, is refused
 * before anything starts: no lock taken, no host knob put back, nothing
 * written. Returns 0 or the exit code. */
static int run_dir_refused(const char *run_dir, const struct profile *p, const struct grid *g,
			   const struct shard *sh)
{
	char err[1024];
	int rc = results_dir_check(run_dir, p, g, err, sizeof(err));

	if (!rc)
		rc = shard_check_run_dir(run_dir, sh, err, sizeof(err));
	if (!rc)
		return 0;
	if (rc == -EINVAL)
		lm_err("%s", err);
	else
		lm_err("cannot read the run directory %s: %s", run_dir, strerror(-rc));
	return rc == -EINVAL ? EXIT_USAGE : EXIT_NOTREADY;
}

/* The run directory, new (under base, or an empty run_dir) or resumed, its
 * run.json recording the shard. Returns 0 or the exit code. */
static int run_open(const char *base, const char *run_dir, const struct profile *p,
		    const struct grid *g, const struct shard *sh, struct run *run)
{
	json_t *extra = sh->count ? json_pack("{s:o}", "shard", shard_json(sh, g, run->nmine))
				  : NULL;
	const bool *mine = run->mine;
	size_t nmine = run->nmine;
	char err[1024];
	int rc;

	if (run_dir)
		rc = results_open(run_dir, p, g, extra, run, err, sizeof(err));
	else
		rc = results_create(base, p, g, extra, run);
	json_decref(extra);
	if (rc) {
		if (run_dir && rc == -EINVAL)
			lm_err("%s", err);
		else
			lm_err("cannot %s the run directory %s: %s", run_dir ? "open" : "create",
			       run_dir ? run_dir : base, strerror(-rc));
		results_close(run);
		return run_dir && rc == -EINVAL ? EXIT_USAGE : EXIT_NOTREADY;
	}
	run->shard = sh;
	run->mine = mine;
	run->nmine = nmine;
	return 0;
}

/* The shard of this run: --shard, --shard-count, the environment (shard.h).
 * Returns 0 or the exit code. */
static int run_shard(const char *opt, const char *count_opt, const struct profile *p,
		     struct shard *sh)
{
	char err[1024];

	if (shard_resolve(opt, count_opt, sh, err, sizeof(err)) < 0) {
		lm_err("%s", err);
		return EXIT_USAGE;
	}
	/* A search picks each probe from the outcomes of the ones before it, over
	 * the whole grid: no slice of its cells can be chosen in advance. */
	if (sh->count && p->search) {
		lm_err("%s: a [search] profile cannot be sharded: each probe of its search follows from the outcomes of the probes before it, so no slice of its cells is known in advance (%s); run it whole, without a shard or with --shard 1/1",
		       p->path, sh->from);
		return EXIT_USAGE;
	}
	if (sh->count && !strcmp(profile_key(p, "run", "target")->vals[0].text, "lab")) {
		lm_err("%s: target = lab: shards are for local runs (%s); run each shard on its host with [run] target = local, or --shard 1/1",
		       p->path, sh->from);
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	enum { OPT_RUN_DIR = 256, OPT_LAB_INNER, OPT_WAIT, OPT_SHARD, OPT_SHARD_COUNT };
	static const struct option opts[] = {
		{ "results", required_argument, NULL, 'o' },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "shard-count", required_argument, NULL, OPT_SHARD_COUNT },
		{ "lab-inner", no_argument, NULL, OPT_LAB_INNER },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *base = "results", *run_dir = NULL, *shard_opt = NULL, *count_opt = NULL;
	struct profile *p = NULL;
	struct grid g = { 0 };
	struct run run = { 0 };
	struct shard sh = { 0 };
	struct host_facts hf;
	char err[1024];
	struct runlock *lk = NULL;
	char restored[4096] = "";
	bool dry = false, lab_inner = false, wait = false, *mine = NULL;
	int c, rc, exit_code = EXIT_CLEAN;

	while ((c = getopt_long(argc, argv, "o:nqvh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': base = optarg; break;
		case OPT_RUN_DIR: run_dir = optarg; break;
		case OPT_SHARD: shard_opt = optarg; break;
		case OPT_SHARD_COUNT: count_opt = optarg; break;
		case OPT_LAB_INNER: lab_inner = lm_lab_inner = true; break;
		case OPT_WAIT: wait = true; break;
		case 'n': dry = true; break;
		case 'q': lm_verbose = 0; break;
		case 'v': lm_verbose = 2; break;
		case 'h': run_usage(stdout); return EXIT_CLEAN;
		default: run_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (lab_inner && !run_dir)) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	if (results_base_check(base, err, sizeof(err)) < 0) {
		lm_err("%s", err);
		return EXIT_USAGE;
	}
	if (profile_load(argv[optind], &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_USAGE;
	}
	/* The run inside a lab host is never a shard, whatever its environment. */
	exit_code = lab_inner ? 0 : run_shard(shard_opt, count_opt, p, &sh);
	if (exit_code)
		goto out;
	if (!lab_inner && !strcmp(profile_key(p, "run", "target")->vals[0].text, "lab")) {
		/* The same as `lockmap lab PROFILE` with the default kernel; -n
		 * too, whose checks are the lab host's (its cpus, not this host's). */
		if (run_dir && !dry) {
			lm_err("%s: target = lab: --run-dir is for local runs", p->path);
			exit_code = EXIT_USAGE;
		} else {
			struct lab_opts lo = { .wait = wait, .dry_run = dry };

			exit_code = lab_run(NULL, p->path, base, &lo);
		}
		goto out;
	}
	/* A soak's run directory holds its passes' cells (soak.h). */
	rc = results_grid(run_dir, p, &g);
	mine = rc ? NULL : calloc(g.ncells ? g.ncells : 1, sizeof(*mine));
	if (rc || !mine) {
		lm_err("%s: cannot build the grid: %s", p->path, strerror(rc ? -rc : ENOMEM));
		exit_code = EXIT_USAGE;
		goto out;
	}
	run.mine = mine;
	run.nmine = shard_cells(&sh, &g, mine);
	if (sh.count)
		lm_info("%s (%s): %zu of the grid's %zu cells", shard_name(&sh), sh.from, run.nmine,
			g.ncells);
	/* Every cell checked, -n too, before anything starts. */
	host_facts_local(&hf);
	exit_code = precheck_all(&g, &hf);
	if (exit_code)
		goto out;
	if (dry) {
		if (p->search)
			search_plan_print(&g, stdout);
		else
			for (size_t i = 0; i < g.ncells; i++)
				if (mine[i])
					grid_print_cell(&g.cells[i], stdout);
		goto out;
	}
	exit_code = run_dir ? run_dir_refused(run_dir, p, &g, &sh) : 0;
	if (exit_code)
		goto out;
	if (run_check_ready(p, &g) < 0) {
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	if (sig_install() < 0) {
		lm_err("cannot install signal handlers");
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	if (run_take_host(wait, &lk, restored, sizeof(restored)) < 0) {
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	run_launcher_leftovers(&g, restored, sizeof(restored));
	exit_code = run_open(base, run_dir, p, &g, &sh, &run);
	if (exit_code)
		goto out;
	runlock_describe(lk, run.id, p->path);
	if (restored[0])
		run_journal_mark(&run, "host_restore", json_pack("{s:o}", "restored", text_json(restored)));
	if (run_dir)
		run_resume_crashed(&run);
	if (run_dir && !lab_inner) {
		size_t redo = results_redo_lockmap_errors(&run);

		if (redo)
			lm_info("run %s: %zu cell(s) ended in an error of lockmap's own (error_cause lockmap): running them again",
				run.id, redo);
	}
	if (lab_inner)
		run_write_lab_facts(&run);
	if (run.search)
		lm_info("run %s: a search in %zu combination(s), at most %u probes each (the grid at "
			"%s has %zu cells), results in %s", run.id, run.search->ncombos,
			search_bound(&run.search->space), p->search->resolution.text, g.ncells,
			run.dir);
	else
		lm_info("run %s: %zu cells, results in %s", run.id, run.nmine, run.dir);
	exit_code = run_cells(&run, lab_inner);
	results_close(&run);
out:
	runlock_release(lk);
	free(mine);
	grid_free(&g);
	profile_free(p);
	return exit_code;
}
