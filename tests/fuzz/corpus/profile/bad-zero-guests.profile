# no guests at all is not a grid
[guests]
count = 0
period = 1ms
