/* SPDX-License-Identifier: GPL-2.0 */
/* The lab target (DESIGN.md "Two targets"): a lab host VM booted from a kernel
 * image runs the profile's cells with the same lockmap binary inside, while
 * this lockmap watches its serial console, heartbeat and QMP from outside and
 * classifies a host that panics or stops answering. */
#ifndef LOCKMAP_LAB_H
#define LOCKMAP_LAB_H

#include <stdbool.h>

/* Defaults, in seconds. A TCG lab host boots in 5-16 s here; the bound only
 * has to catch a kernel that never comes up. */
#define LAB_BOOT_TIMEOUT_TCG 120
#define LAB_BOOT_TIMEOUT_KVM 60

/* QEMU's TCG threading for a lab host under TCG, chosen by the stall counts in
 * harness/lab/README.md. */
#define LAB_TCG_THREAD_DEFAULT "multi"

/* Seconds a cell may go on past its planned end (its guests up, then warm-up,
 * window and cool-down) with the lab host alive, before the host is rebooted
 * and the cell is host_hang: a catch-up storm can lock a cpu so that the
 * guests pinned to it never finish exiting. */
#define LAB_END_TIMEOUT 120

struct lab_opts {
	const char *accel;	/* how QEMU runs the lab host: "auto" (NULL), "kvm", "tcg" */
	const char *append;	/* extra kernel command line, or NULL */
	const char *tcg_thread;	/* "single" or "multi" (QEMU -accel tcg,thread=); NULL: LAB_TCG_THREAD_DEFAULT */
	int boot_timeout_s;	/* 0: LAB_BOOT_TIMEOUT_TCG / _KVM */
	int hang_timeout_s;	/* 0: the profile's [run] hang_timeout */
	int end_timeout_s;	/* 0: LAB_END_TIMEOUT */
	int cpus;		/* lab host vCPUs; 0: 2 */
	int mem_mb;		/* lab host memory; 0: 2048 */
	bool wait;		/* wait while another lockmap holds this host */
	bool dry_run;		/* print the cells, boot nothing */
	bool pstore;		/* RAM kept across boots, ramoops in it: the inner run
				 * decides a cell the host died in (lab_qemu.c) */
};

/* Run every cell of the profile at profile_path in a lab host booted from
 * kernel (NULL: the newest /boot/vmlinuz-* with headers installed); the run
 * directory is made under results_base ("results" when NULL). opts may be
 * NULL. Returns the exit code (lockmap.h): 0, 1 a cell reached a fail_on
 * outcome, 2 profile or kernel-image error, 3 something is missing (headers,
 * QEMU, module build). */
int lab_run(const char *kernel, const char *profile_path, const char *results_base,
	    const struct lab_opts *opts);

#endif
