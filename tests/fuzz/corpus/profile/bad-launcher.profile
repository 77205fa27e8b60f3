[guests]
launcher = xen
count = 1
period = 1ms
