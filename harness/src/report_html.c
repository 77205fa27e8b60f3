// SPDX-License-Identifier: GPL-2.0
/* report.html (report_html.h): the page, its metadata, the comparison, the
 * thresholds and the cells; the pictures are report_svg.c's. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockmap.h"
#include "report_html.h"
#include "report_svg.h"
#include "text.h"

static const char report_css[] =
	"body{font-family:sans-serif;margin:20px;color:#111;max-width:1150px}"
	"table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #bbb;padding:2px 6px;"
	"text-align:left;vertical-align:top;font-size:13px}"
	"pre{background:#f4f4f4;padding:6px;overflow-x:auto;font-size:12px}"
	"svg text{font-size:12px;font-family:sans-serif}svg text.rate{font-size:14px;font-weight:bold}"
	"svg text.axis{font-weight:bold}.worse{color:#c81e1e;font-weight:bold}"
	".better{color:#2e7d32}section.cell{border-top:1px solid #ccc;margin-top:14px}"
	".side{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}";

/* Lines of text (a profile, a CSV file) for a <pre>: each line escaped. */
static void report_html_text_block(FILE *f, const char *s)
{
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char *line = strndup(s, n);

		text_xml(f, line ? line : "");
		fputc('\n', f);
		free(line);
		s += n + (nl != NULL);
	}
}

/* A row of the metadata table from a run.json string (or number). */
static void report_meta_row(FILE *f, const char *name, const json_t *v)
{
	char num[64];
	const char *s = json_string_value(v);

	if (json_is_number(v)) {
		snprintf(num, sizeof(num), "%.0f", json_number_value(v));
		s = num;
	}
	if (!s)
		return;
	fprintf(f, "<tr><th>%s</th><td>", name);
	text_xml(f, s);
	fputs("</td></tr>\n", f);
}

