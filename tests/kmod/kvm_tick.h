/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_tick: the smallest KVM guest with a periodic LAPIC timer, so that KVM's
 * apic_timer_fn runs in the lab host without booting a nested guest OS.
 */
#ifndef KVM_TICK_H
#define KVM_TICK_H

#include <stdint.h>
#include <sys/types.h>

struct kvm_tick_result {
	pid_t pid;		/* the child running the vcpu */
	uint64_t started_ns;	/* CLOCK_MONOTONIC */
	uint64_t ran_ns;	/* set by kvm_tick_stop */
	uint64_t exits;		/* KVM_RUN returns to user space */
	char error[200];
	void *shared;
};

/* Start a guest whose vcpu runs on cpu with its LAPIC timer periodic every
 * period_ns, in a child process. 0, or -1 with r->error set. */
int kvm_tick_start(unsigned int cpu, uint32_t period_ns,
		   struct kvm_tick_result *r);
/* Kill the guest and fill in ran_ns and exits. */
void kvm_tick_stop(struct kvm_tick_result *r);

#endif
