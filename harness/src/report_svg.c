// SPDX-License-Identifier: GPL-2.0
/* report.html's pictures (report_svg.h). Sizes in SVG user units, which a
 * browser draws as CSS pixels. */
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "report_html.h"
#include "report_svg.h"
#include "text.h"

#define SQ 56		/* a heatmap square */
#define LEFT 170	/* room for the y axis' name and values */
#define TOP 40		/* room for the x axis' name and values */

/* Colours a reader with red-green colour blindness still tells apart in
 * order of severity: from green and yellow to orange, red and purple. */
static const char *const outcome_colours[OUT__COUNT] = {
	[OUT_SKIPPED] = "#ffffff",    [OUT_CLEAN] = "#2e9e44",	 [OUT_DEGRADED] = "#e8d13a",
	[OUT_RCU_STALL] = "#f0a030",  [OUT_SOFTLOCKUP] = "#e06020", [OUT_HARDLOCKUP] = "#c81e1e",
	[OUT_PANIC] = "#7a1fa2",      [OUT_HOST_HANG] = "#202020",  [OUT_ERROR] = "#3060d0",
};

const char *report_outcome_colour(enum outcome o)
{
	return (unsigned)o < OUT__COUNT ? outcome_colours[o] : REPORT_NONE_COLOUR;
}

/* Dark squares take white text. */
static const char *report_text_colour(const struct cell_rate *cr)
{
	if (!cr->n)
		return "#000";
	switch (cr->worst) {
	case OUT_HARDLOCKUP: case OUT_PANIC: case OUT_HOST_HANG: case OUT_ERROR:
	case OUT_CLEAN: case OUT_SOFTLOCKUP:
		return "#fff";
	default:
		return "#000";
	}
}

void report_svg_legend(FILE *f)
{
	int x = 0;

	fprintf(f, "<svg class=\"legend\" width=\"%d\" height=\"24\" role=\"img\" aria-label=\"legend\">",
		(OUT__COUNT) * 110);
	for (int o = OUT_CLEAN; o <= OUT__COUNT; o++, x += 110) {
		const char *name = o < OUT__COUNT ? outcome_name((enum outcome)o) : "no measurement";

		fprintf(f, "<rect x=\"%d\" y=\"4\" width=\"16\" height=\"16\" fill=\"%s\" stroke=\"#555\"/>"
			   "<text x=\"%d\" y=\"17\">%s</text>",
			x, o < OUT__COUNT ? outcome_colours[o] : REPORT_NONE_COLOUR, x + 20, name);
	}
	fputs("</svg>\n", f);
}

static void report_axis_name(FILE *f, const struct pkey *a)
{
	text_xml(f, a->section);
	fputc('.', f);
	text_xml(f, a->key);
}

/* Does cell c hold, on every axis but x and y, the values of facet
 * (a mixed-radix number over those axes)? */
static bool report_in_facet(const struct report_run *rr, const struct report_axes *ax,
			    const struct cell *c, size_t facet)
{
	for (int i = (int)rr->grid.naxes - 1; i >= 0; i--) {
		const struct pkey *a = rr->grid.axes[i];

		if (i == ax->x || i == ax->y)
			continue;
		if (report_axis_pos(c, a) != facet % a->nvals)
			return false;
		facet /= a->nvals;
	}
	return true;
}

/* "guests.pin=0 inject.x.y=2" of a facet, or nothing with no other axes. */
static void report_facet_title(FILE *f, const struct report_run *rr,
			       const struct report_axes *ax, size_t facet)
{
	const struct cell *first = NULL;

	for (size_t i = 0; i < rr->rates.ncells && !first; i++)
		if (report_in_facet(rr, ax, rr->rates.cells[i].cell, facet))
			first = rr->rates.cells[i].cell;
	if (!first)
		return;
	fputs("<h3>", f);
	for (size_t i = 0; i < rr->grid.naxes; i++) {
		const struct pkey *a = rr->grid.axes[i];

		if ((int)i == ax->x || (int)i == ax->y)
			continue;
		report_axis_name(f, a);
		fputc('=', f);
		text_xml(f, a->vals[report_axis_pos(first, a)].text);
		fputc(' ', f);
	}
	fputs("</h3>\n", f);
}

