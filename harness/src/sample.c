// SPDX-License-Identifier: GPL-2.0
/* A cell's per-second sample records (sample.h). */
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "sample.h"

/* A counter's growth; a lower value than before means it was reset. */
static uint64_t sample_delta(uint64_t prev, uint64_t cur)
{
	return cur >= prev ? cur - prev : cur;
}

void sample_cpu_interval(const struct lockmap_cpu_stats *prev,
			 const struct lockmap_cpu_stats *cur, struct sample_cpu *out)
{
	out->calls = sample_delta(prev ? prev->probe_calls : 0, cur->probe_calls);
	out->max_chain = cur->probe_max_chain;
	out->max_lag_ns = cur->probe_lag_max_ns;
	out->max_irq_ns = cur->probe_irq_max_ns;
}

void sample_guest_interval(bool have_prev, const struct tick_report *prev,
			   const struct tick_report *cur, struct sample_guest *out)
{
	bool restarted = have_prev && (cur->ticks < prev->ticks || cur->expected < prev->expected);

	if (!have_prev || restarted) {
		/* No report before: the first covers the guest's time from the
		 * timer's arming, which is this interval's or close to it. */
		out->ticks = cur->ticks;
		out->expected = cur->expected;
		return;
	}
	out->ticks = cur->ticks - prev->ticks;
	out->expected = cur->expected - prev->expected;
}

int sampler_init(struct sampler *s, int64_t t0, int64_t start, size_t nguests)
{
	memset(s, 0, sizeof(*s));
	s->t0 = t0;
	s->last = start;
	s->nguests = nguests;
	s->gprev = calloc(nguests ? nguests : 1, sizeof(*s->gprev));
	s->ghave = calloc(nguests ? nguests : 1, sizeof(*s->ghave));
	if (!s->gprev || !s->ghave) {
		sampler_free(s);
		return -ENOMEM;
	}
	return 0;
}

void sampler_free(struct sampler *s)
{
	json_decref(s->seen);
	s->seen = NULL;
	free(s->gprev);
	free(s->ghave);
	s->gprev = NULL;
	s->ghave = NULL;
}

bool sampler_due(const struct sampler *s, int64_t now)
{
	return now - s->last >= SAMPLE_INTERVAL_NS;
}

void sampler_look(struct sampler *s, json_t *inject)
{
	const char *name;
	json_t *on;

	if (!inject)
		return;
	if (!s->seen) {
		s->seen = inject;
		return;
	}
	json_object_foreach(inject, name, on)
		if (json_is_true(on) || !json_object_get(s->seen, name))
			json_object_set(s->seen, name, on);
	json_decref(inject);
}

/* {"N": {"calls", "max_chain", "max_lag_us", "max_irq_us"}} of the cpus with
 * calls so far. */
static json_t *sampler_cpus(struct sampler *s, const struct sample_in *in)
{
	const struct lockmap_stats *st = in->st;
	json_t *cpus = json_object();

	for (unsigned i = 0; i < st->nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
		const struct lockmap_cpu_stats *prev = s->have_prev ? &s->prev.cpu[i] : NULL;
		struct sample_cpu sc;
		char k[16];

		sample_cpu_interval(prev, &st->cpu[i], &sc);
		if (sc.calls)
			s->cpus |= 1ull << i;
		if (!(s->cpus & (1ull << i)))
			continue;
		snprintf(k, sizeof(k), "%u", i);
		json_object_set_new(cpus, k, json_pack("{s:I, s:I, s:I, s:I}",
						       "calls", (json_int_t)sc.calls,
						       "max_chain", (json_int_t)sc.max_chain,
						       "max_lag_us", (json_int_t)(sc.max_lag_ns / 1000),
						       "max_irq_us", (json_int_t)(sc.max_irq_ns / 1000)));
	}
	s->prev = *st;
	s->have_prev = true;
	return cpus;
}

/* [{"ticks", "expected"} or null] of the guests. */
static json_t *sampler_guests(struct sampler *s, const struct sample_in *in)
{
	json_t *a = json_array();

	for (size_t g = 0; g < s->nguests; g++) {
		const struct guest_metrics *m = in->guests[g];
		struct sample_guest sg;

		if (!m->have_latest) {
			json_array_append_new(a, json_null());
			continue;
		}
		sample_guest_interval(s->ghave[g], &s->gprev[g], &m->latest, &sg);
		json_array_append_new(a, json_pack("{s:I, s:I}", "ticks", (json_int_t)sg.ticks,
						   "expected", (json_int_t)sg.expected));
		s->gprev[g] = m->latest;
		s->ghave[g] = true;
	}
	return a;
}

json_t *sampler_record(struct sampler *s, const struct sample_in *in)
{
	json_t *rec = json_object();

	sampler_look(s, in->inject);
	if (!rec)
		return NULL;
	json_object_set_new(rec, "type", json_string("sample"));
	json_object_set_new(rec, "cell", json_string(in->cell));
	json_object_set_new(rec, "rep", json_integer(in->rep));
	json_object_set_new(rec, "phase", json_string(in->phase));
	json_object_set_new(rec, "t", json_real((double)((in->now - s->t0) / NSEC_PER_MSEC) / 1e3));
	json_object_set_new(rec, "dt", json_real((double)((in->now - s->last) / NSEC_PER_MSEC) / 1e3));
	json_object_set_new(rec, "cpus", in->st ? sampler_cpus(s, in) : json_null());
	json_object_set_new(rec, "guests", sampler_guests(s, in));
	json_object_set_new(rec, "inject", s->seen ? s->seen : json_object());
	s->seen = NULL;
	s->last = in->now;
	return rec;
}

json_t *sample_inject_json(const struct inject_ctx *inj, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++) {
		const struct inject_ctx *ic = &inj[i];
		bool on = ic->started && (!ic->ops->active || ic->ops->active(ic));

		json_object_set_new(o, ic->ops->name, json_boolean(on));
	}
	return o;
}
