# catchup-diverge: where the unfixed kernel's catch-up stops catching up and
# the lab host locks up, with nothing injected: 8, 12 and 16 tickguests on lab
# cpu 1 at 15 and 10 us (kvm.min_timer_period_us lowered to 10), 40 s cells.
# One apic_timer_fn call costs about 1.2-1.5 us in the TCG lab, so 8 guests at
# 15 us ask 0.6-0.8 of the cpu and 16 at 10 us 2-2.4 of it: on the unfixed
# kernel each late interrupt's backlog is worked off slower than it grows
# once that share passes 1. The probe's longest timer interrupt (probe.max_irq)
# is what to read here: the lockup detectors' own hrtimers run inside the storm.
# Run it on both lab kernels:
#   PROFILE=profiles/catchup-diverge.profile make control
# harness/lab/README.md has what it gave.

[run]
name = catchup-diverge
target = lab
cell_seconds = 40s
warmup = 3s
cooldown = 3s
repeat = 2

[host]
watchdog_thresh = 4
kvm.min_timer_period_us = 10

[guests]
count = 8, 12, 16
period = 15us, 10us
timer = periodic
pin = 1
tick_loss = 50%

[monitor]
probe = on

[expect]
fail_on = error
