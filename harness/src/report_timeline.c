// SPDX-License-Identifier: GPL-2.0
/* A cell's timeline in report.html (report_svg.h), from its sample records:
 * above, each guest's tick rate (ticks received / expected) per second;
 * below, on a log scale, apic_timer_fn calls per second (all cpus) and the
 * longest chain of one timer interrupt and the largest lag (us); behind
 * both, a shaded span per injector while it ran; over both, the kernel's
 * events, marked and named.
 * Times are the journal's wall-clock stamps, seconds from the cell's start.
 * A run from before sample records gets the guests' rates from their logs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "report_svg.h"
#include "text.h"

#define TL_W 760
#define TL_L 56			/* room for the y axes' values */
#define TL_R 12
#define TL_TOP 30		/* the legend's line, the events' names */
#define TL_RATE_H 90		/* the tick-rate panel */
#define TL_GAP 14
#define TL_LOG_H 90		/* the probe panel */
#define TL_H (TL_TOP + TL_RATE_H + TL_GAP + TL_LOG_H + 24)
#define TL_RATE_TOP 1.2		/* the rate panel's top: late ticks can exceed 1 */

static const char *const tl_inject_colours[] = { "#fde6c8", "#d8e8f8", "#e4d8f4", "#d8f0dc",
						 "#f4d8e0" };
static const char *const tl_guest_colours[] = { "#1f5fbf", "#4f8fdf", "#0f3f8f", "#6fafef" };

struct tl {
	FILE *f;
	double t0, span;	/* the cell's start (ts) and length, s */
	double logtop;		/* decades of the log panel: 10^logtop at its top */
};

static double tl_x(const struct tl *tl, double ts)
{
	double t = ts - tl->t0;

	t = t < 0 ? 0 : t > tl->span ? tl->span : t;
	return TL_L + t * (TL_W - TL_L - TL_R) / tl->span;
}

static double tl_rate_y(double rate)
{
	rate = rate > TL_RATE_TOP ? TL_RATE_TOP : rate < 0 ? 0 : rate;
	return TL_TOP + TL_RATE_H - rate * TL_RATE_H / TL_RATE_TOP;
}

/* y of a count on the log panel; values below 1 sit on its floor. */
static double tl_log_y(const struct tl *tl, double v)
{
	double d = v >= 1 ? log10(v) : 0;
	double bottom = TL_TOP + TL_RATE_H + TL_GAP + TL_LOG_H;

	return bottom - (d > tl->logtop ? tl->logtop : d) * TL_LOG_H / tl->logtop;
}

static double tl_num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* A sample's apic_timer_fn calls per second over its cpus, the longest chain
 * and the largest lag (us); false when it has no probe figures. */
static bool tl_probe(const json_t *s, double *calls_s, double *chain, double *lag_us,
		     bool *maxima)
{
	const json_t *cpus = json_object_get(s, "cpus"), *c;
	double dt = tl_num(s, "dt"), calls = 0;
	const char *k;

	*chain = *lag_us = 0;
	*maxima = false;
	if (!json_is_object(cpus) || dt <= 0)
		return false;
	json_object_foreach((json_t *)cpus, k, c) {
		calls += tl_num(c, "calls");
		if (json_is_number(json_object_get(c, "max_chain"))) {
			*maxima = true;
			*chain = fmax(*chain, tl_num(c, "max_chain"));
			*lag_us = fmax(*lag_us, tl_num(c, "max_lag_us"));
		}
	}
	*calls_s = calls / dt;
	return true;
}

/* Has any sample probe figures? */
static bool tl_any_probe(const json_t *samples)
{
	size_t k;
	json_t *s;

	json_array_foreach(samples, k, s)
		if (json_is_object(json_object_get(s, "cpus")))
			return true;
	return false;
}

/* The span of the log panel: decades up to the largest count drawn. */
static double tl_logtop(const json_t *samples)
{
	double top = 1, calls, chain, lag;
	bool maxima;
	size_t k;
	json_t *s;

	json_array_foreach(samples, k, s)
		if (tl_probe(s, &calls, &chain, &lag, &maxima))
			top = fmax(top, fmax(calls, fmax(chain, lag)));
	return ceil(log10(top * 1.5));
}

