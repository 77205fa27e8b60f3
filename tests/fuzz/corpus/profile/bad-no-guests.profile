[run]
repeat = 1
