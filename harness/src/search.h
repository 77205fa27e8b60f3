/* SPDX-License-Identifier: GPL-2.0 */
/* Boundary search, the pure part: given the probes made so far in one
 * combination of the other axes, the next value to probe, or the search's
 * end and the threshold (profiles/README.md "[search]"). No I/O: the run loop
 * (search_run.c) feeds it probes and runs the cells it asks for. */
#ifndef LOCKMAP_SEARCH_H
#define LOCKMAP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The values a search may probe: lo, lo + res, lo + 2 res, ... and hi (the
 * last step is shorter when res does not divide hi - lo). lo < hi and
 * 0 < res <= hi - lo (profile_search.c checks it). */
struct search_space {
	int64_t lo, hi, res;
};

/* How many values: ceil((hi - lo) / res) + 1, at least 2. */
size_t search_npoints(const struct search_space *s);
/* The i-th value (i < search_npoints). */
int64_t search_value(const struct search_space *s, size_t i);
/* The index of value v in *i; false when v is none of the space's values. */
bool search_point(const struct search_space *s, int64_t v, size_t *i);
/* The most probes a search makes: hi, lo, then a bisection of the
 * npoints - 1 steps between them: 2 + ceil(log2(npoints - 1)). */
unsigned search_bound(const struct search_space *s);

enum search_verdict {
	SV_NOT_REACHED,
	SV_REACHED,
	SV_UNDECIDED,		/* no repeat counted (all errors, skipped, interrupted) */
};

/* The rule: of the n repeats that count, k reached the target; the value
 * reaches when at least half of them did (2k >= n, so a tie reaches), and is
 * undecided when n is 0. */
enum search_verdict search_verdict_of(unsigned k, unsigned n);
const char *search_verdict_name(enum search_verdict v);

/* One probe: a value of the space and what its repeats said. */
struct search_probe {
	int64_t value;
	enum search_verdict verdict;
};

enum search_status {
	SEARCH_PROBE,		/* probe step.next */
	SEARCH_FOUND,		/* threshold: the smallest value that reaches */
	SEARCH_AT_OR_BELOW_LO,	/* lo reaches: the threshold is lo or lower */
	SEARCH_ABOVE_HI,	/* hi does not reach */
	SEARCH_NON_MONOTONIC,	/* a higher value did not reach, a lower one did */
	SEARCH_UNDECIDED,	/* a probe had no repeat that counts */
	SEARCH_UNFINISHED,	/* not used by search_next: a run cut short */
	SEARCH__COUNT
};

const char *search_status_name(enum search_status st);

struct search_step {
	enum search_status status;
	int64_t next;		/* SEARCH_PROBE: the value to probe */
	int64_t threshold;	/* FOUND, AT_OR_BELOW_LO (lo) */
	size_t nprobes;		/* probes given, undecided ones included */
	/* The bracket: the smallest value that reached and the largest that
	 * did not (have_* false when there is none). With NON_MONOTONIC these
	 * are the contradiction: reached < not_reached. */
	bool have_reached, have_not_reached;
	int64_t reached, not_reached;
	int64_t undecided;	/* UNDECIDED: the first such probe's value */
};

/* The next step given n probes in any order (a resumed run gives them as its
 * journal has them; probes of a value outside the space are ignored). hi is
 * probed first (not reaching: above hi), then lo (reaching: at or below lo),
 * then the middle of the bracket until it is one step wide. Assumes the
 * outcome rises with the value, and says so when the probes contradict it.
 * 0, or -EINVAL for a space that is not one (lo >= hi, res <= 0). */
int search_next(const struct search_space *s, const struct search_probe *probes, size_t n,
		struct search_step *out);

#endif
