[guests]
count = 1,,2
period = 1ms
