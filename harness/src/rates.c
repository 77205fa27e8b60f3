// SPDX-License-Identifier: GPL-2.0
/* Rates over repeats: outcomes of the same cell vary from run to run, so a
 * cell repeated N times is summed up as counts per outcome and the rate of
 * its worst outcome with a 95% interval, which tells a solid condition from
 * a flaky one. Pure: from the run's results to numbers and text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "rates.h"

/* The 97.5th percentile of the standard normal distribution. */
#define RATES_Z 1.959964

void rates_wilson(unsigned k, unsigned n, double *lo, double *hi)
{
	double p, z2n, den, mid, half;

	if (!n || k > n) {
		*lo = 0.0;
		*hi = 1.0;
		return;
	}
	/* Wilson rather than p +- z*sqrt(p(1-p)/n): that one collapses to
	 * [0, 0] at 0/n and [1, 1] at n/n, claiming certainty from 3 tries. */
	p = (double)k / n;
	z2n = RATES_Z * RATES_Z / n;
	den = 1.0 + z2n;
	mid = (p + z2n / 2.0) / den;
	half = RATES_Z / den * sqrt(p * (1.0 - p) / n + z2n / (4.0 * n));
	/* Exact at the ends, not 1e-17 off them. */
	*lo = k == 0 ? 0.0 : fmax(0.0, mid - half);
	*hi = k == n ? 1.0 : fmin(1.0, mid + half);
}

/* Count one done repeat into its cell's rate. */
static void rates_add(struct cell_rate *cr, const struct cell_result *r)
{
	cr->repeats++;
	if (results_cell_interrupted(r))
		cr->interrupted++;
	else if (r->outcome == OUT_ERROR && r->lockmap_error)
		cr->lockmap_errors++;
	else if (r->outcome == OUT_SKIPPED)
		cr->counts[OUT_SKIPPED]++;
	else if (r->outcome < OUT__COUNT) {
		cr->counts[r->outcome]++;
		cr->n++;
	}
}

/* worst, k, rate and interval from the counts. */
static void rates_finish(struct cell_rate *cr)
{
	if (!cr->n)
		return;
	for (int o = OUT__COUNT - 1; o > OUT_SKIPPED; o--) {
		if (cr->counts[o]) {
			cr->worst = (enum outcome)o;
			break;
		}
	}
	/* "k reached the worst outcome or worse": nothing measured is worse. */
	cr->k = cr->counts[cr->worst];
	cr->rate = (double)cr->k / cr->n;
	rates_wilson(cr->k, cr->n, &cr->lo, &cr->hi);
}

/* The rate of c's cell id, a new one when it has none yet. A cell's repeats
 * are next to each other in a run's grid, but a soak repeats the whole grid
 * pass after pass (grid_build_passes). */
static struct cell_rate *rates_of(struct rates *out, const struct cell *c)
{
	struct cell_rate *cr;

	for (size_t j = out->ncells; j-- > 0;)
		if (!strcmp(out->cells[j].cell->id, c->id))
			return &out->cells[j];
	cr = &out->cells[out->ncells++];
	cr->cell = c;
	return cr;
}

int rates_compute(const struct run *run, struct rates *out)
{
	const struct grid *g = run->grid;
	struct cell_rate *cr = NULL;

	memset(out, 0, sizeof(*out));
	out->cells = calloc(g->ncells ? g->ncells : 1, sizeof(*out->cells));
	if (!out->cells)
		return -ENOMEM;
	for (size_t i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];

		if (!cr || strcmp(cr->cell->id, c->id))
			cr = rates_of(out, c);
		if ((unsigned)c->rep + 1 > out->repeat)
			out->repeat = (unsigned)c->rep + 1;
		if (run->done[i])
			rates_add(cr, &run->res[i]);
	}
	for (size_t i = 0; i < out->ncells; i++)
		rates_finish(&out->cells[i]);
	return 0;
}

void rates_free(struct rates *r)
{
	free(r->cells);
	r->cells = NULL;
	r->ncells = 0;
}

/* Append to buf at *off, never past len. */
static void rates_put(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void rates_put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

/* "; not counted: 1 lockmap error, 2 interrupted" (or " (...)" when
 * nothing was measured). */
static void rates_describe_unmeasured(const struct cell_rate *cr, char *buf, size_t len,
				      size_t *off)
{
	const struct {
		unsigned n;
		const char *one, *many;
	} kinds[] = {
		{ cr->lockmap_errors, "lockmap error", "lockmap errors" },
		{ cr->interrupted, "interrupted", "interrupted" },
		{ cr->counts[OUT_SKIPPED], "skipped", "skipped" },
	};
	bool first = true;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!kinds[i].n)
			continue;
		rates_put(buf, len, off, "%s%u %s", first ? (cr->n ? "; not counted: " : " (") : ", ",
			  kinds[i].n, kinds[i].n == 1 ? kinds[i].one : kinds[i].many);
		first = false;
	}
	if (!first && !cr->n)
		rates_put(buf, len, off, ")");
}

void rates_describe(const struct cell_rate *cr, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (!cr->n) {
		rates_put(buf, len, &off, "no measurement");
	} else {
		rates_put(buf, len, &off, "%s %u/%u (95%% CI %.0f%%-%.0f%%)", outcome_name(cr->worst),
			  cr->k, cr->n, 100.0 * cr->lo, 100.0 * cr->hi);
		for (int o = (int)cr->worst - 1; o > OUT_SKIPPED; o--)
			if (cr->counts[o])
				rates_put(buf, len, &off, ", %s %u/%u", outcome_name((enum outcome)o),
					  cr->counts[o], cr->n);
	}
	rates_describe_unmeasured(cr, buf, len, &off);
}
