# linux-guest: one cell of Linux guests whose tick runs the LAPIC periodically.
#
# The guests boot the distribution kernel (/boot/vmlinuz-$(uname -r), else the
# newest in /boot; [guests] linux_kernel names another) with lockmap's busybox
# initramfs (guests/linux/), no TSC-deadline timer in the CPU model and
# `nohz=off highres=off`, so each cpu's tick is the LAPIC timer in periodic
# mode at the kernel's HZ. Each guest checks that in /proc/timer_list (a tick
# that is not periodic on the LAPIC makes the cell an error naming the tick
# device) and reports its local timer interrupts (/proc/interrupts LOC) in
# tickguest's format, so lost ticks and the report read as for tickguest.
# These stand for the guest systems (Windows among them) that program
# periodic LAPIC timers. A Linux boot under TCG takes 5-50 s (README.md).

[run]
name = linux-guest
target = local
cell_seconds = 10s
warmup = 2s
cooldown = 1s

[guests]
payload = linux
count = 1
# The kernel's tick: 1 s / CONFIG_HZ (Debian: HZ=250, 4 ms). Any other value
# is refused when the profile loads, naming the kernel's HZ.
period = 4ms
memory = 128M
report = 1s
pin = 0
# Under TCG a loaded host's Linux guest misses ticks, and its boot-time LAPIC
# calibration can be off (guests/linux/README.md): room for that noise.
tick_loss = 15%
