/* SPDX-License-Identifier: GPL-2.0 */
/* report.html of a run (report.h): one self-contained file, inline CSS and
 * SVG, no script and nothing fetched, every text from logs and profiles
 * escaped. */
#ifndef LOCKMAP_REPORT_HTML_H
#define LOCKMAP_REPORT_HTML_H

#include <stdio.h>

#include "compare.h"
#include "report.h"

/* rr->dir/report.html, with a section comparing to other when cmp is given
 * (else both NULL). Written whole or not at all. 0 or -errno. */
int report_html_write(const struct report_run *rr, const struct compare *cmp,
		      const struct report_run *other);
/* The report of the run in dir, for `lockmap run` at its end: 0, or -errno
 * with a warning said. */
int report_html_write_dir(const char *dir);

#endif
