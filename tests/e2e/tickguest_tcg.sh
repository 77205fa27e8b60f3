#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tickguest really takes LAPIC timer interrupts: boot build/tickguest.elf under
# QEMU TCG, time-stamp each report line as it arrives, and check the guest's
# tick counts against its own TSC-based expectation and against the wall clock.
# Speaks TAP (ok / not ok / # SKIP) and exits 0; run from the top of the tree.
#
# Tolerances, from measurements on the 2-core build machine (QEMU 7.2, TCG,
# -cpu max; guests/tickguest/README.md "Timing under TCG" has the details):
#   loss = (expected - ticks) / expected over the whole run, after 5 s:
#     periodic 1000 us   idle:  PERIODIC_IDLE      with a 2nd QEMU busy: PERIODIC_LOAD
#     oneshot  1000 us   idle:  ONESHOT_IDLE       with a 2nd QEMU busy: ONESHOT_LOAD
#     periodic  200 us   idle:  P200_IDLE          with a 2nd QEMU busy: P200_LOAD
#   ticks x period / wall time between first and last report: RATIO_RANGE
# The limits below leave room above the worst measured value; a tick counter
# that is broken (no interrupts, double counting, wrong period, wrong TSC
# calibration) is off by far more.
set -u

ELF=build/tickguest.elf
QEMU=qemu-system-x86_64
# Worst acceptable loss, in basis points (hundredths of a percent).
LOSS_MAX_BP_1000=${LOSS1000:-200}
LOSS_MAX_BP_200=${LOSS200:-500}
# Ticks x period over wall time, in per mille: accepted range.
RATIO_MIN_PM=900
RATIO_MAX_PM=1100
# Guest TSC time (expected x period) over wall time, in per mille.
CLOCK_MIN_PM=980
CLOCK_MAX_PM=1020

