# [report] x and y name the same axis.
[guests]
count = 1, 2
period = 1ms, 2ms
[report]
x = guests.count
y = guests.count
