# tests/e2e/linux_guest_lab.sh: payload linux inside a lab host, under its
# nested KVM. Cell 1: the guest's tick is periodic on the LAPIC (no
# TSC-deadline in `-cpu host,-tsc-deadline`, nohz=off highres=off) and it
# reports its LOC rate. Cell 2: highres=on nohz=on on top make the tick
# oneshot, and the cell an error with the guest's line.
[run]
name = lab-linux
target = lab
cell_seconds = 10s
warmup = 2s
cooldown = 1s

[guests]
payload = linux
count = 1
# Debian's kernel, the lab's: HZ=250.
period = 4ms
memory = 128M
pin = 1
tick_loss = 50%
linux_append = quiet | quiet highres=on nohz=on
