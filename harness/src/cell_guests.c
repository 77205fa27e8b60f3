// SPDX-License-Identifier: GPL-2.0
/* A cell's guests as the journal shows them: how each one started (the
 * guests_start record) and what each one measured in the window (the guests
 * of the cell_end's metrics, summed into the cell's result). */
#include "cell.h"
#include "journal.h"
#include "lockmap.h"
#include "text.h"

/* Seconds from a guest's launch to t (monotonic ns), or null when t is 0. */
static json_t *cell_guest_secs(const struct guest *g, int64_t t)
{
	if (!t || !g->launch_ns)
		return json_null();
	return json_real((double)((t - g->launch_ns) / NSEC_PER_MSEC) / 1000.0);
}

/* One guest's metrics over the window, for the cell_end. */
static json_t *cell_guest_json(const struct guest *g)
{
	const struct guest_metrics *m = &g->metrics;
	json_t *o = json_object();

	json_object_set_new(o, "guest", json_integer(g->index));
	json_object_set_new(o, "start_s", cell_guest_secs(g, m->banner_ns));
	json_object_set_new(o, "reports", json_integer(m->nreports));
	json_object_set_new(o, "silent_s",
			    json_real((double)(guest_metrics_silent_ns(m) / NSEC_PER_MSEC) / 1000.0));
	json_object_set_new(o, "ticks", json_integer((json_int_t)guest_metrics_ticks(m)));
	json_object_set_new(o, "expected", json_integer((json_int_t)guest_metrics_expected(m)));
	json_object_set_new(o, "lost", json_integer((json_int_t)guest_metrics_lost(m)));
	json_object_set_new(o, "loss_pct", json_real(guest_metrics_loss_bp(m) / 100.0));
	json_object_set_new(o, "late", json_integer((json_int_t)guest_metrics_late(m)));
	json_object_set_new(o, "maxgap_us", json_integer((json_int_t)m->maxgap_us));
	/* A Linux guest's ticks are its local timer interrupts (LOC). */
	json_object_set_new(o, "ticks_per_s", json_real(guest_metrics_tick_rate(m)));
	if (m->error[0])
		json_object_set_new(o, "error", text_json(m->error));
	return o;
}

/* Guest metrics summed over the cell's guests; tick loss beyond the profile's
 * tolerance makes the cell degraded. So does a guest that was silent (sent no
 * report for more than two report intervals): the host starved it, which is
 * what the map is about, never lockmap's error. Its silent time counts as
 * lost ticks, but that loss is assumed, not measured, so the tolerance does
 * not excuse it. */
void cell_guests_metrics(const struct cell_ctx *ctx, struct cell_result *res, json_t *out)
{
	int64_t tol = cell_num(ctx->cell, "guests", "tick_loss");
	json_t *arr = json_array();

	for (size_t i = 0; i < ctx->nguests; i++) {
		const struct guest *g = &ctx->guests[i];
		const struct guest_metrics *m = &g->metrics;
		int64_t bp = guest_metrics_loss_bp(m);

		res->ticks += guest_metrics_ticks(m);
		res->expected += guest_metrics_expected(m);
		res->lost += guest_metrics_lost(m);
		res->late += guest_metrics_late(m);
		if (m->maxgap_us > res->maxgap_us)
			res->maxgap_us = m->maxgap_us;
		if (bp > res->worst_loss_bp)
			res->worst_loss_bp = bp;
		if (guest_metrics_silent_ns(m) > 0)
			res->silent_guests++;
		json_array_append_new(arr, cell_guest_json(g));
	}
	json_object_set_new(out, "guests", arr);
	if (res->worst_loss_bp > tol || res->silent_guests)
		res->outcome = outcome_worst(res->outcome, OUT_DEGRADED);
}

/* What a guest's banner says of its timer: which guest it is, its period
 * and mode, and for a Linux guest the tick device it checked and its HZ. */
static void cell_guest_banner(json_t *o, const struct guest_metrics *m)
{
	const struct tick_banner *b = &m->banner;

	if (!m->banner_seen)
		return;
	json_object_set_new(o, "banner", json_string(b->guest));
	json_object_set_new(o, "period_us", json_integer((json_int_t)b->period_us));
	json_object_set_new(o, "timer", text_json(b->timer));
	if (b->clockevent[0]) {
		json_object_set_new(o, "clockevent", text_json(b->clockevent));
		json_object_set_new(o, "tick_mode", text_json(b->tick_mode));
		json_object_set_new(o, "hz", json_integer((json_int_t)b->hz));
	}
}

/* The guests_start record: how long each guest took from its launch to being
 * let run and to its banner (null: not up when the start ended). */
void cell_guests_journal_start(const struct cell_ctx *ctx, int64_t t0)
{
	json_t *rec = json_object(), *arr = json_array();
	size_t up = 0;

	for (size_t i = 0; i < ctx->nguests; i++) {
		const struct guest *g = &ctx->guests[i];
		json_t *o = json_pack("{s:i, s:o, s:o}", "guest", g->index, "run_s",
				      cell_guest_secs(g, g->run_ns), "start_s",
				      cell_guest_secs(g, g->metrics.banner_ns));

		up += g->metrics.banner_seen;
		cell_guest_banner(o, &g->metrics);
		if (g->start_note[0])
			json_object_set_new(o, "note", json_string(g->start_note));
		json_array_append_new(arr, o);
	}
	json_object_set_new(rec, "type", json_string("guests_start"));
	json_object_set_new(rec, "cell", json_string(ctx->cell->id));
	json_object_set_new(rec, "launcher", json_string(ctx->launcher->name));
	json_object_set_new(rec, "accel", json_string(ctx->accel));
	json_object_set_new(rec, "lab_inner", json_boolean(lm_lab_inner));
	json_object_set_new(rec, "count", json_integer((json_int_t)ctx->nguests));
	json_object_set_new(rec, "up", json_integer((json_int_t)up));
	json_object_set_new(rec, "budget_s",
			    json_integer(ctx->start_budget_ns / NSEC_PER_SEC));
	json_object_set_new(rec, "seconds",
			    json_real((double)((now_ns() - t0) / NSEC_PER_MSEC) / 1000.0));
	if (ctx->start_retry[0])
		json_object_set_new(rec, "restart", json_string(ctx->start_retry));
	json_object_set_new(rec, "guests", arr);
	(void)journal_append(ctx->journal, rec, true);
}
