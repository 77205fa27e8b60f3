#!/bin/sh
# Start virtlogd and libvirtd as daemons when they are not running, for the
# libvirt launcher's tests and for hosts where systemd is not PID 1 (where it
# is, `systemctl start libvirtd` does the same). Exits 0 once libvirtd answers
# on its socket; 1 with the reason (on stderr) when it cannot be started.
set -eu

sock=/run/libvirt/libvirt-sock

if ! command -v libvirtd >/dev/null 2>&1 || ! command -v virtlogd >/dev/null 2>&1; then
  echo "start-libvirtd: libvirtd or virtlogd is not installed: apt-get install libvirt-daemon-system" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "start-libvirtd: needs root (the system libvirtd, qemu:///system)" >&2
  exit 1
fi

# pgrep -x matches the process name exactly: a libvirtd of this host, not a
# command line that mentions it.
if ! pgrep -x virtlogd >/dev/null 2>&1; then
  virtlogd -d
fi
if ! pgrep -x libvirtd >/dev/null 2>&1; then
  libvirtd -d
fi

# libvirtd makes its socket once it is ready to answer.
i=0
while [ ! -S "$sock" ] && [ "$i" -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
if [ ! -S "$sock" ] || ! pgrep -x libvirtd >/dev/null 2>&1; then
  echo "start-libvirtd: libvirtd did not come up (no $sock after 10 s); see its log: journalctl -u libvirtd, or run libvirtd in the foreground" >&2
  exit 1
fi
exit 0
