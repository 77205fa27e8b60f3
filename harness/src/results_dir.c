// SPDX-License-Identifier: GPL-2.0
/* Where a run goes: the -o directory that holds runs, and `run --run-dir DIR`
 * (a resume, the lab's inner run, a run into a directory of the user's
 * choosing). Whose run DIR is gets decided before anything in it is touched:
 * a profile that makes other cells must not append to another run's journal
 * nor rewrite its tables. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"
#include "lockmap.h"
#include "results.h"
#include "text.h"

int results_base_check(const char *base, char *why, size_t len)
{
	struct stat st;

	if (!base[0]) {
		snprintf(why, len, "-o '': an empty name is no directory (the run would go into /); give the directory runs go to (default: results)");
		return -EINVAL;
	}
	if (stat(base, &st) == 0 ? !S_ISDIR(st.st_mode) : errno == ENOTDIR) {
		snprintf(why, len, "-o %s: not a directory; give the directory runs go to (it is made when it does not exist)",
			 base);
		return -EINVAL;
	}
	return 0;
}

/* The grid a run.json was written for: its grid_id, or, in a run.json older
 * than grid_id, the grid of the profile text it keeps. */
static int rundir_stored_grid(const json_t *rj, const char *rjpath, char gid[17], char *why,
			      size_t len)
{
	const char *s = json_string_value(json_object_get(rj, "grid_id"));
	const char *text = json_string_value(json_object_get(rj, "profile"));
	struct profile *p = NULL;
	struct grid g;
	char err[512] = "";
	int rc;

	if (s && strlen(s) == 16) {
		memcpy(gid, s, 17);
		return 0;
	}
	if (!text) {
		snprintf(why, len, "%s has neither a grid_id nor a profile: lockmap did not write it",
			 rjpath);
		return -EINVAL;
	}
	rc = profile_parse(rjpath, text, &p, err, sizeof(err));
	if (!rc)
		rc = grid_build(p, &g);
	if (rc) {
		snprintf(why, len, "the profile %s keeps does not load any more (%.300s): lockmap cannot tell whether this profile makes the same cells",
			 rjpath, err[0] ? err : strerror(-rc));
		profile_free(p);
		return -EINVAL;
	}
	grid_id(&g, gid);
	grid_free(&g);
	profile_free(p);
	return 0;
}

/* 1 when dir holds nothing, 0 when it holds something, or -errno. */
static int rundir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* dir as a run directory for p's grid g: an empty one (*fresh), or the run
 * of the same grid (*differs: its profile text is not p's). -EINVAL with why
 * when it is neither. Reads only. */
static int rundir_check(const char *dir, const struct profile *p, const struct grid *g,
			bool *fresh, bool *differs, char *why, size_t len)
{
	char *rjpath = xasprintf("%s/run.json", dir), stored[17], mine[17];
	const char *text, *ppath;
	json_error_t jerr;
	json_t *rj = NULL;
	struct stat st;
	int rc;

	if (stat(rjpath, &st) < 0 && errno == ENOENT) {
		rc = rundir_empty(dir);
		if (rc == 0) {
			snprintf(why, len, "--run-dir %s holds files but no run.json, so it is no lockmap run: give an empty directory for a new run, or the directory of the run to resume",
				 dir);
			rc = -EINVAL;
		} else if (rc == 1) {
			*fresh = true;
			rc = 0;
		}
		goto out;
	}
	rj = json_load_file(rjpath, 0, &jerr);
	if (!json_is_object(rj)) {
		snprintf(why, len, "--run-dir %s: cannot read its run.json (%s, line %d), so lockmap cannot tell whose run it is",
			 dir, jerr.text, jerr.line);
		rc = -EINVAL;
		goto out;
	}
	rc = rundir_stored_grid(rj, rjpath, stored, why, len);
	if (rc)
		goto out;
	grid_id(g, mine);
	ppath = json_string_value(json_object_get(rj, "profile_path"));
	if (strcmp(stored, mine)) {
		snprintf(why, len, "--run-dir %s is the run of %s (%lld cells, grid %s), and %s makes other cells (%zu, grid %s): resume it with the profile its run.json keeps (jq -r .profile %s), or give this profile a directory of its own",
			 dir, ppath ? ppath : "another profile",
			 (long long)json_integer_value(json_object_get(rj, "cells")), stored, p->path,
			 g->ncells, mine, rjpath);
		rc = -EINVAL;
		goto out;
	}
	text = json_string_value(json_object_get(rj, "profile"));
	*differs = !text || !p->text || strcmp(text, p->text);
out:
	json_decref(rj);
	free(rjpath);
	return rc;
}

/* The same cells from a profile whose text is not the one in run.json
 * (comments, key order, [run] name): the journal keeps what was run. */
static void rundir_journal_profile(struct run *run)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "type", json_string("run_profile"));
	json_object_set_new(rec, "profile_path", text_json(run->prof->path));
	json_object_set_new(rec, "profile", text_json(run->prof->text));
	(void)journal_append(run->journal, rec, true);
	lm_info("run %s: %s is not the text in its run.json but makes the same cells; its text goes into the journal (run_profile)",
		run->id, run->prof->path);
}

