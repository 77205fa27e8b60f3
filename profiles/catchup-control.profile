# catchup-control: the positive control. Run on a lab kernel with KVM's
# periodic-timer catch-up fix (CVE-2025-71104) and on one without it
# (harness/lab/build-kernel.sh and build-kernel.sh --unfixed); `make control`
# runs both and prints their tables side by side.
#
# Tickguests program their LAPIC timer in periodic mode, every vCPU pinned to
# lab cpu 1, where the helper module turns interrupts off once per cell, at the
# start of the window, for 0, 1 s or 3 s. While interrupts are off the guests'
# hrtimers expire unserved. Expectations from the code, to be measured:
# - fixed: apic_timer_fn re-arms at the next period after now, so the longest
#   chain of calls in one hrtimer interrupt stays at a few per guest timer;
# - unfixed: it re-arms one period after the missed expiry, so it runs about
#   duration / period times per timer back to back (8 x 3 s / 200 us = 120000);
#   when one round of callbacks costs more than a period, the hrtimer interrupt
#   never catches up and the host locks up without anything injected.
# The 25 us period needs kvm.min_timer_period_us below it (default 200: KVM
# would clamp the period and say so in the kernel log).
#
# watchdog_thresh = 4: a hard lockup is reported after 4 s with interrupts
# off, a soft lockup after 8 s; the 3 s sections stay below both, so a lockup
# report in a cell is the catch-up's, not the section's.

[run]
name = catchup-control
target = lab
cell_seconds = 20s
warmup = 3s
cooldown = 4s
repeat = 3

[host]
watchdog_thresh = 4
kvm.min_timer_period_us = 20

[guests]
count = 1, 8
period = 200us, 25us
timer = periodic
pin = 1
# Nested guests under a TCG lab host miss ticks even when nothing is injected.
tick_loss = 50%

[inject.irqoff]
cpus = 1
duration = 0, 1s, 3s
interval = 0

[monitor]
probe = on

[expect]
# A control is measured, not gated: only lockmap's own errors fail it.
fail_on = error
