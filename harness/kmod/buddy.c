// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy hard-lockup detector for hosts without a working perf NMI watchdog
 * (lab hosts under TCG have no PMU, and 6.1 has no buddy detector of its
 * own). Every watched cpu runs a pinned hard-irq hrtimer that bumps its
 * heartbeat and checks the heartbeat of the next watched cpu (a ring). A cpu
 * with interrupts off stops its heartbeat; its neighbour reports it once per
 * stall and asks it, by NMI, for a backtrace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ratelimit.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>

#include "lm.h"
#include "lockmap_compat.h"

#define LM_BUDDY_MAX_PERIOD_MS	1000
#define LM_BUDDY_MAX_THRESH_MS	600000

static struct lm_buddy_cpu {
	struct hrtimer timer;
	unsigned long heartbeat;	/* bumped by this cpu's timer */
	unsigned int watch;		/* the cpu this one checks */
	/* checker state about cpu "watch" */
	unsigned long seen;		/* its heartbeat at seen_ns */
	u64 seen_ns;
	bool reported;			/* this stall was reported */
	bool armed;
} lm_buddy[LOCKMAP_MAX_CPUS];

static struct lm_file *lm_buddy_owner;	/* under lm_lock */
static u64 lm_buddy_period_ns;
static u64 lm_buddy_thresh_ns;
static u64 lm_buddy_mask;
/* kernel.hardlockup_panic when the detector started: the kernel's own
 * detector panics on a hard lockup then, and so does this one. */
static bool lm_buddy_panic;

/* A few backtraces a minute at most: each one floods the console. */
static DEFINE_RATELIMIT_STATE(lm_buddy_bt_rs, 60 * HZ, 4);

/* Report cpu w, watched by b, as hard locked up. */
static void lm_buddy_report(struct lm_buddy_cpu *b, u64 now)
{
	struct lm_file *f = READ_ONCE(lm_buddy_owner);
	unsigned int w = b->watch;

	b->reported = true;
	pr_emerg("buddy: Watchdog detected hard LOCKUP on cpu %u\n", w);
	pr_emerg("buddy: cpu %u heartbeat stuck for %llu ms (thresh %llu ms), seen by cpu %u\n",
		 w, div_u64(now - b->seen_ns, NSEC_PER_MSEC),
		 div_u64(lm_buddy_thresh_ns, NSEC_PER_MSEC),
		 smp_processor_id());
	if (f)
		lm_stat_add(f->stats[w].buddy_reports, 1);
	if (__ratelimit(&lm_buddy_bt_rs))
		lm_nmi_request_backtrace(w);
	/* As kernel/watchdog_hld.c does with hardlockup_panic = 1: the
	 * panic's kmsg dump (pstore) keeps the report for the next boot. */
	if (lm_buddy_panic)
		panic("Hard LOCKUP");
}

/* kernel.hardlockup_panic (the variable is not exported to modules: its
 * sysctl file, read in the ioctl's process context). false when unreadable. */
static bool lm_buddy_read_hardlockup_panic(void)
{
	struct file *f = filp_open("/proc/sys/kernel/hardlockup_panic", O_RDONLY, 0);
	char buf[8] = "";
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return false;
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	return n > 0 && buf[0] == '1';
}

static enum hrtimer_restart lm_buddy_fn(struct hrtimer *t)
{
	struct lm_buddy_cpu *b = container_of(t, struct lm_buddy_cpu, timer);
	u64 now = ktime_get_ns();
	unsigned long hb;

	WRITE_ONCE(b->heartbeat, b->heartbeat + 1);
	/* the stack the watched cpu saved in NMI context: printed here, by a
	 * cpu that is not stuck */
	lm_nmi_print_backtrace(b->watch);
	hb = READ_ONCE(lm_buddy[b->watch].heartbeat);
	if (hb != b->seen) {
		b->seen = hb;
		b->seen_ns = now;
		b->reported = false;
	} else if (!b->reported && now - b->seen_ns >= lm_buddy_thresh_ns) {
		lm_buddy_report(b, now);
	}
	hrtimer_forward_now(t, ns_to_ktime(lm_buddy_period_ns));
	return HRTIMER_RESTART;
}

