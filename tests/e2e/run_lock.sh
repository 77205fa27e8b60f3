#!/bin/sh
# One lockmap at a time on a host, and a resume that never loses a cell: two
# runs at once, `check --restore` and `inject` during a run, `--wait`, a run
# killed with SIGKILL and resumed at once, and cells whose set-up failed.
# Real runs on this host (TCG guests, the real [host] knob and cgroup). TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp

needs_root "the host lock end to end" "/dev/kmsg, cgroups, sysctls"
state=${LOCKMAP_STATE_DIR:-/run/lockmap}
old=$(cat /proc/sys/kernel/watchdog_thresh)
new=$((old == 7 ? 8 : 7))
# ts of the first record of TYPE in a journal (used in check strings)
# shellcheck disable=SC2317
ts_of() { jq -r "select(.type == \"$2\") | .ts" "$1" | head -n 1; }

# --- two runs at once ----------------------------------------------------------
cat >"$tmp/lock.profile" <<PROF
[run]
name = lock
cell_seconds = 8s
warmup = 1s
cooldown = 0s
[host]
watchdog_thresh = $new
[guests]
count = 1
period = 1ms
tick_loss = 100%
[inject.throttle]
quota = 50ms
PROF
"$lm" run -q -o "$tmp/a" "$tmp/lock.profile" >"$tmp/a.out" 2>&1 &
pa=$!
wait_records "$tmp/a" cell_start 1
sleep 2
ida=$(basename "$(readlink "$tmp/a/latest")")
"$lm" run -o "$tmp/b" "$tmp/lock.profile" >"$tmp/b.out" 2>&1
rc=$?
sed 's/^/# second run: /' "$tmp/b.out"
check "a second run while one runs exits 3 (got $rc)" "[ $rc -eq 3 ]"
check "it names the holder: pid, run id and profile" \
  "grep -q 'pid $pa' '$tmp/b.out' && grep -q '$ida' '$tmp/b.out' && grep -q 'lock.profile' '$tmp/b.out'"
check "it made no run directory" "[ ! -e '$tmp/b' ]"
check "the running cell's cgroup carries its run id" \
  "ls -d /sys/fs/cgroup/lockmap-$ida-* /sys/fs/cgroup/*/lockmap-$ida-* 2>/dev/null | grep -q ."
"$lm" check --restore >"$tmp/r.out" 2>&1
rc=$?
sed 's/^/# check --restore: /' "$tmp/r.out"
check "check --restore during a run exits 3 (got $rc)" "[ $rc -eq 3 ]"
check "and leaves the run's watchdog_thresh ($(cat /proc/sys/kernel/watchdog_thresh) = $new)" \
  "[ \"\$(cat /proc/sys/kernel/watchdog_thresh)\" = $new ]"
"$lm" check >"$tmp/c.out" 2>&1
check "check says the knobs belong to the live run, not to a killed one" \
  "grep -E '^note +knobs +not checked: lockmap run' '$tmp/c.out'"
"$lm" inject irqoff --cpus 1 --for 1s >"$tmp/i.out" 2>&1
rc=$?
check "inject during a run exits 3 (got $rc)" "[ $rc -eq 3 ] && grep -q 'pid $pa' '$tmp/i.out'"
"$lm" lab -o "$tmp/l" "$tmp/lock.profile" >"$tmp/l.out" 2>&1
rc=$?
check "a lab during a run exits 3 before it boots (got $rc)" \
  "[ $rc -eq 3 ] && grep -q 'pid $pa' '$tmp/l.out' && [ ! -e '$tmp/l' ]"
# --wait: starts after the first run ends
"$lm" run -q --wait -o "$tmp/w" "$tmp/lock.profile" >"$tmp/w.out" 2>&1 &
pw=$!
wait $pa
rca=$?
wait $pw
rcw=$?
check "the first run was not disturbed (exit $rca, no error cell)" \
  "[ $rca -eq 0 ] && ! grep -q ',error,' '$tmp/a/latest/cells.csv'"
check "a run with --wait ran after it (exit $rcw)" \
  "[ $rcw -eq 0 ] && [ \"\$(ts_of '$tmp/w/latest/journal.jsonl' run_start)\" \\> \"\$(ts_of '$tmp/a/latest/journal.jsonl' run_end)\" ]"
