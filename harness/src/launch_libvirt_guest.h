/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the libvirt launcher, for launch_libvirt.c (watch, pause, stop,
 * describe) and launch_libvirt_start.c (bring a cell's guests up): one
 * guest's domain. */
#ifndef LOCKMAP_LAUNCH_LIBVIRT_GUEST_H
#define LOCKMAP_LAUNCH_LIBVIRT_GUEST_H

#include <sys/types.h>
#include <libvirt/libvirt.h>

#include "launch.h"
#include "launch_libvirt_int.h"

/* Where libvirtd's QEMU writes its own log (virtlogd, qemu:///system). */
#define LIBVIRT_QEMU_LOG_DIR "/var/log/libvirt/qemu"
/* libvirtd's pid files of the QEMUs it runs. */
#define LIBVIRT_QEMU_RUN_DIR "/run/libvirt/qemu"

struct libvirt_guest {
	virDomainPtr dom;	/* NULL once destroyed */
	char name[LIBVIRT_NAME_MAX];
	char *xml;		/* the XML it was started from */
	char *template_path;
	char *qemu_log;		/* libvirtd's log of its QEMU; copied to g->vmm_log */
	off_t log_seen;		/* size of qemu_log when last scanned */
	int pins[64];		/* host cpu of each vCPU, -1 when not pinned */
};

/* Notice whether g stopped running (its lifecycle events, taken from the
 * event loop's queue): true once, when it did, with why in g->exit_why. */
bool libvirt_guest_gone(struct guest *g);
/* Copy libvirtd's QEMU log of g into the cell directory (g->vmm_log). */
void libvirt_guest_save_log(struct guest *g);
/* Why g failed to come up, with QEMU's last words: logged, and put in why
 * (when not NULL and still empty) for the cell's error. */
void libvirt_report_failure(struct guest *g, const char *what, char *why, size_t len);

/* The launcher's start(): launch_libvirt_start.c. */
int libvirt_start(struct cell_ctx *ctx, char *why, size_t len);

#endif
