# nofault: the control cell. Nothing is injected; 8 tickguests at 200 us
# periodic (KVM's min_timer_period_us) on lab cpu 1, with the helper module's
# probe and buddy detector on, five times. Any panic, host_hang or error here
# is the lab's or lockmap's own doing, never the kernel under test's answer to
# a fault: the instrument must not cause what it reports. (Under TCG nested
# guests miss ticks by themselves, and the lab kernel prints "hrtimer:
# interrupt took N ns" now and then: degraded is expected, a lockup is not.)
[run]
name = nofault
target = lab
cell_seconds = 15s
warmup = 3s
cooldown = 3s
repeat = 5

[host]
watchdog_thresh = 4

[guests]
count = 8
period = 200us
timer = periodic
pin = 1
tick_loss = 100%

[monitor]
probe = on
buddy = on

[expect]
fail_on = rcu_stall, softlockup, hardlockup, panic, host_hang, error
