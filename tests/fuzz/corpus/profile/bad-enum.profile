[guests]
count = 4
period = 1ms
timer = periodc
