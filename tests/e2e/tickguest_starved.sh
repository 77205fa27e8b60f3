#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tickguest calibrates right on a vCPU the host starves: boot it under QEMU TCG
# while its QEMU is stopped (SIGSTOP) most of the time, as a host with 64
# guests on one cpu does to each, and compare its TSC and APIC timer rates
# with those of an unstarved boot. Under TCG the guest's TSC and QEMU's PIT
# and APIC timer keep running while QEMU is stopped, as on a real host while a
# vCPU waits for its cpu. Speaks TAP and exits 0; run from the top of the tree.
# TICKGUEST_ELF=path tests another build of the guest.
#
# Measured here (2 cores, QEMU 7.2): unstarved, tsc_khz is the host's TSC
# rate to 0.01 % and apic_khz QEMU's 1 GHz to 0.01 %. Before the fix, stops of
# 150 ms (every 5 ms of running) gave tsc_khz 7345808 for a 2300000 kHz TSC
# (the PIT wrapped unseen between two reads) and stops of 4.5 s gave
# "error what=apic-timer-calibration" (the APIC count ran out between two
# reads). The limit, 1 %, is far above the calibration's own error and far
# below what a lost wrap does (a factor of 2 or more).
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

ELF=${TICKGUEST_ELF:-build/tickguest.elf}
QEMU=qemu-system-x86_64
# Allowed difference from the unstarved boot, per mille.
DIFF_MAX_PM=10

if ! command -v "$QEMU" >/dev/null 2>&1; then
  skip "tickguest on a starved vCPU" "$QEMU not installed (apt-get install qemu-system-x86)"
  exit 0
fi
if [ ! -f "$ELF" ]; then
  skip "tickguest on a starved vCPU" "$ELF missing (make tickguest)"
  exit 0
fi
tmp=$(mktemp -d)
qpid=
trap '[ -n "$qpid" ] && kill -CONT "$qpid" 2>/dev/null && kill "$qpid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

# boot NAME STOP_S RUN_S: boot the guest (4 s of ticking, then it exits) with
# QEMU stopped STOP_S seconds for every RUN_S seconds it runs, until the guest
# printed its banner or an error; then let it run to its end.
boot() {
  log="$tmp/$1.log"
  "$QEMU" -accel tcg -cpu max -m 32 -display none -nodefaults -no-user-config \
    -kernel "$ELF" -append "period_us=1000 report_ms=500 duration_s=4" \
    -chardev file,id=dbg,path="$log" -device isa-debugcon,chardev=dbg,iobase=0xe9 \
    -device isa-debug-exit,iobase=0xf4,iosize=4 >"$tmp/$1.qemu" 2>&1 &
  qpid=$!
  i=0
  if [ "$2" != 0 ]; then
    # At most 300 rounds: a guest that prints nothing by then is a failure.
    while [ $i -lt 300 ] && ! grep -q '^tickguest \|^error ' "$log" 2>/dev/null &&
      kill -STOP "$qpid" 2>/dev/null; do
      sleep "$2"
      kill -CONT "$qpid"
      sleep "$3"
      i=$((i + 1))
    done
  fi
  wait "$qpid"
  qpid=
  echo "# $1: $(grep -m1 '^tickguest \|^error ' "$log")"
}

# field NAME KEY: a key=value of the banner of boot NAME ("" if none).
field() {
  sed -n "s/^tickguest .* $2=\\([0-9]*\\).*/\\1/p" "$tmp/$1.log" | head -n 1
}

# near NAME KEY: boot NAME's KEY within DIFF_MAX_PM of the unstarved boot's.
near() {
  got=$(field "$1" "$2")
  want=$(field alone "$2")
  if [ -z "$got" ]; then
    notok "$1: $2 (no banner: $(grep -m1 '^error ' "$tmp/$1.log"))"
    return
  fi
  d=$(((got - want) * 1000 / want))
  [ "$d" -lt 0 ] && d=$((-d))
  if [ "$d" -le "$DIFF_MAX_PM" ]; then
    ok "$1: $2=$got, $d per mille from the unstarved $want"
  else
    notok "$1: $2=$got is $d per mille from the unstarved $want (want <= $DIFF_MAX_PM)"
  fi
}

boot alone 0 0
if [ -z "$(field alone tsc_khz)" ]; then
  notok "unstarved boot printed its banner"
  exit 0
fi
ok "unstarved boot: tsc_khz=$(field alone tsc_khz) apic_khz=$(field alone apic_khz) ($(sed -n 's/.* calib=\([a-z0-9]*\).*/\1/p' "$tmp/alone.log" | head -n 1))"
# Stops longer than the PIT's 55 ms wrap: the TSC calibration (when it uses
# the PIT: the log says calib=pit) must not lose wraps.
boot wraps 0.3 0.01
near wraps tsc_khz
near wraps apic_khz
# Stops longer than the APIC count's 2^32 clocks at divide-by-1 (4.3 s).
boot runout 4.5 0.02
near runout apic_khz
if grep -q '^done ' "$tmp/runout.log"; then
  ok "runout: the guest ran to its end"
else
  notok "runout: the guest did not run to its end ($(grep -m1 '^error ' "$tmp/runout.log"))"
fi
exit 0
