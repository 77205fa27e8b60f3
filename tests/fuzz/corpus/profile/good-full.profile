# A profile that sets something in every section, with units, ranges,
# lists and comments; test_profile.c checks every value.
[run]
name = full-test
target = local
cell_seconds = 1.5s        # fractions give whole nanoseconds
warmup = 500ms
cooldown = 0
repeat = 2

[host]
watchdog_thresh = 4
sysctl.kernel.panic = 10

[guests]
launcher = qemu
count = 1..64*2            ; a geometric range
vcpus = 2
memory = 1G
period = 100us..500us+100us
timer = PERIODIC
idle = busy
report = 250MS
pin = 0 | 1 | 0-1
tick_loss = 0.5%
accel = tcg

[inject.pause]
length = 20ms, 1000us

[expect]
fail_on = hardlockup, softlockup, panic
