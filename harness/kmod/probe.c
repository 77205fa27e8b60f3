// SPDX-License-Identifier: GPL-2.0
/*
 * The apic_timer_fn probe, on the kernel's static tracepoints only:
 * hrtimer_expire_entry (every hrtimer callback; the events whose function is
 * KVM's apic_timer_fn count) and local_timer_entry/exit, which delimit one
 * local APIC timer interrupt, the one hrtimer_interrupt runs in. Per cpu it
 * counts the calls, their lag behind the hrtimer's soft expiry and the
 * longest chain of calls inside one timer interrupt: a late timer that KVM
 * re-arms in the past runs back to back in the same interrupt.
 *
 * Why not kprobes: an int3 kprobe on apic_timer_fn and a kretprobe on
 * hrtimer_interrupt sit in the very path this probe measures. In the TCG lab
 * they raised the cost of one apic_timer_fn call from about 1.2 to 2 us and
 * were the prime suspect of lab host hangs (vCPUs at asm_exc_int3,
 * kprobe_int3_handler, hrtimer_interrupt+0x0) and of a NULL call from
 * __hrtimer_run_queues. A tracepoint probe is a direct call from a static
 * branch; the handlers take no lock, and the per-call ones read no clock (the
 * hrtimer code passes its own "now"). The interrupt's entry and exit read
 * the clock once each (lm_probe_clock), for the longest time one timer
 * interrupt held its cpu: a catch-up storm runs the kernel's own watchdog
 * hrtimers inside it, so neither its hard-lockup detector nor the buddy
 * detector sees it (7.1 s in one interrupt, watchdog_thresh 4, no report, in
 * the TCG lab), and this figure does.
 *
 * apic_timer_fn is static in kvm.ko and kallsyms_lookup_name() is not
 * exported, so the harness passes its address from /proc/kallsyms; the module
 * checks with sprint_symbol() that the address really is apic_timer_fn, and
 * only ever compares it with hrtimer->function, never calls it.
 *
 * Tracepoint probes run with interrupts disabled (hard-irq context), so the
 * per-cpu state needs no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/kallsyms.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>

#include <asm/irq_vectors.h>

#include "lm.h"

struct lm_probe_cpu {
	bool in_timer_irq;	/* between local_timer_entry and _exit */
	u32 chain;		/* apic_timer_fn calls in this interrupt */
	u64 fn_t0;		/* LOCKMAP_PROBE_TIME: apic_timer_fn entered */
	u64 irq_t0;		/* interrupt entered (0: not seen) */
	/* since the probe started, for its end line */
	u64 calls;
	u64 irqs;
	u64 max_chain;
	u64 irq_max_ns;		/* longest timer interrupt */
	u64 lag_max_ns;
	u64 lag_total_ns;
};

static DEFINE_PER_CPU(struct lm_probe_cpu, lm_probe_pc);
static struct lm_file *lm_probe_file;	/* under lm_lock: the file running it */
/* What the handlers count for (published with release after lm_atf and
 * lm_probe_timed); NULL: every handler returns at once. */
static struct lm_file *lm_probe_owner;
static bool lm_tp_on;			/* under lm_lock: probes registered */
static u64 lm_probe_start_ns;
static void *lm_atf;			/* apic_timer_fn, compared only */
static bool lm_probe_timed;		/* LOCKMAP_PROBE_TIME */
/* the handlers' own cost, from lm_probe_calibrate(), in ps */
static u64 lm_cost_call_ps, lm_cost_other_ps, lm_cost_irq_ps;

/* This cpu's statistics in the file the probe counts for, or NULL. */
static struct lockmap_cpu_stats *lm_probe_stats(void)
{
	struct lm_file *f = smp_load_acquire(&lm_probe_owner);
	unsigned int cpu = smp_processor_id();

	return f && cpu < LOCKMAP_MAX_CPUS ? &f->stats[cpu] : NULL;
}

/*
 * The interrupt's clock: sched_clock(), the raw per-cpu clock (the TSC where
 * there is one), read on the cpu the interrupt runs on at both ends. Not
 * ktime_get_mono_fast_ns(): on a lab host whose clocksource is the HPET every
 * read is an emulated MMIO access (about 400 ns under TCG, measured). Not
 * local_clock(): with an unstable TSC it is clamped to one tick past the last
 * scheduler tick on this cpu, and a catch-up storm is exactly where ticks stop.
 */
static inline u64 lm_probe_clock(void)
{
	return sched_clock();
}

/* Probe signatures: TP_PROTO of include/trace/events/timer.h and
 * arch/x86/include/asm/trace/irq_vectors.h, the same from 5.10 to 6.12. */
