[guests]
count = 1
period = 200us

# An injector section with every key at its default.
[inject.pause]
