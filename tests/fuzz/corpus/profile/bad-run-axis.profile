[run]
repeat = 1, 2
[guests]
count = 1
period = 1ms
