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

