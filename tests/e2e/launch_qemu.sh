#!/bin/sh
# The QEMU launcher end to end: several multi-vCPU tickguests per cell with
# their vCPU threads pinned, a start that must fail (pinning to a cpu this host
# lacks), and a timer mode the accelerator may lack. After each: nothing left
# running, no QMP socket left behind. Prints TAP lines; the runner counts them.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
check_no_guests() {
  if guests_running; then notok "$1"; else ok "$1"; fi
}

if [ "$(id -u)" -ne 0 ]; then
  skip "QEMU launcher end to end" "needs root (lockmap run reads /dev/kmsg)"
  exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  skip "QEMU launcher end to end" "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
  exit 0
fi
if [ ! -x "$lm" ] || [ ! -f build/tickguest.elf ]; then
  skip "QEMU launcher end to end" "build/lockmap or build/tickguest.elf missing (run make)"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ncpu=$(nproc)
pin=0
[ "$ncpu" -ge 2 ] && pin=0-1

# --- three guests with two vCPUs each, pinned round-robin --------------------
cat >"$tmp/multi.profile" <<PROF
[run]
name = launch-multi
cell_seconds = 2s
warmup = 1s
cooldown = 0s
[guests]
count = 3
vcpus = 2
period = 1ms
report = 500ms
pin = $pin
accel = tcg
tick_loss = 100%
PROF
"$lm" run -o "$tmp/res" "$tmp/multi.profile" >"$tmp/multi.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/multi.out"
run="$tmp/res/latest"
cell="$run/cells/none"
for d in "$run"/cells/*; do cell=$d; break; done
check "3 guests x 2 vCPUs under TCG: exit 0 (got $rc)" "[ $rc -eq 0 ]"
for g in 0 1 2; do
  check "guest $g printed its banner and tick reports" \
    "grep -q '^tickguest period_us=1000 ' '$cell/guest-$g.log' && grep -q '^tick seq=' '$cell/guest-$g.log'"
done
check "each guest has its own QEMU log" "[ -f '$cell/qemu-0.log' ] && [ -f '$cell/qemu-2.log' ]"
check "the journal holds guest 0's QEMU argv with the QMP socket and debugcon" \
  "grep -q '\"-qmp\",\"unix:' '$run/journal.jsonl' && grep -q 'isa-debugcon,chardev=dbg,iobase=0xe9' '$run/journal.jsonl'"
check "the journal names the QEMU version from the QMP greeting" \
  "grep -q '\"qemu_version\":\"[0-9]' '$run/journal.jsonl'"
if [ "$pin" = 0-1 ]; then
  check "vCPUs are pinned round-robin over cpus 0-1" \
    "grep -q '\"pins\":\\[0,1\\]' '$run/journal.jsonl'"
else
  check "vCPUs are pinned to cpu 0" "grep -q '\"pins\":\\[0,0\\]' '$run/journal.jsonl'"
fi
check "no QMP socket left in the cell directory" "! ls '$cell'/*.sock >/dev/null 2>&1"
check_no_guests "no guest QEMU left running"

# --- a start that fails: pin to a cpu this host does not have ----------------
if [ "$ncpu" -lt 64 ]; then
  cat >"$tmp/badpin.profile" <<'PROF'
[run]
name = launch-badpin
cell_seconds = 1s
warmup = 0s
cooldown = 0s
[guests]
count = 2
period = 1ms
pin = 63
accel = tcg
PROF
  "$lm" run -o "$tmp/bres" "$tmp/badpin.profile" >"$tmp/badpin.out" 2>&1
  rc=$?
  sed 's/^/# /' "$tmp/badpin.out"
  outcome=$(outcome_of "$tmp/bres/latest/cells.csv")
  check "pinning to cpu 63 makes the cell an error, exit 1 (got $rc, $outcome)" \
    "[ $rc -eq 1 ] && [ '$outcome' = error ]"
  check "the message says which vCPU could not be pinned and why" \
    "grep -q 'cannot pin vCPU 0 (thread [0-9]*) to cpu 63' '$tmp/badpin.out'"
  check_no_guests "a failed start leaves no QEMU running"
  check "a failed start leaves no QMP socket" "! ls '$tmp'/bres/latest/cells/*/*.sock >/dev/null 2>&1"
else
  skip "a start that fails" "this host has 64 cpus or more: no cpu to pin to that it lacks"
fi

# --- timer=tscdeadline under TCG: run as asked, or refused, never oneshot ----
cat >"$tmp/tscdl.profile" <<'PROF'
[run]
name = launch-tscdl
cell_seconds = 1s
warmup = 0s
cooldown = 0s
[guests]
count = 1
period = 1ms
timer = tscdeadline
accel = tcg
tick_loss = 100%
PROF
"$lm" run -o "$tmp/tres" "$tmp/tscdl.profile" >"$tmp/tscdl.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/tscdl.out"
log="$tmp/none"
for l in "$tmp"/tres/latest/cells/*/guest-0.log; do log=$l; break; done
if grep -q '^tickguest .*timer=tscdeadline' "$log" 2>/dev/null; then
  check "TCG here has the TSC-deadline timer: the cell ran in that mode (exit $rc)" \
    "[ $rc -eq 0 ]"
else
  check "TCG lacks the TSC-deadline timer: the cell is an error naming it (exit $rc)" \
    "[ $rc -eq 1 ] && grep -q 'no-tsc-deadline' '$tmp/tscdl.out' && grep -q 'run it under KVM' '$tmp/tscdl.out'"
fi
check_no_guests "no guest QEMU left running"
exit 0
