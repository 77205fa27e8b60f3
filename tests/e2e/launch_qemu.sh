#!/bin/sh
# The QEMU launcher end to end: several multi-vCPU tickguests per cell with
# their vCPU threads pinned, a pin to a cpu this host lacks (refused before
# anything starts), and a timer mode the accelerator may lack. After each: nothing left
# running, no QMP socket left behind. QMP sockets live in the state directory,
# not in the cell directory (a 9p results directory cannot hold one):
# $LOCKMAP_STATE_DIR/qmp/<pid of lockmap>-<cell id>-g<guest>.sock, see
# qemu_qmp_path() in launch_qemu.c; here the state directory is the test's. Each run
# is watched from outside while it runs, so the sockets are seen where they
# really are before their removal is checked. Prints TAP lines; the runner
# counts them.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
check_no_guests() {
  if guests_running; then notok "$1"; else ok "$1"; fi
}
# qmp_sockets PID: how many QMP sockets lockmap PID has in the state directory now.
qmp_sockets() {
  c=0
  for s in "$LOCKMAP_STATE_DIR/qmp/$1"-*.sock; do
    [ -S "$s" ] && c=$((c + 1))
  done
  echo "$c"
}
# run_lockmap OUT ARGS...: lockmap ARGS in the background, output to OUT,
# counting its QMP sockets while it runs. Sets rc, lmpid and socks
# (the most sockets seen at once).
lmpid=
run_lockmap() {
  out=$1
  shift
  "$lm" "$@" >"$out" 2>&1 &
  lmpid=$!
  socks=0
  while kill -0 "$lmpid" 2>/dev/null; do
    c=$(qmp_sockets "$lmpid")
    [ "$c" -gt "$socks" ] && socks=$c
    sleep 0.1
  done
  wait "$lmpid"
  rc=$?
  sed 's/^/# /' "$out"
}

needs_root "QEMU launcher end to end" "lockmap run reads /dev/kmsg"
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  skip "QEMU launcher end to end" "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
  exit 0
fi
if [ ! -x "$lm" ] || [ ! -f build/tickguest.elf ]; then
  skip "QEMU launcher end to end" "build/lockmap or build/tickguest.elf missing (run make)"
  exit 0
fi

tmp=$(mktemp -d)
trap '[ -n "$lmpid" ] && kill "$lmpid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
e2e_own_state
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
run_lockmap "$tmp/multi.out" run -o "$tmp/res" "$tmp/multi.profile"
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
check "the journal names guest 0's QMP socket in the state directory (qmp/$lmpid-<cell>-g0.sock)" \
  "grep -q '\"-qmp\",\"unix:$LOCKMAP_STATE_DIR/qmp/$lmpid-[0-9a-f]*-g0\\.sock,' '$run/journal.jsonl'"
check "while the cell ran, each guest had its QMP socket there (saw $socks of 3)" "[ $socks -eq 3 ]"
check "no QMP socket left after the cell" "[ \$(qmp_sockets $lmpid) -eq 0 ]"
check_no_guests "no guest QEMU left running"

# --- pin to a cpu this host does not have: refused before anything starts ---
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
  run_lockmap "$tmp/badpin.out" run -o "$tmp/bres" "$tmp/badpin.profile"
  outcome=$(outcome_of "$tmp/bres/latest/cells.csv")
  check "pinning to cpu 63 is refused before any cell, exit 3 (got $rc, ${outcome:-no cells})" \
    "[ $rc -eq 3 ] && [ ! -e '$tmp/bres' ]"
  check "the message names the line of pin and the cpu" \
    "grep -q 'badpin.profile:9: \\[guests\\] pin: cpu 63 is not online' '$tmp/badpin.out'"
  check_no_guests "a refused profile starts no QEMU"
  check "a refused profile makes no QMP socket (saw $socks)" \
    "[ $socks -eq 0 ] && [ \$(qmp_sockets $lmpid) -eq 0 ]"
else
  skip "pinning to a cpu this host lacks" "this host has 64 cpus or more"
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
run_lockmap "$tmp/tscdl.out" run -o "$tmp/tres" "$tmp/tscdl.profile"
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
check "no QMP socket left" "[ \$(qmp_sockets $lmpid) -eq 0 ]"
exit 0
