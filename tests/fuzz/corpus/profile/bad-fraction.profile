[guests]
count = 1
period = 1.5ns
