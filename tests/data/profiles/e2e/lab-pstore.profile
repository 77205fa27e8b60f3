# e2e (tests/e2e/lab_pstore.sh): a lab host with kernel.hardlockup_panic = 1
# and ramoops (`lockmap lab --pstore`) hard-locks in the middle cell of three
# (a 12 s irq-off section on cpu 1; watchdog_thresh = 4: the buddy detector
# reports after 4 s and panics), reboots, and the run that resumes inside
# decides that cell from the pstore record, then runs the last one.
[run]
name = e2e-lab-pstore
target = lab
cell_seconds = 16s
warmup = 3s
cooldown = 4s

[host]
watchdog_thresh = 4
hardlockup_panic = 1

[guests]
count = 1
period = 1ms
pin = 1
# Nested guests under a TCG lab host miss ticks even when nothing is injected:
# this test is about the host's crash, not about tick loss.
tick_loss = 100%

[inject.irqoff]
cpus = 1
duration = 0, 12s, 1s

[expect]
fail_on = error
