[run]
repeat = 1

[guests]
count = 1
