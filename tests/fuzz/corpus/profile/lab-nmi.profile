# e2e (tests/e2e/lab_cells.sh): an NMI storm with a long residency in a lab host:
# 100 NMIs a second to lab cpu 1, each spinning 3 ms in the handler.
[run]
name = e2e-lab-nmi
target = lab
cell_seconds = 8s
warmup = 2s
cooldown = 2s

[guests]
count = 1
period = 1ms
pin = 1
tick_loss = 100%

[inject.nmi]
cpus = 1
sender = 0
rate = 100hz
residency = 3ms

[expect]
fail_on = error
