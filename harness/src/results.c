// SPDX-License-Identifier: GPL-2.0
/* The results directory of a run and its tables. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "lockmap.h"
#include "results.h"
#include "search_plan.h"
#include "shard.h"
#include "text.h"

#ifndef LOCKMAP_VERSION
#define LOCKMAP_VERSION "unknown"
#endif

/* "key : value" lines of /proc/cpuinfo, first cpu. */
static void cpuinfo_field(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];
	size_t kl = strlen(key);

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, kl) || !colon)
			continue;
		snprintf(out, len, "%s", colon + 2 <= line + strlen(line) ? colon + 2 : "");
		str_rtrim(out);
		break;
	}
	fclose(f);
}

/* Every readable parameter of a loaded module, as strings. */
static json_t *module_params(const char *mod)
{
	char dir[PATH_MAX];
	json_t *o;
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", mod);
	d = opendir(dir);
	if (!d)
		return NULL;
	o = json_object();
	while ((e = readdir(d))) {
		char path[PATH_MAX + 256], val[256];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (read_file_str(path, val, sizeof(val)) == 0)
			json_object_set_new(o, e->d_name, text_json(val));
	}
	closedir(d);
	return o;
}

json_t *results_host_facts(void)
{
	json_t *o = json_object(), *kvm = json_object();
	static const char *const mods[] = { "kvm", "kvm_intel", "kvm_amd" };
	struct utsname u;
	char buf[4096];

	if (uname(&u) == 0) {
		json_object_set_new(o, "hostname", text_json(u.nodename));
		json_object_set_new(o, "kernel", text_json(u.release));
		json_object_set_new(o, "kernel_version", text_json(u.version));
		json_object_set_new(o, "machine", text_json(u.machine));
	}
	if (read_file_str("/proc/cmdline", buf, sizeof(buf)) == 0)
		json_object_set_new(o, "cmdline", text_json(buf));
	cpuinfo_field("model name", buf, sizeof(buf));
	json_object_set_new(o, "cpu_model", text_json(buf));
	cpuinfo_field("microcode", buf, sizeof(buf));
	json_object_set_new(o, "microcode", buf[0] ? text_json(buf) : json_null());
	json_object_set_new(o, "cpus", json_integer(cpus_online()));
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		json_t *p = module_params(mods[i]);

		if (p)
			json_object_set_new(kvm, mods[i], p);
	}
	json_object_set_new(o, "kvm_parameters", kvm);
	return o;
}

static uint32_t results_fail_on(const struct profile *p, struct failon *f);

/* Replace <base>/latest with a link to id, atomically. */
static int results_link_latest(const char *base, const char *id)
{
	char *tmp = xasprintf("%s/.latest.%d", base, (int)getpid());
	char *latest = xasprintf("%s/latest", base);
	int rc = 0;

	(void)unlink(tmp);
	if (symlink(id, tmp) < 0 || rename(tmp, latest) < 0)
		rc = -errno;
	(void)unlink(tmp);
	free(tmp);
	free(latest);
	return rc;
}

/* A run name fit for a directory name: letters, digits, . _ - only. */
static void run_name(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++) {
		char ch = in[i];

		out[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ? ch : '_';
	}
	out[i] = '\0';
}

int results_run_init(struct run *run, const struct profile *p, const struct grid *g)
{
	run->prof = p;
	run->grid = g;
	run->res = calloc(g->ncells ? g->ncells : 1, sizeof(*run->res));
	run->done = calloc(g->ncells ? g->ncells : 1, sizeof(*run->done));
	if (!run->res || !run->done)
		return -ENOMEM;
	run->fail_on = results_fail_on(p, &run->failon);
	if (p->search) {
		run->search = malloc(sizeof(*run->search));
		if (!run->search)
			return -ENOMEM;
		if (search_plan_init(run->search, g) < 0) {
			free(run->search);
			run->search = NULL;
			return -EINVAL;
		}
	}
	return 0;
}

int results_write_json(const char *dir, const char *name, json_t *o)
{
	char *tmp;
	FILE *f = results_tmp_open(dir, name, &tmp);
	int rc;

	if (!f) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? -EIO : 0;
	fputc('\n', f);
	if (rc) {
		fclose(f);
		(void)unlink(tmp);
		free(tmp);
		return rc;
	}
	return results_tmp_commit(f, dir, name, tmp);
}

