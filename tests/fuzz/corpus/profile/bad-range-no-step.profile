[guests]
count = 1..8
period = 1ms