static void lm_tp_expire_entry(void *data, struct hrtimer *timer, ktime_t *now)
{
	struct lockmap_cpu_stats *st = lm_probe_stats();
	struct lm_probe_cpu *pc;
	s64 lag;

	if (!st)
		return;
	if ((void *)READ_ONCE(timer->function) != lm_atf) {
		lm_stat_add(st->probe_other_expiries, 1);
		return;
	}
	pc = this_cpu_ptr(&lm_probe_pc);
	lag = ktime_to_ns(*now) - hrtimer_get_softexpires_tv64(timer);
	if (lag < 0)
		lag = 0;
	if (pc->in_timer_irq)
		pc->chain++;
	pc->calls++;
	pc->lag_total_ns += lag;
	if (lag > pc->lag_max_ns)
		pc->lag_max_ns = lag;
	lm_stat_add(st->probe_calls, 1);
	lm_stat_add(st->probe_lag_total_ns, lag);
	if ((u64)lag > READ_ONCE(st->probe_lag_max_ns))
		lm_stat_set(st->probe_lag_max_ns, lag);
	if (lm_probe_timed)
		pc->fn_t0 = ktime_get_mono_fast_ns();
}

/* Does something with LOCKMAP_PROBE_TIME only. */
static void lm_tp_expire_exit(void *data, struct hrtimer *timer)
{
	struct lockmap_cpu_stats *st;
	struct lm_probe_cpu *pc;
	u64 t;

	if (!READ_ONCE(lm_probe_timed))
		return;
	t = ktime_get_mono_fast_ns();
	pc = this_cpu_ptr(&lm_probe_pc);
	st = lm_probe_stats();
	if (!st || !pc->fn_t0 || (void *)READ_ONCE(timer->function) != lm_atf)
		return;
	lm_stat_add(st->probe_fn_timed, 1);
	lm_stat_add(st->probe_fn_ns_total, t - pc->fn_t0);
	pc->fn_t0 = 0;
}

static void lm_tp_timer_entry(void *data, int vector)
{
	struct lm_probe_cpu *pc;

	if (!smp_load_acquire(&lm_probe_owner))
		return;
	pc = this_cpu_ptr(&lm_probe_pc);
	pc->in_timer_irq = true;
	pc->chain = 0;
	pc->irq_t0 = lm_probe_clock();
}

static void lm_tp_timer_exit(void *data, int vector)
{
	struct lockmap_cpu_stats *st = lm_probe_stats();
	struct lm_probe_cpu *pc;

	if (!st)
		return;
	pc = this_cpu_ptr(&lm_probe_pc);
	lm_stat_add(st->probe_timer_irqs, 1);
	if (pc->irq_t0) {
		u64 d = lm_probe_clock() - pc->irq_t0;

		if (lm_probe_timed)
			lm_stat_add(st->probe_irq_ns_total, d);
		if (d > pc->irq_max_ns)
			pc->irq_max_ns = d;
		if (d > READ_ONCE(st->probe_irq_max_ns))
			lm_stat_set(st->probe_irq_max_ns, d);
		pc->irq_t0 = 0;
	}
	pc->in_timer_irq = false;
	if (!pc->chain)
		return;
	pc->irqs++;
	if (pc->chain > pc->max_chain)
		pc->max_chain = pc->chain;
	lm_stat_add(st->probe_hrtimer_irqs, 1);
	if (pc->chain > READ_ONCE(st->probe_max_chain))
		lm_stat_set(st->probe_max_chain, pc->chain);
}

/*
 * The tracepoints, in registration order; unregistered in reverse. They are
 * registered at the first start and stay so until the module is unloaded:
 * registering patches the kernel's code (static keys, static calls, with
 * int3), and a lab host under multi-threaded TCG hung right after such a patch
 * with a vCPU at asm_exc_int3 (harness/lab/README.md). So the code is patched
 * twice in the module's life, not at every cell; a stopped probe's handlers
 * return at their first test.
 */
static struct lm_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} lm_tps[] = {
	{ "local_timer_entry", lm_tp_timer_entry },
	{ "local_timer_exit", lm_tp_timer_exit },
	{ "hrtimer_expire_entry", lm_tp_expire_entry },
	{ "hrtimer_expire_exit", lm_tp_expire_exit },
};

static void lm_tp_lookup(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lm_tps); i++)
		if (!strcmp(tp->name, lm_tps[i].name))
			lm_tps[i].tp = tp;
}

/* Unregister the first n tracepoint probes and wait until none runs. */
static void lm_tp_unregister(unsigned int n)
{
	while (n--)
		WARN_ON(tracepoint_probe_unregister(lm_tps[n].tp,
						    lm_tps[n].probe, NULL));
	tracepoint_synchronize_unregister();
}

