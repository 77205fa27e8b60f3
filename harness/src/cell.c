// SPDX-License-Identifier: GPL-2.0
/* One cell, start to end: knobs, guests, warm-up, injectors, observation window,
 * cool-down, outcome; teardown on every path (error, signal, timeout). */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cell.h"
#include "classify.h"
#include "crashlog.h"
#include "hostknobs.h"
#include "journal.h"
#include "kmsg.h"
#include "lockmap.h"
#include "progress.h"
#include "sample.h"
#include "text.h"

/* How long a report may trail its first line before it is journaled anyway. */
#define TRACE_QUIET_NS (500 * NSEC_PER_MSEC)

struct cell_run {
	struct cell_ctx ctx;
	struct cell_result *res;
	struct kmsg *kmsg;
	FILE *kmsg_log;
	struct classifier *cl;
	struct inject_ctx *inj;
	size_t ninj;
	const char *phase;
	struct progress *progress;
	struct monitor *mon;
	struct sampler sampler;		/* per-second sample records */
	bool sampling;
	const struct guest_metrics **gm;	/* the guests' metrics, for samples */
};

/* A complete kernel event: journal it now (fsync for lockups) and count it. */
static void cell_on_event(const struct event *ev, void *arg)
{
	struct cell_run *r = arg;
	enum outcome o = event_outcome(ev);
	json_t *rec = json_object();

	json_object_set_new(rec, "type", json_string("event"));
	json_object_set_new(rec, "cell", json_string(r->ctx.cell->id));
	json_object_set_new(rec, "source", json_string("kmsg"));
	json_object_set_new(rec, "phase", json_string(r->phase));
	json_object_set_new(rec, "event", event_to_json(ev));
	(void)journal_append(r->ctx.journal, rec, o > OUT_DEGRADED);
	if (ev->kind < ARRAY_SIZE(r->res->nevents))
		r->res->nevents[ev->kind]++;
	/* Events of the warm-up belong to the host's state before injection,
	 * but a lockup then is still a lockup of this cell's conditions. A
	 * lockup also outranks an error, as in cell_set_error: it was seen. */
	if (r->res->outcome == OUT_ERROR && o >= OUT_RCU_STALL)
		r->res->outcome = o;
	else
		r->res->outcome = outcome_worst(r->res->outcome, o);
	progress_clear(r->progress);
	lm_info("cell %s: %s: %s", r->ctx.cell->id, event_kind_name(ev->kind), ev->line);
}

static void cell_on_kmsg_line(const char *line, void *arg)
{
	struct cell_run *r = arg;

	if (r->kmsg_log)
		fprintf(r->kmsg_log, "%s\n", line);
	classifier_feed(r->cl, line);
}

static void cell_journal_guest_exit(struct cell_run *r, struct guest *g)
{
	json_t *rec = json_object();
	int st = g->exit_status;

	json_object_set_new(rec, "type", json_string("guest_exit"));
	json_object_set_new(rec, "cell", json_string(r->ctx.cell->id));
	json_object_set_new(rec, "guest", json_integer(g->index));
	json_object_set_new(rec, "phase", json_string(r->phase));
	if (WIFEXITED(st))
		json_object_set_new(rec, "exit_code", json_integer(WEXITSTATUS(st)));
	else if (WIFSIGNALED(st))
		json_object_set_new(rec, "signal", json_integer(WTERMSIG(st)));
	if (g->exit_why[0])
		json_object_set_new(rec, "why", text_json(g->exit_why));
	json_object_set_new(rec, "log", text_json(g->vmm_log ? g->vmm_log : ""));
	(void)journal_append(r->ctx.journal, rec, true);
}

/* What the VMM said of the first guest it stopped (a KVM internal error),
 * or NULL. */
static const char *cell_exit_why(const struct cell_run *r)
{
	for (size_t i = 0; i < r->ctx.nguests; i++)
		if (r->ctx.guests[i].exit_why[0])
			return r->ctx.guests[i].exit_why;
	return NULL;
}

