// SPDX-License-Identifier: GPL-2.0
/* The boundary a [search] found, as a line chart beside its threshold table
 * (report_svg.h): the threshold (the search's axis, lo at the bottom, hi at
 * the top) against the first other axis, one line per combination of the
 * rest (a facet). A combination whose threshold lies above hi is an open
 * mark at the top; one without a threshold (unfinished, not monotonic,
 * undecided) a grey "?". */
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "report_svg.h"
#include "search_plan.h"
#include "text.h"

#define BD_L 90			/* room for the threshold's values */
#define BD_TOP 24
#define BD_PLOT_H 200
#define BD_COL 90		/* per value of the x axis */
#define BD_KEY_W 260		/* the facets' key, right of the plot */

static const char *const bd_colours[] = { "#c81e1e", "#1f5fbf", "#2e9e44", "#7a1fa2",
					  "#e06020", "#202020" };

struct bd {
	FILE *f;
	const struct report_run *rr;
	const struct search_plan *sp;
	const struct pkey *xa;		/* the x axis, or NULL: one column */
	size_t nx, nfacets;
};

static double bd_y(const struct bd *b, int64_t v)
{
	double lo = (double)b->sp->space.lo, hi = (double)b->sp->space.hi;

	return BD_TOP + BD_PLOT_H - ((double)v - lo) / (hi > lo ? hi - lo : 1) * BD_PLOT_H;
}

static double bd_x(size_t pos)
{
	return BD_L + (double)pos * BD_COL + BD_COL / 2.0;
}

/* The facet of a cell: its position over the other axes but x and the
 * search's (mixed radix). */
static size_t bd_facet(const struct bd *b, const struct cell *c)
{
	const struct grid *g = &b->rr->grid;
	size_t facet = 0;

	for (size_t a = 0; a < g->naxes; a++)
		if (g->axes[a] != b->sp->ps->axis && g->axes[a] != b->xa)
			facet = facet * g->axes[a]->nvals + report_axis_pos(c, g->axes[a]);
	return facet;
}

/* "guests.pin=0 ..." of a facet's cell, or "all" with no other axis. */
static void bd_facet_name(const struct bd *b, const struct cell *c)
{
	const struct grid *g = &b->rr->grid;
	bool any = false;

	for (size_t a = 0; a < g->naxes; a++) {
		const struct pkey *k = g->axes[a];

		if (k == b->sp->ps->axis || k == b->xa)
			continue;
		fprintf(b->f, "%s", any ? " " : "");
		text_xml(b->f, k->section);
		fputc('.', b->f);
		text_xml(b->f, k->key);
		fputc('=', b->f);
		text_xml(b->f, cell_val(c, k->section, k->key)->text);
		any = true;
	}
	if (!any)
		fputs("threshold", b->f);
}

/* The axes, the x values and the lo/hi lines. */
static void bd_frame(const struct bd *b)
{
	const struct pkey *ya = b->sp->ps->axis;
	double right = BD_L + (double)b->nx * BD_COL;

	fprintf(b->f, "<text x=\"4\" y=\"14\" class=\"axis\">");
	text_xml(b->f, ya->section);
	fputc('.', b->f);
	text_xml(b->f, ya->key);
	fputs(" threshold &#8593;</text>\n", b->f);
	for (int end = 0; end < 2; end++) {
		int64_t v = end ? b->sp->space.hi : b->sp->space.lo;
		char buf[128];

		search_plan_fmt(b->sp, v, buf, sizeof(buf));
		fprintf(b->f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"%s/>"
			      "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ",
			BD_L, bd_y(b, v), right, bd_y(b, v), end ? " stroke-dasharray=\"3,3\"" : "",
			BD_L - 4, bd_y(b, v) + 4, end ? "hi" : "lo");
		text_xml(b->f, buf);
		fputs("</text>\n", b->f);
	}
	for (size_t i = 0; i < b->nx; i++) {
		fprintf(b->f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", bd_x(i),
			BD_TOP + BD_PLOT_H + 18);
		text_xml(b->f, b->xa ? b->xa->vals[i].text : "");
		fputs("</text>\n", b->f);
	}
	if (b->xa) {
		fprintf(b->f, "<text x=\"%d\" y=\"%d\" class=\"axis\">", BD_L, BD_TOP + BD_PLOT_H + 38);
		text_xml(b->f, b->xa->section);
		fputc('.', b->f);
		text_xml(b->f, b->xa->key);
		fputs(" &#8594;</text>\n", b->f);
	}
}

