// SPDX-License-Identifier: GPL-2.0
/* `lockmap soak` (soak.h): a run that grows by one pass of the profile's grid
 * while time is left. Each pass is `lockmap run --run-dir RUN PROFILE` on the
 * run's grid of that many passes, so a pass cut by a crash, a reboot or a
 * signal is resumed by the resume every run has. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "grid.h"
#include "journal.h"
#include "lockmap.h"
#include "notify.h"
#include "precheck.h"
#include "profile.h"
#include "results.h"
#include "soak.h"
#include "text.h"

/* The soak in hand: its run directory and what its run.json says. */
struct soak {
	const char *path;	/* the profile as given */
	char *profile;		/* its real path */
	char *dir;
	char id[256];
	unsigned passes;	/* begun so far */
	double until;		/* wall-clock seconds */
	const struct profile *prof;
};

/* Append one record of the soak's own (soak_pass, soak_resume, soak_end) to
 * its journal; rec is stolen. */
static void soak_journal(const struct soak *s, const char *type, json_t *rec)
{
	char *path = xasprintf("%s/journal.jsonl", s->dir);
	struct journal *j;

	json_object_set_new(rec, "type", json_string(type));
	json_object_set_new(rec, "run", text_json(s->id));
	json_object_set_new(rec, "pass", json_integer(s->passes));
	if (journal_open(path, &j) == 0) {
		(void)journal_append(j, rec, true);
		journal_close(j);
	} else {
		json_decref(rec);
		lm_warn("soak: cannot append to %s", path);
	}
	free(path);
}

/* Rewrite run.json's soak (and, with a grid, the grid it is a run of): the
 * resume of `run --run-dir` checks the grid against it. */
static int soak_update_run_json(const struct soak *s, const struct grid *g, bool ended)
{
	char *path = xasprintf("%s/run.json", s->dir);
	json_t *rj = json_load_file(path, 0, NULL), *soak = json_object_get(rj, "soak");
	int rc = -EINVAL;

	free(path);
	if (json_is_object(soak)) {
		json_object_set_new(soak, "passes", json_integer(s->passes));
		if (ended)
			json_object_set_new(soak, "ended", json_integer((json_int_t)time(NULL)));
		if (g) {
			char gid[17];

			grid_id(g, gid);
			json_object_set_new(rj, "grid_id", json_string(gid));
			json_object_set_new(rj, "cells", json_integer((json_int_t)g->ncells));
		}
		rc = results_write_json(s->dir, "run.json", rj);
	}
	json_decref(rj);
	return rc;
}

/* A new soak: its run directory, its run.json with "soak" (soak.h). Returns
 * 0 or an exit code. */
static int soak_create(struct soak *s, const struct soak_opts *o)
{
	struct grid g;
	struct run run = { 0 };
	struct host_facts hf;
	json_t *extra;
	int rc = grid_build(s->prof, &g);

	if (rc) {
		lm_err("%s: cannot build the grid: %s", s->path, strerror(-rc));
		return EXIT_USAGE;
	}
	/* Every cell checked before a run directory is made. */
	host_facts_local(&hf);
	rc = precheck_all(&g, &hf);
	s->passes = 1;
	s->until = (double)wall_ns() / NSEC_PER_SEC + o->hours * 3600.0;
	extra = json_pack("{s:{s:o, s:f, s:f, s:i}}", "soak", "profile", text_json(s->profile),
			  "hours", o->hours, "until", s->until, "passes", 1);
	if (!rc) {
		int crc = results_create(o->base, s->prof, &g, extra, &run);

		if (crc < 0) {
			lm_err("cannot create a run directory under %s: %s", o->base, strerror(-crc));
			results_close(&run);
			rc = EXIT_NOTREADY;
		}
	}
	json_decref(extra);
	if (!rc) {
		s->dir = strdup(run.dir);
		snprintf(s->id, sizeof(s->id), "%s", run.id);
		results_close(&run);
		soak_journal(s, "soak_pass", json_pack("{s:f}", "until", s->until));
	}
	grid_free(&g);
	return rc;
}

/* Is the soak in s->dir one this profile can go on with (its grid the
 * profile's, over its passes)? Says why not. */
static bool soak_resumable(const struct soak *s)
{
	struct grid g;
	char why[1024];
	int rc = results_grid(s->dir, s->prof, &g);

	if (rc)
		return false;
	rc = results_dir_check(s->dir, s->prof, &g, why, sizeof(why));
	grid_free(&g);
	if (rc)
		lm_warn("soak %s is unfinished, but cannot go on with %s: %s", s->id, s->path, why);
	return rc == 0;
}

/* The soak of the profile to go on with: the newest one, when it is
 * unfinished (an older unfinished one is history: a newer soak came after
 * it) and its cells are still the profile's. 0, or an exit code; *found
 * says whether there was one. */
static int soak_open_latest(struct soak *s, const struct soak_opts *o, bool *found)
{
	struct soak_info *v;
	size_t n;
	char *path;
	json_t *rj, *soak;
	int rc = soak_list(o->base, s->profile, &v, &n);

	*found = false;
	if (rc < 0) {
		lm_err("cannot read %s: %s", o->base, strerror(-rc));
		return EXIT_NOTREADY;
	}
	if (n && !v[n - 1].ended) {
		s->dir = strdup(v[n - 1].dir);
		snprintf(s->id, sizeof(s->id), "%s", v[n - 1].id);
		*found = s->dir && soak_resumable(s);
	}
	soak_list_free(v, n);
	if (!*found) {
		free(s->dir);
		s->dir = NULL;
		return 0;
	}
	path = xasprintf("%s/run.json", s->dir);
	rj = json_load_file(path, 0, NULL);
	soak = json_object_get(rj, "soak");
	s->passes = results_passes(rj);
	s->until = json_number_value(json_object_get(soak, "until"));
	json_decref(rj);
	free(path);
	lm_info("soak %s: going on with it at pass %u (%s)", s->id, s->passes, s->dir);
	soak_journal(s, "soak_resume", json_object());
	return 0;
}

