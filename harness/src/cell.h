/* SPDX-License-Identifier: GPL-2.0 */
/* One cell, start to end (DESIGN.md "One cell, start to end"). */
#ifndef LOCKMAP_CELL_H
#define LOCKMAP_CELL_H

#include <stdint.h>

#include "grid.h"
#include "inject.h"
#include "launch.h"
#include "monitor.h"
#include "outcome.h"

struct journal;

/* Everything a launcher or injector may need about the running cell. */
struct cell_ctx {
	const struct cell *cell;
	const char *run_id;		/* names what the cell makes on the host (cgroups) */
	const char *dir;		/* results/<run-id>/cells/<cell-id> */
	const char *accel;		/* "kvm" or "tcg" (from the probe) */
	const struct launcher_ops *launcher;
	struct guest *guests;
	size_t nguests;
	struct journal *journal;
	uint64_t pin_mask;		/* host cpus for vCPUs (guests.pin) */
	int64_t start_budget_ns;	/* the launcher's bound on the guests' start */
	char start_retry[512];		/* why the launcher started the guests again, or "" */
};

struct cell_result {
	enum outcome outcome;
	char error[256];		/* why, when outcome is OUT_ERROR */
	bool lockmap_error;		/* the error is lockmap's own machinery failing, not
				 * the cell's conditions: a resumed run runs it again */
	bool interrupted;
	int signal;			/* the signal that interrupted it, when known */
	unsigned nevents[32];		/* by event kind */
	/* guest metrics summed over guests in the observation window */
	uint64_t ticks, expected, lost, late, maxgap_us;
	int64_t worst_loss_bp;		/* the worst guest's loss, 0.01 % */
	int guests_died;
	int silent_guests;		/* guests silent for part of the window */
	struct probe_summary probe;	/* apic_timer_fn figures of the window */
	int64_t seconds;		/* wall time of the cell */
};

struct progress;

/* The summary of a cell_end record, and back (resume, lab, reports). */
json_t *cell_result_to_json(const struct cell_result *res);
int cell_result_from_json(const json_t *cell_end, struct cell_result *res);

/* Inside cell_run (cell_guests.c): journal the guests_start record (t0: when
 * the start began), and sum the guests' window metrics into res, with each
 * guest's in out's "guests"; silent guests or loss beyond guests.tick_loss
 * make the cell degraded. */
void cell_guests_journal_start(const struct cell_ctx *ctx, int64_t t0);
void cell_guests_metrics(const struct cell_ctx *ctx, struct cell_result *res, json_t *out);

/* Run one cell; results go to the journal and res. Returns 0, or -EIO when the
 * outcome is error (res->error says why). Teardown always runs. */
int cell_run(const struct cell *c, const char *run_id, const char *dir, const char *accel,
	     struct journal *j, struct progress *pg, struct cell_result *res);

#endif
