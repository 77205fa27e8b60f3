/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lockmap_inject uAPI: the ioctls of /dev/lockmap, shared by the module and the
 * harness. Every injection lives only while the file that started it is open
 * (dead man's switch): release stops everything that file started.
 *
 * All structures have fixed-size fields and explicit padding so the layout is
 * the same for every compiler; extend only by adding fields at the end of a
 * struct whose size is part of its ioctl number (a new struct = a new number).
 */
#ifndef LOCKMAP_UAPI_H
#define LOCKMAP_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LOCKMAP_DEV		"/dev/lockmap"
#define LOCKMAP_MAX_CPUS	64
#define LOCKMAP_UAPI_VERSION	4

/* The kernel line the buddy detector prints; the classifier knows it. */
#define LOCKMAP_BUDDY_MSG	"buddy: Watchdog detected hard LOCKUP on cpu"

/*
 * irq-off sections: on every cpu of cpumask, every interval_ns (start to start),
 * disable local interrupts and busy-wait duration_ns (ktime based), then
 * restore. count sections per cpu, or until stopped when count is 0. With
 * interval_ns 0 there is one section per cpu. Bounds: module parameters
 * max_irqoff_ms and min_irqoff_interval_us.
 */
struct lockmap_irqoff {
	__u64 cpumask;
	__u64 duration_ns;
	__u64 interval_ns;
	__u32 count;
	__u32 flags;		/* must be 0 */
	/* before each section, keep the cpu busy this long at the lowest
	 * priority (nice 19, interrupts on), so the section does not start on a
	 * cpu that has just left idle: leaving NOHZ idle touches the kernel's
	 * soft-lockup watchdog, which then excuses the next watchdog period and
	 * hides the section's soft lockup. 0: sleep right up to the section. */
	__u64 lead_in_ns;
};

/*
 * NMI storm (SMI emulation): a sender kthread bound to sender_cpu (which must
 * not be in cpumask) sends NMI IPIs to every cpu of cpumask at rate_hz; the
 * module's NMI handler claims only NMIs it sent and spins residency_ns in NMI
 * context. Runs for duration_ns, or until stopped when 0. Bounds: module
 * parameters max_nmi_rate_hz and max_nmi_residency_us.
 */
struct lockmap_nmi {
	__u64 cpumask;
	__u64 residency_ns;
	__u64 duration_ns;
	__u32 rate_hz;
	__u32 sender_cpu;
};

/*
 * Buddy hard-lockup detector, for hosts without a working perf NMI watchdog:
 * every cpu of cpumask (0: all online) runs a pinned hrtimer that bumps its
 * heartbeat every period_ms; each cpu checks the next cpu's heartbeat; one that
 * has not moved for thresh_ms is reported once per stall with
 * "lockmap_inject: buddy: Watchdog detected hard LOCKUP on cpu N" and a
 * backtrace of that cpu taken from the module's NMI handler.
 */
struct lockmap_buddy {
	__u64 cpumask;
	__u32 thresh_ms;
	__u32 period_ms;
};

/*
 * apic_timer_fn probe, on static tracepoints (hrtimer_expire_entry,
 * local_timer_entry/exit; no kprobes): counts, per cpu, calls of KVM's
 * apic_timer_fn, their lag behind the hrtimer's soft expiry, and the longest
 * chain of apic_timer_fn calls inside one local timer interrupt. fn_addr is
 * apic_timer_fn's address from /proc/kallsyms (static in kvm.ko, so the
 * module cannot look it up); the module checks that it names apic_timer_fn
 * (-EINVAL otherwise) and only compares it with hrtimer->function. fn_addr 0
 * (kvm not loaded) gives -ENOENT.
 */
struct lockmap_probe {
	__u32 flags;		/* LOCKMAP_PROBE_* */
	__u32 pad;		/* must be 0 */
	__u64 fn_addr;		/* apic_timer_fn, from /proc/kallsyms */
};

/* lockmap_probe.flags: also time each apic_timer_fn call and each local timer
 * interrupt (probe_fn_ns_total, probe_irq_ns_total). Two clock reads per call
 * and per interrupt: make bench uses it, cells do not. */
#define LOCKMAP_PROBE_TIME	(1u << 0)

/* What the module actually did, per cpu, since the file was opened (or the
 * last LOCKMAP_IOC_RESET; probe_max_chain and probe_lag_max_ns since the last
 * LOCKMAP_IOC_STATS_TAKE, if later). Times in ns. */
struct lockmap_cpu_stats {
	/* irq-off sections */
	__u64 irqoff_count;
	__u64 irqoff_min_ns;
	__u64 irqoff_max_ns;
	__u64 irqoff_total_ns;
	/* NMI storm: sent counts NMIs sent to this cpu, handled those its
	 * handler claimed */
	__u64 nmi_sent;
	__u64 nmi_handled;
	__u64 nmi_residency_max_ns;
	__u64 nmi_residency_total_ns;
	/* probe */
	__u64 probe_calls;		/* apic_timer_fn calls */
	__u64 probe_hrtimer_irqs;	/* hrtimer interrupts with >= 1 call */
	__u64 probe_max_chain;		/* most calls in one hrtimer interrupt */
	__u64 probe_lag_max_ns;		/* call time - hrtimer soft expiry */
	__u64 probe_lag_total_ns;
	/* buddy detector */
	__u64 buddy_reports;		/* hard lockups reported for this cpu */
	/* probe, continued: what its own cost is made of */
	__u64 probe_timer_irqs;		/* local timer interrupts seen */
	__u64 probe_other_expiries;	/* hrtimer callbacks of other functions */
	/* with LOCKMAP_PROBE_TIME only (two clock reads per call and per
	 * interrupt: for measuring the probe, not for cells) */
	__u64 probe_fn_timed;		/* apic_timer_fn calls timed */
	__u64 probe_fn_ns_total;	/* time inside those calls */
	__u64 probe_irq_ns_total;	/* time inside local timer interrupts */
	/* since version 4 (two clock reads per timer interrupt, always): the
	 * longest local timer interrupt, entry to exit */
	__u64 probe_irq_max_ns;
};

struct lockmap_stats {
	__u32 version;			/* out: LOCKMAP_UAPI_VERSION */
	__u32 nr_cpus;			/* out: entries filled (nr_cpu_ids, <= 64) */
	__u64 now_ns;			/* out: ktime_get_ns() when taken */
	__u64 nmi_first_ns;		/* out: first and last NMI sent (ktime) */
	__u64 nmi_last_ns;
	__u32 active;			/* out: LOCKMAP_ACT_* of this file */
	__u32 pad;
	/* out: the probe handlers' own cost, timed in a loop when the probe
	 * last started, in picoseconds: per apic_timer_fn callback, per other
	 * hrtimer callback, per local timer interrupt (entry + exit) */
	__u64 probe_cost_call_ps;
	__u64 probe_cost_other_ps;
	__u64 probe_cost_irq_ps;
	struct lockmap_cpu_stats cpu[LOCKMAP_MAX_CPUS];
};

#define LOCKMAP_ACT_IRQOFF	(1u << 0)
#define LOCKMAP_ACT_NMI		(1u << 1)
#define LOCKMAP_ACT_BUDDY	(1u << 2)
#define LOCKMAP_ACT_PROBE	(1u << 3)
#define LOCKMAP_ACT_ALL		0xf

#define LOCKMAP_IOC_MAGIC	0xb7
#define LOCKMAP_IOC_IRQOFF_START _IOW(LOCKMAP_IOC_MAGIC, 1, struct lockmap_irqoff)
#define LOCKMAP_IOC_NMI_START	_IOW(LOCKMAP_IOC_MAGIC, 2, struct lockmap_nmi)
#define LOCKMAP_IOC_BUDDY_START	_IOW(LOCKMAP_IOC_MAGIC, 3, struct lockmap_buddy)
#define LOCKMAP_IOC_PROBE_START	_IOW(LOCKMAP_IOC_MAGIC, 4, struct lockmap_probe)
/* Stop the LOCKMAP_ACT_* bits given (a __u32) of this file; waits until they
 * have stopped (no section runs, no NMI is in flight). */
#define LOCKMAP_IOC_STOP	_IOW(LOCKMAP_IOC_MAGIC, 5, __u32)
#define LOCKMAP_IOC_STATS	_IOR(LOCKMAP_IOC_MAGIC, 6, struct lockmap_stats)
#define LOCKMAP_IOC_RESET	_IO(LOCKMAP_IOC_MAGIC, 7)
/* Since version 3: STATS, then each cpu's interval maxima (probe_max_chain,
 * probe_lag_max_ns, since 4 probe_irq_max_ns) taken and set to 0 in one
 * exchange, so that the next call gives the maxima of the time between the
 * two: the harness samples a cell once a second with it. The probe's handlers are
 * unchanged (they keep only running maxima); a probe update racing the
 * exchange lands in the next interval, never lost. Counters are untouched:
 * per-interval counts are differences of two calls. Version 4 grew
 * struct lockmap_stats, and with it the numbers of STATS and STATS_TAKE: a
 * module of an earlier version answers -ENOTTY to both (the harness says so
 * and names the module to unload). */
#define LOCKMAP_IOC_STATS_TAKE	_IOR(LOCKMAP_IOC_MAGIC, 8, struct lockmap_stats)

#endif