/* One shaded span per injector per run of samples that had it on. */
static void tl_inject(const struct tl *tl, const json_t *samples)
{
	const json_t *first = json_array_get(samples, 0);
	const json_t *inj = json_object_get(first, "inject");
	size_t n = 0, k;
	const char *name;
	json_t *on, *s;

	json_object_foreach((json_t *)inj, name, on) {
		const char *colour = tl_inject_colours[n++ % ARRAY_SIZE(tl_inject_colours)];
		double from = -1, to = 0;

		json_array_foreach(samples, k, s) {
			double ts = tl_num(s, "ts");
			bool is_on = json_is_true(json_object_get(json_object_get(s, "inject"), name));

			if (is_on && from < 0)
				from = ts - tl_num(s, "dt");
			if (is_on)
				to = ts;
			if ((!is_on || k + 1 == json_array_size(samples)) && from >= 0) {
				fprintf(tl->f, "<rect class=\"tl-inject\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>inject.",
					tl_x(tl, from), TL_TOP, tl_x(tl, to) - tl_x(tl, from),
					TL_RATE_H + TL_GAP + TL_LOG_H, colour);
				text_xml(tl->f, name);
				fprintf(tl->f, " on, %.1f s to %.1f s</title></rect>\n", from - tl->t0,
					to - tl->t0);
				from = -1;
			}
		}
	}
}

/* Where each phase (warmup, window, cooldown) begins: a dashed line and its
 * name, from the first sample of the phase (its interval's start). */
static void tl_phases(const struct tl *tl, const json_t *samples)
{
	const char *prev = "";
	size_t k;
	json_t *s;

	json_array_foreach(samples, k, s) {
		const char *ph = json_string_value(json_object_get(s, "phase"));
		double x;

		if (!ph || !strcmp(ph, prev))
			continue;
		prev = ph;
		x = tl_x(tl, tl_num(s, "ts") - tl_num(s, "dt"));
		fprintf(tl->f, "<line class=\"tl-phase\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"2,3\"/>"
			       "<text x=\"%.1f\" y=\"%d\" fill=\"#666\" font-size=\"10\">",
			x, TL_TOP, x, TL_TOP + TL_RATE_H + TL_GAP + TL_LOG_H, x + 3, TL_TOP + 10);
		text_xml(tl->f, ph);
		fputs("</text>\n", tl->f);
	}
}

/* Each guest's ticks received / expected per sample (samples without a
 * report of it are skipped: reports come every guests.report). */