static void report_meta(FILE *f, const struct report_run *rr)
{
	const json_t *outer = json_object_get(rr->rj, "host");
	const json_t *host = json_is_object(rr->lab_host) ? rr->lab_host : outer;
	json_t *kp = json_object_get(host, "kvm_parameters"), *mod, *v;
	const char *mname, *pname;

	fputs("<h2 id=\"run\">Run</h2>\n<table>\n", f);
	report_meta_row(f, "run", json_object_get(rr->rj, "run_id"));
	report_meta_row(f, "lockmap version", json_object_get(rr->rj, "lockmap_version"));
	report_meta_row(f, "started (unix time)", json_object_get(rr->rj, "started"));
	report_meta_row(f, "host", json_object_get(host, "hostname"));
	report_meta_row(f, "kernel", json_object_get(host, "kernel"));
	report_meta_row(f, "kernel build", json_object_get(host, "kernel_version"));
	report_meta_row(f, "kernel command line", json_object_get(host, "cmdline"));
	report_meta_row(f, "CPU", json_object_get(host, "cpu_model"));
	report_meta_row(f, "microcode", json_object_get(host, "microcode"));
	report_meta_row(f, "cpus", json_object_get(host, "cpus"));
	if (host != outer) {
		fputs("<tr><th>lab host</th><td>the host above is the lab VM the cells ran in; it was launched from ", f);
		text_xml(f, json_string_value(json_object_get(outer, "hostname")));
		fputs(", kernel ", f);
		text_xml(f, json_string_value(json_object_get(outer, "kernel")));
		fputs("</td></tr>\n", f);
	}
	if (rr->accel[0]) {
		fputs("<tr><th>accelerator</th><td>", f);
		text_xml(f, rr->accel);
		fputs("</td></tr>\n", f);
	}
	report_meta_row(f, "profile", json_object_get(rr->rj, "profile_path"));
	fputs("</table>\n<details><summary>kvm parameters</summary><table>\n", f);
	json_object_foreach(kp, mname, mod) {
		json_object_foreach(mod, pname, v) {
			fputs("<tr><th>", f);
			text_xml(f, mname);
			fputc('.', f);
			text_xml(f, pname);
			fputs("</th><td>", f);
			text_xml(f, json_string_value(v));
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table></details>\n<details><summary>profile text</summary><pre>", f);
	report_html_text_block(f, json_string_value(json_object_get(rr->rj, "profile")));
	fputs("</pre></details>\n", f);
}

static void report_compare(FILE *f, const struct compare *cmp, const struct report_run *other)
{
	fputs("<h2 id=\"compare\">Compared with ", f);
	text_xml(f, json_string_value(json_object_get(other->rj, "run_id")));
	fprintf(f, "</h2>\n<p>%zu cell ids matched: <span class=\"worse\">%zu worse</span>, "
		   "<span class=\"better\">%zu better</span>, %zu new, %zu gone, %zu unmeasured, "
		   "%zu the same. Worse: a worse worst outcome, or the same one (not clean) at a "
		   "rate whose 95%% Wilson interval lies above the other run's.</p>\n<table>\n"
		   "<tr><th>what</th><th>cell</th><th>now</th><th>before</th></tr>\n",
		cmp->matched, cmp->count[CMP_WORSE], cmp->count[CMP_BETTER], cmp->count[CMP_NEW],
		cmp->count[CMP_GONE], cmp->count[CMP_UNMEASURED], cmp->count[CMP_SAME]);
	for (int k = 0; k < CMP_SAME; k++) {
		for (size_t i = 0; i < cmp->nentries; i++) {
			const struct compare_entry *e = &cmp->entries[i];
			const struct cell_rate *any = e->now ? e->now : e->before;
			char desc[512], now[256] = "-", before[256] = "-";

			if (e->kind != (enum compare_kind)k)
				continue;
			cell_describe(any->cell, desc, sizeof(desc));
			if (e->now)
				rates_describe(e->now, now, sizeof(now));
			if (e->before)
				rates_describe(e->before, before, sizeof(before));
			fprintf(f, "<tr class=\"%s\"><td>%s</td><td>", compare_kind_name(e->kind),
				compare_kind_name(e->kind));
			if (e->now)
				fprintf(f, "<a href=\"#cell-%s\">%s</a> ", any->cell->id, any->cell->id);
			else
				fprintf(f, "%s ", any->cell->id);
			text_xml(f, desc);
			fputs("</td><td>", f);
			text_xml(f, now);
			fputs("</td><td>", f);
			text_xml(f, before);
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

/* thresholds.csv of a [search], as the run wrote it. */
static void report_thresholds(FILE *f, const struct report_run *rr)
{
	char *path = xasprintf("%s/thresholds.csv", rr->dir), *text = NULL;
	size_t len = 0;
	FILE *in = fopen(path, "r");

	free(path);
	if (!in)
		return;
	text = calloc(1, 1 << 20);
	if (text)
		len = fread(text, 1, (1 << 20) - 1, in);
	fclose(in);
	if (len) {
		fputs("<h2 id=\"thresholds\">Thresholds of the search</h2>\n"
		      "<div class=\"side\"><pre>", f);
		report_html_text_block(f, text);
		fputs("</pre>\n", f);
		report_svg_boundary(f, rr);
		fputs("</div>\n", f);
	}
	free(text);
}

/* The files of a cell's directory, linked by their path relative to the
 * report. */
static void report_cell_logs(FILE *f, const struct report_run *rr, const struct cell *c)
{
	char *dir = results_cell_dir(&rr->run, c);
	const char *rel = dir + strlen(rr->dir) + 1;
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	fputs("<p>logs:", f);
	for (int k = 0; k < n; k++) {
		if (names[k]->d_name[0] != '.') {
			fputs(" <a href=\"", f);
			text_xml(f, rel);
			fputc('/', f);
			text_xml(f, names[k]->d_name);
			fputs("\">", f);
			text_xml(f, names[k]->d_name);
			fputs("</a>", f);
		}
		free(names[k]);
	}
	free(names);
	fputs(n > 0 ? "</p>\n" : " none</p>\n", f);
	free(dir);
}

/* One repeat of a cell: its outcome, figures, events, timeline, logs. */
static void report_repeat(FILE *f, const struct report_run *rr, size_t i)
{
	const struct cell *c = &rr->grid.cells[i];
	const struct cell_result *r = &rr->run.res[i];
	const struct report_cell *rc = &rr->cells[i];
	size_t k;
	json_t *ev;

	fprintf(f, "<h4>repeat %d: %s</h4>\n", c->rep,
		rr->run.done[i] ? outcome_name(r->outcome) : "not run");
	if (!rr->run.done[i])
		return;
	fprintf(f, "<p>guest ticks %llu of %llu expected, worst guest lost %.2f%%, largest gap %llu us, late %llu",
		(unsigned long long)r->ticks, (unsigned long long)r->expected,
		r->worst_loss_bp / 100.0, (unsigned long long)r->maxgap_us,
		(unsigned long long)r->late);
	if (r->probe.ran)
		fprintf(f, "; apic_timer_fn %.0f calls/s, longest chain %llu, largest lag %llu us",
			r->probe.calls_per_s, (unsigned long long)r->probe.max_chain,
			(unsigned long long)r->probe.max_lag_us);
	if (r->probe.irq_known)
		fprintf(f, ", longest timer interrupt %llu us", (unsigned long long)r->probe.max_irq_us);
	if (!r->probe.ran)
		fputs("; no probe figures (the helper module was not loaded)", f);
	fputs("</p>\n", f);
	if (r->error[0]) {
		fputs("<p>error: ", f);
		text_xml(f, r->error);
		fputs("</p>\n", f);
	}
	report_svg_timeline(f, rr, i);
	if (json_array_size(rc->events)) {
		fputs("<table><tr><th>event</th><th>cpu</th><th>first line</th></tr>\n", f);
		json_array_foreach(rc->events, k, ev) {
			json_t *cpu = json_object_get(ev, "cpu");

			fputs("<tr><td>", f);
			text_xml(f, json_string_value(json_object_get(ev, "kind")));
			if (json_is_integer(cpu))
				fprintf(f, "</td><td>%lld</td><td>", (long long)json_integer_value(cpu));
			else
				fputs("</td><td>-</td><td>", f);
			text_xml(f, json_string_value(json_object_get(ev, "line")));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	report_cell_logs(f, rr, c);
}

/* A section per cell id: its rates, then each repeat. */
static void report_cells(FILE *f, const struct report_run *rr)
{
	fputs("<h2 id=\"cells\">Cells</h2>\n", f);
	for (size_t j = 0; j < rr->rates.ncells; j++) {
		const struct cell_rate *cr = &rr->rates.cells[j];
		char desc[1024], rate[512];

		cell_describe(cr->cell, desc, sizeof(desc));
		rates_describe(cr, rate, sizeof(rate));
		fprintf(f, "<section class=\"cell\" id=\"cell-%s\"><h3>%s ", cr->cell->id, cr->cell->id);
		text_xml(f, desc);
		fputs("</h3>\n<p>", f);
		text_xml(f, rate);
		fputs("</p>\n", f);
		for (size_t i = cr->cell->index; i < rr->grid.ncells &&
		     !strcmp(rr->grid.cells[i].id, cr->cell->id); i++)
			report_repeat(f, rr, i);
		fputs("</section>\n", f);
	}
}

static void report_page(FILE *f, const struct report_run *rr, const struct compare *cmp,
			const struct report_run *other)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n<title>lockmap ", f);
	text_xml(f, rr->run.id);
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>lockmap run ", report_css);
	text_xml(f, rr->run.id);
	fputs("</h1>\n", f);
	report_meta(f, rr);
	fputs("<h2 id=\"map\">Map: worst outcome over the repeats of each cell</h2>\n", f);
	report_svg_legend(f);
	report_svg_heatmaps(f, rr);
	report_thresholds(f, rr);
	if (cmp && other)
		report_compare(f, cmp, other);
	report_cells(f, rr);
	fputs("</body></html>\n", f);
}

int report_html_write(const struct report_run *rr, const struct compare *cmp,
		      const struct report_run *other)
{
	char *tmp = NULL;
	FILE *f = results_tmp_open(rr->dir, "report.html", &tmp);

	if (!f) {
		int err = -errno;

		free(tmp);
		return err;
	}
	report_page(f, rr, cmp, other);
	if (ferror(f)) {
		fclose(f);
		(void)unlink(tmp);
		free(tmp);
		return -EIO;
	}
	return results_tmp_commit(f, rr->dir, "report.html", tmp);
}

int report_html_write_dir(const char *dir)
{
	struct report_run rr;
	char why[1024];
	int rc = report_run_open(dir, &rr, why, sizeof(why));

	if (rc)
		lm_warn("report: %s", why);
	else if ((rc = report_html_write(&rr, NULL, NULL)))
		lm_warn("report: cannot write %s/report.html: %s", dir, strerror(-rc));
	report_run_free(&rr);
	return rc;
}
