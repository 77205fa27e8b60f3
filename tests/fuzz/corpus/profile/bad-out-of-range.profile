[guests]
count = 1
period = 2s
