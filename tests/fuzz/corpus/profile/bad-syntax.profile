[guests]
count 1
period = 1ms
