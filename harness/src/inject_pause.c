// SPDX-License-Identifier: GPL-2.0
/* Injector "pause": stop guests for a while (QMP stop/cont for QEMU), again and
 * again. While a vCPU does not run, its LAPIC timer falls behind; on resume
 * KVM has to catch up every period it missed, which is the catch-up loop
 * lockmap hunts (with the VMX preemption timer the target only advances while
 * the guest runs). */
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "inject.h"
#include "lockmap.h"

static const struct pspec pause_keys[] = {
	{ "length", PT_DURATION, 0, 60 * NSEC_PER_SEC, "0", NULL,
	  "how long each pause lasts; 0 turns the injector off" },
	{ "gap", PT_DURATION, NSEC_PER_MSEC, 3600 * NSEC_PER_SEC, "1s", NULL,
	  "time the guests run between two pauses" },
	{ "guests", PT_ENUM, 1, 0, "all", "all|one",
	  "pause every guest of the cell, or only guest 0" },
};

/* One flat allocation (no pointers inside), so freeing ic->priv frees all. */
struct pause_state {
	int64_t length, gap;	/* asked */
	bool all;
	bool pausing;		/* a pause is in progress */
	int64_t next;		/* monotonic ns of the next pause or resume */
	int64_t paused_at;	/* when the current pause took effect */
	unsigned pauses;	/* completed pauses */
	int64_t total_ns, longest_ns;
	unsigned errors;
	int last_error;
	size_t nguests;
	bool paused[];		/* guests this injector paused */
};

static int pause_supported(char *why, size_t len)
{
	/* Nothing of the host: the launcher pauses (start() checks it can). */
	snprintf(why, len, "pauses guests through the launcher (QMP stop/cont)");
	return 0;
}

static void pause_note_error(struct pause_state *st, struct guest *g, bool paused, int rc)
{
	st->errors++;
	st->last_error = rc;
	lm_warn("pause: could not %s guest %d: %s", paused ? "pause" : "resume", g->index,
		strerror(-rc));
}

/* Pause (or resume) every guest the injector covers; returns how many changed. */
static int pause_set(struct inject_ctx *ic, bool paused)
{
	struct pause_state *st = ic->priv;
	struct cell_ctx *ctx = ic->cell;
	size_t n = st->all ? st->nguests : (st->nguests ? 1 : 0);
	int changed = 0;

	for (size_t i = 0; i < n; i++) {
		struct guest *g = &ctx->guests[i];
		int rc;

		if (st->paused[i] == paused)
			continue;
		/* A guest that died cannot be paused; it must still be resumed
		 * in our books so stop() does not retry forever. */
		if (g->exited) {
			st->paused[i] = false;
			continue;
		}
		rc = ctx->launcher->pause(ctx, g, paused);
		if (rc) {
			/* A guest left paused stays marked: stop() tries again. */
			pause_note_error(st, g, paused, rc);
			continue;
		}
		st->paused[i] = paused;
		changed++;
	}
	return changed;
}

/* Read the parameters; the first pause is due at once. */
static int pause_start(struct inject_ctx *ic)
{
	const struct cell *c = ic->cell->cell;
	struct pause_state *st;
	size_t n = ic->cell->nguests;

	st = calloc(1, sizeof(*st) + n * sizeof(st->paused[0]));
	if (!st)
		return -ENOMEM;
	st->length = cell_num(c, ic->section, "length");
	st->gap = cell_num(c, ic->section, "gap");
	st->all = !strcmp(cell_str(c, ic->section, "guests"), "all");
	st->nguests = n;
	free(ic->priv);
	ic->priv = st;
	if (st->length == 0)
		return 0;
	if (!ic->cell->launcher || !ic->cell->launcher->pause) {
		lm_err("pause: the %s launcher cannot pause guests; remove [%s] or use the qemu launcher",
		       ic->cell->launcher ? ic->cell->launcher->name : "(none)", ic->section);
		return -ENOTSUP;
	}
	/* The first pause comes at the first step: the window opens with it. */
	st->next = now_ns();
	return 0;
}

/* End the current pause: resume and account for how long it really lasted. */
static void pause_end(struct inject_ctx *ic)
{
	struct pause_state *st = ic->priv;
	int64_t t, len;

	(void)pause_set(ic, false);
	t = now_ns();
	len = t - st->paused_at;
	st->pausing = false;
	st->pauses++;
	st->total_ns += len;
	if (len > st->longest_ns)
		st->longest_ns = len;
	st->next = t + st->gap;
}

static int64_t pause_step(struct inject_ctx *ic, int64_t now)
{
	struct pause_state *st = ic->priv;

	if (!st || st->length == 0)
		return INT64_MAX;
	if (now < st->next)
		return st->next;
	if (st->pausing) {
		pause_end(ic);
	} else if (pause_set(ic, true) > 0) {
		st->pausing = true;
		st->paused_at = now_ns();
		st->next = st->paused_at + st->length;
	} else {
		/* Nothing could be paused (guests gone, QMP failing): try
		 * again after a gap instead of spinning. */
		st->next = now + st->gap;
	}
	return st->next;
}

/* Resume whatever this injector paused, including after a failed resume. */
static int pause_stop(struct inject_ctx *ic)
{
	struct pause_state *st = ic->priv;

	if (!st)
		return 0;
	if (st->pausing)
		pause_end(ic);
	else
		(void)pause_set(ic, false);	/* one that failed to resume before */
	for (size_t i = 0; i < st->nguests; i++)
		if (st->paused[i] && !ic->cell->guests[i].exited)
			return -EIO;
	st->next = INT64_MAX;
	return 0;
}

static void pause_describe(struct inject_ctx *ic, json_t *out)
{
	struct pause_state *st = ic->priv;
	char buf[32];

	if (!st || st->length == 0) {
		json_object_set_new(out, "off", json_true());
		return;
	}
	fmt_duration(st->length, buf, sizeof(buf));
	json_object_set_new(out, "length", json_string(buf));
	fmt_duration(st->gap, buf, sizeof(buf));
	json_object_set_new(out, "gap", json_string(buf));
	json_object_set_new(out, "guests", json_string(st->all ? "all" : "one"));
	json_object_set_new(out, "pauses", json_integer(st->pauses));
	json_object_set_new(out, "paused_ns", json_integer(st->total_ns));
	json_object_set_new(out, "longest_ns", json_integer(st->longest_ns));
	json_object_set_new(out, "errors", json_integer(st->errors));
	if (st->errors)
		json_object_set_new(out, "last_error", json_string(strerror(-st->last_error)));
}

/* Its injection runs: pauses come (length 0 is off). */
static bool pause_active(const struct inject_ctx *ic)
{
	const struct pause_state *st = ic->priv;

	return ic->started && st && st->length > 0;
}

const struct injector_ops inject_pause_ops = {
	.name = "pause",
	.help = "pause guests (QMP stop/cont) for `length` every `gap`: on resume KVM catches up the missed timer periods",
	.keys = pause_keys,
	.nkeys = ARRAY_SIZE(pause_keys),
	.supported = pause_supported,
	.start = pause_start,
	.step = pause_step,
	.stop = pause_stop,
	.describe = pause_describe,
	.active = pause_active,
};
