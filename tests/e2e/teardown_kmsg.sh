#!/bin/sh
# Nothing the kernel prints during a cell is lost, its teardown included: a
# lockup reported while the cell's guests are being stopped is classified,
# journaled with phase "teardown" and counted in the cell_end. The guest's QEMU
# is stopped (SIGSTOP) so that stopping it takes lockmap seconds (QMP quit times
# out, then SIGTERM, then SIGKILL); the report is written to /dev/kmsg (in the
# kernel's own format) in that time. TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

tmp=$(mktemp -d)
trap 'pkill -CONT -f "lockmap-[0-9a-f]{16}-g" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

needs_root "kernel lines of a cell's teardown" "/dev/kmsg"

cat >"$tmp/t.profile" <<'PROF'
[run]
name = teardown
cell_seconds = 60s
warmup = 1s
[guests]
count = 1
period = 1ms
PROF
"$lm" run -q -o "$tmp/res" "$tmp/t.profile" >"$tmp/out" 2>&1 &
pid=$!
wait_records "$tmp/res" cell_start 1
sleep 2
pkill -STOP -f 'lockmap-[0-9a-f]{16}-g0'
kill -INT $pid
sleep 1.5
echo "<4>watchdog: Watchdog detected hard LOCKUP on cpu 1" >/dev/kmsg
wait $pid
rc=$?
sed 's/^/# /' "$tmp/out"
j=$tmp/res/latest/journal.jsonl
check "the run was interrupted (exit $rc)" "[ $rc -ne 0 ] && grep -q '\"interrupted\":true' '$j'"
check "the lockup reported during teardown is a journaled event of phase teardown" \
  "jq -r 'select(.type == \"event\") | .phase + \" \" + .event.kind' '$j' | grep -qx 'teardown hardlockup'"
check "and the cell_end counts it" \
  "[ \"\$(jq -r 'select(.type == \"cell_end\") | .events.hardlockup' '$j')\" = 1 ]"
check "no guest QEMU left" "! guests_running"
exit 0
