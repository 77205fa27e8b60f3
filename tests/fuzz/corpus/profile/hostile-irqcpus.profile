[run]
cell_seconds = 1s
warmup = 0
cooldown = 0
[guests]
count = 1
period = 1ms
[inject.irqoff]
cpus = 0-7
duration = 1ms
