# search-irqoff: the irq-off length that hard-locks a lab host, for 1 and 8
# guests, found by bisection instead of a sweep (profiles/README.md "[search]").
#
# The cells are those of demo.profile but for the length of the irq-off
# section: tickguests at 200 us periodic, pinned to lab cpu 1, where the helper
# module turns interrupts off once per cell, at the start of the window. For
# each guest count lockmap probes 16 s, then 0, then halves the bracket down to
# 500 ms: at most 7 probes of 3 runs each, 42 cells in all where the grid at
# 500 ms has 198 (`lockmap run -n` prints the plan). A probe reaches when at
# least 2 of its 3 runs end hardlockup or worse (panic, host_hang: a lab host
# that dies in the cell). With watchdog_thresh = 4 the buddy detector (no PMU
# under TCG) reports a hard lockup after about 4 s of interrupts off.

[run]
name = search-irqoff
target = lab
# the longest section (16 s) fits in the window
cell_seconds = 20s
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
# One section per cell; its duration is the search's.
interval = 0

[search]
axis = inject.irqoff.duration
lo = 0
hi = 16s
resolution = 500ms
reach = hardlockup
repeats = 3

[expect]
# The threshold is what this run is for: probes that lock up do not fail it.
fail_on = error