n=0
tap() {
  n=$((n + 1))
  echo "$1 $n - $2"
}
ok() { tap ok "$1"; }
not_ok() { tap "not ok" "$1"; }
skip() { tap ok "$1 # SKIP $2"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# run_guest NAME APPEND: boot the guest until its duration_s ends (or a
# timeout), writing "<ns since epoch> <line>" for each line to $tmp/NAME.log
# and QEMU's exit status to $tmp/NAME.rc.
run_guest() {
  {
    timeout 30 "$QEMU" -accel tcg -cpu max -m 32 -display none -nodefaults \
      -no-reboot -kernel "$ELF" -append "$2" \
      -chardev stdio,id=dbg,signal=off -device isa-debugcon,chardev=dbg,iobase=0xe9 \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null 2>"$tmp/$1.err"
    echo $? >"$tmp/$1.rc"
  } | while IFS= read -r line; do
    printf '%s %s\n' "$(date +%s%N)" "$line"
  done >"$tmp/$1.log"
}

# analyse NAME: print "banner reports seq_ok ticks expected loss_bp ratio_pm
# done clock_pm" from a run's log (ratios 0 when fewer than two reports came).
analyse() {
  awk '
    $2 == "tickguest" { banner = 1; for (i = 3; i <= NF; i++) { split($i, kv, "="); b[kv[1]] = kv[2] } }
    $2 == "tick" {
      for (i = 3; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
      nrep++
      if (r["seq"] != nrep) seqbad = 1
      if (nrep > 1 && r["expected"] > pe) {
        l = int((r["expected"] - pe - (r["ticks"] - pk)) * 10000 / (r["expected"] - pe))
        if (best == "" || l < best) best = l
      }
      pk = r["ticks"]; pe = r["expected"]
      if (nrep == 1) { t0 = $1; k0 = r["ticks"]; e0 = r["expected"] }
      t1 = $1; k1 = r["ticks"]; ticks = r["ticks"]; want = r["expected"]; e1 = want
    }
    $2 == "done" { fin = 1 }
    END {
      loss = want > 0 ? int((want - ticks) * 10000 / want) : 99999
      ratio = (nrep > 1 && t1 > t0) ? int((k1 - k0) * b["period_us"] * 1000 * 1000 / (t1 - t0)) : 0
      clock = (nrep > 1 && t1 > t0) ? int((e1 - e0) * b["period_us"] * 1000 * 1000 / (t1 - t0)) : 0
      printf "%d %d %d %d %d %d %d %d %d %d\n", banner, nrep, !seqbad, ticks, want, loss, ratio, fin, clock, best == "" ? 99999 : best
    }' "$tmp/$1.log"
}

if [ ! -f "$ELF" ]; then
  not_ok "$ELF exists (build it with: make tickguest)"
  exit 0
fi
if ! command -v "$QEMU" >/dev/null 2>&1; then
  skip "tickguest under TCG" "$QEMU not installed (apt-get install qemu-system-x86)"
  exit 0
fi
ok "$ELF exists"

# Periodic, 1000 us, 5 s of reports every 500 ms.
run_guest periodic "period_us=1000 report_ms=500 duration_s=5"
read -r banner nrep seq_ok ticks expected loss ratio fin clock best <<EOF2
$(analyse periodic)
EOF2
if [ "$banner" = 1 ] && grep -q ' tickguest period_us=1000 timer=periodic idle=hlt report_ms=500 ' "$tmp/periodic.log"; then
  ok "periodic: banner $(grep -o 'tsc_khz=[0-9]* calib=[a-z0-9]*' "$tmp/periodic.log")"
else
  not_ok "periodic: banner missing or wrong: $(head -c 300 "$tmp/periodic.log" "$tmp/periodic.err")"
fi
if [ "$nrep" -ge 9 ] && [ "$seq_ok" = 1 ]; then
  ok "periodic: $nrep reports, seq consecutive"
else
  not_ok "periodic: $nrep reports (want >= 9), seq consecutive=$seq_ok"
fi
if [ "$expected" -ge 4900 ] && [ "$loss" -ge "-$LOSS_MAX_BP_1000" ] && [ "$loss" -le "$LOSS_MAX_BP_1000" ]; then
  ok "periodic: ticks=$ticks expected=$expected loss=${loss}bp (limit ${LOSS_MAX_BP_1000}bp), best interval ${best}bp"
else
  not_ok "periodic: ticks=$ticks expected=$expected loss=${loss}bp (limit ${LOSS_MAX_BP_1000}bp), best interval ${best}bp"
fi
if [ "$ratio" -ge "$RATIO_MIN_PM" ] && [ "$ratio" -le "$RATIO_MAX_PM" ]; then
  ok "periodic: ticks x period / wall time = ${ratio} per mille (${RATIO_MIN_PM}..${RATIO_MAX_PM})"
else
  not_ok "periodic: ticks x period / wall time = ${ratio} per mille (want ${RATIO_MIN_PM}..${RATIO_MAX_PM})"
fi
if [ "$clock" -ge "$CLOCK_MIN_PM" ] && [ "$clock" -le "$CLOCK_MAX_PM" ]; then
  ok "periodic: guest TSC time / wall time = ${clock} per mille (${CLOCK_MIN_PM}..${CLOCK_MAX_PM}): calibration holds"
else
  not_ok "periodic: guest TSC time / wall time = ${clock} per mille (want ${CLOCK_MIN_PM}..${CLOCK_MAX_PM}): TSC calibration is off"
fi
rc=$(cat "$tmp/periodic.rc")
if [ "$fin" = 1 ] && [ "$rc" = 1 ]; then
  ok "periodic: after duration_s a done line, QEMU left through isa-debug-exit (status 1)"
else
  not_ok "periodic: done line=$fin, QEMU status $rc (want 1 from isa-debug-exit; 124 = timeout)"
fi

# check_loss NAME LIMIT BANNER-PATTERN: one line for a shorter run.
check_loss() {
  read -r banner nrep seq_ok ticks expected loss ratio fin clock best <<EOF2
$(analyse "$1")
EOF2
  if [ "$banner" = 1 ] && grep -q " $3 " "$tmp/$1.log" && [ "$nrep" -ge 5 ] && [ "$seq_ok" = 1 ] &&
    [ "$loss" -ge "-$2" ] && [ "$loss" -le "$2" ]; then
    ok "$1: ticks=$ticks expected=$expected loss=${loss}bp (limit ${2}bp) over $nrep reports, best interval ${best}bp"
  else
    not_ok "$1: banner=$banner ($3) reports=$nrep ticks=$ticks expected=$expected loss=${loss}bp (limit ${2}bp), best interval ${best}bp"
  fi
}

run_guest oneshot "timer=oneshot period_us=1000 report_ms=500 duration_s=3"
check_loss oneshot "$LOSS_MAX_BP_1000" "timer=oneshot"

run_guest p200 "period_us=200 report_ms=500 duration_s=3"
check_loss p200 "$LOSS_MAX_BP_200" "period_us=200 timer=periodic"

# TSC-deadline mode: used when the CPU model offers it, else an error line
# and the oneshot fallback (QEMU's TCG APIC has no TSC-deadline mode).
run_guest deadline "timer=tscdeadline period_us=1000 report_ms=500 duration_s=1"
if grep -q ' error what=no-tsc-deadline .*fallback=oneshot' "$tmp/deadline.log" &&
  grep -q ' tickguest .* timer=oneshot ' "$tmp/deadline.log" && grep -q ' tick seq=2 ' "$tmp/deadline.log"; then
  ok "tscdeadline: no CPUID support here, error line and oneshot fallback ticking"
elif ! grep -q ' error ' "$tmp/deadline.log" && grep -q ' tickguest .* timer=tscdeadline ' "$tmp/deadline.log" &&
  grep -q ' tick seq=2 ' "$tmp/deadline.log"; then
  ok "tscdeadline: supported and ticking"
else
  not_ok "tscdeadline: $(cut -d' ' -f2- "$tmp/deadline.log" | head -3)"
fi
exit 0