static void report_square(FILE *f, const struct cell_rate *cr, size_t col, size_t row)
{
	int x = LEFT + (int)col * SQ, y = TOP + (int)row * SQ;
	char rate[64];

	if (cr->n)
		snprintf(rate, sizeof(rate), "%u/%u", cr->k, cr->n);
	else
		snprintf(rate, sizeof(rate), "-");
	fprintf(f, "<a href=\"#cell-%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#fff\"><title>%s %s</title></rect>"
		   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\" class=\"rate\">%s</text></a>\n",
		cr->cell->id, x, y, SQ, SQ, cr->n ? outcome_colours[cr->worst] : REPORT_NONE_COLOUR,
		cr->n ? outcome_name(cr->worst) : "no measurement", rate, x + SQ / 2, y + SQ / 2 + 5,
		report_text_colour(cr), rate);
}

/* One heatmap: x across, y down (one row without y). */
static void report_heatmap(FILE *f, const struct report_run *rr, const struct report_axes *ax,
			   size_t facet)
{
	const struct pkey *xa = ax->x >= 0 ? rr->grid.axes[ax->x] : NULL;
	const struct pkey *ya = ax->y >= 0 ? rr->grid.axes[ax->y] : NULL;
	size_t nx = xa ? xa->nvals : 1, ny = ya ? ya->nvals : 1;

	fprintf(f, "<svg class=\"heatmap\" width=\"%zu\" height=\"%zu\" role=\"img\">\n",
		LEFT + nx * SQ + 20, TOP + ny * SQ + 10);
	if (xa) {
		fprintf(f, "<text x=\"%d\" y=\"14\" class=\"axis\">", LEFT);
		report_axis_name(f, xa);
		fputs(" &#8594;</text>\n", f);
		for (size_t i = 0; i < nx; i++) {
			fprintf(f, "<text x=\"%zu\" y=\"%d\" text-anchor=\"middle\">", LEFT + i * SQ + SQ / 2,
				TOP - 6);
			text_xml(f, xa->vals[i].text);
			fputs("</text>\n", f);
		}
	}
	if (ya) {
		fprintf(f, "<text x=\"4\" y=\"%d\" class=\"axis\">", TOP - 6);
		report_axis_name(f, ya);
		fputs(" &#8595;</text>\n", f);
		for (size_t i = 0; i < ny; i++) {
			fprintf(f, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", LEFT - 6,
				TOP + i * SQ + SQ / 2 + 5);
			text_xml(f, ya->vals[i].text);
			fputs("</text>\n", f);
		}
	}
	for (size_t i = 0; i < rr->rates.ncells; i++) {
		const struct cell_rate *cr = &rr->rates.cells[i];

		if (!report_in_facet(rr, ax, cr->cell, facet))
			continue;
		report_square(f, cr, xa ? report_axis_pos(cr->cell, xa) : 0,
			      ya ? report_axis_pos(cr->cell, ya) : 0);
	}
	fputs("</svg>\n", f);
}

void report_svg_heatmaps(FILE *f, const struct report_run *rr)
{
	struct report_axes ax;
	size_t nfacets = 1;

	report_axes(rr, &ax);
	for (size_t i = 0; i < rr->grid.naxes; i++)
		if ((int)i != ax.x && (int)i != ax.y)
			nfacets *= rr->grid.axes[i]->nvals;
	for (size_t k = 0; k < nfacets; k++) {
		if (nfacets > 1)
			report_facet_title(f, rr, &ax, k);
		report_heatmap(f, rr, &ax, k);
	}
}

#define TL_W 640
#define TL_H 120
#define TL_L 40

/* x of time t seconds into the cell (span seconds wide). */
static double tl_x(double t, double span)
{
	return TL_L + (t < 0 ? 0 : t > span ? span : t) * (TL_W - TL_L - 10) / span;
}

/* Each guest's tick rate per report interval, received / expected, from the
 * "tick seq=S ticks=T expected=E" lines of its log: 1 is every tick. */
