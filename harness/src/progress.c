// SPDX-License-Identifier: GPL-2.0
/* The terminal status line of long operations. */
#include <stdio.h>
#include <string.h>

#include "lockmap.h"
#include "notify.h"
#include "outcome.h"
#include "progress.h"

static void fmt_secs(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / NSEC_PER_SEC;

	if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

void progress_draw(struct progress *p, int force)
{
	static int64_t last;
	int64_t now = now_ns();
	char el[16], eta[16], ph[32] = "";
	char counts[160] = "";
	size_t off = 0;
	int64_t done_ns, left;
	char line[512];

	if (!force && now - last < 200 * NSEC_PER_MSEC)
		return;
	last = now;
	fmt_secs(now - p->run_start, el, sizeof(el));
	/* ETA from the cell length the profile asks for, corrected by how long
	 * the cells so far really took. */
	done_ns = now - p->run_start;
	left = p->cell_ns * (int64_t)(p->ncells - (p->cell ? p->cell - 1 : 0));
	if (p->phase_start)
		left -= now - p->phase_start;
	if (p->cell > 1)
		left = done_ns / (int64_t)(p->cell - 1) * (int64_t)(p->ncells - p->cell + 1) -
		       (p->phase_start ? now - p->phase_start : 0);
	if (left < 0)
		left = 0;
	fmt_secs(left, eta, sizeof(eta));
	if (p->phase && p->phase_len > 0)
		snprintf(ph, sizeof(ph), "%s %lld/%llds", p->phase,
			 (long long)((now - p->phase_start) / NSEC_PER_SEC),
			 (long long)(p->phase_len / NSEC_PER_SEC));
	else if (p->phase)
		snprintf(ph, sizeof(ph), "%s", p->phase);
	for (int o = 0; o < OUT__COUNT && off < sizeof(counts); o++)
		if (p->counts[o])
			off += snprintf(counts + off, sizeof(counts) - off, " %s %u",
					outcome_name((enum outcome)o), p->counts[o]);
	snprintf(line, sizeof(line), "[%zu/%zu] %s  elapsed %s  eta %s %s", p->cell, p->ncells,
		 ph, el, eta, counts);
	/* Under systemd: the status and the watchdog's ping. */
	notify_progress(line);
	if (!is_tty())
		return;
	printf("\r\033[K%s", line);
	fflush(stdout);
	p->shown = 1;
}

void progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	printf("\r\033[K");
	fflush(stdout);
	p->shown = 0;
}
