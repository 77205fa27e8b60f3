[guests]
count = 1
period = 1ms
[host]
kvm.a/b = 1
