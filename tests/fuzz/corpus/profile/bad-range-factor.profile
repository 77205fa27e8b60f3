[guests]
count = 1..64*1
period = 1ms
