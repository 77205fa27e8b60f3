// SPDX-License-Identifier: GPL-2.0
/*
 * lockmap_inject: fault injection for lockmap's lab hosts. irq-off sections,
 * NMI storms (SMI emulation), a buddy hard-lockup detector and a probe of
 * KVM's apic_timer_fn, controlled through /dev/lockmap (lockmap_uapi.h).
 *
 * Nothing outlives the file that started it: release stops every injection of
 * that file and waits for it. An open file pins the module, so by the time
 * the module can be unloaded nothing runs any more.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "lm.h"

unsigned int lm_max_irqoff_ms = 20000;
module_param_named(max_irqoff_ms, lm_max_irqoff_ms, uint, 0644);
MODULE_PARM_DESC(max_irqoff_ms,
		 "longest irq-off section allowed, in ms (default 20000)");

unsigned int lm_min_irqoff_interval_us = 1000;
module_param_named(min_irqoff_interval_us, lm_min_irqoff_interval_us, uint, 0644);
MODULE_PARM_DESC(min_irqoff_interval_us,
		 "shortest time with interrupts on between two irq-off sections, in us (default 1000)");

unsigned int lm_max_nmi_rate_hz = 10000;
module_param_named(max_nmi_rate_hz, lm_max_nmi_rate_hz, uint, 0644);
MODULE_PARM_DESC(max_nmi_rate_hz,
		 "highest NMI rate per target cpu, in Hz (default 10000)");

unsigned int lm_max_nmi_residency_us = 10000;
module_param_named(max_nmi_residency_us, lm_max_nmi_residency_us, uint, 0644);
MODULE_PARM_DESC(max_nmi_residency_us,
		 "longest time spent in one NMI, in us (default 10000)");

unsigned int lm_max_cpus;
module_param_named(max_cpus, lm_max_cpus, uint, 0644);
MODULE_PARM_DESC(max_cpus,
		 "most cpus one irq-off injection or NMI storm may target (default 0: all online cpus but one)");

atomic64_t lm_sections_total = ATOMIC64_INIT(0);
atomic_t lm_active_injections = ATOMIC_INIT(0);

DEFINE_MUTEX(lm_lock);

/* Read-only counters exported as module parameters. */
static int lm_param_get_atomic64(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(kp->arg));
}

static int lm_param_get_atomic(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

/* The counters are outputs: refuse them on the insmod command line. */
static int lm_param_set_readonly(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops lm_atomic64_ops = {
	.set = lm_param_set_readonly,
	.get = lm_param_get_atomic64,
};

static const struct kernel_param_ops lm_atomic_ops = {
	.set = lm_param_set_readonly,
	.get = lm_param_get_atomic,
};

module_param_cb(sections_total, &lm_atomic64_ops, &lm_sections_total, 0444);
MODULE_PARM_DESC(sections_total,
		 "read-only: irq-off sections run since the module was loaded, all files");
module_param_cb(active_injections, &lm_atomic_ops, &lm_active_injections, 0444);
MODULE_PARM_DESC(active_injections,
		 "read-only: injections running now (irq-off series, NMI storms, buddy detector, probe), all files");

/* Which file owns each cpu for irq-off sections and NMI storms. */
static struct {
	struct lm_file *file;
	unsigned int kinds;
} lm_claims[LOCKMAP_MAX_CPUS];

unsigned int lm_nr_cpus(void)
{
	return min_t(unsigned int, nr_cpu_ids, LOCKMAP_MAX_CPUS);
}

int lm_check_cpumask(const char *what, u64 mask, bool limit_count)
{
	unsigned int cpu, n = 0, max;

	if (!mask) {
		pr_err("%s: cpumask is empty: give at least one online cpu\n", what);
		return -EINVAL;
	}
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(mask & BIT_ULL(cpu)))
			continue;
		if (cpu >= lm_nr_cpus() || !cpu_online(cpu)) {
			pr_err("%s: cpumask %#llx: cpu %u is not online\n",
			       what, mask, cpu);
			return -EINVAL;
		}
		n++;
	}
	if (!limit_count)
		return 0;
	max = READ_ONCE(lm_max_cpus);
	if (!max)
		max = num_online_cpus() - 1;
	if (n > max) {
		pr_err("%s: cpumask %#llx has %u cpus, more than max_cpus=%u (module parameter max_cpus; 0 means all online cpus but one)\n",
		       what, mask, n, max);
		return -EINVAL;
	}
	return 0;
}

