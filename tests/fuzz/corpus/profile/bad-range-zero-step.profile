[guests]
count = 1
period = 100us..500us+0us
