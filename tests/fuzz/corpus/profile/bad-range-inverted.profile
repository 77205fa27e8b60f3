[guests]
count = 64..1*2
period = 1ms
