[guests]
count = 1
period = 1ms, 200us, 1000us