static int lm_tp_register(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(lm_tps); i++)
		lm_tps[i].tp = NULL;
	for_each_kernel_tracepoint(lm_tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(lm_tps); i++) {
		if (!lm_tps[i].tp) {
			pr_err("probe: tracepoint %s not found (kernel built without CONFIG_TRACEPOINTS or CONFIG_X86_LOCAL_APIC?)\n",
			       lm_tps[i].name);
			ret = -EOPNOTSUPP;
			goto undo;
		}
		ret = tracepoint_probe_register(lm_tps[i].tp, lm_tps[i].probe, NULL);
		if (ret) {
			pr_err("probe: cannot register on tracepoint %s: %d\n",
			       lm_tps[i].name, ret);
			goto undo;
		}
	}
	return 0;
undo:
	lm_tp_unregister(i);
	return ret;
}

#define LM_CAL_LOOPS 1024
#define LM_CAL_ROUNDS 8

/* Time calls of fn through a pointer (as a tracepoint calls it), with
 * interrupts off; picoseconds per call, the best of several rounds: a
 * virtual cpu that the host deschedules for a while must not count. */
static u64 lm_probe_time_loop(void (*volatile fn)(void *, struct hrtimer *, ktime_t *),
			      struct hrtimer *timer, ktime_t *now)
{
	u64 best = U64_MAX;
	unsigned int r, i;

	for (r = 0; r < LM_CAL_ROUNDS; r++) {
		unsigned long flags;
		u64 t0, t;

		local_irq_save(flags);
		t0 = ktime_get_ns();
		for (i = 0; i < LM_CAL_LOOPS; i++)
			fn(NULL, timer, now);
		t = ktime_get_ns() - t0;
		local_irq_restore(flags);
		best = min(best, t);
	}
	return div_u64(best * 1000, LM_CAL_LOOPS);
}

static void lm_probe_irq_pair(void *data, struct hrtimer *timer, ktime_t *now)
{
	void (*volatile entry)(void *, int) = lm_tp_timer_entry;
	void (*volatile exit)(void *, int) = lm_tp_timer_exit;

	entry(NULL, LOCAL_TIMER_VECTOR);
	exit(NULL, LOCAL_TIMER_VECTOR);
}

/*
 * Time the handlers (an instrument's cost is measured, not guessed): a
 * matching and a non-matching hrtimer callback and one interrupt's entry and
 * exit, each in a loop on this cpu, the way the tracepoints call them. Runs
 * before the probe is registered; the counters it touched are cleared after.
 */
static void lm_probe_calibrate(struct lm_file *f)
{
	struct hrtimer atf = { }, other = { };
	ktime_t now = ktime_get();
	unsigned int cpu;

	atf.function = lm_atf;
	other.function = NULL;
	hrtimer_set_expires(&atf, now);
	hrtimer_set_expires(&other, now);
	preempt_disable();
	lm_cost_call_ps = lm_probe_time_loop(lm_tp_expire_entry, &atf, &now);
	lm_cost_other_ps = lm_probe_time_loop(lm_tp_expire_entry, &other, &now);
	lm_cost_irq_ps = lm_probe_time_loop(lm_probe_irq_pair, NULL, NULL);
	cpu = smp_processor_id();
	preempt_enable();
	memset(per_cpu_ptr(&lm_probe_pc, cpu), 0, sizeof(struct lm_probe_cpu));
	if (cpu < LOCKMAP_MAX_CPUS) {
		struct lockmap_cpu_stats *st = &f->stats[cpu];

		lm_stat_set(st->probe_calls, 0);
		lm_stat_set(st->probe_lag_total_ns, 0);
		lm_stat_set(st->probe_lag_max_ns, 0);
		lm_stat_set(st->probe_other_expiries, 0);
		lm_stat_set(st->probe_timer_irqs, 0);
		lm_stat_set(st->probe_fn_timed, 0);
		lm_stat_set(st->probe_fn_ns_total, 0);
		lm_stat_set(st->probe_irq_ns_total, 0);
		lm_stat_set(st->probe_hrtimer_irqs, 0);
		lm_stat_set(st->probe_max_chain, 0);
		lm_stat_set(st->probe_irq_max_ns, 0);
	}
}

void lm_probe_fill_stats(struct lockmap_stats *s)
{
	s->probe_cost_call_ps = READ_ONCE(lm_cost_call_ps);
	s->probe_cost_other_ps = READ_ONCE(lm_cost_other_ps);
	s->probe_cost_irq_ps = READ_ONCE(lm_cost_irq_ps);
}