static void tl_guest_rates(const struct tl *tl, const json_t *samples)
{
	size_t ng = 0, k;
	json_t *s;

	json_array_foreach(samples, k, s)
		if (json_array_size(json_object_get(s, "guests")) > ng)
			ng = json_array_size(json_object_get(s, "guests"));
	/* The first guest last: on top of the others where they agree. */
	for (size_t g = ng; g-- > 0;) {
		const char *sep = "";

		fprintf(tl->f, "<polyline class=\"tl-rate\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			tl_guest_colours[g % ARRAY_SIZE(tl_guest_colours)]);
		json_array_foreach(samples, k, s) {
			const json_t *gs = json_array_get(json_object_get(s, "guests"), g);
			double e = tl_num(gs, "expected");

			if (e <= 0)
				continue;
			fprintf(tl->f, "%s%.1f,%.1f", sep, tl_x(tl, tl_num(s, "ts")),
				tl_rate_y(tl_num(gs, "ticks") / e));
			sep = " ";
		}
		fprintf(tl->f, "\"><title>guest %zu: ticks received / expected per second</title></polyline>\n",
			g);
	}
}

/* Calls per second as a line, the longest chain as a bar per sample, the
 * largest lag (us, same log scale) as a dashed line. */
static void tl_probe_lines(const struct tl *tl, const json_t *samples)
{
	double calls, chain, lag;
	const char *sep = "";
	bool maxima;
	size_t k;
	json_t *s;

	json_array_foreach(samples, k, s) {
		double x1 = tl_x(tl, tl_num(s, "ts")), x0 = tl_x(tl, tl_num(s, "ts") - tl_num(s, "dt"));

		if (!tl_probe(s, &calls, &chain, &lag, &maxima) || !maxima || chain < 1)
			continue;
		fprintf(tl->f, "<rect class=\"tl-chain\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#e06020\" fill-opacity=\"0.8\"><title>longest chain %.0f, largest lag %.0f us (%.1f s)</title></rect>\n",
			x0, tl_log_y(tl, chain), x1 - x0 > 1 ? x1 - x0 - 1 : 1,
			tl_log_y(tl, 0) - tl_log_y(tl, chain) + 1, chain, lag, tl_num(s, "ts") - tl->t0);
	}
	fputs("<polyline class=\"tl-calls\" fill=\"none\" stroke=\"#7a1fa2\" stroke-width=\"1.5\" points=\"",
	      tl->f);
	json_array_foreach(samples, k, s) {
		if (!tl_probe(s, &calls, &chain, &lag, &maxima))
			continue;
		fprintf(tl->f, "%s%.1f,%.1f", sep, tl_x(tl, tl_num(s, "ts")), tl_log_y(tl, calls));
		sep = " ";
	}
	fputs("\"><title>apic_timer_fn calls per second, all cpus</title></polyline>\n", tl->f);
	sep = "";
	fputs("<polyline class=\"tl-lag\" fill=\"none\" stroke=\"#2e9e44\" stroke-width=\"1.5\" stroke-dasharray=\"4,2\" points=\"",
	      tl->f);
	json_array_foreach(samples, k, s) {
		if (!tl_probe(s, &calls, &chain, &lag, &maxima) || !maxima)
			continue;
		fprintf(tl->f, "%s%.1f,%.1f", sep, tl_x(tl, tl_num(s, "ts")), tl_log_y(tl, lag));
		sep = " ";
	}
	fputs("\"><title>largest lag behind the hrtimer's expiry, us</title></polyline>\n", tl->f);
}

/* Axes: the rate panel's 0 and 1, the log panel's decades, seconds below. */
static void tl_axes(const struct tl *tl)
{
	FILE *f = tl->f;
	int bottom = TL_TOP + TL_RATE_H + TL_GAP + TL_LOG_H, step = 1;

	fprintf(f, "<g class=\"tl-axes\" stroke=\"#999\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke-dasharray=\"3,3\"/>"
		   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></g>\n",
		TL_L, TL_TOP + TL_RATE_H, TL_W - TL_R, TL_TOP + TL_RATE_H, TL_L, tl_rate_y(1),
		TL_W - TL_R, tl_rate_y(1), TL_L, bottom, TL_W - TL_R, bottom);
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1.0</text>"
		   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
		TL_L - 4, tl_rate_y(1) + 4, TL_L - 4, TL_TOP + TL_RATE_H);
	for (int d = 0; d <= (int)tl->logtop; d++)
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", TL_L - 4,
			tl_log_y(tl, pow(10, d)) + 4, d);
	while (tl->span / step > 12)
		step = step < 5 ? 5 : step * 2;
	for (int s = 0; s <= (int)tl->span; s += step)
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d s</text>\n",
			tl_x(tl, tl->t0 + s), bottom + 16, s);
}

/* A run from before sample records: each guest's rate per report from the
 * "tick seq=S ticks=T expected=E" lines of its log, and the observation
 * window (from the guests' start and the profile) shaded. */
static void tl_guest_logs(const struct tl *tl, const struct report_run *rr, size_t i)
{
	const struct report_cell *rc = &rr->cells[i];
	const struct cell *c = &rr->grid.cells[i];
	double report_s = (double)cell_num(c, "guests", "report") / NSEC_PER_SEC;
	double w0 = rc->tg + (double)cell_num(c, "run", "warmup") / NSEC_PER_SEC;
	double w1 = w0 + (double)cell_num(c, "run", "cell_seconds") / NSEC_PER_SEC;
	char *dir = results_cell_dir(&rr->run, c);

	if (rc->tg > 0)
		fprintf(tl->f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>observation window: injectors on</title></rect>\n",
			tl_x(tl, w0), TL_TOP, tl_x(tl, w1) - tl_x(tl, w0), TL_RATE_H, tl_inject_colours[0]);
	for (int g = 0; g < 256; g++) {
		char *path = xasprintf("%s/guest-%d.log", dir, g), line[512];
		unsigned long long seq, t, e, pt = 0, pe = 0;
		FILE *in = fopen(path, "r");
		const char *sep = "";

		free(path);
		if (!in)
			break;
		fprintf(tl->f, "<polyline class=\"tl-rate\" fill=\"none\" stroke=\"%s\" points=\"",
			tl_guest_colours[g % ARRAY_SIZE(tl_guest_colours)]);
		while (fgets(line, sizeof(line), in)) {
			if (sscanf(line, "tick seq=%llu ticks=%llu expected=%llu", &seq, &t, &e) != 3)
				continue;
			fprintf(tl->f, "%s%.1f,%.1f", sep, tl_x(tl, rc->tg + (double)seq * report_s),
				tl_rate_y(e > pe ? (double)(t - pt) / (double)(e - pe) : 0));
			sep = " ";
			pt = t;
			pe = e;
		}
		fclose(in);
		fputs("\"/>\n", tl->f);
	}
	free(dir);
}

