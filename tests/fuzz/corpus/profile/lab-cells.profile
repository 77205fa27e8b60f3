# e2e (tests/e2e/lab_cells.sh): in a lab host, one tickguest pinned to lab cpu 1;
# a cell with nothing injected, and one with a 12 s irq-off section on cpu 1
# (watchdog_thresh = 4: the buddy detector reports after 4 s).
[run]
name = e2e-lab-cells
target = lab
cell_seconds = 16s
warmup = 3s
cooldown = 4s

[host]
watchdog_thresh = 4

[guests]
count = 1
period = 1ms
pin = 1
# Nested guests under a TCG lab host miss ticks even when nothing is injected:
# this test is about the kernel's reports, not about tick loss.
tick_loss = 100%

[inject.irqoff]
cpus = 1
duration = 0, 12s

[expect]
fail_on = error
