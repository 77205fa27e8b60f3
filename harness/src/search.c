// SPDX-License-Identifier: GPL-2.0
/* Boundary search as a state machine over the probes made so far: a set, not
 * a history, so a resumed run (or one whose earlier probes were made for
 * another target) rebuilds the same state from what its journal holds. */
#include <errno.h>
#include <string.h>

#include "lockmap.h"
#include "search.h"

size_t search_npoints(const struct search_space *s)
{
	uint64_t span = (uint64_t)s->hi - (uint64_t)s->lo;

	return (size_t)((span + (uint64_t)s->res - 1) / (uint64_t)s->res) + 1;
}

int64_t search_value(const struct search_space *s, size_t i)
{
	if (i + 1 >= search_npoints(s))
		return s->hi;
	return s->lo + (int64_t)i * s->res;
}

bool search_point(const struct search_space *s, int64_t v, size_t *i)
{
	if (v == s->hi) {
		*i = search_npoints(s) - 1;
		return true;
	}
	if (v < s->lo || v > s->hi || (v - s->lo) % s->res)
		return false;
	*i = (size_t)((v - s->lo) / s->res);
	return true;
}

unsigned search_bound(const struct search_space *s)
{
	size_t steps = search_npoints(s) - 1;
	unsigned bits = 0;

	while (((size_t)1 << bits) < steps)
		bits++;
	return 2 + bits;
}

enum search_verdict search_verdict_of(unsigned k, unsigned n)
{
	if (!n)
		return SV_UNDECIDED;
	return 2 * (uint64_t)k >= n ? SV_REACHED : SV_NOT_REACHED;
}

const char *search_verdict_name(enum search_verdict v)
{
	static const char *const names[] = {
		[SV_NOT_REACHED] = "not_reached",
		[SV_REACHED] = "reached",
		[SV_UNDECIDED] = "undecided",
	};

	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

const char *search_status_name(enum search_status st)
{
	static const char *const names[] = {
		[SEARCH_PROBE] = "probing",
		[SEARCH_FOUND] = "found",
		[SEARCH_AT_OR_BELOW_LO] = "at_or_below_lo",
		[SEARCH_ABOVE_HI] = "above_hi",
		[SEARCH_NON_MONOTONIC] = "non_monotonic",
		[SEARCH_UNDECIDED] = "undecided",
		[SEARCH_UNFINISHED] = "unfinished",
	};
	_Static_assert(ARRAY_SIZE(names) == SEARCH__COUNT, "search status names incomplete");

	return (unsigned)st < ARRAY_SIZE(names) ? names[st] : "?";
}

/* The decision once the bracket is known: lo_i is the highest index that did
 * not reach, hi_i the lowest that did. */
static void search_decide(const struct search_space *s, bool have_lo, size_t lo_i, bool have_hi,
			  size_t hi_i, struct search_step *out)
{
	size_t last = search_npoints(s) - 1;

	if (have_lo && have_hi && lo_i >= hi_i) {
		out->status = SEARCH_NON_MONOTONIC;
	} else if (!have_hi) {
		/* hi first: when it does not reach there is nothing to bisect. */
		if (have_lo && lo_i == last) {
			out->status = SEARCH_ABOVE_HI;
		} else {
			out->status = SEARCH_PROBE;
			out->next = s->hi;
		}
	} else if (!have_lo) {
		if (hi_i == 0) {
			out->status = SEARCH_AT_OR_BELOW_LO;
			out->threshold = s->lo;
		} else {
			out->status = SEARCH_PROBE;
			out->next = s->lo;
		}
	} else if (hi_i == lo_i + 1) {
		out->status = SEARCH_FOUND;
		out->threshold = search_value(s, hi_i);
	} else {
		out->status = SEARCH_PROBE;
		out->next = search_value(s, lo_i + (hi_i - lo_i) / 2);
	}
}

int search_next(const struct search_space *s, const struct search_probe *probes, size_t n,
		struct search_step *out)
{
	bool have_lo = false, have_hi = false, have_undecided = false;
	size_t lo_i = 0, hi_i = 0;

	memset(out, 0, sizeof(*out));
	if (s->lo >= s->hi || s->res <= 0)
		return -EINVAL;
	for (size_t p = 0; p < n; p++) {
		size_t i;

		if (!search_point(s, probes[p].value, &i))
			continue;
		out->nprobes++;
		if (probes[p].verdict == SV_UNDECIDED) {
			if (!have_undecided)
				out->undecided = probes[p].value;
			have_undecided = true;
		} else if (probes[p].verdict == SV_REACHED) {
			if (!have_hi || i < hi_i)
				hi_i = i;
			have_hi = true;
		} else {
			if (!have_lo || i > lo_i)
				lo_i = i;
			have_lo = true;
		}
	}
	out->have_reached = have_hi;
	out->have_not_reached = have_lo;
	out->reached = have_hi ? search_value(s, hi_i) : 0;
	out->not_reached = have_lo ? search_value(s, lo_i) : 0;
	/* Probing that value again would give the same nothing: the search of
	 * this combination ends, and says why. */
	if (have_undecided)
		out->status = SEARCH_UNDECIDED;
	else
		search_decide(s, have_lo, lo_i, have_hi, hi_i, out);
	return 0;
}