/* The kernel's events: a mark across both panels and the kind above. */
static void tl_events(const struct tl *tl, const json_t *events)
{
	size_t k;
	json_t *ev;

	json_array_foreach(events, k, ev) {
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		double x = tl_x(tl, tl_num(ev, "ts"));

		fprintf(tl->f, "<g class=\"tl-event\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c81e1e\" stroke-width=\"2\"/>"
			   "<text x=\"%.1f\" y=\"%d\" fill=\"#c81e1e\" font-size=\"10\">",
			x, TL_TOP - 2, x, TL_TOP + TL_RATE_H + TL_GAP + TL_LOG_H, x + 2,
			TL_TOP - 4 - (int)(k % 2) * 10);
		text_xml(tl->f, kind ? kind : "event");
		fputs("</text><title>", tl->f);
		text_xml(tl->f, json_string_value(json_object_get(ev, "line")));
		fputs("</title></g>\n", tl->f);
	}
}

/* The keys above the panels: what each colour is, the injectors by name. */
static void tl_legend(const struct tl *tl, const json_t *samples)
{
	const json_t *inj = json_object_get(json_array_get(samples, 0), "inject");
	static const char *const keys[][2] = {
		{ "#1f5fbf", "guest ticks received / expected" },
		{ "#7a1fa2", "apic_timer_fn calls/s" },
		{ "#e06020", "longest chain" },
		{ "#2e9e44", "largest lag (us)" },
		{ "#c81e1e", "event" },
	};
	double x = TL_L;
	size_t n = 0;
	const char *name;
	json_t *on;

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		fprintf(tl->f, "<rect x=\"%.0f\" y=\"2\" width=\"9\" height=\"9\" fill=\"%s\"/><text x=\"%.0f\" y=\"10\" font-size=\"10\">%s</text>\n",
			x, keys[k][0], x + 11, keys[k][1]);
		x += 22 + 5.6 * (double)strlen(keys[k][1]);
	}
	json_object_foreach((json_t *)inj, name, on) {
		fprintf(tl->f, "<rect x=\"%.0f\" y=\"2\" width=\"9\" height=\"9\" fill=\"%s\" stroke=\"#999\"/><text x=\"%.0f\" y=\"10\" font-size=\"10\">",
			x, tl_inject_colours[n++ % ARRAY_SIZE(tl_inject_colours)], x + 11);
		text_xml(tl->f, name);
		fputs(" on</text>\n", tl->f);
		x += 40 + 5.6 * (double)strlen(name);
	}
}

/* The cell's length: to its end, or to the last thing it recorded. */
static double tl_span(const struct report_cell *rc)
{
	double end = rc->t1;
	size_t k;
	json_t *o;

	json_array_foreach(rc->samples, k, o)
		end = fmax(end, tl_num(o, "ts"));
	json_array_foreach(rc->events, k, o)
		end = fmax(end, tl_num(o, "ts"));
	return end > rc->t0 ? end - rc->t0 : 1;
}

void report_svg_timeline(FILE *f, const struct report_run *rr, size_t i)
{
	const struct report_cell *rc = &rr->cells[i];
	struct tl tl = { f, rc->t0, tl_span(rc), tl_logtop(rc->samples) };

	if (tl.logtop < 1)
		tl.logtop = 1;
	fprintf(f, "<svg class=\"timeline\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"timeline\">\n",
		TL_W, TL_H);
	tl_inject(&tl, rc->samples);
	tl_axes(&tl);
	if (json_array_size(rc->samples)) {
		tl_phases(&tl, rc->samples);
		tl_guest_rates(&tl, rc->samples);
		tl_probe_lines(&tl, rc->samples);
		if (!tl_any_probe(rc->samples))
			fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#666\">no probe figures (the helper module's probe did not run)</text>\n",
				TL_L + 8, TL_TOP + TL_RATE_H + TL_GAP + TL_LOG_H / 2);
	} else {
		tl_guest_logs(&tl, rr, i);
	}
	tl_events(&tl, rc->events);
	tl_legend(&tl, rc->samples);
	fputs("</svg>\n", f);
}
