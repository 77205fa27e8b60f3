# nightly: the profile of the nightly soak (lockmap-soak.service, installed
# as /etc/lockmap/nightly.profile). `lockmap soak` repeats this grid for the
# soak's hours and compares the night with the one before: keep the grid
# small enough that a night holds several passes of it, so the rates over
# the passes tell a flaky cell from a solid one.
# Eight cells of 30 s plus boot: a pass takes about 6 minutes.

[run]
name = nightly
target = local
cell_seconds = 30s
warmup = 5s
cooldown = 5s

[host]
watchdog_thresh = 10

[guests]
count = 1, 8
period = 200us, 1ms
timer = periodic
pin = 1
tick_loss = 15%

[inject.irqoff]
cpus = 1
# An axis: off, and sections long enough to delay the guests' hrtimers
# well past their period.
duration = 0, 20ms
interval = 100ms

[expect]
fail_on = softlockup,hardlockup,rcu_stall,panic,host_hang,error