int results_write_run_json(const struct run *run, json_t *extra)
{
	const struct profile *p = run->prof;
	char gid[17];
	json_t *rj = json_object();
	int rc;

	grid_id(run->grid, gid);
	json_object_set_new(rj, "run_id", text_json(run->id));
	json_object_set_new(rj, "lockmap_version", json_string(LOCKMAP_VERSION));
	json_object_set_new(rj, "started", json_integer((json_int_t)time(NULL)));
	json_object_set_new(rj, "host", results_host_facts());
	json_object_set_new(rj, "profile_path", text_json(p->path ? p->path : ""));
	json_object_set_new(rj, "profile", text_json(p->text ? p->text : ""));
	json_object_set_new(rj, "cells", json_integer((json_int_t)run->grid->ncells));
	json_object_set_new(rj, "grid_id", json_string(gid));
	if (extra)
		json_object_update(rj, extra);
	/* Whole or not at all: --run-dir reads it to tell whose run this is. */
	rc = results_write_json(run->dir, "run.json", rj);
	json_decref(rj);
	return rc;
}

int results_dir_fill(struct run *run, bool new_run, json_t *extra)
{
	char *path = xasprintf("%s/cells", run->dir);
	int rc = mkdir_p(path, 0755);

	free(path);
	if (!rc && new_run)
		rc = results_write_run_json(run, extra);
	if (rc)
		return rc;
	path = xasprintf("%s/journal.jsonl", run->dir);
	rc = journal_open(path, &run->journal);
	free(path);
	return rc;
}

int results_create(const char *base, const struct profile *p, const struct grid *g,
		   json_t *extra, struct run *run)
{
	const struct pkey *name = profile_key(p, "run", "name");
	char stamp[32], nm[49], *path;
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	memset(run, 0, sizeof(*run));
	rc = results_run_init(run, p, g);
	if (rc)
		return rc;
	run_name(name && name->nvals ? name->vals[0].text : "run", nm, sizeof(nm));
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(run->id, sizeof(run->id), "%s-%s", stamp, nm);
	/* Ids must be unique even for two runs in one second. */
	for (int n = 2; ; n++) {
		path = xasprintf("%s/%s", base, run->id);
		if (access(path, F_OK) < 0)
			break;
		free(path);
		snprintf(run->id, sizeof(run->id), "%s-%s-%d", stamp, nm, n);
	}
	run->dir = path;
	run->base = strdup(base);
	rc = results_dir_fill(run, true, extra);
	if (rc)
		return rc;
	rc = results_link_latest(base, run->id);
	if (rc)
		lm_warn("cannot update %s/latest: %s", base, strerror(-rc));
	return 0;
}

char *results_cell_dir(const struct run *run, const struct cell *c)
{
	if (c->rep)
		return xasprintf("%s/cells/%s-r%d", run->dir, c->id, c->rep);
	return xasprintf("%s/cells/%s", run->dir, c->id);
}

void results_close(struct run *run)
{
	journal_close(run->journal);
	run->journal = NULL;
	free(run->dir);
	free(run->base);
	free(run->res);
	free(run->done);
	free(run->search);
	run->search = NULL;
	run->dir = run->base = NULL;
	run->res = NULL;
	run->done = NULL;
}

struct load_ctx {
	struct run *run;
	unsigned loaded;
};

/* A cell_end of this grid (same index and id) marks that cell done; an
 * interrupted cell is not done: a resumed run runs it again. */
static int results_load_record(json_t *rec, void *arg)
{
	struct load_ctx *lc = arg;
	struct run *run = lc->run;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *id = json_string_value(json_object_get(rec, "cell"));
	json_int_t idx = json_integer_value(json_object_get(rec, "index"));
	struct cell_result res;

	if (!type || strcmp(type, "cell_end") || !id || idx < 0 ||
	    (size_t)idx >= run->grid->ncells || strcmp(run->grid->cells[idx].id, id))
		return 0;
	if (cell_result_from_json(rec, &res) < 0 || res.interrupted) {
		run->done[idx] = false;
		return 0;
	}
	run->res[idx] = res;
	run->done[idx] = true;
	lc->loaded++;
	return 0;
}

int results_load_journal(struct run *run)
{
	struct load_ctx lc = { .run = run };
	char *path = xasprintf("%s/journal.jsonl", run->dir);
	int rc = journal_read(path, results_load_record, &lc);

	free(path);
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : (int)lc.loaded;
}

size_t results_redo_lockmap_errors(struct run *run)
{
	size_t n = 0;

	for (size_t i = 0; i < run->grid->ncells; i++) {
		if (run->done[i] && run->res[i].outcome == OUT_ERROR && run->res[i].lockmap_error) {
			run->done[i] = false;
			n++;
		}
	}
	return n;
}

/* fail_on of the profile: its outcomes (the mask returned) and thresholds,
 * checked when the profile loaded. */
static uint32_t results_fail_on(const struct profile *p, struct failon *f)
{
	const struct pkey *fail = profile_key(p, "expect", "fail_on");
	char why[512];

	memset(f, 0, sizeof(*f));
	if (!fail || !fail->nvals)
		return 0;
	if (failon_parse(fail->vals[0].text, fail->spec->choices, f, why, sizeof(why)) < 0)
		lm_warn("[expect] fail_on: %s", why);
	return f->outcomes;
}

