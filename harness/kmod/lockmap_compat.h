/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where lockmap_inject deals with kernel version differences
 * (5.10 through current). Everything else uses the lm_* names below.
 */
#ifndef LOCKMAP_COMPAT_H
#define LOCKMAP_COMPAT_H

#include <linux/version.h>
#include <linux/hrtimer.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "lockmap_inject needs Linux 5.10 or later (sched_set_fifo, sysfs_emit, *_PINNED_HARD hrtimers)"
#endif

/* hrtimer_setup() replaced hrtimer_init() + ->function in 6.13; the old
 * pair was removed later. */
static inline void lm_hrtimer_setup(struct hrtimer *timer,
				    enum hrtimer_restart (*fn)(struct hrtimer *),
				    clockid_t clock, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

#endif
