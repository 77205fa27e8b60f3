// SPDX-License-Identifier: GPL-2.0
/* `lockmap bisect`: build, boot, run, answer git bisect (bisect.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bisect.h"
#include "failon.h"
#include "grid.h"
#include "lockmap.h"
#include "outcome.h"
#include "profile.h"
#include "results.h"
#include "spawn.h"

static unsigned bisect_bad_needs(unsigned runs)
{
	unsigned n = runs / 6 > 2 ? runs / 6 : 2;

	return n > runs ? runs : n;
}

int bisect_verdict(unsigned runs, const struct bisect_tally *t)
{
	if (t->hits >= bisect_bad_needs(runs))
		return EXIT_FAILED;
	if (!t->hits && 2 * t->complete >= runs)
		return EXIT_CLEAN;
	return EXIT_BISECT_SKIP;
}

int bisect_decided(unsigned runs, const struct bisect_tally *t)
{
	unsigned left = runs - t->runs;
	bool bad_can = t->hits + left >= bisect_bad_needs(runs);
	bool good_can = !t->hits && 2 * (t->complete + left) >= runs;

	if (t->hits >= bisect_bad_needs(runs))
		return EXIT_FAILED;
	/* A kernel that never boots need not be booted N times. */
	return bad_can || good_can ? -1 : EXIT_BISECT_SKIP;
}

/* The last line of a file (the image build-kernel.sh printed), in out. */
static int last_line(const char *path, char *out, size_t len)
{
	char line[PATH_MAX + 64];
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		if (n && n < len) {
			memcpy(out, line, n);
			out[n] = '\0';
		}
	}
	fclose(f);
	return out[0] ? 0 : -ENOENT;
}

/* Print build-kernel.sh's progress lines of the log on stderr, or with all,
 * every line (make's tail when it failed). */
static void show_log(const char *path, bool all)
{
	char line[1024];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (all || !strncmp(line, "build-kernel:", 13))
			fputs(line, stderr);
	fclose(f);
}

/* Build the tree with harness/lab/build-kernel.sh --source TREE; image gets
 * the bzImage. 0, or -1 when it did not build (said why). */
static int bisect_build(const struct bisect_opts *o, char *image, size_t len)
{
	char *script = data_source("harness/lab/build-kernel.sh", "lab/build-kernel.sh");
	char *log = xasprintf("%s/kernel-build.log", o->results);
	struct spawn_opts so = { .stdout_path = log, .stdout_fd = -1 };
	struct spawn_argv a = { 0 };
	int64_t t0 = now_ns();
	int rc = -1, st;

	if (!script) {
		lm_err("bisect: harness/lab/build-kernel.sh is not beside this lockmap (%s)",
		       data_where());
		free(log);
		return -1;
	}
	spawn_argv_add(&a, "sh");
	spawn_argv_add(&a, "%s", script);
	spawn_argv_add(&a, "--source");
	spawn_argv_add(&a, "%s", o->tree);
	if (o->no_ccache)
		spawn_argv_add(&a, "--no-ccache");
	lm_info("bisect: building %s (%s --source %s; log %s)", o->tree, script, o->tree, log);
	st = spawn_run(a.v, &so, -1);
	if (st != 0) {
		show_log(log, true);
		lm_err("bisect: the kernel did not build (%s exited %d): skip this commit", script, st);
	} else if (last_line(log, image, len) < 0 || image[0] != '/' || access(image, R_OK) < 0) {
		show_log(log, true);
		lm_err("bisect: %s printed no image: skip this commit", script);
	} else {
		show_log(log, false);
		lm_info("bisect: kernel %s ready in %.0f s", image, (now_ns() - t0) / 1e9);
		rc = 0;
	}
	spawn_argv_free(&a);
	free(script);
	free(log);
	return rc;
}

struct judge {
	struct profile *p;
	struct grid g;
	struct run run;
	bool have_grid, have_run;
};

static void judge_free(struct judge *j)
{
	if (j->have_run)
		results_close(&j->run);
	if (j->have_grid)
		grid_free(&j->g);
	profile_free(j->p);
}

/* The first cell of the run that reached fail_on (error cells never do);
 * counts the error cells in *errors. */
static bool judge_hit(const struct run *run, unsigned *errors, char *why, size_t len)
{
	bool hit = false;

	for (size_t i = 0; i < run->grid->ncells; i++) {
		const struct cell_result *r = &run->res[i];
		char w[200];

		if (!run->done[i] || results_cell_interrupted(r))
			continue;
		if (r->outcome == OUT_ERROR) {
			(*errors)++;
			continue;
		}
		if (!hit && failon_hit(&run->failon, r, w, sizeof(w))) {
			snprintf(why, len, "cell %s r%d: %s", run->grid->cells[i].id,
				 run->grid->cells[i].rep, w);
			hit = true;
		}
	}
	return hit;
}