void results_print_cell(const struct run *run, size_t i)
{
	const struct cell *c = &run->grid->cells[i];
	const struct cell_result *r = &run->res[i];
	char desc[1024], ev[256] = "";
	size_t off = 0, nth = i + 1, of = run->grid->ncells;

	/* A search runs few of its grid's cells: the how-manyth, of its bound. */
	if (run->search) {
		nth = 0;
		for (size_t j = 0; j < run->grid->ncells; j++)
			nth += run->done[j];
		of = search_plan_max_cells(run->search);
	}
	cell_describe(c, desc, sizeof(desc));
	for (int k = 0; k < EV__COUNT && off < sizeof(ev); k++)
		if (r->nevents[k])
			off += (size_t)snprintf(ev + off, sizeof(ev) - off, " %s=%u",
						event_kind_name((enum event_kind)k), r->nevents[k]);
	printf("[%zu/%zu] %s r%d %-11s %s  ticks %llu/%llu lost %.2f%% maxgap %lluus late %llu%s%s\n",
	       nth, of, c->id, c->rep, outcome_name(r->outcome), desc,
	       (unsigned long long)r->ticks, (unsigned long long)r->expected,
	       r->worst_loss_bp / 100.0, (unsigned long long)r->maxgap_us,
	       (unsigned long long)r->late, ev[0] ? "  events:" : "", ev);
	if (r->probe.ran) {
		printf("      apic_timer_fn: %.0f calls/s, longest chain %llu in one hrtimer interrupt, "
		       "largest lag %llu us", r->probe.calls_per_s,
		       (unsigned long long)r->probe.max_chain, (unsigned long long)r->probe.max_lag_us);
		if (r->probe.irq_known)
			printf(", longest timer interrupt %llu us",
			       (unsigned long long)r->probe.max_irq_us);
		putchar('\n');
	}
	if (failon_metric_hit(&run->failon, r, ev, sizeof(ev)))
		printf("      reaches fail_on: %s\n", ev);
	if (r->silent_guests)
		printf("      %d of %lld guests silent for part of the window (starved): their silent time counts as lost ticks (silent_s in the journal)\n",
		       r->silent_guests, (long long)cell_num(c, "guests", "count"));
	if (r->error[0]) {
		/* It quotes kernel lines and VMM messages: no escape sequence of
		 * theirs reaches the terminal. */
		char *err = text_clean(r->error, strlen(r->error), TEXT_PRINTABLE);

		printf("      %s\n", err ? err : "(out of memory)");
		free(err);
	}
	fflush(stdout);
}

void results_print_summary(const struct run *run)
{
	unsigned counts[OUT__COUNT] = { 0 }, interrupted = 0, metric = 0;
	size_t done = 0;

	for (size_t i = 0; i < run->grid->ncells; i++) {
		if (!run->done[i])
			continue;
		if (results_cell_interrupted(&run->res[i]))
			interrupted++;
		else
			counts[run->res[i].outcome]++;
		if (!results_cell_interrupted(&run->res[i]) &&
		    !(run->fail_on & (1u << run->res[i].outcome)) &&
		    failon_metric_hit(&run->failon, &run->res[i], NULL, 0))
			metric++;
		done++;
	}
	if (run->search)
		printf("\nrun %s: %zu cells of a search (its grid has %zu)", run->id, done,
		       run->grid->ncells);
	else
		printf("\nrun %s: %zu of %zu cells", run->id, done,
		       run->mine ? run->nmine : run->grid->ncells);
	if (run->shard && run->shard->count)
		printf(" (%s of a grid of %zu)", shard_name(run->shard), run->grid->ncells);
	putchar('\n');
	printf("  %-12s %6s  %s\n", "outcome", "cells", "fails the run");
	for (int o = 0; o < OUT__COUNT; o++)
		if (counts[o])
			printf("  %-12s %6u  %s\n", outcome_name((enum outcome)o), counts[o],
			       run->fail_on & (1u << o) ? "yes" : "no");
	if (interrupted)
		printf("  %-12s %6u  %s\n", "interrupted", interrupted, "no (it runs on resume)");
	/* Thresholds do not change outcomes: the cells they fail, besides. */
	if (metric)
		printf("  %-12s %6u  %s\n", "threshold", metric,
		       "yes (of the cells above: a fail_on threshold crossed, cells.csv fail_on says which)");
	results_print_rates(run);
	results_print_search(run);
	printf("results: %s\n", run->dir);
}

bool results_failed(const struct run *run)
{
	for (size_t i = 0; i < run->grid->ncells; i++)
		if (run->done[i] && !results_cell_interrupted(&run->res[i]) &&
		    failon_hit(&run->failon, &run->res[i], NULL, 0))
			return true;
	return false;
}