static void tl_guests(FILE *f, const struct report_run *rr, size_t i, double span)
{
	const struct report_cell *rc = &rr->cells[i];
	const struct cell *c = &rr->grid.cells[i];
	double report_s = (double)cell_num(c, "guests", "report") / NSEC_PER_SEC;
	char *dir = results_cell_dir(&rr->run, c);

	for (int g = 0; g < 256; g++) {
		char *path = xasprintf("%s/guest-%d.log", dir, g), line[512];
		unsigned long long seq, t, e, pt = 0, pe = 0;
		FILE *in = fopen(path, "r");
		const char *sep = "";

		free(path);
		if (!in)
			break;
		fprintf(f, "<polyline class=\"g%d\" fill=\"none\" stroke=\"#1f5fbf\" points=\"", g % 8);
		while (fgets(line, sizeof(line), in)) {
			double rate;

			if (sscanf(line, "tick seq=%llu ticks=%llu expected=%llu", &seq, &t, &e) != 3)
				continue;
			rate = e > pe ? (double)(t - pt) / (double)(e - pe) : 0;
			rate = rate > 1.2 ? 1.2 : rate;
			fprintf(f, "%s%.1f,%.1f", sep, tl_x(rc->tg - rc->t0 + (double)seq * report_s, span),
				TL_H - 20 - rate * (TL_H - 40) / 1.2);
			sep = " ";
			pt = t;
			pe = e;
		}
		fclose(in);
		fputs("\"/>\n", f);
	}
	free(dir);
}

void report_svg_timeline(FILE *f, const struct report_run *rr, size_t i)
{
	const struct report_cell *rc = &rr->cells[i];
	const struct cell *c = &rr->grid.cells[i];
	double span = rc->t1 > rc->t0 ? rc->t1 - rc->t0 : 1;
	double w0 = rc->tg - rc->t0 + (double)cell_num(c, "run", "warmup") / NSEC_PER_SEC;
	double w1 = w0 + (double)cell_num(c, "run", "cell_seconds") / NSEC_PER_SEC;
	size_t k;
	json_t *ev;

	fprintf(f, "<svg class=\"timeline\" width=\"%d\" height=\"%d\" role=\"img\">\n", TL_W, TL_H);
	if (rc->tg > 0)
		fprintf(f, "<rect x=\"%.1f\" y=\"10\" width=\"%.1f\" height=\"%d\" fill=\"#fde6c8\"><title>observation window: injectors on</title></rect>\n",
			tl_x(w0, span), tl_x(w1, span) - tl_x(w0, span), TL_H - 30);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
		   "<text x=\"2\" y=\"%d\">1.0</text><text x=\"2\" y=\"%d\">0</text>"
		   "<text x=\"%d\" y=\"%d\">0 s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f s</text>\n",
		TL_L, TL_H - 20, TL_W - 10, TL_H - 20, TL_H - 20 - (TL_H - 40) / 12 * 10 + 4, TL_H - 20,
		TL_L, TL_H - 4, TL_W - 10, TL_H - 4, span);
	fprintf(f, "<text x=\"%d\" y=\"8\" font-size=\"10\">blue: each guest's ticks received / expected per report; red: events; shaded: observation window</text>\n",
		TL_L);
	tl_guests(f, rr, i, span);
	json_array_foreach(rc->events, k, ev) {
		double x = tl_x(json_number_value(json_object_get(ev, "ts")) - rc->t0, span);
		const char *kind = json_string_value(json_object_get(ev, "kind"));

		fprintf(f, "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c81e1e\" stroke-width=\"2\"><title>",
			x, x, TL_H - 20);
		text_xml(f, kind ? kind : "event");
		fputs("</title></line>\n", f);
	}
	/* Per-second sample records (when the journal has them): apic_timer_fn
	 * calls per second, scaled to the largest, as a second line. */
	if (json_array_size(rc->samples)) {
		double top = 1;
		json_t *s;
		const char *sep = "";

		json_array_foreach(rc->samples, k, s) {
			double v = json_number_value(json_object_get(s, "calls"));

			top = v > top ? v : top;
		}
		fputs("<polyline fill=\"none\" stroke=\"#7a1fa2\" points=\"", f);
		json_array_foreach(rc->samples, k, s) {
			fprintf(f, "%s%.1f,%.1f", sep,
				tl_x(json_number_value(json_object_get(s, "ts")) - rc->t0, span),
				TL_H - 20 - json_number_value(json_object_get(s, "calls")) / top * (TL_H - 40));
			sep = " ";
		}
		fputs("\"><title>apic_timer_fn calls per second</title></polyline>\n", f);
	}
	fputs("</svg>\n", f);
}
