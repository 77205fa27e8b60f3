// SPDX-License-Identifier: GPL-2.0
/*
 * The apic_timer_fn probe: a kprobe on KVM's apic_timer_fn (the hrtimer
 * callback of an emulated LAPIC timer) and a kretprobe on hrtimer_interrupt
 * whose entry and return delimit one hrtimer interrupt. Per cpu it counts
 * the calls, their lag behind the hrtimer's soft expiry and the longest
 * chain of calls inside one hrtimer interrupt: a late timer that KVM re-arms
 * in the past runs back to back in the same interrupt.
 *
 * kprobe handlers run with preemption (and here interrupts) disabled, so the
 * per-cpu state needs no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "lm.h"

struct lm_probe_cpu {
	bool in_hrtimer;	/* between hrtimer_interrupt entry and return */
	u32 chain;		/* apic_timer_fn calls in this interrupt */
	/* since the probe started, for its end line */
	u64 calls;
	u64 irqs;
	u64 max_chain;
	u64 lag_max_ns;
	u64 lag_total_ns;
};

static DEFINE_PER_CPU(struct lm_probe_cpu, lm_probe_pc);
static struct lm_file *lm_probe_owner;	/* under lm_lock */
static u64 lm_probe_start_ns;
static struct kprobe lm_atf_kp;
static struct kretprobe lm_hrt_krp;

static int lm_atf_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct hrtimer *timer =
		(const struct hrtimer *)regs_get_kernel_argument(regs, 0);
	struct lm_probe_cpu *pc = this_cpu_ptr(&lm_probe_pc);
	struct lm_file *f = READ_ONCE(lm_probe_owner);
	unsigned int cpu = smp_processor_id();
	s64 lag = (s64)ktime_get_mono_fast_ns() -
		  hrtimer_get_softexpires_tv64(timer);
	struct lockmap_cpu_stats *st;

	if (lag < 0)
		lag = 0;
	if (pc->in_hrtimer)
		pc->chain++;
	pc->calls++;
	pc->lag_total_ns += lag;
	if (lag > pc->lag_max_ns)
		pc->lag_max_ns = lag;
	if (!f || cpu >= LOCKMAP_MAX_CPUS)
		return 0;
	st = &f->stats[cpu];
	lm_stat_add(st->probe_calls, 1);
	lm_stat_add(st->probe_lag_total_ns, lag);
	if ((u64)lag > READ_ONCE(st->probe_lag_max_ns))
		lm_stat_set(st->probe_lag_max_ns, lag);
	return 0;
}

static int lm_hrt_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct lm_probe_cpu *pc = this_cpu_ptr(&lm_probe_pc);

	pc->in_hrtimer = true;
	pc->chain = 0;
	return 0;
}

static int lm_hrt_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct lm_probe_cpu *pc = this_cpu_ptr(&lm_probe_pc);
	struct lm_file *f = READ_ONCE(lm_probe_owner);
	unsigned int cpu = smp_processor_id();
	struct lockmap_cpu_stats *st;

	pc->in_hrtimer = false;
	if (!pc->chain)
		return 0;
	pc->irqs++;
	if (pc->chain > pc->max_chain)
		pc->max_chain = pc->chain;
	if (!f || cpu >= LOCKMAP_MAX_CPUS)
		return 0;
	st = &f->stats[cpu];
	lm_stat_add(st->probe_hrtimer_irqs, 1);
	if (pc->chain > READ_ONCE(st->probe_max_chain))
		lm_stat_set(st->probe_max_chain, pc->chain);
	return 0;
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
		pr_info("probe: end cpu %u: %llu apic_timer_fn calls (%llu/s), %llu hrtimer interrupts with calls, longest chain %llu, lag avg/max %llu.%03llu/%llu.%03llu us\n",
			cpu, pc->calls, per_s, pc->irqs, pc->max_chain,
			avg / 1000, avg % 1000,
			pc->lag_max_ns / 1000, pc->lag_max_ns % 1000);
	}
}

void lm_probe_stop(struct lm_file *f)
{
	if (!f->probe)
		return;
	/* unregistering waits for handlers that are running */
	unregister_kretprobe(&lm_hrt_krp);
	unregister_kprobe(&lm_atf_kp);
	lm_probe_log_end();
	if (lm_hrt_krp.nmissed)
		pr_info("probe: %d hrtimer_interrupt returns missed\n",
			lm_hrt_krp.nmissed);
	mutex_lock(&lm_lock);
	lm_probe_owner = NULL;
	mutex_unlock(&lm_lock);
	WRITE_ONCE(f->probe, false);
	atomic_dec(&lm_active_injections);
}

int lm_probe_start(struct lm_file *f, const struct lockmap_probe *req)
{
	unsigned int cpu;
	int ret;

	if (req->flags || req->pad) {
		pr_err("probe: flags %#x pad %#x: must be 0\n",
		       req->flags, req->pad);
		return -EINVAL;
	}
	mutex_lock(&lm_lock);
	if (lm_probe_owner) {
		mutex_unlock(&lm_lock);
		pr_err("probe: the probe already runs for another file\n");
		return -EBUSY;
	}
	lm_probe_owner = f;
	mutex_unlock(&lm_lock);

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&lm_probe_pc, cpu), 0,
		       sizeof(struct lm_probe_cpu));
	lm_probe_start_ns = ktime_get_ns();
	/* A kprobe keeps its resolved address: start from scratch each time. */
	memset(&lm_atf_kp, 0, sizeof(lm_atf_kp));
	lm_atf_kp.symbol_name = "apic_timer_fn";
	lm_atf_kp.pre_handler = lm_atf_pre;
	memset(&lm_hrt_krp, 0, sizeof(lm_hrt_krp));
	lm_hrt_krp.kp.symbol_name = "hrtimer_interrupt";
	lm_hrt_krp.entry_handler = lm_hrt_entry;
	lm_hrt_krp.handler = lm_hrt_return;

	ret = register_kprobe(&lm_atf_kp);
	if (ret == -ENOENT) {
		pr_info("probe: apic_timer_fn not found: kvm is not loaded, no probe\n");
		goto out_owner;
	}
	if (ret) {
		pr_err("probe: cannot probe apic_timer_fn: %d\n", ret);
		goto out_owner;
	}
	ret = register_kretprobe(&lm_hrt_krp);
	if (ret) {
		pr_err("probe: cannot probe hrtimer_interrupt: %d\n", ret);
		unregister_kprobe(&lm_atf_kp);
		goto out_owner;
	}
	WRITE_ONCE(f->probe, true);
	atomic_inc(&lm_active_injections);
	pr_info("probe: start on apic_timer_fn and hrtimer_interrupt (pid %d %s)\n",
		task_pid_nr(current), current->comm);
	return 0;

out_owner:
	mutex_lock(&lm_lock);
	lm_probe_owner = NULL;
	mutex_unlock(&lm_lock);
	return ret;
}
