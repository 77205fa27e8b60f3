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
/* The outcome one event implies: outcome_of_event of its kind, except a panic
 * the lockup detectors call themselves (kernel.hardlockup_panic or
 * softlockup_panic = 1: "Hard LOCKUP", "softlockup: hung tasks"), which is the
 * lockup it reports: the knob only turned that lockup into a reboot. The same
 * in a live cell, on a lab console and from a dead boot's pstore. */
enum outcome event_outcome(const struct event *ev);
/* The worse of two outcomes (error ranks above all: never counted clean). */
enum outcome outcome_worst(enum outcome a, enum outcome b);

#endif
