// SPDX-License-Identifier: GPL-2.0
/* Outcome names, severity order, and the outcome each event kind implies. */
#include <string.h>

#include "lockmap.h"
#include "outcome.h"

static const char *const outcome_names[] = {
	[OUT_SKIPPED] = "skipped",
	[OUT_CLEAN] = "clean",
	[OUT_DEGRADED] = "degraded",
	[OUT_RCU_STALL] = "rcu_stall",
	[OUT_SOFTLOCKUP] = "softlockup",
	[OUT_HARDLOCKUP] = "hardlockup",
	[OUT_PANIC] = "panic",
	[OUT_HOST_HANG] = "host_hang",
	[OUT_ERROR] = "error",
};
_Static_assert(ARRAY_SIZE(outcome_names) == OUT__COUNT, "outcome_names incomplete");

/* Kinds that only inform (nmi_slow, perf_slow, clocksource, clamp) leave a
 * cell clean: they are recorded as events and counted in cells.csv. */
static const enum outcome event_outcomes[] = {
	[EV_HARDLOCKUP] = OUT_HARDLOCKUP,
	[EV_SOFTLOCKUP] = OUT_SOFTLOCKUP,
	[EV_RCU_STALL] = OUT_RCU_STALL,
	[EV_HRTIMER_HANG] = OUT_DEGRADED,
	[EV_NMI_SLOW] = OUT_CLEAN,
	[EV_PERF_SLOW] = OUT_CLEAN,
	[EV_HUNG_TASK] = OUT_DEGRADED,
	[EV_CLOCKSOURCE_UNSTABLE] = OUT_CLEAN,
	[EV_TIMER_CLAMP] = OUT_CLEAN,
	[EV_PANIC] = OUT_PANIC,
};
_Static_assert(ARRAY_SIZE(event_outcomes) == EV__COUNT, "event_outcomes incomplete");

const char *outcome_name(enum outcome o)
{
	return o < OUT__COUNT ? outcome_names[o] : "?";
}

int outcome_parse(const char *name, enum outcome *o)
{
	for (int i = 0; i < OUT__COUNT; i++) {
		if (!strcmp(outcome_names[i], name)) {
			*o = (enum outcome)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum outcome outcome_of_event(enum event_kind k)
{
	return k < EV__COUNT ? event_outcomes[k] : OUT_CLEAN;
}

enum outcome event_outcome(const struct event *ev)
{
	/* kernel/watchdog_hld.c nmi_panic(regs, "Hard LOCKUP"); kernel/watchdog.c
	 * panic("softlockup: hung tasks"); lockmap_inject's buddy the same. */
	if (ev->kind == EV_PANIC && !strncmp(ev->reason, "Hard LOCKUP", 11))
		return OUT_HARDLOCKUP;
	if (ev->kind == EV_PANIC && !strncmp(ev->reason, "softlockup:", 11))
		return OUT_SOFTLOCKUP;
	return outcome_of_event(ev->kind);
}

enum outcome outcome_worst(enum outcome a, enum outcome b)
{
	return a > b ? a : b;
}