/* One combination's mark, and its point on its facet's line (points). */
static void bd_mark(const struct bd *b, size_t combo, size_t facet, char *points, size_t len)
{
	const struct cell *c = &b->rr->grid.cells[search_plan_cell(b->sp, combo, 0, 0)];
	const char *colour = bd_colours[facet % ARRAY_SIZE(bd_colours)];
	/* Facets side by side within a column: equal thresholds stay visible. */
	double x = bd_x(b->xa ? report_axis_pos(c, b->xa) : 0) +
		   ((double)facet - (double)(b->nfacets - 1) / 2) * 6, y;
	struct search_step st;
	char buf[128] = "";

	if (search_plan_step(b->sp, &b->rr->run, combo, &st) < 0)
		return;
	if (st.status == SEARCH_FOUND || st.status == SEARCH_AT_OR_BELOW_LO) {
		y = bd_y(b, st.threshold);
		search_plan_fmt(b->sp, st.threshold, buf, sizeof(buf));
		snprintf(points + strlen(points), len - strlen(points), "%s%.1f,%.1f",
			 points[0] ? " " : "", x, y);
		fprintf(b->f, "<circle class=\"bd-point\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>threshold ",
			x, y, colour);
	} else if (st.status == SEARCH_ABOVE_HI) {
		y = bd_y(b, b->sp->space.hi) - 8;
		fprintf(b->f, "<circle class=\"bd-above\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#fff\" stroke=\"%s\" stroke-width=\"2\"><title>above hi",
			x, y, colour);
	} else {
		y = BD_TOP + BD_PLOT_H / 2.0;
		fprintf(b->f, "<text class=\"bd-none\" x=\"%.1f\" y=\"%.1f\" fill=\"#888\" text-anchor=\"middle\">?<title>%s",
			x, y, search_status_name(st.status));
	}
	text_xml(b->f, buf);
	fputs(st.status == SEARCH_FOUND || st.status == SEARCH_AT_OR_BELOW_LO ||
	      st.status == SEARCH_ABOVE_HI ? "</title></circle>\n" : "</title></text>\n", b->f);
	if (buf[0])
		fprintf(b->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%s</text>\n",
			x + 6, y - 6, colour, buf);
}

/* One facet: its combinations' marks joined by a line, and its key. */
static void bd_facet_line(const struct bd *b, size_t facet)
{
	const char *colour = bd_colours[facet % ARRAY_SIZE(bd_colours)];
	const struct cell *first = NULL;
	size_t len = 64 * (b->nx + 1);
	char *points = calloc(1, len);

	if (!points)
		return;
	for (size_t combo = 0; combo < b->sp->ncombos; combo++) {
		const struct cell *c = &b->rr->grid.cells[search_plan_cell(b->sp, combo, 0, 0)];

		if (bd_facet(b, c) != facet)
			continue;
		first = first ? first : c;
		bd_mark(b, combo, facet, points, len);
	}
	if (strchr(points, ' '))
		fprintf(b->f, "<polyline class=\"bd-line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n",
			colour, points);
	free(points);
	if (!first)
		return;
	fprintf(b->f, "<rect x=\"%.1f\" y=\"%zu\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.1f\" y=\"%zu\" font-size=\"11\">",
		BD_L + (double)b->nx * BD_COL + 14, BD_TOP + facet * 16, colour,
		BD_L + (double)b->nx * BD_COL + 28, BD_TOP + facet * 16 + 9);
	bd_facet_name(b, first);
	fputs("</text>\n", b->f);
}

void report_svg_boundary(FILE *f, const struct report_run *rr)
{
	struct bd b = { .f = f, .rr = rr, .sp = rr->run.search, .nx = 1, .nfacets = 1 };
	const struct grid *g = &rr->grid;

	if (!b.sp)
		return;
	for (size_t a = 0; a < g->naxes; a++) {
		if (g->axes[a] == b.sp->ps->axis)
			continue;
		if (!b.xa)
			b.xa = g->axes[a];
		else
			b.nfacets *= g->axes[a]->nvals;
	}
	if (b.xa)
		b.nx = b.xa->nvals;
	fprintf(f, "<svg class=\"boundary\" width=\"%.0f\" height=\"%zu\" role=\"img\" aria-label=\"boundary\">\n",
		BD_L + (double)b.nx * BD_COL + BD_KEY_W,
		(size_t)BD_TOP + BD_PLOT_H + 46 + (b.nfacets > 12 ? (b.nfacets - 12) * 16 : 0));
	bd_frame(&b);
	for (size_t k = 0; k < b.nfacets; k++)
		bd_facet_line(&b, k);
	fputs("</svg>\n", f);
}