/* Runs on the cpu itself: a pinned timer stays on the cpu that starts it. */
static void lm_buddy_arm(void *arg)
{
	struct lm_buddy_cpu *b = arg;

	hrtimer_start(&b->timer, ns_to_ktime(lm_buddy_period_ns),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static int lm_buddy_validate(const struct lockmap_buddy *req, u64 mask)
{
	int ret;

	if (!req->period_ms || req->period_ms > LM_BUDDY_MAX_PERIOD_MS) {
		pr_err("buddy: period_ms %u: must be 1..%u\n",
		       req->period_ms, LM_BUDDY_MAX_PERIOD_MS);
		return -EINVAL;
	}
	if (req->thresh_ms < 2 * req->period_ms ||
	    req->thresh_ms > LM_BUDDY_MAX_THRESH_MS) {
		pr_err("buddy: thresh_ms %u: must be %u..%u (at least two periods)\n",
		       req->thresh_ms, 2 * req->period_ms,
		       LM_BUDDY_MAX_THRESH_MS);
		return -EINVAL;
	}
	ret = lm_check_cpumask("buddy", mask, false);
	if (ret)
		return ret;
	if (hweight64(mask) < 2) {
		pr_err("buddy: cpumask %#llx: a buddy needs at least two online cpus\n",
		       mask);
		return -EINVAL;
	}
	return 0;
}

/* Stop every timer; called with f->lock held by the owner. */
static void lm_buddy_disarm(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!lm_buddy[cpu].armed)
			continue;
		hrtimer_cancel(&lm_buddy[cpu].timer);
		lm_buddy[cpu].armed = false;
	}
}

void lm_buddy_stop(struct lm_file *f)
{
	unsigned int cpu;

	if (!f->buddy)
		return;
	lm_buddy_disarm();
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(lm_buddy_mask & BIT_ULL(cpu)))
			continue;
		/* a stack saved after the last heartbeat check */
		lm_nmi_print_backtrace(cpu);
		pr_info("buddy: end cpu %u: %llu hard lockups reported\n",
			cpu, READ_ONCE(f->stats[cpu].buddy_reports));
	}
	lm_nmi_handler_put();
	mutex_lock(&lm_lock);
	lm_buddy_owner = NULL;
	mutex_unlock(&lm_lock);
	WRITE_ONCE(f->buddy, false);
	atomic_dec(&lm_active_injections);
}

int lm_buddy_start(struct lm_file *f, const struct lockmap_buddy *req)
{
	u64 mask = req->cpumask;
	unsigned long pmask;
	unsigned int cpu, first = LOCKMAP_MAX_CPUS, prev = LOCKMAP_MAX_CPUS;
	u64 now;
	int ret;

	if (!mask) {
		for_each_online_cpu(cpu)
			if (cpu < lm_nr_cpus())
				mask |= BIT_ULL(cpu);
	}
	ret = lm_buddy_validate(req, mask);
	if (ret)
		return ret;
	mutex_lock(&lm_lock);
	if (lm_buddy_owner) {
		mutex_unlock(&lm_lock);
		pr_err("buddy: the detector already runs for another file\n");
		return -EBUSY;
	}
	lm_buddy_owner = f;
	mutex_unlock(&lm_lock);
	ret = lm_nmi_handler_get();
	if (ret)
		goto out_owner;

	lm_buddy_period_ns = (u64)req->period_ms * NSEC_PER_MSEC;
	lm_buddy_thresh_ns = (u64)req->thresh_ms * NSEC_PER_MSEC;
	lm_buddy_mask = mask;
	lm_buddy_panic = lm_buddy_read_hardlockup_panic();
	now = ktime_get_ns();
	/* the ring: each cpu watches the next one of the mask */
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		struct lm_buddy_cpu *b = &lm_buddy[cpu];

		if (!(mask & BIT_ULL(cpu)))
			continue;
		b->heartbeat = 0;
		b->seen = 0;
		b->seen_ns = now;
		b->reported = false;
		if (prev < LOCKMAP_MAX_CPUS)
			lm_buddy[prev].watch = cpu;
		else
			first = cpu;
		prev = cpu;
		lm_hrtimer_setup(&b->timer, lm_buddy_fn, CLOCK_MONOTONIC,
				 HRTIMER_MODE_REL_PINNED_HARD);
	}
	lm_buddy[prev].watch = first;
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(mask & BIT_ULL(cpu)))
			continue;
		ret = smp_call_function_single(cpu, lm_buddy_arm,
					       &lm_buddy[cpu], 1);
		if (ret) {
			pr_err("buddy: cannot start the timer on cpu %u: %d\n",
			       cpu, ret);
			goto out_disarm;
		}
		lm_buddy[cpu].armed = true;
	}
	WRITE_ONCE(f->buddy, true);
	atomic_inc(&lm_active_injections);
	pmask = mask;
	pr_info("buddy: start cpus %*pbl: heartbeat every %u ms, thresh %u ms%s (pid %d %s)\n",
		LOCKMAP_MAX_CPUS, &pmask, req->period_ms, req->thresh_ms,
		lm_buddy_panic ? ", panics (kernel.hardlockup_panic = 1)" : "",
		task_pid_nr(current), current->comm);
	return 0;

out_disarm:
	lm_buddy_disarm();
	lm_nmi_handler_put();
out_owner:
	mutex_lock(&lm_lock);
	lm_buddy_owner = NULL;
	mutex_unlock(&lm_lock);
	return ret;
}
