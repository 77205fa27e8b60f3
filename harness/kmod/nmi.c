// SPDX-License-Identifier: GPL-2.0
/*
 * NMI storms (SMI emulation) and the module's NMI handler.
 *
 * A SCHED_FIFO kthread bound to the sender cpu sends one NMI IPI to each
 * target cpu per period, sleeping between rounds on an absolute hrtimer
 * deadline (start + k * period), so the achieved rate does not drift with
 * wake-up latency. A late sender catches up a few rounds, never closer than
 * half a period apart, because NMIs sent back to back merge in the target.
 *
 * The handler claims an NMI only when this module has one pending for that
 * cpu (a per-cpu counter raised before each IPI), so it never swallows the
 * NMIs of the perf watchdog or of anyone else. The buddy detector uses the
 * same handler to print a stuck cpu's backtrace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/kallsyms.h>
#include <linux/uaccess.h>
#include <linux/timekeeping.h>
#include <asm/apic.h>
#include <asm/nmi.h>

#include "lm.h"

/* How long a storm's end waits for the NMIs it sent to arrive. */
#define LM_NMI_DRAIN_MS		100
/* Most rounds a late sender sends to catch up. */
#define LM_NMI_BACKLOG		4

struct lm_nmi {
	struct lm_file *f;
	struct lockmap_nmi req;
	struct task_struct *task;
	u64 first_ns;
	u64 last_ns;
	/* what this storm did per target cpu, for its end line */
	u64 sent[LOCKMAP_MAX_CPUS];
	u64 handled[LOCKMAP_MAX_CPUS];
	u64 res_max_ns[LOCKMAP_MAX_CPUS];
	u64 res_total_ns[LOCKMAP_MAX_CPUS];
};

/* Stack words of a stuck cpu kept for the buddy to print. */
#define LM_BT_WORDS		128
/* Most of them printed (those that name kernel text). */
#define LM_BT_PRINT		24

/* Per target cpu, read by the NMI handler. */
static struct lm_nmi_cpu {
	atomic_t pending;		/* storm NMIs sent, not yet handled */
	atomic_t backtrace;		/* buddy asked for a backtrace */
	/* a copy of the stack taken in NMI context, printed by another cpu:
	 * 1 while bt_ip/bt_words/bt_nr are valid */
	atomic_t bt_ready;
	unsigned int bt_nr;
	unsigned long bt_ip;
	u64 bt_save_ns;			/* what saving it cost, in NMI context */
	unsigned long bt_words[LM_BT_WORDS];
	struct lm_nmi *storm;		/* storm owning this cpu, or NULL */
	u64 residency_ns;
} lm_nmi_cpus[LOCKMAP_MAX_CPUS];

static unsigned int lm_nmi_users;	/* under lm_lock */

static int lm_nmi_handler(unsigned int type, struct pt_regs *regs);

/*
 * Registered by hand rather than with register_nmi_handler(): that macro
 * hides its nmiaction, and max_duration must be reset on every registration
 * so each storm gets the kernel's "NMI handler ... took too long" line again.
 */
static struct nmiaction lm_nmiaction = {
	.handler = lm_nmi_handler,
	.name = KBUILD_MODNAME,
};

/* Spin residency_ns in NMI context: only the NMI-safe clock may be read. */
static u64 lm_nmi_spin(u64 residency_ns)
{
	u64 t0 = ktime_get_mono_fast_ns(), t;

	do {
		cpu_relax();
		t = ktime_get_mono_fast_ns();
	} while (t - t0 < residency_ns);
	return t - t0;
}

/* Count one handled storm NMI in the storm and in its file's statistics. */
static void lm_nmi_record(struct lm_nmi *nm, unsigned int cpu, u64 d)
{
	struct lockmap_cpu_stats *st = &nm->f->stats[cpu];

	nm->handled[cpu]++;
	nm->res_total_ns[cpu] += d;
	if (d > nm->res_max_ns[cpu])
		nm->res_max_ns[cpu] = d;
	lm_stat_add(st->nmi_handled, 1);
	lm_stat_add(st->nmi_residency_total_ns, d);
	if (d > READ_ONCE(st->nmi_residency_max_ns))
		lm_stat_set(st->nmi_residency_max_ns, d);
}

/* Copy the words above the interrupted stack pointer, up to the end of its
 * stack (THREAD_SIZE aligned), for lm_nmi_print_backtrace(). NMI context. */
