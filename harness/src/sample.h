/* SPDX-License-Identifier: GPL-2.0 */
/* A cell's time series: once a second, a `sample` record in the journal with
 * what that second held: per cpu the apic_timer_fn calls, the longest chain
 * and the largest lag (the probe's), each guest's ticks received and expected
 * (from its latest tick reports), and which injectors ran. The report's
 * timelines are drawn from them; they show the catch-up after a delay. */
#ifndef LOCKMAP_SAMPLE_H
#define LOCKMAP_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "guestreport.h"
#include "inject.h"
#include "lockmap_uapi.h"

#define SAMPLE_INTERVAL_NS 1000000000LL

/* The probe's figures of one cpu over one interval. */
struct sample_cpu {
	uint64_t calls;		/* apic_timer_fn calls */
	uint64_t max_chain;	/* longest chain in one timer interrupt */
	uint64_t max_lag_ns;	/* largest lag behind the hrtimer's expiry */
	uint64_t max_irq_ns;	/* longest timer interrupt */
};

/* One cpu's interval from the statistics at its start (prev) and at its end
 * (cur, read with LOCKMAP_IOC_STATS_TAKE: its maxima are the interval's). A
 * counter below its previous value was reset (the observation window opened,
 * LOCKMAP_IOC_RESET): the interval counts from 0. */
void sample_cpu_interval(const struct lockmap_cpu_stats *prev,
			 const struct lockmap_cpu_stats *cur, struct sample_cpu *out);

/* One guest's ticks received and expected between its latest report at the
 * interval's start (have_prev: there was one) and its latest at the end; a
 * guest that printed no report in between gives 0 and 0. Counters below the
 * previous ones (a guest that started again) count from 0. */
struct sample_guest {
	uint64_t ticks, expected;
};
void sample_guest_interval(bool have_prev, const struct tick_report *prev,
			   const struct tick_report *cur, struct sample_guest *out);

/* A cell's sampler: the previous interval's ends. */
struct sampler {
	int64_t t0;			/* the cell's start (monotonic ns) */
	int64_t last;			/* the previous sample, or t0 */
	struct lockmap_stats prev;	/* the statistics then */
	bool have_prev;
	uint64_t cpus;			/* cpus that had calls so far: reported in every
					 * later sample, so their series stay whole */
	size_t nguests;
	struct tick_report *gprev;	/* each guest's latest report then */
	bool *ghave;
	json_t *seen;			/* injectors seen on in this interval */
};

/* What one sample is made of, gathered by the cell. */
struct sample_in {
	const char *cell;		/* the cell id */
	int rep;			/* its repeat */
	const char *phase;		/* warmup, window, cooldown */
	int64_t now;			/* monotonic ns */
	/* the probe's, read with STATS_TAKE (its maxima are the interval's), or
	 * NULL when it does not run */
	const struct lockmap_stats *st;
	const struct guest_metrics *const *guests;	/* nguests of them */
	json_t *inject;			/* {"irqoff": true, ...} now (a last look); the record
					 * takes it */
};

/* t0: the cell's start; start: the first interval's. */
int sampler_init(struct sampler *s, int64_t t0, int64_t start, size_t nguests);
void sampler_free(struct sampler *s);
/* A look at the injectors ({"NAME": on?}, taken) between two samples: one
 * seen on at any look counts as on for the interval. The cell looks at every
 * turn of its loop, so a series that ends between two samples (an irq-off
 * section) still shows in the interval it ran in. */
void sampler_look(struct sampler *s, json_t *inject);
/* Is the next sample due at now? */
bool sampler_due(const struct sampler *s, int64_t now);
/* The sample record of the interval ending at in->now ({"type":"sample",
 * "cell", "rep", "phase", "t" (s since the cell's start), "dt" (s the
 * interval lasted), "cpus" ({"N": {"calls", "max_chain", "max_lag_us", "max_irq_us"}};
 * null without the probe), "guests" ([{"ticks",
 * "expected"}], null for a guest with no report yet), "inject"}); the
 * sampler moves on to it. NULL when out of memory. */
json_t *sampler_record(struct sampler *s, const struct sample_in *in);

/* {"NAME": running?} of a cell's injectors (injector_ops.active; without
 * it: started), the "inject" of a sample. */
json_t *sample_inject_json(const struct inject_ctx *inj, size_t n);

#endif
