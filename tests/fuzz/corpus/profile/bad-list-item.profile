[guests]
count = 1
period = 1ms
[expect]
fail_on = softlockup, hardlock