/* Notice guests whose VMM exited on its own, and journal each once. */
static void cell_reap_guests(struct cell_run *r)
{
	if (r->ctx.launcher->poll(&r->ctx) <= 0)
		return;
	for (size_t i = 0; i < r->ctx.nguests; i++) {
		struct guest *g = &r->ctx.guests[i];

		if (g->exited && !g->exit_journaled) {
			g->exit_journaled = true;
			r->res->guests_died++;
			cell_journal_guest_exit(r, g);
		}
	}
}

/* The per-second sample record (sample.h), when one is due or forced (a
 * phase ends: its last interval is its own); else a look at the injectors.
 * Not fsync'd: a sample lost to a crash costs a point of a picture, and an
 * fsync a second costs the host. */
static void cell_sample(struct cell_run *r, int64_t now, bool force)
{
	struct lockmap_stats st;
	struct sample_in in = {
		.cell = r->ctx.cell->id, .rep = r->ctx.cell->rep, .phase = r->phase,
		.guests = r->gm,
	};

	if (!r->sampling)
		return;
	if (!force && !sampler_due(&r->sampler, now)) {
		sampler_look(&r->sampler, sample_inject_json(r->inj, r->ninj));
		return;
	}
	if (monitor_sample(r->mon, &st) == 0)
		in.st = &st;
	in.inject = sample_inject_json(r->inj, r->ninj);
	/* After the reads: the interval ends when its figures were taken. */
	in.now = now_ns();
	(void)journal_append(r->ctx.journal, sampler_record(&r->sampler, &in), false);
}

/* Watch kmsg, guests and injectors until `until` (monotonic ns) or a stop
 * request. Returns 0, or -EINTR when a signal asked us to stop. */
