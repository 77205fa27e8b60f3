/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel log lines to events: one table of patterns (classify.c), covering the
 * message forms of 4.19 to current kernels (DESIGN.md "Events"). */
#ifndef LOCKMAP_CLASSIFY_H
#define LOCKMAP_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

enum event_kind {
	EV_HARDLOCKUP,
	EV_SOFTLOCKUP,
	EV_RCU_STALL,
	EV_HRTIMER_HANG,
	EV_NMI_SLOW,
	EV_PERF_SLOW,
	EV_HUNG_TASK,
	EV_CLOCKSOURCE_UNSTABLE,
	EV_TIMER_CLAMP,
	EV_PANIC,
	EV__COUNT
};

struct event {
	enum event_kind kind;
	int cpu;		/* -1: null */
	bool has_t;
	double t;		/* kernel timestamp, seconds */
	char line[512];		/* the matched line, as it came (prefixes stripped) */
	char *trace;		/* following report lines, '\n'-joined; NULL if none */
	/* kind-specific fields; only those of the kind are emitted */
	int64_t stuck_s;	/* softlockup */
	char comm[64];		/* softlockup, hung_task */
	int pid;		/* softlockup, hung_task */
	char flavor[32];	/* rcu_stall: rcu_sched, rcu_preempt, ... */
	int64_t ns;		/* hrtimer_hang, timer_clamp */
	char handler[128];	/* nmi_slow */
	double ms;		/* nmi_slow */
	char clocksource[32];	/* clocksource_unstable */
	char reason[256];	/* panic */
};

const char *event_kind_name(enum event_kind k);
/* Classify one line. true and *ev filled (trace NULL) when it is an event. */
bool classify_line(const char *line, struct event *ev);
/* The event as DESIGN.md's JSON object (new reference). */
json_t *event_to_json(const struct event *ev);
void event_clear(struct event *ev);	/* frees trace */

/* Streaming: lines in, complete events (with their trace) out through cb.
 * An event is complete when a line that is not part of its report arrives, when
 * its trace reaches a limit, or on classifier_flush(). */
typedef void (*event_cb)(const struct event *ev, void *arg);
struct classifier;
struct classifier *classifier_new(event_cb cb, void *arg);
void classifier_feed(struct classifier *cl, const char *line);
void classifier_flush(struct classifier *cl);
/* ns (monotonic) since the pending event last grew, or -1 if none pending:
 * lets a monitor flush a trace that has gone quiet. */
int64_t classifier_pending_age(const struct classifier *cl, int64_t now);
void classifier_free(struct classifier *cl);

#endif