int bisect_judge_run(const char *run_dir, const char *profile_path, int lab_rc,
		     struct bisect_tally *t, char *why, size_t len)
{
	struct judge j = { 0 };
	char err[1024];
	unsigned errors = 0;
	size_t wanted;
	int rc;

	t->runs++;
	rc = profile_load(profile_path, &j.p, err, sizeof(err));
	if (!rc) {
		rc = grid_build(j.p, &j.g);
		j.have_grid = !rc;
	}
	if (!rc) {
		rc = results_run_init(&j.run, j.p, &j.g);
		j.have_run = true;
	}
	if (!rc) {
		j.run.dir = strdup(run_dir);
		rc = j.run.dir ? results_load_journal(&j.run) : -ENOMEM;
	}
	if (rc < 0) {
		snprintf(why, len, "cannot read the run %s: %s", run_dir, strerror(-rc));
		judge_free(&j);
		return rc;
	}
	why[0] = '\0';
	if (judge_hit(&j.run, &errors, why, len))
		t->hits++;
	wanted = results_wanted(&j.run, NULL, 0);
	if ((lab_rc == EXIT_CLEAN || lab_rc == EXIT_FAILED) && !wanted && !errors)
		t->complete++;
	else if (!why[0])
		snprintf(why, len, "incomplete: lab exit %d, %zu cells not run, %u errors", lab_rc,
			 wanted, errors);
	judge_free(&j);
	return 0;
}

/* The run lab_run just made: <base>/latest, resolved. NULL when none. */
static char *latest_run(const char *base)
{
	char *link = xasprintf("%s/latest", base), *path = realpath(link, NULL);

	free(link);
	return path;
}

/* One lab run of the step; adds it to t. Returns 0, or 128 + a signal. */
static int bisect_one(const char *profile_path, const char *image, const struct bisect_opts *o,
		      unsigned nth, struct bisect_tally *t)
{
	char *before = latest_run(o->results), *dir;
	char why[512] = "";
	int64_t t0 = now_ns();
	int rc = lab_run(image, profile_path, o->results, &o->lab);

	if (rc >= EXIT_SIGNAL_BASE) {
		free(before);
		return rc;
	}
	dir = latest_run(o->results);
	/* A lab that stopped before making its run directory left latest as it was. */
	if (!dir || (before && !strcmp(before, dir))) {
		t->runs++;
		snprintf(why, sizeof(why), "no run: lab exit %d", rc);
	} else if (bisect_judge_run(dir, profile_path, rc, t, why, sizeof(why)) < 0) {
		lm_warn("bisect: %s", why);
	}
	lm_info("bisect: run %u of %u: lab exit %d in %.0f s; %s", nth, o->runs, rc,
		(now_ns() - t0) / 1e9, why[0] ? why : "no cell reached fail_on");
	free(before);
	free(dir);
	return 0;
}

int bisect_run(const char *profile_path, const struct bisect_opts *o)
{
	struct bisect_tally t = { 0 };
	struct profile *p = NULL;
	char err[1024], image[PATH_MAX];
	int rc, verdict = -1;

	/* The profile is the same at every commit: an error in it stops git bisect. */
	if (profile_load(profile_path, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_BISECT_ABORT;
	}
	profile_free(p);
	rc = mkdir_p(o->results, 0755);
	if (rc < 0) {
		lm_err("bisect: cannot make %s: %s", o->results, strerror(-rc));
		return EXIT_BISECT_SKIP;
	}
	if (o->tree) {
		if (bisect_build(o, image, sizeof(image)) < 0)
			return EXIT_BISECT_SKIP;
	} else {
		snprintf(image, sizeof(image), "%s", o->kernel);
	}
	for (unsigned i = 1; i <= o->runs && verdict < 0; i++) {
		rc = bisect_one(profile_path, image, o, i, &t);
		if (rc)
			return rc;
		verdict = bisect_decided(o->runs, &t);
	}
	if (verdict < 0)
		verdict = bisect_verdict(o->runs, &t);
	printf("bisect: %s (exit %d): %u of %u runs reached fail_on, %u complete; bad needs %u, "
	       "good no hit and %u complete\n",
	       verdict == EXIT_CLEAN ? "good" : verdict == EXIT_FAILED ? "bad" : "skip", verdict,
	       t.hits, t.runs, t.complete, bisect_bad_needs(o->runs), (o->runs + 1) / 2);
	return verdict;
}
