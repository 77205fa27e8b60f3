/* SPDX-License-Identifier: GPL-2.0 */
/* Everything checked before anything starts, for every cell of the grid and so
 * for every value of every axis: first the profile alone (what the payload and
 * each injector take; a mistake is exit 2), then the profile against the host
 * the cells will run on (cpus, [host] knobs; what the host lacks is exit 3).
 * `lockmap run` does both, -n too; `lockmap lab` does the first and checks
 * cpus against the lab host's, and its inner run does both inside. */
#ifndef LOCKMAP_PRECHECK_H
#define LOCKMAP_PRECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grid.h"

/* What is known of the host the cells will run on. */
struct host_facts {
	uint64_t cpus;		/* the cpus a profile may name (bit i: cpu i) */
	char what[160];	/* "online on this host, whose online cpus are 0-1" */
	char fix[128];		/* how to get others, or "" */
	bool knobs;		/* its [host] knobs can be looked at from here */
	int kvm_min_timer_period_us;	/* kvm's, when kvm is loaded; else -1 */
};

/* This host ($LOCKMAP_SYSROOT roots /sys, as for the knobs). */
void host_facts_local(struct host_facts *hf);
/* A lab host with ncpus cpus: its knobs and kvm are known only inside it. */
void host_facts_lab(struct host_facts *hf, int ncpus);

/* The profile alone, every cell: 0, or -EINVAL and the first mistake in err
 * ("path:line: [section] key: what is wrong; what is allowed"). */
int precheck_profile(const struct grid *g, char *err, size_t len);
/* The profile against hf: 0, or -ENODEV and the first thing the host lacks in
 * err ("path:line: [section] key: ..."). Says once per period when KVM will
 * clamp a periodic timer (a period under min_timer_period_us is allowed). */
int precheck_host(const struct grid *g, const struct host_facts *hf, char *err, size_t len);
/* Both, the message printed: EXIT_CLEAN, EXIT_USAGE or EXIT_NOTREADY. */
int precheck_all(const struct grid *g, const struct host_facts *hf);

#endif
