[guests]
count = 1
period = 1ms
memory = -32M
