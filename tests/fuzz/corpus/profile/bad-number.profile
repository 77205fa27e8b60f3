[guests]
count = eight
period = 1ms
