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
			json_object_set_new(o, e->d_name, json_string(val));
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
		json_object_set_new(o, "hostname", json_string(u.nodename));
		json_object_set_new(o, "kernel", json_string(u.release));
		json_object_set_new(o, "kernel_version", json_string(u.version));
		json_object_set_new(o, "machine", json_string(u.machine));
	}
	if (read_file_str("/proc/cmdline", buf, sizeof(buf)) == 0)
		json_object_set_new(o, "cmdline", json_string(buf));
	cpuinfo_field("model name", buf, sizeof(buf));
	json_object_set_new(o, "cpu_model", json_string(buf));
	cpuinfo_field("microcode", buf, sizeof(buf));
	json_object_set_new(o, "microcode", buf[0] ? json_string(buf) : json_null());
	json_object_set_new(o, "cpus", json_integer(cpus_online()));
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		json_t *p = module_params(mods[i]);

		if (p)
			json_object_set_new(kvm, mods[i], p);
	}
	json_object_set_new(o, "kvm_parameters", kvm);
	return o;
}

static uint32_t results_fail_on(const struct profile *p);

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

int results_create(const char *base, const struct profile *p, const struct grid *g,
		   json_t *extra, struct run *run)
{
	const struct pkey *name = profile_key(p, "run", "name");
	char stamp[32], nm[49], *path;
	json_t *rj;
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	memset(run, 0, sizeof(*run));
	run->prof = p;
	run->grid = g;
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
	path = xasprintf("%s/cells", run->dir);
	rc = mkdir_p(path, 0755);
	free(path);
	if (rc)
		return rc;

	run->res = calloc(g->ncells ? g->ncells : 1, sizeof(*run->res));
	run->done = calloc(g->ncells ? g->ncells : 1, sizeof(*run->done));
	if (!run->res || !run->done)
		return -ENOMEM;
	run->fail_on = results_fail_on(p);

	rj = json_object();
	json_object_set_new(rj, "run_id", json_string(run->id));
	json_object_set_new(rj, "lockmap_version", json_string(LOCKMAP_VERSION));
	json_object_set_new(rj, "started", json_integer((json_int_t)t));
	json_object_set_new(rj, "host", results_host_facts());
	json_object_set_new(rj, "profile_path", json_string(p->path ? p->path : ""));
	json_object_set_new(rj, "profile", json_string(p->text ? p->text : ""));
	json_object_set_new(rj, "cells", json_integer((json_int_t)g->ncells));
	if (extra)
		json_object_update(rj, extra);
	path = xasprintf("%s/run.json", run->dir);
	rc = json_dump_file(rj, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? -EIO : 0;
	free(path);
	json_decref(rj);
	if (rc)
		return rc;

	path = xasprintf("%s/journal.jsonl", run->dir);
	rc = journal_open(path, &run->journal);
	free(path);
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

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

/* Write path atomically through a temporary file. */
static FILE *tmp_open(const char *dir, const char *name, char **tmp)
{
	*tmp = xasprintf("%s/.%s.tmp", dir, name);
	return fopen(*tmp, "we");
}

static int tmp_commit(FILE *f, const char *dir, const char *name, char *tmp)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = 0;

	if (fflush(f) || fsync(fileno(f)) < 0)
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	free(tmp);
	free(path);
	return rc;
}

static int results_write_csv(const struct run *run)
{
	const struct grid *g = run->grid;
	char *tmp, num[64];
	FILE *f = tmp_open(run->dir, "cells.csv", &tmp);

	if (!f) {
		free(tmp);
		return -errno;
	}
	fputs("index,rep,cell_id,", f);
	for (size_t a = 0; a < g->naxes; a++)
		fprintf(f, "%s.%s,", g->axes[a]->section, g->axes[a]->key);
	fputs("outcome,seconds,guests_died,ticks,expected,lost,worst_loss_pct,late,maxgap_us", f);
	fputs(",probe_calls_per_s,probe_max_chain,probe_max_lag_us", f);
	for (int k = 0; k < EV__COUNT; k++)
		fprintf(f, ",%s", event_kind_name((enum event_kind)k));
	fputs(",error\n", f);
	for (size_t i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		const struct cell_result *r = &run->res[i];

		if (!run->done[i])
			continue;
		fprintf(f, "%zu,%d,%s,", c->index, c->rep, c->id);
		for (size_t a = 0; a < g->naxes; a++)
			csv_field(f, cell_val(c, g->axes[a]->section, g->axes[a]->key)->text, false);
		fprintf(f, "%s,%lld,%d,%llu,%llu,%llu,", outcome_name(r->outcome),
			(long long)r->seconds, r->guests_died, (unsigned long long)r->ticks,
			(unsigned long long)r->expected, (unsigned long long)r->lost);
		snprintf(num, sizeof(num), "%.2f", r->worst_loss_bp / 100.0);
		fprintf(f, "%s,%llu,%llu", num, (unsigned long long)r->late,
			(unsigned long long)r->maxgap_us);
		if (r->probe.ran)
			fprintf(f, ",%.0f,%llu,%llu", r->probe.calls_per_s,
				(unsigned long long)r->probe.max_chain,
				(unsigned long long)r->probe.max_lag_us);
		else
			fputs(",,,", f);
		for (int k = 0; k < EV__COUNT; k++)
			fprintf(f, ",%u", r->nevents[k]);
		fputc(',', f);
		csv_field(f, r->error, true);
	}
	return tmp_commit(f, run->dir, "cells.csv", tmp);
}

static int results_write_junit(const struct run *run)
{
	const struct grid *g = run->grid;
	unsigned tests = 0, failures = 0, errors = 0, skipped = 0;
	int64_t total = 0;
	char *tmp, desc[1024];
	FILE *f;

	for (size_t i = 0; i < g->ncells; i++) {
		if (!run->done[i])
			continue;
		tests++;
		total += run->res[i].seconds;
		if (run->res[i].outcome == OUT_ERROR)
			errors++;
		else if (run->res[i].outcome == OUT_SKIPPED)
			skipped++;
		else if (run->fail_on & (1u << run->res[i].outcome))
			failures++;
	}
	f = tmp_open(run->dir, "junit.xml", &tmp);
	if (!f) {
		free(tmp);
		return -errno;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuite name=\"lockmap.");
	xml_escape(f, run->id);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%lld\">\n",
		tests, failures, errors, skipped, (long long)total);
	for (size_t i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		const struct cell_result *r = &run->res[i];

		if (!run->done[i])
			continue;
		cell_describe(c, desc, sizeof(desc));
		fprintf(f, "  <testcase classname=\"lockmap.cell\" name=\"%s r%d ", c->id, c->rep);
		xml_escape(f, desc);
		fprintf(f, "\" time=\"%lld\">", (long long)r->seconds);
		if (r->outcome == OUT_ERROR) {
			fprintf(f, "<error message=\"");
			xml_escape(f, r->error);
			fprintf(f, "\"/>");
		} else if (r->outcome == OUT_SKIPPED) {
			fprintf(f, "<skipped/>");
		} else if (run->fail_on & (1u << r->outcome)) {
			fprintf(f, "<failure message=\"outcome %s\"/>", outcome_name(r->outcome));
		}
		fprintf(f, "<system-out>outcome=%s</system-out></testcase>\n",
			outcome_name(r->outcome));
	}
	fprintf(f, "</testsuite>\n");
	return tmp_commit(f, run->dir, "junit.xml", tmp);
}

