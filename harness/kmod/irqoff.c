// SPDX-License-Identifier: GPL-2.0
/*
 * irq-off sections: one SCHED_FIFO kthread bound to each target cpu. A
 * kthread (rather than a pinned hrtimer) keeps the section out of hard-irq
 * context, so it looks like what it emulates, a driver spinning with
 * interrupts off, and it can sleep between sections on an absolute hrtimer
 * deadline, so the interval (start to start) does not drift.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "lm.h"

/* A lead-in longer than the longest watchdog sample period (watchdog_thresh
 * 60 s: 24 s) is a mistake. */
#define LM_IRQOFF_MAX_LEAD_IN_NS (600ULL * NSEC_PER_SEC)

struct lm_irqoff_cpu {
	struct lm_irqoff *io;
	struct task_struct *task;
	unsigned int cpu;
	/* what this injection did on this cpu, for its end line */
	u64 count;
	u64 min_ns;
	u64 max_ns;
	u64 total_ns;
};

struct lm_irqoff {
	struct lm_file *f;
	struct lockmap_irqoff req;
	atomic_t running;		/* threads still running sections */
	struct lm_irqoff_cpu cpu[LOCKMAP_MAX_CPUS];
};

/*
 * One section: interrupts off, spin on ktime until duration_ns have passed.
 * The measured time is from the first to the last clock read, so it exceeds
 * the request by at most one loop iteration (one clock read).
 */
static noinline u64 lm_irqoff_section(u64 duration_ns)
{
	unsigned long flags;
	u64 t0, t;

	local_irq_save(flags);
	t0 = ktime_get_ns();
	do {
		cpu_relax();
		t = ktime_get_ns();
	} while (t - t0 < duration_ns);
	local_irq_restore(flags);
	return t - t0;
}

/* Record one section in the injection's and the file's statistics. */
static void lm_irqoff_record(struct lm_irqoff_cpu *ic, u64 d)
{
	struct lockmap_cpu_stats *st = &ic->io->f->stats[ic->cpu];
	u64 n = READ_ONCE(st->irqoff_count);

	if (!ic->count || d < ic->min_ns)
		ic->min_ns = d;
	if (d > ic->max_ns)
		ic->max_ns = d;
	ic->count++;
	ic->total_ns += d;

	if (!n || d < READ_ONCE(st->irqoff_min_ns))
		lm_stat_set(st->irqoff_min_ns, d);
	if (d > READ_ONCE(st->irqoff_max_ns))
		lm_stat_set(st->irqoff_max_ns, d);
	lm_stat_add(st->irqoff_total_ns, d);
	lm_stat_set(st->irqoff_count, n + 1);
	atomic64_inc(&lm_sections_total);
}

/* One log line with what the injection did on every cpu. */
static void lm_irqoff_log_end(struct lm_irqoff *io)
{
	unsigned long mask = io->req.cpumask;
	unsigned int cpu;

	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		struct lm_irqoff_cpu *ic = &io->cpu[cpu];
		u64 avg;

		if (!(mask & BIT(cpu)))
			continue;
		avg = ic->count ? div64_u64(ic->total_ns, ic->count) : 0;
		pr_info("irqoff: end cpu %u: %llu sections, measured min/avg/max %llu.%03llu/%llu.%03llu/%llu.%03llu us (asked %llu.%03llu us)\n",
			cpu, ic->count,
			ic->min_ns / 1000, ic->min_ns % 1000,
			avg / 1000, avg % 1000,
			ic->max_ns / 1000, ic->max_ns % 1000,
			io->req.duration_ns / 1000, io->req.duration_ns % 1000);
	}
}

/* Give the cpu back; the last thread out logs and ends the injection. */
static void lm_irqoff_finish(struct lm_irqoff_cpu *ic)
{
	struct lm_irqoff *io = ic->io;

	lm_release_cpu(io->f, ic->cpu, LOCKMAP_ACT_IRQOFF);
	if (atomic_dec_and_test(&io->running)) {
		lm_irqoff_log_end(io);
		clear_bit(ilog2(LOCKMAP_ACT_IRQOFF), &io->f->active);
		atomic_dec(&lm_active_injections);
	}
}

