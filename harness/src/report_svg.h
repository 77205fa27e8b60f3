/* SPDX-License-Identifier: GPL-2.0 */
/* The pictures of report.html (report_html.h), inline SVG: the heatmaps of
 * worst outcomes and the per-cell timelines. */
#ifndef LOCKMAP_REPORT_SVG_H
#define LOCKMAP_REPORT_SVG_H

#include <stdio.h>

#include "report.h"

/* The fill of an outcome's squares and legend (fixed per outcome: the same
 * colour means the same thing in every report), and of no measurement. */
const char *report_outcome_colour(enum outcome o);
#define REPORT_NONE_COLOUR "#d0d0d0"
/* The legend of the outcome colours. */
void report_svg_legend(FILE *f);
/* One heatmap per combination of the axes other than x and y (report.h). */
void report_svg_heatmaps(FILE *f, const struct report_run *rr);
/* The timeline of grid cell i (report_timeline.c): from its sample records,
 * the guests' tick rate, apic_timer_fn calls per second and the longest
 * chain, each injector's span; events as marks with their kind. A run from
 * before sample records: the guests' rates from their logs and the
 * observation window. */
void report_svg_timeline(FILE *f, const struct report_run *rr, size_t i);
/* With a [search]: the threshold against the other axes, a line per facet
 * (report_boundary.c). Nothing without one. */
void report_svg_boundary(FILE *f, const struct report_run *rr);

#endif
