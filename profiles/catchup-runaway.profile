# catchup-runaway: beyond the control (catchup-control.profile), where the
# unfixed kernel's catch-up runs away: 8 tickguests on lab cpu 1 with periods
# of 25, 15 and 10 us (kvm.min_timer_period_us lowered to 10), with nothing
# injected and after 1 s and 3 s with interrupts off. Run it on both lab
# kernels (`PROFILE=profiles/catchup-runaway.profile make control`);
# harness/lab/README.md has what it gave.
#
# At 10 us eight timers ask 800,000 apic_timer_fn calls a second of one cpu,
# at about 1 us a call in the TCG lab: on the unfixed kernel a late hrtimer's
# backlog is worked off at only a fraction of the rate it grew.

[run]
name = catchup-runaway
target = lab
cell_seconds = 15s
warmup = 3s
cooldown = 3s
repeat = 2

[host]
watchdog_thresh = 4
kvm.min_timer_period_us = 10

[guests]
count = 8
period = 25us, 15us, 10us
timer = periodic
pin = 1
tick_loss = 50%

[inject.irqoff]
cpus = 1
duration = 0, 1s, 3s
interval = 0

[monitor]
probe = on

[expect]
fail_on = error
