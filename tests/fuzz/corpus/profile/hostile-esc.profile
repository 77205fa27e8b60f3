[run]
name = x[31mred
[guests]
count = 1
period = 1ms
