[run]
cell_seconds = 1s
warmup = 0
cooldown = 0
[guests]
count = 1
period = 1ms
report = 100500us