/* One pass: `lockmap run --run-dir DIR PROFILE`, in this process. */
static int soak_run_pass(const struct soak *s, const struct soak_opts *o)
{
	char *argv[8];
	int argc = 0;

	argv[argc++] = (char *)"run";
	argv[argc++] = (char *)"--run-dir";
	argv[argc++] = s->dir;
	if (o->wait)
		argv[argc++] = (char *)"--wait";
	if (lm_verbose == 0)
		argv[argc++] = (char *)"-q";
	if (lm_verbose > 1)
		argv[argc++] = (char *)"-v";
	argv[argc++] = (char *)s->path;
	argv[argc] = NULL;
	/* getopt starts over (glibc: optind 0 reinitialises it). */
	optind = 0;
	return cmd_run(argc, argv);
}

/* "soak ID: pass 2, 0h41m07s left (until 2026-12-01 06:00:00 UTC)" for the log and systemd. */
static void soak_where(const struct soak *s, char *buf, size_t len)
{
	double left = s->until - (double)wall_ns() / NSEC_PER_SEC;
	time_t t = (time_t)s->until;
	struct tm tm;
	char at[32];

	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (left < 0)
		left = 0;
	snprintf(buf, len, "soak %s: pass %u, %dh%02dm%02ds left (until %s)", s->id, s->passes,
		 (int)(left / 3600), (int)fmod(left / 60, 60), (int)fmod(left, 60), at);
}

/* Pass after pass while time is left; the pass running when it is up runs
 * to its end. Returns the last pass's exit code. */
static int soak_passes(struct soak *s, const struct soak_opts *o)
{
	char where[512];

	for (;;) {
		struct grid g;
		int rc;

		soak_where(s, where, sizeof(where));
		lm_info("%s", where);
		notify_status(where);
		notify_watchdog();
		rc = soak_run_pass(s, o);
		if ((rc != EXIT_CLEAN && rc != EXIT_FAILED) || lm_stop_requested)
			return rc;
		if ((double)wall_ns() / NSEC_PER_SEC >= s->until)
			return rc;
		s->passes++;
		rc = grid_build_passes(s->prof, s->passes, &g);
		if (!rc)
			rc = soak_update_run_json(s, &g, false);
		if (!rc)
			grid_free(&g);
		if (rc) {
			lm_err("soak %s: cannot add pass %u: %s", s->id, s->passes, strerror(-rc));
			return EXIT_NOTREADY;
		}
		soak_journal(s, "soak_pass", json_pack("{s:f}", "until", s->until));
	}
}

/* The end: compare with the previous finished soak, then --keep. */
static int soak_finish(struct soak *s, const struct soak_opts *o)
{
	struct soak_info *v;
	const char *prev = NULL;
	size_t n, worse;
	int rc;

	if (soak_update_run_json(s, NULL, true) < 0)
		lm_warn("soak %s: cannot mark it ended in its run.json", s->id);
	if (soak_list(o->base, s->profile, &v, &n) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].id, s->id))
			break;
		if (v[i].ended)
			prev = v[i].dir;
	}
	rc = soak_compare(s->dir, prev, s->path, &worse);
	soak_journal(s, "soak_end", json_pack("{s:o, s:I}", "compared_with",
					      prev ? text_json(prev) : json_null(),
					      "worse", (json_int_t)worse));
	if (o->keep && soak_prune(v, n, o->keep, s->id) < 0)
		lm_warn("soak: --keep %u: cannot remove every older soak of %s", o->keep, s->path);
	soak_list_free(v, n);
	return rc;
}

int soak_main(const char *path, const struct soak_opts *o)
{
	struct profile *p = NULL;
	struct soak s = { .path = path };
	char err[1024];
	bool found = false;
	int rc;

	if (profile_load(path, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_USAGE;
	}
	s.prof = p;
	s.profile = realpath(path, NULL);
	if (!strcmp(profile_key(p, "run", "target")->vals[0].text, "lab") || p->search) {
		lm_err("%s: %s: a soak repeats a local grid; run this profile with `lockmap %s`",
		       path, p->search ? "a [search] profile" : "target = lab",
		       p->search ? "run" : "lab");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = s.profile ? 0 : EXIT_USAGE;
	if (!rc && o->resume)
		rc = soak_open_latest(&s, o, &found);
	if (!rc && !found && o->resume && o->hours <= 0) {
		lm_err("soak: no unfinished soak of %s in %s to resume; give --hours to start one",
		       path, o->base);
		rc = EXIT_USAGE;
	}
	if (!rc && !found)
		rc = soak_create(&s, o);
	if (rc)
		goto out;
	if (sig_install() < 0) {
		lm_err("cannot install signal handlers");
		rc = EXIT_NOTREADY;
		goto out;
	}
	notify_run(s.id);
	notify_ready();
	rc = soak_passes(&s, o);
	if (rc == EXIT_CLEAN || rc == EXIT_FAILED)
		rc = soak_finish(&s, o);
	else if (rc >= EXIT_SIGNAL_BASE)
		lm_info("soak %s stopped by signal %d: `lockmap soak --resume %s` goes on with it",
			s.id, rc - EXIT_SIGNAL_BASE, path);
	notify_stopping();
out:
	free(s.dir);
	free(s.profile);
	profile_free(p);
	return rc;
}
