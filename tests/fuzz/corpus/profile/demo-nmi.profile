# demo-nmi: the NMI-storm cell of the demo (see demo.profile).
#
# A sender on lab cpu 0 sends 100 NMIs per second to lab cpu 1, where 8
# tickguests run their 200 us periodic timers; the module's NMI handler spins
# 3 ms each time, like an SMI with a 3 ms residency: 30% of cpu 1 is stolen,
# interrupts included. The kernel reports each long handler as
# "INFO: NMI handler (...) took too long to run" (event nmi_slow).

[run]
name = demo-nmi
target = lab
cell_seconds = 10s
warmup = 3s
cooldown = 2s

[host]
watchdog_thresh = 4

[guests]
count = 8
period = 200us
pin = 1
tick_loss = 50%

[inject.nmi]
cpus = 1
sender = 0
rate = 100hz
residency = 3ms

[expect]
fail_on = error
