[guests]
count = 1
period = 1ms
[inject.pause]
lenght = 1ms
