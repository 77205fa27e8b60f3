# demo: what lockmap is for, in a lab host booted from the distribution kernel.
#
# Tickguests program their LAPIC timer in periodic mode at 200 us (KVM's default
# min_timer_period_us) with every vCPU pinned to lab cpu 1. On that cpu the
# helper module turns interrupts off for 0, 3 s or 12 s, with 1 and 8 guests:
# while interrupts are off the guests' hrtimers expire unserved, and when they
# are served KVM's apic_timer_fn catches up on the periods it missed. The
# module's probe counts that catch-up (calls per second, lag behind expiry,
# longest chain of calls in one hrtimer interrupt).
#
# With watchdog_thresh = 4 the kernel reports a soft lockup after 8 s; the lab
# host has no PMU under TCG, so the module's buddy detector reports the hard
# lockup (after 4 s). Expected, and to be checked against what is measured:
# the 0 s cells clean, the 12 s cells hardlockup and softlockup. On kernels that
# carry the upstream fix (Debian 6.1.160 and later) a late hrtimer costs about
# one extra apic_timer_fn call per guest timer; on older kernels about
# duration / period calls per timer.
# demo-nmi.profile is the NMI-storm cell of the demo.

[run]
name = demo
target = lab
cell_seconds = 16s
warmup = 3s
cooldown = 4s

[host]
watchdog_thresh = 4

[guests]
count = 1, 8
period = 200us
timer = periodic
pin = 1
# Nested guests under a TCG lab host miss ticks even when nothing is injected.
tick_loss = 50%

[inject.irqoff]
cpus = 1
duration = 0, 3s, 12s
# One section per cell, at the start of the window.
interval = 0

[expect]
# A demo is not a regression test: no outcome fails it.
fail_on = error
