[run]
repeat = 10
[guests]
count = 1..512+1
period = 1us..1s+10ms
