/* SPDX-License-Identifier: GPL-2.0 */
/* Cell outcomes, in rising severity, and how events map to them. */
#ifndef LOCKMAP_OUTCOME_H
#define LOCKMAP_OUTCOME_H

#include "classify.h"

enum outcome {
	OUT_SKIPPED,
	OUT_CLEAN,
	OUT_DEGRADED,
	OUT_RCU_STALL,
	OUT_SOFTLOCKUP,
	OUT_HARDLOCKUP,
	OUT_PANIC,
	OUT_HOST_HANG,
	OUT_ERROR,
	OUT__COUNT
};

const char *outcome_name(enum outcome o);
int outcome_parse(const char *name, enum outcome *o);
/* The outcome an event implies (OUT_CLEAN for informational kinds). */
enum outcome outcome_of_event(enum event_kind k);
/* The worse of two outcomes (error ranks above all: never counted clean). */
enum outcome outcome_worst(enum outcome a, enum outcome b);

#endif
