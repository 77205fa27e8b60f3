#!/bin/sh
# Start virtlogd and libvirtd as daemons when they are not running, for the
# libvirt launcher's tests and for hosts where systemd is not PID 1 (where it
# is, `systemctl start libvirtd` does the same). Exits 0 once libvirtd answers
# on its socket; 1 with the reason (on stderr) when it cannot be started. On
# stdout, a line "NAME PID" for each daemon it started (none when both ran
# already; said also when it fails later), so that a caller stops only what
# it started: the daemons outlive this script, and a test must leave the host
# as it found it (tests/e2e/libvirt_cells.sh).
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
# command line that mentions it. -d returns once the daemon runs (it waits
# for its child to say so); said at once, so that a caller stops it even when
# libvirtd then does not come up.
for d in virtlogd libvirtd; do
  if ! pgrep -x "$d" >/dev/null 2>&1; then
    "$d" -d
    echo "$d $(pgrep -x -o "$d")"
  fi
done

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