int lm_claim_cpus(struct lm_file *f, u64 mask, unsigned int kind,
		  const char *what)
{
	unsigned int cpu;
	int ret = 0;

	mutex_lock(&lm_lock);
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(mask & BIT_ULL(cpu)))
			continue;
		if ((lm_claims[cpu].file && lm_claims[cpu].file != f) ||
		    (lm_claims[cpu].kinds & kind)) {
			pr_err("%s: cpu %u is busy with another injection (one file per cpu; stop it first)\n",
			       what, cpu);
			ret = -EBUSY;
			goto out;
		}
	}
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		if (!(mask & BIT_ULL(cpu)))
			continue;
		lm_claims[cpu].file = f;
		lm_claims[cpu].kinds |= kind;
	}
out:
	mutex_unlock(&lm_lock);
	return ret;
}

void lm_release_cpu(struct lm_file *f, unsigned int cpu, unsigned int kind)
{
	mutex_lock(&lm_lock);
	if (!WARN_ON_ONCE(lm_claims[cpu].file != f)) {
		lm_claims[cpu].kinds &= ~kind;
		if (!lm_claims[cpu].kinds)
			lm_claims[cpu].file = NULL;
	}
	mutex_unlock(&lm_lock);
}

void lm_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

/* Stop the injections of f named by bits and wait until they have stopped. */
static void lm_stop(struct lm_file *f, u32 bits)
{
	if (bits & LOCKMAP_ACT_PROBE)
		lm_probe_stop(f);
	if (bits & LOCKMAP_ACT_BUDDY)
		lm_buddy_stop(f);
	if (bits & LOCKMAP_ACT_NMI)
		lm_nmi_stop(f);
	if (bits & LOCKMAP_ACT_IRQOFF)
		lm_irqoff_stop(f);
}

/* The interval maxima STATS_TAKE exchanges for 0 (u64 index in the struct). */
#define LM_U64_IDX(field) (offsetof(struct lockmap_cpu_stats, field) / sizeof(u64))

/* Copy f's statistics field by field: writers on other cpus update them
 * concurrently, and a u64 read with READ_ONCE is never torn. With take
 * (STATS_TAKE), the probe's maxima are exchanged for 0 instead: an atomic
 * exchange, so a handler's store after it counts for the next interval. */
static long lm_ioctl_stats(struct lm_file *f, void __user *uarg, bool take)
{
	struct lockmap_stats *s;
	unsigned int cpu, i;
	long ret = 0;

	BUILD_BUG_ON(sizeof(struct lockmap_cpu_stats) % sizeof(u64));
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->version = LOCKMAP_UAPI_VERSION;
	s->nr_cpus = lm_nr_cpus();
	s->now_ns = ktime_get_ns();
	s->nmi_first_ns = READ_ONCE(f->nmi_first_ns);
	s->nmi_last_ns = READ_ONCE(f->nmi_last_ns);
	lm_probe_fill_stats(s);
	if (lm_irqoff_active(f))
		s->active |= LOCKMAP_ACT_IRQOFF;
	if (lm_nmi_active(f))
		s->active |= LOCKMAP_ACT_NMI;
	if (READ_ONCE(f->buddy))
		s->active |= LOCKMAP_ACT_BUDDY;
	if (READ_ONCE(f->probe))
		s->active |= LOCKMAP_ACT_PROBE;
	for (cpu = 0; cpu < s->nr_cpus; cpu++) {
		u64 *src = (u64 *)&f->stats[cpu];
		u64 *dst = (u64 *)&s->cpu[cpu];

		for (i = 0; i < sizeof(f->stats[cpu]) / sizeof(u64); i++) {
			if (take && (i == LM_U64_IDX(probe_max_chain) ||
				     i == LM_U64_IDX(probe_lag_max_ns) ||
				     i == LM_U64_IDX(probe_irq_max_ns)))
				dst[i] = xchg(&src[i], 0);
			else
				dst[i] = READ_ONCE(src[i]);
		}
	}
	if (copy_to_user(uarg, s, sizeof(*s)))
		ret = -EFAULT;
	kfree(s);
	return ret;
}