/* One end line per cpu that saw calls. */
static void lm_probe_log_end(void)
{
	u64 secs_ms = div_u64(ktime_get_ns() - lm_probe_start_ns, NSEC_PER_MSEC);
	unsigned int cpu;

	pr_info("probe: end after %llu ms\n", secs_ms);
	for_each_possible_cpu(cpu) {
		struct lm_probe_cpu *pc = per_cpu_ptr(&lm_probe_pc, cpu);
		u64 avg, per_s;

		if (!pc->calls)
			continue;
		avg = div64_u64(pc->lag_total_ns, pc->calls);
		per_s = secs_ms ? div64_u64(pc->calls * 1000, secs_ms) : 0;
		pr_info("probe: end cpu %u: %llu apic_timer_fn calls (%llu/s), %llu timer interrupts with calls, longest chain %llu, longest timer interrupt %llu us, lag avg/max %llu.%03llu/%llu.%03llu us\n",
			cpu, pc->calls, per_s, pc->irqs, pc->max_chain,
			pc->irq_max_ns / 1000,
			avg / 1000, avg % 1000,
			pc->lag_max_ns / 1000, pc->lag_max_ns % 1000);
	}
}

void lm_probe_stop(struct lm_file *f)
{
	if (!f->probe)
		return;
	/* The handlers stay registered: unpublish, and wait for the ones
	 * that may still count for f (they run with interrupts off). */
	WRITE_ONCE(lm_probe_owner, NULL);
	synchronize_rcu();
	WRITE_ONCE(lm_probe_timed, false);
	lm_probe_log_end();
	mutex_lock(&lm_lock);
	lm_probe_file = NULL;
	mutex_unlock(&lm_lock);
	WRITE_ONCE(f->probe, false);
	atomic_dec(&lm_active_injections);
}

void lm_probe_exit(void)
{
	if (lm_tp_on)
		lm_tp_unregister(ARRAY_SIZE(lm_tps));
}

/* Is addr the start of apic_timer_fn (of kvm.ko or built in)? */
static int lm_probe_check_fn(u64 addr)
{
	static const char want[] = "apic_timer_fn+0x0/";
	char sym[KSYM_SYMBOL_LEN];

	if (!addr) {
		pr_info("probe: no apic_timer_fn address given: kvm is not loaded, no probe\n");
		return -ENOENT;
	}
	sprint_symbol(sym, (unsigned long)addr);
	/* "apic_timer_fn+0x0/0x90 [kvm]": the name, then offset 0 */
	if (strncmp(sym, want, sizeof(want) - 1)) {
		pr_err("probe: fn_addr %#llx is %s, not apic_timer_fn: give the address /proc/kallsyms shows for apic_timer_fn\n",
		       addr, sym);
		return -EINVAL;
	}
	return 0;
}

int lm_probe_start(struct lm_file *f, const struct lockmap_probe *req)
{
	unsigned int cpu;
	int ret;

	if ((req->flags & ~LOCKMAP_PROBE_TIME) || req->pad) {
		pr_err("probe: flags %#x pad %#x: flags must be 0 or LOCKMAP_PROBE_TIME, pad 0\n",
		       req->flags, req->pad);
		return -EINVAL;
	}
	ret = lm_probe_check_fn(req->fn_addr);
	if (ret)
		return ret;
	mutex_lock(&lm_lock);
	if (lm_probe_file) {
		mutex_unlock(&lm_lock);
		pr_err("probe: the probe already runs for another file\n");
		return -EBUSY;
	}
	if (!lm_tp_on) {
		ret = lm_tp_register();
		if (ret) {
			mutex_unlock(&lm_lock);
			return ret;
		}
		lm_tp_on = true;
	}
	lm_probe_file = f;
	mutex_unlock(&lm_lock);

	/* No handler counts here (no owner, and the last one was waited for). */
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&lm_probe_pc, cpu), 0,
		       sizeof(struct lm_probe_cpu));
	lm_probe_start_ns = ktime_get_ns();
	lm_atf = (void *)(unsigned long)req->fn_addr;
	WRITE_ONCE(lm_probe_timed, false);
	smp_store_release(&lm_probe_owner, f);
	lm_probe_calibrate(f);
	WRITE_ONCE(lm_probe_timed, !!(req->flags & LOCKMAP_PROBE_TIME));
	WRITE_ONCE(f->probe, true);
	atomic_inc(&lm_active_injections);
	pr_info("probe: start on tracepoints hrtimer_expire_entry, local_timer_entry/exit%s for apic_timer_fn %ps; handler cost %llu ps a call, %llu ps another hrtimer, %llu ps an interrupt (pid %d %s)\n",
		lm_probe_timed ? ", hrtimer_expire_exit (timed)" : "", lm_atf,
		lm_cost_call_ps, lm_cost_other_ps, lm_cost_irq_ps,
		task_pid_nr(current), current->comm);
	return 0;
}
