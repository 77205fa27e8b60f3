#!/bin/sh
# KVM fitness, not presence: lockmap uses KVM only where tickguest really
# ticks under it. The truth is taken here independently of lockmap (QEMU
# -accel kvm, tickguest's reports, QEMU's "KVM internal error"), then
# `lockmap check`, an `accel = kvm` profile and an `accel = auto` cell must
# agree with it. On a machine without /dev/kvm the live part is a skip; the
# decision on a recorded QEMU log is a unit test (tests/unit/test_accel.c).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=$PWD/build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp

if [ ! -c /dev/kvm ]; then
  skip "KVM fitness on this machine's /dev/kvm" "no /dev/kvm here"
  exit 0
fi

# The truth: 10 s of tickguest under -accel kvm, as a user would try it.
timeout 10 qemu-system-x86_64 -accel kvm -cpu host -m 32 -nodefaults \
  -display none -no-reboot -no-user-config -kernel build/tickguest.elf \
  -append "period_us=1000 report_ms=200 duration_s=3" \
  -chardev "file,id=dbg,path=$tmp/guest.log" \
  -device isa-debugcon,chardev=dbg,iobase=0xe9 \
  -device isa-debug-exit,iobase=0xf4,iosize=4 >"$tmp/qemu.log" 2>&1
# report lines: "tick seq=N ticks=T ..." (guests/tickguest/README.md)
reports=$(grep -c '^tick .*ticks=[1-9]' "$tmp/guest.log" 2>/dev/null)
if grep -q 'KVM internal error' "$tmp/qemu.log"; then
  truth=unfit
  why="QEMU: $(grep -m1 'KVM internal error' "$tmp/qemu.log")"
elif [ "${reports:-0}" -ge 2 ]; then
  truth=fit
  why="$reports tick reports"
else
  truth=unfit
  why="no tick reports ($(tail -n 1 "$tmp/qemu.log"))"
fi
echo "# this machine's KVM: $truth ($why)"

"$lm" check >"$tmp/check" 2>&1
line=$(grep -E '^(ok|note|missing) +kvm ' "$tmp/check")
echo "# $line"
cat >"$tmp/kvm.profile" <<'PROF'
[run]
cell_seconds = 3s
warmup = 1s
cooldown = 1s
[guests]
accel = kvm
count = 1
period = 1ms
PROF
sed 's/accel = kvm/accel = auto/' "$tmp/kvm.profile" >"$tmp/auto.profile"
"$lm" run -o "$tmp/rk" "$tmp/kvm.profile" >"$tmp/kvm.out" 2>&1
rck=$?
"$lm" run -o "$tmp/ra" "$tmp/auto.profile" >"$tmp/auto.out" 2>&1
rca=$?
acc=$(grep -o '"accel":"[a-z]*"' "$tmp"/ra/*/run.json "$tmp"/ra/*/journal.jsonl 2>/dev/null | head -n 1)
echo "# auto run: exit $rca, $acc"

if [ "$truth" = fit ]; then
  check "check: ok kvm where tickguest ticks under KVM" "echo '$line' | grep -q '^ok'"
  check "accel = kvm runs (exit $rck)" "[ $rck -eq 0 ]"
  check "accel = auto chooses kvm" "echo '$acc' | grep -q kvm"
else
  check "check: KVM not fit where tickguest does not tick under it" \
    "echo '$line' | grep -q '^note .*not fit'"
  if grep -q 'KVM internal error' "$tmp/qemu.log"; then
    check "check quotes QEMU's KVM internal error line" \
      "echo '$line' | grep -q 'KVM internal error'"
  else
    skip "check quotes QEMU's KVM internal error line" "this KVM fails another way"
  fi
  check "accel = kvm on an unfit KVM: exit 3 (got $rck)" "[ $rck -eq 3 ]"
  check "accel = kvm on an unfit KVM: the message says why" \
    "grep -q 'KVM requested but the KVM probe failed' '$tmp/kvm.out'"
  check "accel = auto falls back to TCG" "echo '$acc' | grep -q tcg"
fi
check "accel = auto: the cell ran without error (exit $rca)" \
  "[ $rca -eq 0 ] && ! grep -q ',error,' $tmp/ra/*/cells.csv"
check "no guest QEMU left behind" "! guests_running"
