# e2e (tests/e2e/lab_overdue.sh): a cell that cannot end on time with the lab
# host alive. A 20 s irq-off section on lab cpu 1 starts with a 2 s window:
# the inner lockmap's teardown waits for the section (LOCKMAP_IOC_STOP waits
# until no section runs), so the cell ends about 18 s late while cpu 0 beats.
# With --end-timeout 8 the outer lockmap must reboot the host, make the cell
# host_hang and run the next cell (nothing injected) in the new boot.
[run]
name = e2e-lab-overdue
target = lab
cell_seconds = 2s
warmup = 1s
cooldown = 0

[host]
# the buddy detector reports the section after 4 s, before the end timeout
watchdog_thresh = 4

[guests]
count = 1
period = 1ms
pin = 1
tick_loss = 100%

[inject.irqoff]
cpus = 1
duration = 20s, 0
interval = 0

[expect]
fail_on = error
