[guests]
count = 4
peroid = 1ms