static int cell_watch(struct cell_run *r, const char *phase, int64_t len)
{
	int64_t start = now_ns(), until = start + len;

	r->phase = phase;
	r->progress->phase = phase;
	r->progress->phase_start = start;
	r->progress->phase_len = len;
	for (;;) {
		struct pollfd pfd[2];
		int64_t now = now_ns(), next = until, age;
		int nfd = 0, timeout_ms;

		if (lm_stop_requested)
			return -EINTR;
		if (r->kmsg) {
			if (kmsg_read(r->kmsg, cell_on_kmsg_line, r) < 0 && r->kmsg_log)
				fprintf(r->kmsg_log, "lockmap: reading /dev/kmsg failed\n");
		}
		age = classifier_pending_age(r->cl, now);
		if (age >= TRACE_QUIET_NS)
			classifier_flush(r->cl);
		for (size_t i = 0; i < r->ctx.nguests; i++)
			guest_read_output(&r->ctx.guests[i], NULL, NULL);
		cell_reap_guests(r);
		cell_sample(r, now, false);
		for (size_t i = 0; i < r->ninj; i++) {
			struct inject_ctx *ic = &r->inj[i];

			if (ic->started && ic->ops->step) {
				int64_t n = ic->ops->step(ic, now);

				if (n < next)
					next = n;
			}
		}
		progress_draw(r->progress, 0);
		now = now_ns();
		if (now >= until) {
			cell_sample(r, now, true);
			return 0;
		}
		/* Guest output is a file: poll at least every 100 ms. */
		if (next > now + 100 * NSEC_PER_MSEC)
			next = now + 100 * NSEC_PER_MSEC;
		timeout_ms = (int)((next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		pfd[nfd++] = (struct pollfd){ .fd = sig_fd(), .events = POLLIN };
		if (r->kmsg)
			pfd[nfd++] = (struct pollfd){ .fd = kmsg_fd(r->kmsg), .events = POLLIN };
		(void)poll(pfd, nfd, timeout_ms);
	}
}

static void cell_verror(struct cell_result *res, bool ours, const char *fmt, va_list ap)
{
	if (res->error[0])
		return;		/* keep the first reason */
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	res->lockmap_error = ours;
	/* A lockup that was seen stays the outcome: the cell did run far enough
	 * to show it; the error is kept as a note. */
	if (res->outcome < OUT_RCU_STALL)
		res->outcome = OUT_ERROR;
}

/* An error of the cell: something its conditions or the host under test did
 * (a guest died, a VMM would not stop). It stays the cell's result. */
static void cell_set_error(struct cell_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cell_set_error(struct cell_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cell_verror(res, false, fmt, ap);
	va_end(ap);
}

/* lockmap's own machinery failed (set-up, its module, its injectors): the
 * cell measured nothing of its conditions, and a resumed run runs it again. */
static void cell_set_lockmap_error(struct cell_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cell_set_lockmap_error(struct cell_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cell_verror(res, true, fmt, ap);
	va_end(ap);
}

/* The [inject.X] sections of the cell, in profile order. */
static int cell_injectors_init(struct cell_run *r)
{
	const struct profile *p = r->ctx.cell->prof;

	r->inj = calloc(p->nsections ? p->nsections : 1, sizeof(*r->inj));
	if (!r->inj)
		return -ENOMEM;
	for (size_t i = 0; i < p->nsections; i++) {
		const char *s = p->sections[i];
		struct inject_ctx *ic;

		if (strncmp(s, "inject.", 7))
			continue;
		ic = &r->inj[r->ninj++];
		ic->ops = injector_find(s + 7);
		ic->cell = &r->ctx;
		snprintf(ic->section, sizeof(ic->section), "%s", s);
	}
	return 0;
}

static void cell_injectors_stop(struct cell_run *r)
{
	int rc;

	for (size_t i = r->ninj; i-- > 0;) {
		struct inject_ctx *ic = &r->inj[i];

		if (!ic->started)
			continue;
		rc = ic->ops->stop(ic);
		if (rc < 0)
			cell_set_lockmap_error(r->res, "injector %s: %s (see its entry in the journal)",
				       ic->ops->name, rc == -ECHILD ? "its process died during the window" :
				       strerror(-rc));
		ic->started = 0;
	}
}

static json_t *cell_params_json(const struct cell *c, bool axes_only)
{
	json_t *o = json_object();

	for (size_t i = 0; i < c->nparams; i++) {
		const struct cparam *p = &c->params[i];
		char k[128];

		if (axes_only ? p->pkey->nvals < 2 : !p->pkey->is_set)
			continue;
		snprintf(k, sizeof(k), "%s.%s", p->pkey->section, p->pkey->key);
		json_object_set_new(o, k, text_json(p->val->text));
	}
	return o;
}

/* What each injector was asked and did, while its state is still there. */
static json_t *cell_injectors_describe(struct cell_run *r)
{
	json_t *inj = json_object();

	for (size_t i = 0; i < r->ninj; i++) {
		json_t *d = json_object();

		if (r->inj[i].ops->describe)
			r->inj[i].ops->describe(&r->inj[i], d);
		json_object_set_new(inj, r->inj[i].ops->name, d);
	}
	return inj;
}

static void cell_journal_start(struct cell_run *r)
{
	const struct cell *c = r->ctx.cell;
	json_t *rec = json_object();
	char boot[37];

	json_object_set_new(rec, "type", json_string("cell_start"));
	json_object_set_new(rec, "cell", json_string(c->id));
	json_object_set_new(rec, "index", json_integer((json_int_t)c->index));
	json_object_set_new(rec, "rep", json_integer(c->rep));
	json_object_set_new(rec, "axes", cell_params_json(c, true));
	json_object_set_new(rec, "params", cell_params_json(c, false));
	json_object_set_new(rec, "accel", json_string(r->ctx.accel));
	json_object_set_new(rec, "dir", text_json(r->ctx.dir));
	/* A resume after the host died tells the boot it died in from this one
	 * (resume_crash.h), and its log lines of the cell from the uptime. */
	crash_boot_id(boot);
	json_object_set_new(rec, "boot_id", boot[0] ? json_string(boot) : json_null());
	json_object_set_new(rec, "uptime_s", json_real(crash_uptime()));
	(void)journal_append(r->ctx.journal, rec, true);
}

static void cell_journal_end(struct cell_run *r, json_t *metrics, json_t *inj)
{
	const struct journal_cell_end_info x = {
		.source = "cell", .injectors = inj ? inj : json_object(), .metrics = metrics,
	};

	(void)journal_append(r->ctx.journal, journal_cell_end(r->ctx.cell, r->res, &x), true);
}

int cell_run(const struct cell *c, const char *run_id, const char *dir, const char *accel,
	     struct journal *j, struct progress *pg, struct cell_result *res)
{
	struct cell_run r = { .res = res, .phase = "setup", .progress = pg };
	struct hostknobs *hk = NULL;
	json_t *metrics = json_object(), *launch = json_object(), *inj = NULL;
	json_t *module = json_object();
	char err[256] = "", *path;
	int64_t t0 = now_ns(), t;
	/* What the guest is asked for: whole us and ms (launch_qemu.c). */
	int64_t period_ns = cell_num(c, "guests", "period") / NSEC_PER_USEC * NSEC_PER_USEC;
	int64_t report_ns = cell_num(c, "guests", "report") / NSEC_PER_MSEC * NSEC_PER_MSEC;
	int rc;

	memset(res, 0, sizeof(*res));
	res->outcome = OUT_CLEAN;
	r.ctx.cell = c;
	r.ctx.run_id = run_id;
	r.ctx.dir = dir;
	r.ctx.accel = accel;
	r.ctx.journal = j;
	r.ctx.launcher = launcher_find(cell_str(c, "guests", "launcher"));
	r.ctx.pin_mask = cell_val(c, "guests", "pin")->mask;
	r.ctx.nguests = (size_t)cell_num(c, "guests", "count");

	rc = mkdir_p(dir, 0755);
	if (rc) {
		cell_set_lockmap_error(res, "cannot create %s: %s", dir, strerror(-rc));
		goto out_journal;
	}
	cell_journal_start(&r);
	if (cell_injectors_init(&r) < 0) {
		cell_set_lockmap_error(res, "out of memory");
		goto out_journal;
	}
	r.ctx.guests = calloc(r.ctx.nguests, sizeof(*r.ctx.guests));
	r.cl = classifier_new(cell_on_event, &r);
	if (!r.ctx.guests || !r.cl) {
		cell_set_lockmap_error(res, "out of memory");
		goto out_free;
	}

	path = xasprintf("%s/kmsg.log", dir);
	r.kmsg_log = fopen(path, "we");
	free(path);
	/* kmsg first: a lockup caused by setting knobs or starting guests is
	 * part of the cell too. */
	rc = kmsg_open(NULL, &r.kmsg);
	if (rc) {
		cell_set_lockmap_error(res, "cannot read /dev/kmsg: %s (lockmap needs root to watch the kernel log)",
			       strerror(-rc));
		goto out_free;
	}
	rc = hostknobs_apply(c, &hk, err, sizeof(err));
	if (rc) {
		cell_set_lockmap_error(res, "host knobs: %s", err);
		goto out_kmsg;
	}
	/* After the knobs: the buddy detector follows watchdog_thresh. */
	rc = monitor_start(c, &r.mon, err, sizeof(err));
	if (rc) {
		cell_set_lockmap_error(res, "%s", err);
		goto out_guests;
	}

	r.phase = "boot";
	pg->phase = "boot";
	pg->phase_start = now_ns();
	pg->phase_len = 0;
	progress_draw(pg, 1);
	t = now_ns();
	rc = r.ctx.launcher->start(&r.ctx, err, sizeof(err));
	cell_guests_journal_start(&r.ctx, t);
	if (rc && rc != -EINTR && cell_exit_why(&r))
		/* The VMM stopped a guest (a KVM internal error): the host's doing. */
		cell_set_error(res, "%s launcher could not start %zu guests: %s (see %s/)",
			       r.ctx.launcher->name, r.ctx.nguests, cell_exit_why(&r), dir);
	else if (rc && rc != -EINTR)
		cell_set_lockmap_error(res, "%s launcher could not start %zu guests: %s (see %s/)",
				       r.ctx.launcher->name, r.ctx.nguests,
				       err[0] ? err : strerror(-rc), dir);
	if (rc)
		goto out_guests;

	/* Samples from here: the guests run. No memory for them: no samples. */
	r.gm = calloc(r.ctx.nguests ? r.ctx.nguests : 1, sizeof(*r.gm));
	for (size_t i = 0; r.gm && i < r.ctx.nguests; i++)
		r.gm[i] = &r.ctx.guests[i].metrics;
	r.sampling = r.gm && sampler_init(&r.sampler, t0, now_ns(), r.ctx.nguests) == 0;
	rc = cell_watch(&r, "warmup", cell_num(c, "run", "warmup"));
	if (rc)
		goto out_guests;
	t = now_ns();
	for (size_t i = 0; i < r.ctx.nguests; i++)
		guest_metrics_open(&r.ctx.guests[i].metrics, t, period_ns, report_ns);
	monitor_window_open(r.mon);

	for (size_t i = 0; i < r.ninj; i++) {
		struct inject_ctx *ic = &r.inj[i];

		rc = ic->ops->start(ic);
		if (rc) {
			cell_set_lockmap_error(res, "injector %s could not start: %s", ic->ops->name,
				       strerror(-rc));
			goto out_inject;
		}
		ic->started = 1;
	}
	rc = cell_watch(&r, "window", cell_num(c, "run", "cell_seconds"));
	/* The window ends now, not after the module's statistics are read (3 s
	 * of 64 starved guests in a TCG lab host): silences end here. */
	t = now_ns();
	monitor_window_close(r.mon, &res->probe);
	cell_injectors_stop(&r);
	if (rc)
		goto out_inject;
	/* Guests are judged on the window only; cool-down still collects the
	 * kernel's reports, which can trail the condition by seconds. */
	for (size_t i = 0; i < r.ctx.nguests; i++) {
		guest_read_output(&r.ctx.guests[i], NULL, NULL);
		guest_metrics_close(&r.ctx.guests[i].metrics, t);
	}
	rc = cell_watch(&r, "cooldown", cell_num(c, "run", "cooldown"));

out_inject:
	cell_injectors_stop(&r);
out_guests:
	if (rc == -EINTR || lm_stop_requested) {
		res->interrupted = true;
		res->signal = lm_stop_requested;
		cell_set_error(res, "interrupted by signal %d", lm_stop_requested);
	}
	r.sampling = false;
	r.phase = "teardown";
	cell_reap_guests(&r);
	inj = cell_injectors_describe(&r);
	if (r.kmsg)
		(void)kmsg_read(r.kmsg, cell_on_kmsg_line, &r);
	classifier_flush(r.cl);
	if (res->outcome != OUT_ERROR || res->interrupted)
		cell_guests_metrics(&r.ctx, res, metrics);
	monitor_stop(r.mon, module);
	r.mon = NULL;
	json_object_set_new(metrics, "module", module);
	module = NULL;
	r.ctx.launcher->describe(&r.ctx, launch);
	json_object_set_new(metrics, "launcher", launch);
	launch = NULL;
	if (r.ctx.launcher->stop(&r.ctx) < 0)
		cell_set_error(res, "guests did not stop cleanly");
	if (res->guests_died)
		cell_set_error(res, "%d guest(s) exited during the cell%s%s (see guest_exit in the journal)",
			       res->guests_died, cell_exit_why(&r) ? ": " : "",
			       cell_exit_why(&r) ? cell_exit_why(&r) : "");
	if (hostknobs_restore(hk) < 0)
		cell_set_lockmap_error(res, "host knobs could not all be restored: run `lockmap check --restore`");
out_kmsg:
	/* What the kernel said while guests stopped and knobs went back (or
	 * while a failed set-up was undone) belongs to this cell too. */
	r.phase = "teardown";
	if (r.kmsg)
		(void)kmsg_read(r.kmsg, cell_on_kmsg_line, &r);
	classifier_flush(r.cl);
	kmsg_close(r.kmsg);
out_free:
	if (r.kmsg_log)
		fclose(r.kmsg_log);
	classifier_free(r.cl);
	for (size_t i = 0; i < r.ctx.nguests && r.ctx.guests; i++) {
		free(r.ctx.guests[i].out_path);
		free(r.ctx.guests[i].vmm_log);
	}
	if (r.gm)
		sampler_free(&r.sampler);
	free(r.gm);
	free(r.ctx.guests);
out_journal:
	json_decref(launch);
	json_decref(module);
	res->seconds = (now_ns() - t0) / NSEC_PER_SEC;
	if (r.ctx.journal)
		cell_journal_end(&r, metrics, inj);
	else
		json_decref(metrics), json_decref(inj);
	for (size_t i = 0; i < r.ninj; i++)
		free(r.inj[i].priv);
	free(r.inj);
	return res->outcome == OUT_ERROR ? -EIO : 0;
}

json_t *cell_result_to_json(const struct cell_result *res)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:i, s:i}",
			 "ticks", (json_int_t)res->ticks, "expected", (json_int_t)res->expected,
			 "lost", (json_int_t)res->lost, "late", (json_int_t)res->late,
			 "maxgap_us", (json_int_t)res->maxgap_us,
			 "worst_loss_pct", res->worst_loss_bp / 100.0,
			 "guests_died", res->guests_died, "silent_guests", res->silent_guests);

	if (res->probe.ran) {
		json_t *p = json_pack("{s:f, s:I, s:I}", "calls_per_s", res->probe.calls_per_s,
				      "max_chain", (json_int_t)res->probe.max_chain,
				      "max_lag_us", (json_int_t)res->probe.max_lag_us);

		if (p && res->probe.irq_known)
			json_object_set_new(p, "max_irq_us",
					    json_integer((json_int_t)res->probe.max_irq_us));
		json_object_set_new(o, "probe", p);
	}
	return o;
}

int cell_result_from_json(const json_t *end, struct cell_result *res)
{
	const json_t *sum = json_object_get(end, "summary");
	const json_t *ev = json_object_get(end, "events");
	const char *err = json_string_value(json_object_get(end, "error"));
	json_int_t ticks = 0, expected = 0, lost = 0, late = 0, maxgap = 0;
	double loss = 0;
	int died = 0, silent = 0;
	enum outcome o;

	memset(res, 0, sizeof(*res));
	if (outcome_parse(json_string_value(json_object_get(end, "outcome")) ?: "", &o) < 0)
		return -EINVAL;
	res->outcome = o;
	res->interrupted = json_is_true(json_object_get(end, "interrupted"));
	res->signal = (int)json_integer_value(json_object_get(end, "signal"));
	res->seconds = json_integer_value(json_object_get(end, "seconds"));
	if (err)
		snprintf(res->error, sizeof(res->error), "%s", err);
	res->lockmap_error = !strcmp(json_string_value(json_object_get(end, "error_cause")) ?: "",
				     "lockmap");
	if (sum && json_unpack((json_t *)sum, "{s?I, s?I, s?I, s?I, s?I, s?F, s?i, s?i}", "ticks",
			       &ticks, "expected", &expected, "lost", &lost, "late", &late,
			       "maxgap_us", &maxgap, "worst_loss_pct", &loss, "guests_died",
			       &died, "silent_guests", &silent) == 0) {
		res->ticks = (uint64_t)ticks;
		res->expected = (uint64_t)expected;
		res->lost = (uint64_t)lost;
		res->late = (uint64_t)late;
		res->maxgap_us = (uint64_t)maxgap;
		res->worst_loss_bp = (int64_t)(loss * 100.0 + (loss >= 0 ? 0.5 : -0.5));
		res->guests_died = died;
		res->silent_guests = silent;
	}
	if (sum && json_is_object(json_object_get(sum, "probe"))) {
		json_int_t chain = 0, lag = 0, irq = 0;

		/* max_irq_us: since uAPI 4 */
		if (json_unpack(json_object_get(sum, "probe"), "{s:F, s:I, s:I, s?I}", "calls_per_s",
				&res->probe.calls_per_s, "max_chain", &chain, "max_lag_us", &lag,
				"max_irq_us", &irq) == 0) {
			res->probe.ran = true;
			res->probe.max_chain = (uint64_t)chain;
			res->probe.max_lag_us = (uint64_t)lag;
			res->probe.max_irq_us = (uint64_t)irq;
			res->probe.irq_known = json_object_get(json_object_get(sum, "probe"),
							       "max_irq_us") != NULL;
		}
	}
	for (int k = 0; k < EV__COUNT && ev; k++)
		res->nevents[k] = (unsigned)json_integer_value(
			json_object_get(ev, event_kind_name((enum event_kind)k)));
	return 0;
}
