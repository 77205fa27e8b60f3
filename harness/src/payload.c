// SPDX-License-Identifier: GPL-2.0
/* The payloads lockmap's launchers boot, and how a cell's [guests] values
 * become their command lines. tickguest's numbers and ranges are its own
 * table (tickguest_params.h), the one its parser reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "lockmap.h"
#include "payload.h"
#include "../../guests/tickguest/tickguest_params.h"

/* A number on the payload's command line, from a [guests] key. */
struct payload_num {
	const char *key;	/* the [guests] key (a duration) */
	const char *arg;	/* the payload's key, in units of unit ns */
	int64_t unit;
	const char *unit_name;
};

/* A range of the payload's own table. */
struct payload_range {
	const char *arg;
	int64_t min, max;
};

struct payload {
	const char *name;
	const struct payload_num *nums;
	size_t nnums;
	const struct payload_range *ranges;
	size_t nranges;
	const char *const *words;	/* [guests] keys passed as they are */
	size_t nwords;
	const char *table;		/* where the ranges are, for messages */
};

static const struct payload_range tickguest_ranges[] = {
#define TICKGUEST_RANGE(arg, min, max) { #arg, min, max },
	TICKGUEST_NUM_PARAMS(TICKGUEST_RANGE)
#undef TICKGUEST_RANGE
};

static const struct payload_num tickguest_nums[] = {
	{ "period", "period_us", NSEC_PER_USEC, "us" },
	{ "report", "report_ms", NSEC_PER_MSEC, "ms" },
};

static const char *const tickguest_words[] = { "timer", "idle" };

static const struct payload payloads[] = {
	{ "tickguest", tickguest_nums, ARRAY_SIZE(tickguest_nums), tickguest_ranges,
	  ARRAY_SIZE(tickguest_ranges), tickguest_words, ARRAY_SIZE(tickguest_words),
	  "guests/tickguest/tickguest_params.h" },
};

/* The cell's payload; [guests] payload only takes the names above. */
static const struct payload *payload_of(const struct cell *c)
{
	const char *name = cell_str(c, "guests", "payload");

	for (size_t i = 0; i < ARRAY_SIZE(payloads); i++)
		if (!strcmp(payloads[i].name, name))
			return &payloads[i];
	lm_err("payload %s: not in payloads[] (a lockmap bug)", name);
	abort();
}

static const struct payload_range *payload_range(const struct payload *pl, const char *arg)
{
	for (size_t i = 0; i < pl->nranges; i++)
		if (!strcmp(pl->ranges[i].arg, arg))
			return &pl->ranges[i];
	lm_err("payload %s: no range for %s in %s (a lockmap bug)", pl->name, arg, pl->table);
	abort();
}

int payload_check(const struct cell *c, char *err, size_t len)
{
	const struct payload *pl = payload_of(c);

	for (size_t i = 0; i < pl->nnums; i++) {
		const struct payload_num *pn = &pl->nums[i];
		const struct payload_range *r = payload_range(pl, pn->arg);
		const struct pval *v = cell_val(c, "guests", pn->key);
		char where[600], lo[32], hi[32];

		if (v->num % pn->unit == 0 && v->num / pn->unit >= r->min &&
		    v->num / pn->unit <= r->max)
			continue;
		cell_where(c, "guests", pn->key, where, sizeof(where));
		fmt_duration(r->min * pn->unit, lo, sizeof(lo));
		fmt_duration(r->max * pn->unit, hi, sizeof(hi));
		if (v->num % pn->unit)
			snprintf(err, len, "%s: %s is not a whole number of %s: the payload %s takes "
				 "%s; round it to whole %s", where, v->text, pn->unit_name, pl->name,
				 pn->arg, pn->unit_name);
		else
			snprintf(err, len, "%s: %s is outside what the payload %s takes: %s to %s "
				 "(its %s, %lld..%lld, in %s)", where, v->text, pl->name, lo, hi,
				 pn->arg, (long long)r->min, (long long)r->max, pl->table);
		return -EINVAL;
	}
	return 0;
}

int payload_cmdline(const struct cell *c, char *buf, size_t len)
{
	const struct payload *pl = payload_of(c);
	size_t off = 0;
	int n;

	buf[0] = '\0';
	for (size_t i = 0; i < pl->nnums + pl->nwords; i++) {
		if (i < pl->nnums)
			n = snprintf(buf + off, len - off, "%s%s=%lld", off ? " " : "", pl->nums[i].arg,
				     (long long)(cell_num(c, "guests", pl->nums[i].key) /
						 pl->nums[i].unit));
		else
			n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "",
				     pl->words[i - pl->nnums],
				     cell_str(c, "guests", pl->words[i - pl->nnums]));
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}
