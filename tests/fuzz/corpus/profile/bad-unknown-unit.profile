[guests]
count = 4
period = 200sec
