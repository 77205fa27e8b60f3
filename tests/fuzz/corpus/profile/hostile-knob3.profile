[guests]
count = 1
period = 1ms
[host]
sysctl.kernel..panic = 1