/*
 * Keep the cpu busy until `until` at the lowest priority, interrupts on:
 * whatever else wants the cpu runs first, but the cpu does not go idle. A
 * cpu that leaves NOHZ idle has its soft-lockup watchdog touched
 * (touch_softlockup_watchdog_sched() as the tick restarts), and the next
 * watchdog check then only restarts its period: a section that began right
 * after idle was never reported as a soft lockup, however long it was
 * (measured in the TCG lab: 12 s with watchdog_thresh = 4, reported on a
 * busy cpu, not after idle). False when the thread is asked to stop.
 */
static bool lm_irqoff_lead_in(ktime_t until)
{
	bool stop = false;

	sched_set_normal(current, MAX_NICE);
	while (ktime_before(ktime_get(), until)) {
		stop = kthread_should_stop();
		if (stop)
			break;
		cond_resched();
		cpu_relax();
	}
	sched_set_fifo(current);
	return !stop;
}

static int lm_irqoff_thread(void *arg)
{
	struct lm_irqoff_cpu *ic = arg;
	const struct lockmap_irqoff *req = &ic->io->req;
	u32 todo = req->interval_ns ? req->count : 1;
	ktime_t next = ktime_add_ns(ktime_get(), req->lead_in_ns);
	u32 done = 0;

	sched_set_fifo(current);
	while (!kthread_should_stop()) {
		ktime_t now, wake;

		if (req->lead_in_ns && !lm_irqoff_lead_in(next))
			break;
		lm_irqoff_record(ic, lm_irqoff_section(req->duration_ns));
		if (todo && ++done >= todo)
			break;
		/* Start to start; if this thread woke more than an interval
		 * late, skip the missed starts rather than bunching them. */
		next = ktime_add_ns(next, req->interval_ns);
		now = ktime_get();
		while (ktime_before(next, now))
			next = ktime_add_ns(next, req->interval_ns);
		wake = ktime_sub_ns(next, req->lead_in_ns);
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule_hrtimeout_range(&wake, 0, HRTIMER_MODE_ABS);
	}
	lm_irqoff_finish(ic);
	lm_wait_for_stop();
	return 0;
}

/* Every bound is checked before anything starts. */
static int lm_irqoff_validate(const struct lockmap_irqoff *req)
{
	u64 max_ns = (u64)READ_ONCE(lm_max_irqoff_ms) * NSEC_PER_MSEC;
	u64 gap_ns = (u64)READ_ONCE(lm_min_irqoff_interval_us) * NSEC_PER_USEC;
	int ret;

	if (req->flags) {
		pr_err("irqoff: flags %#x: must be 0\n", req->flags);
		return -EINVAL;
	}
	if (req->lead_in_ns > LM_IRQOFF_MAX_LEAD_IN_NS) {
		pr_err("irqoff: lead_in_ns %llu: must be at most %llu (10 minutes)\n",
		       req->lead_in_ns, LM_IRQOFF_MAX_LEAD_IN_NS);
		return -EINVAL;
	}
	ret = lm_check_cpumask("irqoff", req->cpumask, true);
	if (ret)
		return ret;
	if (!req->duration_ns || req->duration_ns > max_ns) {
		pr_err("irqoff: duration_ns %llu: must be 1..%llu (module parameter max_irqoff_ms=%u)\n",
		       req->duration_ns, max_ns, lm_max_irqoff_ms);
		return -EINVAL;
	}
	if (req->interval_ns && req->interval_ns < req->duration_ns + gap_ns) {
		pr_err("irqoff: interval_ns %llu: must be 0 (one section) or at least duration_ns + %llu = %llu (module parameter min_irqoff_interval_us=%u)\n",
		       req->interval_ns, gap_ns, req->duration_ns + gap_ns,
		       lm_min_irqoff_interval_us);
		return -EINVAL;
	}
	if (!req->interval_ns && req->count > 1) {
		pr_err("irqoff: count %u with interval_ns 0: one section only; give an interval for a series\n",
		       req->count);
		return -EINVAL;
	}
	return 0;
}

