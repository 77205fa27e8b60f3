// SPDX-License-Identifier: GPL-2.0
/* The cells a dead host cut, decided from what survived (resume_crash.h). */
#include <stdlib.h>
#include <string.h>

#include "crashlog.h"
#include "journal.h"
#include "lockmap.h"
#include "resume_crash.h"
#include "results.h"
#include "text.h"

/* The last cell_start of a grid cell with no cell_end after it. */
struct resume_cut {
	bool open;
	char boot[37];		/* the boot it started in; "": unknown */
	double ts;		/* its wall-clock seconds */
	double mono;		/* the host's uptime then; -1: not recorded */
};

struct resume_scan {
	struct run *run;
	struct resume_cut *cut;
	char run_boot[37];	/* the last run_start's: journals older than cell
				 * starts with a boot id */
};

static int resume_scan_record(json_t *rec, void *arg)
{
	struct resume_scan *s = arg;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *id = json_string_value(json_object_get(rec, "cell"));
	const char *boot = json_string_value(json_object_get(rec, "boot_id"));
	json_int_t idx = json_integer_value(json_object_get(rec, "index"));
	struct resume_cut *c;

	if (type && !strcmp(type, "run_start")) {
		snprintf(s->run_boot, sizeof(s->run_boot), "%s", boot ? boot : "");
		return 0;
	}
	if (!type || !id || idx < 0 || (size_t)idx >= s->run->grid->ncells ||
	    strcmp(s->run->grid->cells[idx].id, id))
		return 0;
	c = &s->cut[idx];
	if (!strcmp(type, "cell_start")) {
		const json_t *up = json_object_get(rec, "uptime_s");

		c->open = true;
		snprintf(c->boot, sizeof(c->boot), "%s", boot ? boot : s->run_boot);
		c->ts = json_number_value(json_object_get(rec, "ts"));
		c->mono = json_is_number(up) ? json_number_value(up) : -1;
	} else if (!strcmp(type, "cell_end")) {
		c->open = false;
	}
	return 0;
}

/* No evidence: the cell runs again, and the journal says why. */
static void resume_rerun(struct run *run, size_t idx, const struct resume_cut *c,
			 const struct resume_env *env, const char *why, json_t *looked)
{
	const struct cell *cl = &run->grid->cells[idx];
	json_t *rec = json_object();

	json_object_set_new(rec, "type", json_string("cell_rerun"));
	json_object_set_new(rec, "cell", json_string(cl->id));
	json_object_set_new(rec, "index", json_integer((json_int_t)idx));
	json_object_set_new(rec, "rep", json_integer(cl->rep));
	json_object_set_new(rec, "boot_id", c->boot[0] ? text_json(c->boot) : json_null());
	json_object_set_new(rec, "boot_id_now", text_json(env->boot_id));
	json_object_set_new(rec, "why", text_json(why));
	json_object_set_new(rec, "looked_at", looked ? looked : json_null());
	(void)journal_append(run->journal, rec, true);
	lm_info("cell %s r%d was cut: %s; it runs again", cl->id, cl->rep, why);
}

/* The evidence of ce, as the cell_end keeps it. */
static json_t *resume_evidence_json(struct crash_evidence *ce, const struct resume_cut *c,
				    const struct resume_env *env)
{
	return json_pack("{s:s, s:s, s:O, s:O, s:O, s:O}", "boot_id", c->boot, "boot_id_now",
			 env->boot_id, "records", ce->records, "ignored", ce->ignored,
			 "journal", ce->journal ? ce->journal : json_null(), "events",
			 ce->events);
}

/* The cut cell idx of a boot that is over: decided, or run again. Returns 1
 * when decided. */
static int resume_decide(struct run *run, size_t idx, const struct resume_cut *c,
			 const struct resume_env *env)
{
	const struct cell *cl = &run->grid->cells[idx];
	struct crash_window w = { .boot_id = c->boot, .since = c->ts, .since_mono = c->mono };
	struct journal_cell_end_info x = { .source = "resume" };
	struct crash_evidence ce;
	struct cell_result res = { 0 };
	char *dir = results_cell_dir(run, cl), what[400];
	int prc, jrc = -ENOENT;

	crash_evidence_init(&ce);
	prc = crash_from_pstore(&ce, env->pstore_dir, &w, dir);
	if (env->archive_dir && crash_from_archive(&ce, env->archive_dir, &w, dir) == 0 &&
	    prc == -ENOENT)
		prc = 0;
	if (env->journal)
		jrc = crash_from_journal(&ce, &w, dir);
	res.outcome = crash_decide(&ce);
	if (res.outcome == OUT_CLEAN) {
		json_t *looked = json_pack("{s:s, s:s, s:O, s:O}", "pstore", env->pstore_dir,
					   "pstore_found", prc ? strerror(-prc) : "no record of the cell's time",
					   "pstore_ignored", ce.ignored,
					   "journal", ce.journal ? ce.journal : json_null());

		snprintf(what, sizeof(what), "the host rebooted during the cell (boot %.36s, now %.36s) and left no evidence of why (pstore: %s; journal: %s)",
			 c->boot, env->boot_id, prc ? strerror(-prc) : "no record of its time",
			 jrc ? "no journalctl" : ce.journal && json_object_get(ce.journal, "lines")
			 ? "nothing of note" : "no such boot kept");
		resume_rerun(run, idx, c, env, what, looked);
		crash_evidence_free(&ce);
		free(dir);
		return 0;
	}
	memcpy(res.nevents, ce.nevents, sizeof(ce.nevents));
	crash_describe(&ce, what, sizeof(what));
	snprintf(res.error, sizeof(res.error), "the host died in this cell and rebooted (boot %.8s..., now %.8s...): %.170s",
		 c->boot, env->boot_id, what);
	x.evidence = resume_evidence_json(&ce, c, env);
	(void)journal_append(run->journal, journal_cell_end(cl, &res, &x), true);
	run->res[idx] = res;
	run->done[idx] = true;
	lm_info("cell %s r%d was cut by a crash of the host: %s, from %s", cl->id, cl->rep,
		outcome_name(res.outcome), what);
	crash_evidence_free(&ce);
	free(dir);
	return 1;
}

int resume_crash_cells(struct run *run, const struct resume_env *env)
{
	struct resume_scan s = { .run = run };
	char *path = xasprintf("%s/journal.jsonl", run->dir);
	int rc, decided = 0;

	s.cut = calloc(run->grid->ncells ? run->grid->ncells : 1, sizeof(*s.cut));
	if (!s.cut) {
		free(path);
		return -ENOMEM;
	}
	rc = journal_read(path, resume_scan_record, &s);
	free(path);
	for (size_t i = 0; !rc && i < run->grid->ncells; i++) {
		const struct resume_cut *c = &s.cut[i];

		if (!c->open || run->done[i])
			continue;
		if (!c->boot[0] || !env->boot_id[0])
			resume_rerun(run, i, c, env, "no boot id was recorded at its start, so lockmap cannot tell whether the host rebooted since", NULL);
		else if (!strcmp(c->boot, env->boot_id))
			resume_rerun(run, i, c, env, "the host did not reboot since it started (same boot id): lockmap itself was stopped", NULL);
		else
			decided += resume_decide(run, i, c, env);
	}
	free(s.cut);
	return rc ? rc : decided;
}
