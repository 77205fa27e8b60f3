count = 1
[guests]
period = 1ms
