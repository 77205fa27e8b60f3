/* SPDX-License-Identifier: GPL-2.0 */
/* `lockmap report RUN --compare OTHER`: the cells of two runs matched by cell
 * id (ids are stable across runs and profiles: grid.h) and told apart by
 * their rates over repeats (rates.h).
 *
 * The rule, for a cell id measured in both runs (n > 0 in each):
 *   worse   its worst outcome is worse now (outcome_worst order: clean <
 *           degraded < rcu_stall < softlockup < hardlockup < panic <
 *           host_hang < error), or it is the same outcome, not clean, and the
 *           95% Wilson intervals of its rate do not overlap, the rate now the
 *           higher;
 *   better  the same, the other way round;
 *   same    anything else (a rate that moved within the noise of its repeats).
 * A cell id in one run only is new (only now) or gone (only before); one
 * without a measurement in either run (interrupted, lockmap's own errors,
 * skipped) is unmeasured: neither worse nor better. So hardlockup 1/5 against
 * clean 5/5 is worse (a worse outcome), hardlockup 10/10 against 1/10 is worse
 * too (intervals 72%-100% and 2%-40% do not overlap), while 5/5 against 1/5
 * is the same (57%-100% and 4%-62% overlap: five repeats cannot tell). */
#ifndef LOCKMAP_COMPARE_H
#define LOCKMAP_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rates.h"

enum compare_kind {
	CMP_WORSE,
	CMP_BETTER,
	CMP_NEW,
	CMP_GONE,
	CMP_UNMEASURED,
	CMP_SAME,
	CMP__COUNT
};

struct compare_entry {
	enum compare_kind kind;
	const struct cell_rate *now;	/* NULL when gone */
	const struct cell_rate *before;	/* NULL when new */
	bool by_rate;			/* worse/better by the rate, the outcome the same */
};

struct compare {
	struct compare_entry *entries;	/* now's cells in its order, then the gone ones */
	size_t nentries;
	size_t count[CMP__COUNT];
	size_t matched;			/* cell ids in both runs */
};

/* "worse", "better", "new", "gone", "unmeasured", "same". */
const char *compare_kind_name(enum compare_kind k);
/* The rule above for one cell id in both runs. */
enum compare_kind compare_cell(const struct cell_rate *now, const struct cell_rate *before,
			       bool *by_rate);
/* Match now's cells to before's by id. 0 or -ENOMEM; free with compare_free.
 * The entries point into now and before, which must outlive out. */
int compare_rates(const struct rates *now, const struct rates *before, struct compare *out);
void compare_free(struct compare *c);
/* One line of an entry, without a newline: "worse      ID AXES: hardlockup
 * 1/5 (95% CI 4%-62%), ...; before: clean 5/5 (95% CI 57%-100%)". */
void compare_describe(const struct compare_entry *e, char *buf, size_t len);
/* The comparison with other to f: a line of counts ("compare with OTHER: 4
 * cell ids matched; 1 worse, ..."), then a line per entry that is not the
 * same, worse ones first. */
void compare_print(FILE *f, const struct compare *cmp, const char *other);

#endif
