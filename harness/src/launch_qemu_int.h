/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the qemu launcher, for launch_qemu*.c only: one QEMU's state, shared
 * by the file that spawns, watches and stops QEMUs (launch_qemu.c) and the one
 * that brings a cell's guests up (launch_qemu_start.c). */
#ifndef LOCKMAP_LAUNCH_QEMU_INT_H
#define LOCKMAP_LAUNCH_QEMU_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "launch.h"
#include "payload.h"
#include "qmp.h"
#include "spawn.h"

#define QEMU_BIN "qemu-system-x86_64"
/* A QMP command once the guests run (pause, resume, quit). */
#define QMP_CMD_MS 2000

struct qemu_guest {
	struct qmp *qmp;
	char *qmp_path;
	struct spawn_argv argv;
	int pins[64];		/* host cpu of each vCPU, -1 when not pinned */
	char version[32];	/* QEMU's, from the QMP greeting */
	off_t log_seen;		/* size of the QEMU log when last scanned */
};

/* Spawn one QEMU for guest g, paused (no waiting). */
int qemu_spawn(struct cell_ctx *ctx, struct guest *g, const struct payload_boot *pb);
/* Reap g if it exited; true when it has. */
bool qemu_reap(struct guest *g);
/* A KVM internal error in g's QEMU log since the last look: true once, with
 * the line in g->exit_why. */
bool qemu_kvm_error(struct guest *g);
/* "QEMU exited with status N" and the like, for a wait status. */
void qemu_describe_status(int status, char *buf, size_t len);
/* Why guest g failed to come up, with QEMU's last words: logged, and put in
 * why (when why is not NULL and still empty) for the cell's error. */
void qemu_report_failure(struct guest *g, const char *what, char *why, size_t len);

/* The launcher's start(): launch_qemu_start.c. */
int qemu_start(struct cell_ctx *ctx, char *why, size_t len);

#endif
