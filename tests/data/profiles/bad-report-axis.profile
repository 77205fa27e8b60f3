# [report] x names a key that is no axis of the profile.
[guests]
count = 1, 2
period = 1ms, 2ms
[report]
x = guests.countt
