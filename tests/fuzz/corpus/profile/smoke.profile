# smoke: the smallest real run of lockmap on this host, two cells.
#
# Two tickguests tick their LAPIC timer every 1 ms (periodic mode) with their
# vCPUs pinned to host cpu 0. The first cell injects nothing: it shows what a
# quiet host gives. The second caps the guests' QEMU processes to 5 ms of CPU
# time per 100 ms (CPU bandwidth control through cgroups): the guests cannot
# take every tick, and the cell should come out degraded.
# Measured here under TCG (2 cores, 2 guests on cpu 0, 8 s windows): no
# throttle lost 1.5% of ticks, 5 ms lost 71%, 10 ms 54%, 20 ms 2.6%.
# Each cell takes warmup + cell_seconds + cooldown plus guest boot: about 20 s.

[run]
name = smoke
target = local
cell_seconds = 10s
warmup = 3s
cooldown = 2s

[guests]
count = 2
period = 1ms
timer = periodic
idle = hlt
report = 500ms
pin = 0
# Ticks a guest may lose in the window before the cell counts as degraded.
# Under TCG a quiet host already loses up to 7% (guests/tickguest/README.md):
# 15% keeps that noise clean while the throttled cell's ~70% stands out.
tick_loss = 15%

[inject.throttle]
# An axis: 0 (off) and 5 ms of CPU per period.
quota = 0, 5ms
period = 100ms
