[guests]
count = 1
period = 1ms
[host]
sysctl.kernel/../hostname = x
kvm.a.b = 1