int results_write_tables(const struct run *run)
{
	int rc = results_write_csv(run);
	int rc2 = results_write_junit(run);

	return rc ? rc : rc2;
}

void results_close(struct run *run)
{
	journal_close(run->journal);
	run->journal = NULL;
	free(run->dir);
	free(run->base);
	free(run->res);
	free(run->done);
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

/* fail_on of the profile as a bitmask of outcomes. */
static uint32_t results_fail_on(const struct profile *p)
{
	const struct pkey *fail = profile_key(p, "expect", "fail_on");
	char tmp[sizeof(fail->vals[0].text)], *save = NULL, *w;
	uint32_t mask = 0;

	if (!fail || !fail->nvals)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s", fail->vals[0].text);
	for (w = strtok_r(tmp, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		enum outcome o;

		if (outcome_parse(w, &o) == 0)
			mask |= 1u << o;
	}
	return mask;
}

int results_open(const char *dir, const struct profile *p, const struct grid *g, struct run *run)
{
	const char *slash;
	char *path;
	int rc;

	memset(run, 0, sizeof(*run));
	run->prof = p;
	run->grid = g;
	/* results/latest names the run by its real directory. */
	run->dir = realpath(dir, NULL);
	if (!run->dir)
		return -errno;
	dir = run->dir;
	slash = strrchr(dir, '/');
	snprintf(run->id, sizeof(run->id), "%s", slash ? slash + 1 : dir);
	run->base = slash ? strndup(dir, (size_t)(slash - dir)) : strdup(".");
	run->res = calloc(g->ncells ? g->ncells : 1, sizeof(*run->res));
	run->done = calloc(g->ncells ? g->ncells : 1, sizeof(*run->done));
	if (!run->dir || !run->base || !run->res || !run->done)
		return -ENOMEM;
	run->fail_on = results_fail_on(p);
	path = xasprintf("%s/cells", dir);
	rc = mkdir_p(path, 0755);
	free(path);
	if (rc)
		return rc;
	rc = results_load_journal(run);
	if (rc < 0)
		return rc;
	path = xasprintf("%s/journal.jsonl", dir);
	rc = journal_open(path, &run->journal);
	free(path);
	return rc;
}

void results_print_cell(const struct run *run, size_t i)
{
	const struct cell *c = &run->grid->cells[i];
	const struct cell_result *r = &run->res[i];
	char desc[1024], ev[256] = "";
	size_t off = 0;

	cell_describe(c, desc, sizeof(desc));
	for (int k = 0; k < EV__COUNT && off < sizeof(ev); k++)
		if (r->nevents[k])
			off += (size_t)snprintf(ev + off, sizeof(ev) - off, " %s=%u",
						event_kind_name((enum event_kind)k), r->nevents[k]);
	printf("[%zu/%zu] %s r%d %-11s %s  ticks %llu/%llu lost %.2f%% maxgap %lluus late %llu%s%s\n",
	       i + 1, run->grid->ncells, c->id, c->rep, outcome_name(r->outcome), desc,
	       (unsigned long long)r->ticks, (unsigned long long)r->expected,
	       r->worst_loss_bp / 100.0, (unsigned long long)r->maxgap_us,
	       (unsigned long long)r->late, ev[0] ? "  events:" : "", ev);
	if (r->probe.ran)
		printf("      apic_timer_fn: %.0f calls/s, longest chain %llu in one hrtimer interrupt, "
		       "largest lag %llu us\n", r->probe.calls_per_s,
		       (unsigned long long)r->probe.max_chain, (unsigned long long)r->probe.max_lag_us);
	if (r->silent_guests)
		printf("      %d of %lld guests silent for part of the window (starved): their silent time counts as lost ticks (silent_s in the journal)\n",
		       r->silent_guests, (long long)cell_num(c, "guests", "count"));
	if (r->error[0])
		printf("      %s\n", r->error);
	fflush(stdout);
}

void results_print_summary(const struct run *run)
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

bool results_failed(const struct run *run)
{
	for (size_t i = 0; i < run->grid->ncells; i++)
		if (run->done[i] && (run->fail_on & (1u << run->res[i].outcome)))
			return true;
	return false;
}