static void lm_nmi_save_stack(struct lm_nmi_cpu *nc, struct pt_regs *regs)
{
	unsigned long sp = kernel_stack_pointer(regs);
	unsigned long end = ALIGN(sp + 1, THREAD_SIZE);
	size_t len = min_t(size_t, end - sp, sizeof(nc->bt_words));
	u64 t0 = ktime_get_mono_fast_ns();

	nc->bt_ip = instruction_pointer(regs);
	nc->bt_nr = 0;
	if (!user_mode(regs) && !copy_from_kernel_nofault(nc->bt_words, (void *)sp, len))
		nc->bt_nr = len / sizeof(unsigned long);
	nc->bt_save_ns = ktime_get_mono_fast_ns() - t0;
	atomic_set_release(&nc->bt_ready, 1);
}

static int lm_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	unsigned int cpu = smp_processor_id();
	struct lm_nmi_cpu *nc;
	int ret = NMI_DONE;

	if (cpu >= LOCKMAP_MAX_CPUS)
		return NMI_DONE;
	nc = &lm_nmi_cpus[cpu];
	/*
	 * Only save the stack here. Printing from the stuck cpu, as dump_stack()
	 * did, defers the console output to an irq_work that runs on this cpu
	 * as soon as its interrupts are back, before its timer interrupt; the
	 * serial console's write then touches this cpu's soft-lockup watchdog
	 * (touch_nmi_watchdog()) and the kernel never reports the soft lockup.
	 * dump_stack() also kept the cpu 11 ms in NMI context under TCG, and an
 * unwind (stack_trace_save) 2 ms: over the kernel's 1 ms "NMI handler took
 * too long" line, an nmi_slow event that lockmap itself would have caused.
 * A copy of the stack words is a few microseconds.
	 */
	if (atomic_xchg(&nc->backtrace, 0)) {
		if (!atomic_read(&nc->bt_ready))
			lm_nmi_save_stack(nc, regs);
		ret = NMI_HANDLED;
	}
	if (atomic_dec_if_positive(&nc->pending) >= 0) {
		struct lm_nmi *nm = READ_ONCE(nc->storm);
		u64 d = lm_nmi_spin(READ_ONCE(nc->residency_ns));

		if (nm)
			lm_nmi_record(nm, cpu, d);
		ret = NMI_HANDLED;
	}
	return ret;
}

int lm_nmi_handler_get(void)
{
	int ret = 0;

	mutex_lock(&lm_lock);
	if (!lm_nmi_users) {
		INIT_LIST_HEAD(&lm_nmiaction.list);
		lm_nmiaction.max_duration = 0;
		ret = __register_nmi_handler(NMI_LOCAL, &lm_nmiaction);
		if (ret)
			pr_err("cannot register the NMI handler: %d\n", ret);
	}
	if (!ret)
		lm_nmi_users++;
	mutex_unlock(&lm_lock);
	return ret;
}

/* The last user unregisters; that waits for running handlers. */
void lm_nmi_handler_put(void)
{
	mutex_lock(&lm_lock);
	if (!WARN_ON_ONCE(!lm_nmi_users) && !--lm_nmi_users)
		unregister_nmi_handler(NMI_LOCAL, KBUILD_MODNAME);
	mutex_unlock(&lm_lock);
}

/* Ask cpu for a backtrace from its NMI handler (caller holds a handler
 * reference). */
void lm_nmi_request_backtrace(unsigned int cpu)
{
	atomic_set(&lm_nmi_cpus[cpu].backtrace, 1);
	apic->send_IPI(cpu, NMI_VECTOR);
}

void lm_nmi_print_backtrace(unsigned int cpu)
{
	struct lm_nmi_cpu *nc = &lm_nmi_cpus[cpu];
	char sym[KSYM_SYMBOL_LEN];
	unsigned int i, shown = 0;

	if (!atomic_read_acquire(&nc->bt_ready))
		return;
	pr_emerg("buddy: NMI backtrace for cpu %u (at %pS), printed by cpu %u; saved in %llu ns\n",
		 cpu, (void *)nc->bt_ip, smp_processor_id(), nc->bt_save_ns);
	/* Like the kernel's unreliable frames ("? "): stack words that name
	 * kernel text, innermost first. */
	for (i = 0; i < nc->bt_nr && shown < LM_BT_PRINT; i++) {
		unsigned long w = nc->bt_words[i];

		if (w < __START_KERNEL_map)
			continue;
		sprint_symbol(sym, w);
		if (!strncmp(sym, "0x", 2))
			continue;
		pr_emerg(" ? %s\n", sym);
		shown++;
	}
	atomic_set(&nc->bt_ready, 0);
}

/* One NMI to every target cpu. */
static void lm_nmi_send_round(struct lm_nmi *nm)
{
	unsigned long mask = nm->req.cpumask;
	unsigned int cpu;
	u64 now;

	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(mask & BIT(cpu)))
			continue;
		atomic_inc(&lm_nmi_cpus[cpu].pending);
		apic->send_IPI(cpu, NMI_VECTOR);
		nm->sent[cpu]++;
		lm_stat_add(nm->f->stats[cpu].nmi_sent, 1);
	}
	now = ktime_get_ns();
	if (!nm->first_ns)
		nm->first_ns = now;
	nm->last_ns = now;
	if (!READ_ONCE(nm->f->nmi_first_ns))
		WRITE_ONCE(nm->f->nmi_first_ns, now);
	WRITE_ONCE(nm->f->nmi_last_ns, now);
}