/* The real path of a --run-dir that is a directory, in *real; -EINVAL with
 * why when it is none, or -errno for an error that is not the user's. */
static int rundir_path(const char *dir, char **real, char *why, size_t len)
{
	struct stat st;
	int rc;

	*real = realpath(dir, NULL);
	if (*real && stat(*real, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	rc = -errno;
	if (*real || rc == -ENOENT || rc == -ENOTDIR) {
		snprintf(why, len, "--run-dir %s: %s, or give the directory of the run to resume",
			 dir, *real ? "not a directory; give an empty directory for a new run"
				    : "no such directory; make it (mkdir) to start a new run there");
		rc = -EINVAL;
	}
	free(*real);
	*real = NULL;
	return rc;
}

int results_dir_check(const char *dir, const struct profile *p, const struct grid *g,
		      char *why, size_t len)
{
	bool fresh = false, differs = false;
	char *real;
	int rc = rundir_path(dir, &real, why, len);

	if (rc)
		return rc;
	rc = rundir_check(real, p, g, &fresh, &differs, why, len);
	free(real);
	return rc;
}

int results_open(const char *dir, const struct profile *p, const struct grid *g,
		 json_t *extra, struct run *run, char *why, size_t len)
{
	bool fresh = false, differs = false;
	const char *slash;
	int rc;

	memset(run, 0, sizeof(*run));
	why[0] = '\0';
	/* results/latest names the run by its real directory. */
	rc = rundir_path(dir, &run->dir, why, len);
	if (rc)
		return rc;
	rc = rundir_check(run->dir, p, g, &fresh, &differs, why, len);
	if (rc)
		return rc;
	rc = results_run_init(run, p, g);
	if (rc)
		return rc;
	slash = strrchr(run->dir, '/');
	snprintf(run->id, sizeof(run->id), "%s", slash ? slash + 1 : run->dir);
	run->base = slash ? strndup(run->dir, (size_t)(slash - run->dir)) : strdup(".");
	if (!run->base)
		return -ENOMEM;
	rc = results_dir_fill(run, fresh, extra);
	if (rc)
		return rc;
	if (differs && !fresh)
		rundir_journal_profile(run);
	rc = results_load_journal(run);
	return rc < 0 ? rc : 0;
}

unsigned results_passes(const json_t *rj)
{
	json_int_t n = json_integer_value(json_object_get(json_object_get(rj, "soak"), "passes"));

	return n > 1 && n <= UINT32_MAX ? (unsigned)n : 1;
}

int results_grid(const char *dir, const struct profile *p, struct grid *g)
{
	unsigned passes = 1;

	if (dir) {
		char *path = xasprintf("%s/run.json", dir);
		json_t *rj = json_load_file(path, 0, NULL);

		passes = results_passes(rj);
		json_decref(rj);
		free(path);
	}
	return grid_build_passes(p, passes, g);
}
