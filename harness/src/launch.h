/* SPDX-License-Identifier: GPL-2.0 */
/* Launchers start a cell's guests and stop them. One file per launcher fills a
 * struct launcher_ops; launchers[] in registry.c lists them. */
#ifndef LOCKMAP_LAUNCH_H
#define LOCKMAP_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "guestreport.h"
#include "profile.h"

struct cell_ctx;

struct guest {
	int index;
	pid_t pid;		/* the VMM process; 0 once reaped */
	int64_t launch_ns;	/* when the VMM was spawned (monotonic) */
	int64_t run_ns;		/* when the guest was let run (set up, pinned); 0: not yet */
	char *out_path;		/* guest output (tickguest reports), in the cell dir */
	long out_off;		/* how far the harness has read out_path */
	char out_partial[256];	/* an incomplete last line */
	char *vmm_log;		/* the VMM's own stdout/stderr */
	int vcpu_tids[64];	/* host thread ids of the vCPUs, when known */
	int nvcpus;
	bool paused;
	bool exited;		/* the VMM exited (by itself or stopped) */
	bool exit_journaled;	/* cell.c: its exit was journaled */
	int exit_status;	/* wait status, when exited */
	char exit_why[256];	/* why the VMM stopped the guest, when it said (e.g. a KVM
				 * internal error); "" otherwise */
	char start_note[128];	/* the launcher's word on a guest that was not up when
				 * the start ended (where its vCPU was), or "" */
	struct guest_metrics metrics;
	void *priv;		/* the launcher's own per-guest state */
};

struct launcher_ops {
	const char *name;
	const char *help;
	const struct pspec *keys;	/* extra keys of [guests] for this launcher */
	size_t nkeys;
	/* 0 when usable here; else -ENOTSUP/-ENOENT and why + the fix in why. */
	int (*supported)(char *why, size_t len);
	/* Optional: once per run, with the host taken, before its first cell:
	 * end what runs that were killed left of this launcher's (libvirt:
	 * their domains), logging each. How many (named in msg), or a negative
	 * errno with why in msg. */
	int (*leftovers)(char *msg, size_t len);
	/* Start ctx->nguests guests (ctx->guests is allocated by the caller and
	 * zeroed), all at once, and return once each has printed its banner or
	 * the start's time bound (ctx->start_budget_ns, set by the launcher,
	 * scaled to the guests and the accelerator) has passed: a guest that is
	 * still booting then is starved by the host, which is the cell's data,
	 * not a failure (it stays silent and counts as lost ticks). A failure
	 * of the launcher's own (a VMM that exits, does not answer or cannot be
	 * pinned; no guest up at all) is a negative errno with the cause in
	 * why. */
	int (*start)(struct cell_ctx *ctx, char *why, size_t len);
	/* Pause or resume one guest (QMP stop/cont for QEMU). */
	int (*pause)(struct cell_ctx *ctx, struct guest *g, bool paused);
	/* Non-blocking: reap guests that exited; returns how many newly exited. */
	int (*poll)(struct cell_ctx *ctx);
	/* Stop and reap every guest; safe to call twice and after a failed start. */
	int (*stop)(struct cell_ctx *ctx);
	/* Facts for the journal: accel, command line, pins. */
	void (*describe)(struct cell_ctx *ctx, json_t *out);
};

extern const struct launcher_ops *const launchers[];
extern const size_t nr_launchers;
const struct launcher_ops *launcher_find(const char *name);

/* Read new output of every guest, feeding complete lines to its metrics and
 * to cb (may be NULL). Shared by all launchers whose guests write to a file. */
void guest_read_output(struct guest *g, void (*cb)(struct guest *, const char *, void *),
		       void *arg);

/* The host cpu of vCPU slot (counted over all vCPUs of the cell's guests, in
 * guest order) in the cell's pin mask, round-robin; -1 for an empty mask
 * (launch_start.c). */
int launch_pin_cpu(uint64_t mask, int slot);

/* Read every guest's output until each printed its banner (0), deadline
 * (monotonic ns) passed (-ETIMEDOUT), or a stop was requested (-EINTR);
 * failed(ctx, g, why, len), asked of each guest at each look, stops the wait
 * with its negative errno (a guest that died or reported an error). ready
 * says how many were up (launch_start.c). */
int launch_wait_banners(struct cell_ctx *ctx, int64_t deadline,
			int (*failed)(struct cell_ctx *ctx, struct guest *g, char *why, size_t len), size_t *ready,
			char *why, size_t len);

#endif
