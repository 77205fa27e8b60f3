/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockmap_inject internals shared by main.c, irqoff.c, nmi.c, buddy.c and
 * probe.c. Locking: lm_lock (global) guards cpu claims, the buddy and probe
 * owners and the NMI handler registration; it is never held while waiting for
 * one of the module's threads. A file's own mutex serializes its ioctls.
 */
#ifndef LOCKMAP_LM_H
#define LOCKMAP_LM_H

#include <linux/atomic.h>
#include <linux/mutex.h>
/* task_pid_nr: newer kernels declare it in linux/pid.h, not linux/sched.h. */
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "lockmap_uapi.h"

/* One irq-off injection of one file: a kthread per target cpu. */
struct lm_irqoff;
/* One NMI storm of one file: a sender kthread. */
struct lm_nmi;

/* State of one open /dev/lockmap. */
struct lm_file {
	struct mutex lock;		/* serializes this file's ioctls */
	struct lm_irqoff *irqoff;
	struct lm_nmi *nmi;
	/* LOCKMAP_ACT_IRQOFF and _NMI while running: read by STATS without
	 * f->lock, so it never looks at an injection being freed */
	unsigned long active;
	bool buddy;
	bool probe;
	u64 nmi_first_ns;
	u64 nmi_last_ns;
	struct lockmap_cpu_stats stats[LOCKMAP_MAX_CPUS];
};

/* Bounds (module parameters, main.c). */
extern unsigned int lm_max_irqoff_ms;
extern unsigned int lm_min_irqoff_interval_us;
extern unsigned int lm_max_nmi_rate_hz;
extern unsigned int lm_max_nmi_residency_us;
extern unsigned int lm_max_cpus;

/* Global counters readable in /sys/module/lockmap_inject/parameters. */
extern atomic64_t lm_sections_total;
extern atomic_t lm_active_injections;

extern struct mutex lm_lock;

/* cpus addressable through the uAPI: min(nr_cpu_ids, LOCKMAP_MAX_CPUS) */
unsigned int lm_nr_cpus(void);
int lm_check_cpumask(const char *what, u64 mask, bool limit_count);
/* Give the cpus of mask to f for kind (LOCKMAP_ACT_IRQOFF or _NMI): a cpu
 * serves one file at a time. -EBUSY when another file holds one of them. */
int lm_claim_cpus(struct lm_file *f, u64 mask, unsigned int kind,
		  const char *what);
void lm_release_cpu(struct lm_file *f, unsigned int cpu, unsigned int kind);

/* Store a u64 statistic that another cpu may read at any time. */
#define lm_stat_set(field, v)	WRITE_ONCE(field, v)
#define lm_stat_add(field, v)	WRITE_ONCE(field, READ_ONCE(field) + (v))

int lm_irqoff_start(struct lm_file *f, const struct lockmap_irqoff *req);
void lm_irqoff_stop(struct lm_file *f);
bool lm_irqoff_active(struct lm_file *f);

int lm_nmi_start(struct lm_file *f, const struct lockmap_nmi *req);
void lm_nmi_stop(struct lm_file *f);
bool lm_nmi_active(struct lm_file *f);
/* The shared NMI handler: storms and buddy backtraces hold a reference. */
int lm_nmi_handler_get(void);
void lm_nmi_handler_put(void);
/* Ask cpu for its stack by NMI; the handler only saves it. */
void lm_nmi_request_backtrace(unsigned int cpu);
/* Print the stack cpu saved, if any, from the calling cpu. */
void lm_nmi_print_backtrace(unsigned int cpu);

int lm_buddy_start(struct lm_file *f, const struct lockmap_buddy *req);
void lm_buddy_stop(struct lm_file *f);

int lm_probe_start(struct lm_file *f, const struct lockmap_probe *req);
void lm_probe_stop(struct lm_file *f);
/* The handlers' own cost (lockmap_stats.probe_cost_*). */
void lm_probe_fill_stats(struct lockmap_stats *s);
/* Module unload: unregister the tracepoint probes. */
void lm_probe_exit(void);

/* Wait in TASK_INTERRUPTIBLE until kthread_stop() is called. */
void lm_wait_for_stop(void);

#endif
