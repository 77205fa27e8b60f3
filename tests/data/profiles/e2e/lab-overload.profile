# e2e (tests/e2e/lab_overload.sh): in a lab host, 32 and then 64 tickguests at
# 200 us (KVM's min_timer_period_us) on lab cpu 1, nothing injected. Far more
# timer interrupts than one lab cpu can deliver under TCG: guests start late,
# lose nearly every tick and some fall silent. That is the map's data (the
# cells are clean or degraded, with the loss), never lockmap's error.
[run]
name = e2e-lab-overload
target = lab
cell_seconds = 8s
warmup = 2s
cooldown = 1s

[guests]
count = 32, 64
period = 200us
pin = 1
tick_loss = 100%

[expect]
fail_on = error
