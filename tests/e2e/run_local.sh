#!/bin/sh
# End to end on this host: `lockmap run` with real QEMU guests (tickguest),
# real injectors, the real /dev/kmsg monitor, and the results files it writes.
# Prints TAP lines; the runner counts them.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp

needs_root "lockmap run end to end" "/dev/kmsg, cgroups, sysctls"

# --- bad input: exit 2 before anything starts -------------------------------
for p in tests/data/profiles/bad-*.profile; do
  [ -f "$p" ] || continue
  "$lm" run -o "$tmp/bad" "$p" >"$tmp/out" 2>&1
  rc=$?
  check "bad profile $(basename "$p") exits 2 (got $rc)" "[ $rc -eq 2 ]"
done
check "bad profiles start nothing" "[ ! -d '$tmp/bad' ]"

# --- the smoke profile: two real cells ---------------------------------------
"$lm" run -o "$tmp/res" profiles/smoke.profile >"$tmp/smoke.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/smoke.out"
check "smoke.profile exits 0 (got $rc)" "[ $rc -eq 0 ]"
run="$tmp/res/latest"
check "results/latest points at the run" "[ -L '$tmp/res/latest' ] && [ -d '$run' ]"
for f in run.json journal.jsonl cells.csv rates.csv junit.xml; do
  check "run has $f" "[ -s '$run/$f' ]"
done
check "run.json has the kernel, CPU and profile text" \
  "grep -q '\"kernel\"' '$run/run.json' && grep -q '\"cpu_model\"' '$run/run.json' && grep -q 'inject.throttle' '$run/run.json'"
check "journal has 2 cell_start and 2 cell_end" \
  "[ \$(grep -c '\"type\":\"cell_start\"' '$run/journal.jsonl') -eq 2 ] && [ \$(grep -c '\"type\":\"cell_end\"' '$run/journal.jsonl') -eq 2 ]"
check "cells.csv has a header and 2 rows" "[ \$(wc -l <'$run/cells.csv') -eq 3 ]"
check "rates.csv has a header and a row per cell id (2, n = 1 each)" \
  "[ \$(wc -l <'$run/rates.csv') -eq 3 ] && [ \$(awk -F, 'NR > 1 && \$4 == 1' '$run/rates.csv' | wc -l) -eq 2 ]"
check "each cell has guest logs with tick reports" \
  "[ \$(grep -l '^tick seq=' '$run'/cells/*/guest-0.log | wc -l) -eq 2 ]"
clean=$(outcome_of "$run/cells.csv")
throttled=$(awk -F, 'NR == 3 { print $5 }' "$run/cells.csv")
check "the cell without injection is clean (got $clean)" "[ '$clean' = clean ]"
check "the throttled cell is degraded (got $throttled)" "[ '$throttled' = degraded ]"
check "junit.xml has 2 testcases" "[ \$(grep -c '<testcase' '$run/junit.xml') -eq 2 ]"
check "no guest QEMU left running" "! guests_running"
check "no lockmap cgroup left" "! lockmap_cgroups_left"

# --- a kernel report during a cell becomes an event and the outcome ----------
# The line is written to /dev/kmsg by this test (a synthetic record in the
# kernel's own format) to exercise kmsg -> classifier -> journal -> outcome on a
# host that does not lock up; real lockups are the lab's tests.
cat >"$tmp/kmsg.profile" <<'PROF'
[run]
name = kmsg-event
cell_seconds = 6s
warmup = 1s
cooldown = 2s
[guests]
count = 1
period = 1ms
PROF
"$lm" run -q -o "$tmp/kres" "$tmp/kmsg.profile" >"$tmp/k.out" 2>&1 &
pid=$!
# inside the window: warmup 1 s after the cell started, window 6 s
wait_records "$tmp/kres" cell_start 1
sleep 3
echo "<4>watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [lockmap-e2e:$$]" >/dev/kmsg
wait $pid
rc=$?
kcsv="$tmp/kres/latest/cells.csv"
check "a soft lockup report in kmsg makes the cell softlockup, exit 1 (got $rc)" \
  "[ $rc -eq 1 ] && [ \"\$(outcome_of '$kcsv')\" = softlockup ]"
check "the event is in the journal with its cpu and comm" \
  "grep '\"type\":\"event\"' '$tmp/kres/latest/journal.jsonl' | grep -q '\"comm\":\"lockmap-e2e\"'"

# --- SIGINT mid-cell: guests stopped, knobs restored, journal says so ---------
old=$(cat /proc/sys/kernel/watchdog_thresh)
new=$((old == 7 ? 8 : 7))
cat >"$tmp/int.profile" <<PROF
[run]
name = interrupt
cell_seconds = 60s
warmup = 1s
[host]
watchdog_thresh = $new
[guests]
count = 2
period = 1ms
[inject.throttle]
quota = 50ms
PROF
"$lm" run -q -o "$tmp/ires" "$tmp/int.profile" >"$tmp/i.out" 2>&1 &
pid=$!
wait_records "$tmp/ires" cell_start 1
sleep 3
during=$(cat /proc/sys/kernel/watchdog_thresh)
kill -INT $pid
wait $pid
rc=$?
after=$(cat /proc/sys/kernel/watchdog_thresh)
check "watchdog_thresh was set during the cell ($during)" "[ '$during' = '$new' ]"
check "watchdog_thresh restored after SIGINT ($after = $old)" "[ '$after' = '$old' ]"
check "the journal marks the cell interrupted" \
  "grep '\"type\":\"cell_end\"' '$tmp/ires/latest/journal.jsonl' | grep -q '\"interrupted\":true'"
check "no guest QEMU left after SIGINT" "! guests_running"
check "no lockmap cgroup left after SIGINT" "! lockmap_cgroups_left"
check "no restore file left" "[ ! -e /run/lockmap/knobs.restore ]"

# --- resume: a run cut by SIGINT continues with --run-dir ---------------------
cat >"$tmp/resume.profile" <<'PROF'
[run]
name = resume
cell_seconds = 3s
warmup = 1s
cooldown = 0s
[guests]
count = 1
period = 1ms, 2ms
tick_loss = 50%
PROF
"$lm" run -q -o "$tmp/rres" "$tmp/resume.profile" >"$tmp/r.out" 2>&1 &
pid=$!
# cell 2, 1 s after it started
wait_records "$tmp/rres" cell_start 2
sleep 1
kill -INT $pid
wait $pid
first=$(grep -c '"type":"cell_end"' "$tmp/rres/latest/journal.jsonl")
"$lm" run -q -o "$tmp/rres" --run-dir "$tmp/rres/latest" "$tmp/resume.profile" >"$tmp/r2.out" 2>&1
rc=$?
check "the interrupted run journaled 2 cell_ends, one interrupted ($first)" \
  "[ $first -eq 2 ] && grep -q '\"interrupted\":true' '$tmp/rres/latest/journal.jsonl'"
check "--run-dir reruns only the interrupted cell and exits 0 (got $rc)" \
  "[ $rc -eq 0 ] && [ \$(grep -c '\"type\":\"cell_start\"' '$tmp/rres/latest/journal.jsonl') -eq 3 ]"
check "after the resume cells.csv has both cells, clean" \
  "[ \$(grep -c ',clean,' '$tmp/rres/latest/cells.csv') -eq 2 ]"
exit 0
