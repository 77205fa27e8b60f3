/* SPDX-License-Identifier: GPL-2.0 */
/* [expect] fail_on: the outcomes and the metric thresholds that make a cell
 * fail the run. The value is a comma list; each item is an outcome name
 * (hardlockup) or a threshold METRIC OP NUMBER[UNIT] (probe.max_chain > 1000,
 * guest.lost_ticks > 5%, events.hrtimer_hang >= 1). A number holds no commas.
 * A threshold never changes a cell's outcome: a cell whose metric crosses it
 * counts as reaching fail_on beside its outcome. */
#ifndef LOCKMAP_FAILON_H
#define LOCKMAP_FAILON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "profile.h"

enum failon_op { FO_GT, FO_GE, FO_LT, FO_LE, FO_EQ };

/* One threshold: a metric (failon_metric_name()), for events.<kind> the
 * kind, the comparison, and the value in the metric's base unit (counts,
 * microseconds, percent). */
struct failon_cond {
	int metric;
	int event;
	enum failon_op op;
	double value;
	char text[64];		/* canonical: "probe.max_chain > 1000" */
};

#define FAILON_MAX_CONDS 8

struct failon {
	uint32_t outcomes;	/* bit per enum outcome */
	size_t nconds;
	struct failon_cond conds[FAILON_MAX_CONDS];
};

/* Parse a fail_on value (the whole comma list) into f. -EINVAL with why (the
 * item, and what is allowed) when an item is neither an outcome nor a
 * threshold. choices ("a|b|c": the outcomes) is only quoted in why. */
int failon_parse(const char *text, const char *choices, struct failon *f, char *why,
		 size_t len);
/* The profile loader's parser of a PT_FAILON value: failon_parse, v->text its
 * canonical text, v->num the outcome mask. */
int failon_pval(const struct pspec *s, const char *text, struct pval *v, char *why,
		size_t len);
/* Does r reach fail_on? An outcome of the mask, or the first threshold it
 * crosses; why gets "outcome hardlockup" or "probe.max_chain 124769 > 1000".
 * A metric the cell did not measure (no probe, no guest report) crosses no
 * threshold. */
bool failon_hit(const struct failon *f, const struct cell_result *r, char *why, size_t len);
/* Does r cross a threshold (outcomes not looked at)? why as above. */
bool failon_metric_hit(const struct failon *f, const struct cell_result *r, char *why,
		       size_t len);
/* The metrics a threshold may name, for messages and --help. */
const char *failon_metrics_help(void);

#endif
