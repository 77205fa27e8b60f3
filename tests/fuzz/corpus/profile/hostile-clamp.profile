[run]
cell_seconds = 1s
warmup = 0
cooldown = 0
[guests]
count = 1
period = 50us, 100us, 1ms
