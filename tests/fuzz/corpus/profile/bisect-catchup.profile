# bisect-catchup: hunt the periodic-timer catch-up of CVE-2025-71104 with
# `git bisect run lockmap bisect profiles/bisect-catchup.profile --kernel-tree .`
# (README "Bisecting a kernel"; tests/slow/bisect.sh runs it).
#
# One cell of the positive control (profiles/catchup-control.profile): 8
# tickguests at 200 us pinned to lab cpu 1, interrupts off there for 3 s. A
# kernel without the fix runs apic_timer_fn back to back once per missed
# period (measured: a longest chain of 124769-125001 calls in one hrtimer
# interrupt), a kernel with it a few per timer (24): the threshold sits far
# from both, and judges the catch-up itself, before it becomes a lockup.

[run]
name = bisect-catchup
target = lab
cell_seconds = 12s
warmup = 3s
cooldown = 3s

[host]
watchdog_thresh = 4

[guests]
count = 8
period = 200us
timer = periodic
pin = 1
# Nested guests under a TCG lab host miss ticks even when nothing is injected.
tick_loss = 50%

[inject.irqoff]
cpus = 1
duration = 3s
interval = 0

[monitor]
probe = on

[expect]
fail_on = probe.max_chain > 1000
