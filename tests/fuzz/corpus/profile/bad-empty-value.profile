[guests]
count =
period = 1ms
