[guests]
count = 1
period = 1ms
[run]
repeat = 2
[guests]
vcpus = 2
