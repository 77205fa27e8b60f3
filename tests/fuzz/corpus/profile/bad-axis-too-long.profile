[guests]
count = 1
period = 1us..1s+1us