check "watchdog_thresh is back ($(cat /proc/sys/kernel/watchdog_thresh) = $old)" \
  "[ \"\$(cat /proc/sys/kernel/watchdog_thresh)\" = $old ]"

# --- SIGKILL, then an immediate resume ------------------------------------------
cat >"$tmp/kill.profile" <<PROF
[run]
name = kill
cell_seconds = 3s
warmup = 1s
cooldown = 0s
[host]
watchdog_thresh = $new
[guests]
count = 1
period = 1ms, 2ms, 4ms
tick_loss = 100%
PROF
"$lm" run -q -o "$tmp/k" "$tmp/kill.profile" >"$tmp/k.out" 2>&1 &
pk=$!
wait_records "$tmp/k" cell_start 2
sleep 1
kill -KILL $pk
wait $pk
sed 's/^/# killed run: /' "$tmp/k.out"
run=$tmp/k/latest
check "the killed run left its knob set and its restore file" \
  "[ \"\$(cat /proc/sys/kernel/watchdog_thresh)\" = $new ] && [ -e '$state/knobs.restore' ]"
"$lm" run --run-dir "$run" "$tmp/kill.profile" >"$tmp/k2.out" 2>&1
rc=$?
sed 's/^/# resume: /' "$tmp/k2.out"
check "the resume exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "it put the host back itself and said so" \
  "grep -q 'a run that was killed left this host changed: restored 1 knob' '$tmp/k2.out'"
check "the journal records what was restored" \
  "grep -q '\"type\":\"host_restore\"' '$run/journal.jsonl'"
check "every cell ended with a real outcome (none error)" \
  "[ \"\$(jq -r 'select(.type == \"cell_end\" and .outcome != \"error\") | .index' '$run/journal.jsonl' | sort -u | tr -d '\n')\" = 012 ]"
check "no restore file left, watchdog_thresh back ($(cat /proc/sys/kernel/watchdog_thresh) = $old)" \
  "[ ! -e '$state/knobs.restore' ] && [ \"\$(cat /proc/sys/kernel/watchdog_thresh)\" = $old ]"

# --- a cell whose set-up failed runs again on resume; a cell's own error does not
# The run's last two cell_ends are rewritten as errors: cell 0 as lockmap's
# (error_cause lockmap), cell 1 as the cell's (error_cause cell).
jq -c 'if .type == "cell_end" and .index == 0 then .outcome = "error" | .error = "injector stress could not start: No such file or directory" | .error_cause = "lockmap"
       elif .type == "cell_end" and .index == 1 then .outcome = "error" | .error = "1 guest(s) exited during the cell" | .error_cause = "cell"
       else . end' "$run/journal.jsonl" >"$tmp/j" && cp "$tmp/j" "$run/journal.jsonl"
starts0=$(jq -r 'select(.type == "cell_start" and .index == 0) | .cell' "$run/journal.jsonl" | wc -l)
starts1=$(jq -r 'select(.type == "cell_start" and .index == 1) | .cell' "$run/journal.jsonl" | wc -l)
"$lm" run -q --run-dir "$run" "$tmp/kill.profile" >"$tmp/k3.out" 2>&1
rc=$?
check "the resume after errors exits 1: cell 1 stays an error (got $rc)" "[ $rc -eq 1 ]"
check "the cell with lockmap's error ran again" \
  "[ \$(jq -r 'select(.type == \"cell_start\" and .index == 0) | .cell' '$run/journal.jsonl' | wc -l) -eq $((starts0 + 1)) ]"
check "the cell with its own error did not" \
  "[ \$(jq -r 'select(.type == \"cell_start\" and .index == 1) | .cell' '$run/journal.jsonl' | wc -l) -eq $starts1 ]"
check "cells.csv: cell 0 has a real outcome, cell 1 is the error" \
  "awk -F, '\$1 == 0 && \$0 !~ /,error,/ { a = 1 } \$1 == 1 && /,error,/ { b = 1 } END { exit !(a && b) }' '$run/cells.csv'"
check "no guest QEMU left" "! guests_running"
check "no lockmap cgroup left" "! lockmap_cgroups_left"
exit 0