/* Zero f's statistics; injections keep running and count from zero. */
static void lm_reset(struct lm_file *f)
{
	unsigned int cpu, i;

	WRITE_ONCE(f->nmi_first_ns, 0);
	WRITE_ONCE(f->nmi_last_ns, 0);
	for (cpu = 0; cpu < LOCKMAP_MAX_CPUS; cpu++) {
		u64 *p = (u64 *)&f->stats[cpu];

		for (i = 0; i < sizeof(f->stats[cpu]) / sizeof(u64); i++)
			WRITE_ONCE(p[i], 0);
	}
}

static long lm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lm_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		struct lockmap_irqoff irqoff;
		struct lockmap_nmi nmi;
		struct lockmap_buddy buddy;
		struct lockmap_probe probe;
		u32 bits;
	} req;
	long ret;

	/* STATS takes no lock, so it answers while a STOP waits for a
	 * section to end. */
	if (cmd == LOCKMAP_IOC_STATS || cmd == LOCKMAP_IOC_STATS_TAKE)
		return lm_ioctl_stats(f, uarg, cmd == LOCKMAP_IOC_STATS_TAKE);
	if (_IOC_TYPE(cmd) != LOCKMAP_IOC_MAGIC)
		return -ENOTTY;
	if (_IOC_SIZE(cmd) > sizeof(req))
		return -ENOTTY;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) &&
	    copy_from_user(&req, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;

	if (mutex_lock_killable(&f->lock))
		return -EINTR;
	switch (cmd) {
	case LOCKMAP_IOC_IRQOFF_START:
		ret = lm_irqoff_start(f, &req.irqoff);
		break;
	case LOCKMAP_IOC_NMI_START:
		ret = lm_nmi_start(f, &req.nmi);
		break;
	case LOCKMAP_IOC_BUDDY_START:
		ret = lm_buddy_start(f, &req.buddy);
		break;
	case LOCKMAP_IOC_PROBE_START:
		ret = lm_probe_start(f, &req.probe);
		break;
	case LOCKMAP_IOC_STOP:
		if (req.bits & ~LOCKMAP_ACT_ALL) {
			pr_err("stop: unknown bits %#x (known: %#x)\n",
			       req.bits & ~LOCKMAP_ACT_ALL, LOCKMAP_ACT_ALL);
			ret = -EINVAL;
			break;
		}
		lm_stop(f, req.bits);
		ret = 0;
		break;
	case LOCKMAP_IOC_RESET:
		lm_reset(f);
		ret = 0;
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int lm_open(struct inode *inode, struct file *file)
{
	struct lm_file *f;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

/* The dead man's switch: whatever this file started ends here. */
static int lm_release(struct inode *inode, struct file *file)
{
	struct lm_file *f = file->private_data;

	mutex_lock(&f->lock);
	lm_stop(f, LOCKMAP_ACT_ALL);
	mutex_unlock(&f->lock);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations lm_fops = {
	.owner = THIS_MODULE,
	.open = lm_open,
	.release = lm_release,
	.unlocked_ioctl = lm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice lm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lockmap",
	.fops = &lm_fops,
	.mode = 0600,
};

static int __init lm_init(void)
{
	int ret;

	ret = misc_register(&lm_misc);
	if (ret) {
		pr_err("cannot register /dev/lockmap: %d\n", ret);
		return ret;
	}
	pr_info("ready: /dev/lockmap (uAPI %d), max_irqoff_ms=%u min_irqoff_interval_us=%u max_nmi_rate_hz=%u max_nmi_residency_us=%u max_cpus=%u\n",
		LOCKMAP_UAPI_VERSION, lm_max_irqoff_ms,
		lm_min_irqoff_interval_us, lm_max_nmi_rate_hz,
		lm_max_nmi_residency_us, lm_max_cpus);
	return 0;
}

static void __exit lm_exit(void)
{
	misc_deregister(&lm_misc);
	/* Every file has been released (each pins the module), so each
	 * injection has been stopped and waited for. */
	WARN_ON(atomic_read(&lm_active_injections));
	lm_probe_exit();
	pr_info("unloaded\n");
}

module_init(lm_init);
module_exit(lm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lockmap fault injection: irq-off sections, NMI storms, buddy lockup detector, apic_timer_fn probe");
