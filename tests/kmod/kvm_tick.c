// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit flat protected-mode guest of a few instructions: it enables its
 * in-kernel LAPIC, makes the timer periodic (vector 0x20, divide by 1, so one
 * count is one ns on KVM's 1 GHz APIC bus), then halts with interrupts off
 * for ever. The interrupts are never taken, but KVM's hrtimer keeps calling
 * apic_timer_fn once per period on the vcpu's cpu, which is what the probe
 * measures. The vcpu runs in a child process pinned to the cpu, killed at
 * the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_tick.h"

#define GUEST_MEM	0x10000
#define GUEST_ENTRY	0x1000
#define LAPIC		0xfee00000u

struct shared {
	volatile int state;		/* 0 starting, 1 running, -1 failed */
	volatile uint64_t exits;
	char error[200];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* mov dword [addr], value */
static unsigned char *emit_store(unsigned char *p, uint32_t addr, uint32_t value)
{
	*p++ = 0xc7;
	*p++ = 0x05;
	memcpy(p, &addr, 4);
	memcpy(p + 4, &value, 4);
	return p + 8;
}

static void fail(struct shared *sh, const char *what)
{
	snprintf(sh->error, sizeof(sh->error), "%s: %s", what, strerror(errno));
	sh->state = -1;
	_exit(1);
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

/* The child: build the VM and run its vcpu until killed. */
static void run_guest(unsigned int cpu, uint32_t period_ns, struct shared *sh)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	struct kvm_cpuid2 *cpuid;
	unsigned char *mem, *p;
	cpu_set_t set;
	int kvm, vm, vcpu, size;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail(sh, "sched_setaffinity");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail(sh, "open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		fail(sh, "KVM_CREATE_VM");
	ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);	/* needed on Intel only */
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		fail(sh, "KVM_CREATE_IRQCHIP");
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fail(sh, "mmap guest memory");
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM,
		.userspace_addr = (uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		fail(sh, "KVM_SET_USER_MEMORY_REGION");

	p = mem + GUEST_ENTRY;
	p = emit_store(p, LAPIC + 0x0f0, 0x1ff);	/* SVR: enable, vector 0xff */
	p = emit_store(p, LAPIC + 0x3e0, 0xb);		/* divide by 1 */
	p = emit_store(p, LAPIC + 0x320, 0x20020);	/* LVT timer: periodic, 0x20 */
	p = emit_store(p, LAPIC + 0x380, period_ns);	/* initial count */
	*p++ = 0xf4;					/* 1: hlt */
	*p++ = 0xeb;					/* jmp 1b */
	*p++ = 0xfd;

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail(sh, "KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		fail(sh, "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail(sh, "mmap kvm_run");
	/* Without a CPUID, KVM masks the LVT timer mode to one-shot. */
	cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
	if (!cpuid)
		fail(sh, "calloc");
	cpuid->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		fail(sh, "KVM_GET_SUPPORTED_CPUID");
	if (ioctl(vcpu, KVM_SET_CPUID2, cpuid))
		fail(sh, "KVM_SET_CPUID2");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		fail(sh, "KVM_GET_SREGS");
	flat_segment(&sregs.cs, 8, 11);
	flat_segment(&sregs.ds, 16, 3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 |= 1;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		fail(sh, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_ENTRY;
	regs.rflags = 2;				/* IF clear */
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		fail(sh, "KVM_SET_REGS");

	sh->state = 1;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
			fail(sh, "KVM_RUN");
		sh->exits++;
		if (run->exit_reason == KVM_EXIT_SHUTDOWN ||
		    run->exit_reason == KVM_EXIT_FAIL_ENTRY ||
		    run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
			snprintf(sh->error, sizeof(sh->error),
				 "guest stopped: KVM exit reason %u", run->exit_reason);
			sh->state = -1;
			_exit(1);
		}
	}
}

int kvm_tick_start(unsigned int cpu, uint32_t period_ns,
		   struct kvm_tick_result *r)
{
	struct shared *sh;
	int waited;

	memset(r, 0, sizeof(*r));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(r->error, sizeof(r->error), "mmap: %s", strerror(errno));
		return -1;
	}
	memset(sh, 0, sizeof(*sh));
	r->shared = sh;
	r->pid = fork();
	if (r->pid < 0) {
		snprintf(r->error, sizeof(r->error), "fork: %s", strerror(errno));
		return -1;
	}
	if (r->pid == 0)
		run_guest(cpu, period_ns, sh);
	r->started_ns = mono_ns();
	for (waited = 0; waited < 2000 && !sh->state; waited += 10)
		usleep(10000);
	if (sh->state == 1)
		return 0;
	snprintf(r->error, sizeof(r->error), "%s",
		 sh->state ? sh->error : "guest did not start within 2 s");
	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
	return -1;
}

void kvm_tick_stop(struct kvm_tick_result *r)
{
	struct shared *sh = r->shared;

	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		r->ran_ns = mono_ns() - r->started_ns;
		r->pid = 0;
	}
	if (sh) {
		r->exits = sh->exits;
		if (sh->state < 0)
			snprintf(r->error, sizeof(r->error), "%s", sh->error);
	}
}