/* One log line per target cpu with what the storm did there. */
static void lm_nmi_log_end(struct lm_nmi *nm, unsigned int leftover)
{
	unsigned long mask = nm->req.cpumask;
	u64 span = nm->last_ns - nm->first_ns;
	unsigned int cpu;

	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		u64 rate_mhz = 0, avg = 0;

		if (!(mask & BIT(cpu)))
			continue;
		/* achieved rate in mHz: (sends - 1) intervals over the span */
		if (nm->sent[cpu] > 1 && span)
			rate_mhz = div64_u64((nm->sent[cpu] - 1) * NSEC_PER_SEC * 1000ULL,
					     span);
		if (nm->handled[cpu])
			avg = div64_u64(nm->res_total_ns[cpu], nm->handled[cpu]);
		pr_info("nmi: end cpu %u: %llu sent, %llu handled, rate %llu.%03llu Hz (asked %u), residency avg/max %llu.%03llu/%llu.%03llu us (asked %llu.%03llu us)\n",
			cpu, nm->sent[cpu], nm->handled[cpu],
			rate_mhz / 1000, rate_mhz % 1000, nm->req.rate_hz,
			avg / 1000, avg % 1000,
			nm->res_max_ns[cpu] / 1000, nm->res_max_ns[cpu] % 1000,
			nm->req.residency_ns / 1000, nm->req.residency_ns % 1000);
	}
	if (leftover)
		pr_warn("nmi: %u NMIs sent were never handled (merged in the target or lost)\n",
			leftover);
}

/* Wait for NMIs in flight, detach the storm from its cpus, log, and drop
 * the handler. */
static void lm_nmi_finish(struct lm_nmi *nm)
{
	unsigned long mask = nm->req.cpumask;
	unsigned int cpu, leftover = 0;
	int i;

	for (i = 0; i < LM_NMI_DRAIN_MS; i++) {
		bool busy = false;

		for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++)
			if ((mask & BIT(cpu)) &&
			    atomic_read(&lm_nmi_cpus[cpu].pending))
				busy = true;
		if (!busy)
			break;
		msleep(1);
	}
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(mask & BIT(cpu)))
			continue;
		leftover += atomic_xchg(&lm_nmi_cpus[cpu].pending, 0);
		WRITE_ONCE(lm_nmi_cpus[cpu].storm, NULL);
	}
	/* nmi_handle() runs handlers under rcu_read_lock(): after this no
	 * handler still looks at nm. */
	synchronize_rcu();
	lm_nmi_log_end(nm, leftover);
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++)
		if (mask & BIT(cpu))
			lm_release_cpu(nm->f, cpu, LOCKMAP_ACT_NMI);
	lm_nmi_handler_put();
	atomic_dec(&lm_active_injections);
	clear_bit(ilog2(LOCKMAP_ACT_NMI), &nm->f->active);
}

static int lm_nmi_thread(void *arg)
{
	struct lm_nmi *nm = arg;
	u64 period = div_u64(NSEC_PER_SEC, nm->req.rate_hz);
	ktime_t due = ktime_get();
	u64 end = nm->req.duration_ns ?
		ktime_to_ns(due) + nm->req.duration_ns : 0;

	sched_set_fifo(current);
	while (!kthread_should_stop()) {
		ktime_t now, wake;

		if (end && ktime_to_ns(due) >= end)
			break;
		lm_nmi_send_round(nm);
		due = ktime_add_ns(due, period);
		now = ktime_get();
		/* A late sender catches up, at most LM_NMI_BACKLOG rounds, and
		 * keeps half a period between rounds: a target still in the
		 * handler latches one more NMI, a third would merge. */
		if (ktime_before(due, ktime_sub_ns(now, LM_NMI_BACKLOG * period)))
			due = ktime_sub_ns(now, LM_NMI_BACKLOG * period);
		wake = ktime_add_ns(now, period / 2);
		if (ktime_after(due, wake))
			wake = due;
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule_hrtimeout_range(&wake, 0, HRTIMER_MODE_ABS);
	}
	lm_nmi_finish(nm);
	lm_wait_for_stop();
	return 0;
}

