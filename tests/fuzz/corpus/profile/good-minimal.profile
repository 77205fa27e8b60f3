# Only what is required: every other key takes its default.
[guests]
count = 2
period = 1ms
