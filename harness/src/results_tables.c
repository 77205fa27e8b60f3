// SPDX-License-Identifier: GPL-2.0
/* The tables of a run, rewritten from its results after every cell:
 * cells.csv and junit.xml. Their text fields (error messages that quote
 * kernel lines and VMM output, profile values) come from outside: every byte
 * these formats cannot carry is escaped (text.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockmap.h"
#include "results.h"
#include "text.h"

/* A CSV field: valid, printable UTF-8 (a row stays one line), quoted when it
 * holds a comma or a quote. */
void results_csv_field(FILE *f, const char *s, bool last)
{
	char *t = text_clean(s, strlen(s), TEXT_PRINTABLE);

	if (t && strpbrk(t, ",\"")) {
		fputc('"', f);
		for (const char *p = t; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else {
		fputs(t ? t : "", f);
	}
	free(t);
	fputc(last ? '\n' : ',', f);
}

void results_csv_axes(FILE *f, const struct grid *g, const struct cell *c)
{
	for (size_t a = 0; a < g->naxes; a++) {
		char *name = xasprintf("%s.%s", g->axes[a]->section, g->axes[a]->key);

		results_csv_field(f, c ? cell_val(c, g->axes[a]->section, g->axes[a]->key)->text : name,
				  false);
		free(name);
	}
}

FILE *results_tmp_open(const char *dir, const char *name, char **tmp)
{
	*tmp = xasprintf("%s/.%s.tmp", dir, name);
	return fopen(*tmp, "we");
}

int results_tmp_commit(FILE *f, const char *dir, const char *name, char *tmp)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = 0;

	if (ferror(f) || fflush(f) || fsync(fileno(f)) < 0)
		rc = errno ? -errno : -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		(void)unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

static void results_csv_row(FILE *f, const struct run *run, const struct cell *c,
			    const struct cell_result *r)
{
	const struct grid *g = run->grid;
	char num[64], why[160] = "";

	fprintf(f, "%zu,%d,%s,", c->index, c->rep, c->id);
	results_csv_axes(f, g, c);
	fprintf(f, "%s,%lld,%d,%llu,%llu,%llu,", outcome_name(r->outcome),
		(long long)r->seconds, r->guests_died, (unsigned long long)r->ticks,
		(unsigned long long)r->expected, (unsigned long long)r->lost);
	snprintf(num, sizeof(num), "%.2f", r->worst_loss_bp / 100.0);
	fprintf(f, "%s,%llu,%llu", num, (unsigned long long)r->late,
		(unsigned long long)r->maxgap_us);
	if (r->probe.ran)
		fprintf(f, ",%.0f,%llu,%llu,", r->probe.calls_per_s,
			(unsigned long long)r->probe.max_chain,
			(unsigned long long)r->probe.max_lag_us);
	else
		fputs(",,,,", f);
	if (r->probe.irq_known)
		fprintf(f, "%llu", (unsigned long long)r->probe.max_irq_us);
	for (int k = 0; k < EV__COUNT; k++)
		fprintf(f, ",%u", r->nevents[k]);
	fputc(',', f);
	/* Why the cell reaches [expect] fail_on: its outcome, or a threshold it
	 * crossed ("probe.max_chain 124769 (> 1000)"); empty when it does not. */
	if (!results_cell_interrupted(r))
		(void)failon_hit(&run->failon, r, why, sizeof(why));
	results_csv_field(f, why, false);
	results_csv_field(f, r->error, true);
}

static int results_write_csv(const struct run *run)
{
	const struct grid *g = run->grid;
	char *tmp;
	FILE *f = results_tmp_open(run->dir, "cells.csv", &tmp);

	if (!f) {
		free(tmp);
		return -errno;
	}
	fputs("index,rep,cell_id,", f);
	results_csv_axes(f, g, NULL);
	fputs("outcome,seconds,guests_died,ticks,expected,lost,worst_loss_pct,late,maxgap_us", f);
	fputs(",probe_calls_per_s,probe_max_chain,probe_max_lag_us,probe_max_irq_us", f);
	for (int k = 0; k < EV__COUNT; k++)
		fprintf(f, ",%s", event_kind_name((enum event_kind)k));
	fputs(",fail_on,error\n", f);
	for (size_t i = 0; i < g->ncells; i++)
		if (run->done[i])
			results_csv_row(f, run, &g->cells[i], &run->res[i]);
	return results_tmp_commit(f, run->dir, "cells.csv", tmp);
}

bool results_cell_interrupted(const struct cell_result *r)
{
	return r->interrupted && r->outcome == OUT_ERROR;
}

/* The verdict element of one testcase, if any. */
static void results_junit_verdict(FILE *f, const struct run *run, const struct cell_result *r)
{
	char why[160];

	if (results_cell_interrupted(r)) {
		if (r->signal > 0)
			fprintf(f, "<skipped message=\"interrupted by signal %d\"/>", r->signal);
		else
			fprintf(f, "<skipped message=\"interrupted\"/>");
	} else if (r->outcome == OUT_ERROR) {
		fprintf(f, "<error message=\"");
		text_xml(f, r->error);
		fprintf(f, "\"/>");
	} else if (r->outcome == OUT_SKIPPED) {
		fprintf(f, "<skipped/>");
	} else if (failon_hit(&run->failon, r, why, sizeof(why))) {
		fprintf(f, "<failure message=\"");
		text_xml(f, why);
		fprintf(f, "\"/>");
	}
}

static int results_write_junit(const struct run *run)
{
	const struct grid *g = run->grid;
	unsigned tests = 0, failures = 0, errors = 0, skipped = 0;
	int64_t total = 0;
	char *tmp, desc[1024];
	FILE *f;

	for (size_t i = 0; i < g->ncells; i++) {
		const struct cell_result *r = &run->res[i];

		if (!run->done[i])
			continue;
		tests++;
		total += r->seconds;
		if (results_cell_interrupted(r) || r->outcome == OUT_SKIPPED)
			skipped++;
		else if (r->outcome == OUT_ERROR)
			errors++;
		else if (failon_hit(&run->failon, r, NULL, 0))
			failures++;
	}
	f = results_tmp_open(run->dir, "junit.xml", &tmp);
	if (!f) {
		free(tmp);
		return -errno;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuite name=\"lockmap.");
	text_xml(f, run->id);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%lld\">\n",
		tests, failures, errors, skipped, (long long)total);
	for (size_t i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		const struct cell_result *r = &run->res[i];

		if (!run->done[i])
			continue;
		cell_describe(c, desc, sizeof(desc));
		fprintf(f, "  <testcase classname=\"lockmap.cell\" name=\"%s r%d ", c->id, c->rep);
		text_xml(f, desc);
		fprintf(f, "\" time=\"%lld\">", (long long)r->seconds);
		results_junit_verdict(f, run, r);
		fprintf(f, "<system-out>outcome=%s</system-out></testcase>\n",
			outcome_name(r->outcome));
	}
	fprintf(f, "</testsuite>\n");
	return results_tmp_commit(f, run->dir, "junit.xml", tmp);
}

int results_write_tables(const struct run *run)
{
	int rc = results_write_csv(run);
	int rc2 = results_write_junit(run);
	int rc3 = results_write_rates(run);
	int rc4 = results_write_thresholds(run);

	return rc ? rc : rc2 ? rc2 : rc3 ? rc3 : rc4;
}
