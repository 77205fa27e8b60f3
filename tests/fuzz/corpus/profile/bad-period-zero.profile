[guests]
count = 1
period = 0
