[guests]
count = 1
period = 1ms

[inject.pasue]
length = 1ms