/* Every bound is checked before anything starts. */
static int lm_nmi_validate(const struct lockmap_nmi *req)
{
	u64 max_res = (u64)READ_ONCE(lm_max_nmi_residency_us) * NSEC_PER_USEC;
	u32 max_rate = READ_ONCE(lm_max_nmi_rate_hz);
	int ret;

	ret = lm_check_cpumask("nmi", req->cpumask, true);
	if (ret)
		return ret;
	if (req->sender_cpu >= lm_nr_cpus() || !cpu_online(req->sender_cpu)) {
		pr_err("nmi: sender_cpu %u is not online\n", req->sender_cpu);
		return -EINVAL;
	}
	if (req->cpumask & BIT_ULL(req->sender_cpu)) {
		pr_err("nmi: sender_cpu %u is in cpumask %#llx: the sender must be outside the targets\n",
		       req->sender_cpu, req->cpumask);
		return -EINVAL;
	}
	if (!req->rate_hz || req->rate_hz > max_rate) {
		pr_err("nmi: rate_hz %u: must be 1..%u (module parameter max_nmi_rate_hz)\n",
		       req->rate_hz, max_rate);
		return -EINVAL;
	}
	if (req->residency_ns > max_res) {
		pr_err("nmi: residency_ns %llu: must be at most %llu (module parameter max_nmi_residency_us=%u)\n",
		       req->residency_ns, max_res, lm_max_nmi_residency_us);
		return -EINVAL;
	}
	/* A target needs half of each period outside NMI context, or the NMIs
	 * merge and the cpu does nothing else. */
	if (req->residency_ns * req->rate_hz > NSEC_PER_SEC / 2) {
		pr_err("nmi: residency_ns %llu at rate_hz %u keeps a cpu in NMI context more than half the time: residency_ns must be at most %llu at that rate\n",
		       req->residency_ns, req->rate_hz,
		       div_u64(NSEC_PER_SEC / 2, req->rate_hz));
		return -EINVAL;
	}
	return 0;
}

bool lm_nmi_active(struct lm_file *f)
{
	return test_bit(ilog2(LOCKMAP_ACT_NMI), &f->active);
}

/* Called with f->lock held; returns once the storm has ended and no NMI of
 * it is in flight. */
void lm_nmi_stop(struct lm_file *f)
{
	struct lm_nmi *nm = f->nmi;

	if (!nm)
		return;
	/* stopped before it first ran: its thread function never ran */
	if (kthread_stop(nm->task) == -EINTR)
		lm_nmi_finish(nm);
	WRITE_ONCE(f->nmi, NULL);
	kfree(nm);
}

int lm_nmi_start(struct lm_file *f, const struct lockmap_nmi *req)
{
	unsigned long mask = req->cpumask;
	struct task_struct *t;
	struct lm_nmi *nm;
	unsigned int cpu;
	int ret;

	ret = lm_nmi_validate(req);
	if (ret)
		return ret;
	if (lm_nmi_active(f)) {
		pr_err("nmi: this file already runs an NMI storm: stop it first\n");
		return -EBUSY;
	}
	lm_nmi_stop(f);		/* reap a finished storm */

	nm = kzalloc(sizeof(*nm), GFP_KERNEL);
	if (!nm)
		return -ENOMEM;
	nm->f = f;
	nm->req = *req;
	ret = lm_claim_cpus(f, req->cpumask, LOCKMAP_ACT_NMI, "nmi");
	if (ret)
		goto out_free;
	ret = lm_nmi_handler_get();
	if (ret)
		goto out_release;
	t = kthread_create_on_cpu(lm_nmi_thread, nm, req->sender_cpu,
				  "lockmap_nmi/%u");
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		pr_err("nmi: cannot create the sender thread on cpu %u: %d\n",
		       req->sender_cpu, ret);
		goto out_put;
	}
	nm->task = t;
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(mask & BIT(cpu)))
			continue;
		atomic_set(&lm_nmi_cpus[cpu].pending, 0);
		WRITE_ONCE(lm_nmi_cpus[cpu].residency_ns, req->residency_ns);
		WRITE_ONCE(lm_nmi_cpus[cpu].storm, nm);
	}
	set_bit(ilog2(LOCKMAP_ACT_NMI), &f->active);
	atomic_inc(&lm_active_injections);
	WRITE_ONCE(f->nmi, nm);
	pr_info("nmi: start cpus %*pbl from cpu %u: %u Hz, residency %llu.%03llu us, for %llu ms%s (pid %d %s)\n",
		LOCKMAP_MAX_CPUS, &mask, req->sender_cpu, req->rate_hz,
		req->residency_ns / 1000, req->residency_ns % 1000,
		div_u64(req->duration_ns, NSEC_PER_MSEC),
		req->duration_ns ? "" : " (0: until stopped)",
		task_pid_nr(current), current->comm);
	wake_up_process(t);
	return 0;

out_put:
	lm_nmi_handler_put();
out_release:
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++)
		if (mask & BIT(cpu))
			lm_release_cpu(f, cpu, LOCKMAP_ACT_NMI);
out_free:
	kfree(nm);
	return ret;
}
