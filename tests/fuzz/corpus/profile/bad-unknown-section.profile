[run]
name = x

[gusts]
count = 1