bool lm_irqoff_active(struct lm_file *f)
{
	return test_bit(ilog2(LOCKMAP_ACT_IRQOFF), &f->active);
}

/* Called with f->lock held; returns once no section of f runs. */
void lm_irqoff_stop(struct lm_file *f)
{
	struct lm_irqoff *io = f->irqoff;
	unsigned int cpu;

	if (!io)
		return;
	/* A thread stopped before it first ran never calls its thread
	 * function (kthread_stop() returns -EINTR): finish for it. */
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++)
		if (io->cpu[cpu].task &&
		    kthread_stop(io->cpu[cpu].task) == -EINTR)
			lm_irqoff_finish(&io->cpu[cpu]);
	WRITE_ONCE(f->irqoff, NULL);
	kfree(io);
}

int lm_irqoff_start(struct lm_file *f, const struct lockmap_irqoff *req)
{
	unsigned long mask = req->cpumask;
	struct lm_irqoff *io;
	unsigned int cpu, n = 0;
	int ret;

	ret = lm_irqoff_validate(req);
	if (ret)
		return ret;
	if (lm_irqoff_active(f)) {
		pr_err("irqoff: this file already runs an irq-off series: stop it first\n");
		return -EBUSY;
	}
	lm_irqoff_stop(f);	/* reap a finished series */

	io = kzalloc(sizeof(*io), GFP_KERNEL);
	if (!io)
		return -ENOMEM;
	io->f = f;
	io->req = *req;
	ret = lm_claim_cpus(f, req->cpumask, LOCKMAP_ACT_IRQOFF, "irqoff");
	if (ret)
		goto out_free;
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		struct lm_irqoff_cpu *ic = &io->cpu[cpu];
		struct task_struct *t;

		if (!(mask & BIT(cpu)))
			continue;
		ic->io = io;
		ic->cpu = cpu;
		t = kthread_create_on_cpu(lm_irqoff_thread, ic, cpu,
					  "lockmap_irqoff/%u");
		if (IS_ERR(t)) {
			ret = PTR_ERR(t);
			pr_err("irqoff: cannot create the thread for cpu %u: %d\n",
			       cpu, ret);
			goto out_threads;
		}
		ic->task = t;
		n++;
	}
	atomic_set(&io->running, n);
	set_bit(ilog2(LOCKMAP_ACT_IRQOFF), &f->active);
	atomic_inc(&lm_active_injections);
	WRITE_ONCE(f->irqoff, io);
	pr_info("irqoff: start cpus %*pbl: %llu.%03llu us every %llu.%03llu us, count %u%s, lead-in %llu ms (pid %d %s)\n",
		LOCKMAP_MAX_CPUS, &mask,
		req->duration_ns / 1000, req->duration_ns % 1000,
		req->interval_ns / 1000, req->interval_ns % 1000,
		req->interval_ns ? req->count : 1,
		req->interval_ns && !req->count ? " (until stopped)" : "",
		req->lead_in_ns / NSEC_PER_MSEC,
		task_pid_nr(current), current->comm);
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++)
		if (io->cpu[cpu].task)
			wake_up_process(io->cpu[cpu].task);
	return 0;

out_threads:
	/* None of them has run: stopping them skips the thread function. */
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++)
		if (io->cpu[cpu].task)
			kthread_stop(io->cpu[cpu].task);
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++)
		if (mask & BIT(cpu))
			lm_release_cpu(f, cpu, LOCKMAP_ACT_IRQOFF);
out_free:
	kfree(io);
	return ret;
}
