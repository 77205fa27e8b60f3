#!/bin/sh
# A lab host that still beats but cannot end its cell (a cpu held so that the
# cell's teardown waits) is ended by the outer lockmap after --end-timeout:
# the cell is host_hang with the reason and its console events, the host is
# booted again, and the next cell runs. Prints TAP; the runner counts the lines.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
lm=build/lockmap
e2e_tmp

lab_ready "lab overdue cell"

"$lm" lab --tcg-thread single --end-timeout 8 -q -o "$tmp/r" \
  tests/data/profiles/e2e/lab-overdue.profile >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
run="$tmp/r/latest"
csv="$run/cells.csv"
o1=$(csv_col "$csv" 1 outcome)
o2=$(csv_col "$csv" 2 outcome)
check "the run ends and exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "the cell whose teardown waits for a 20 s section is host_hang (got $o1)" \
  "[ '$o1' = host_hang ]"
check "  its cell_end says it did not end 8 s past its planned end" \
  "grep '\"type\":\"cell_end\"' '$run/journal.jsonl' | grep -q 'cell not ended 8 s past its end'"
check "  the boot ended as overdue, the host still beating" \
  "grep '\"type\":\"lab_down\"' '$run/journal.jsonl' | grep -q '\"overdue\"'"
check "  and its console events stay in it (the section's hard lockup report)" \
  "grep '\"type\":\"cell_end\"' '$run/journal.jsonl' | head -n 1 | grep -q 'Watchdog detected hard LOCKUP'"
check "the next cell ran in a second boot of the lab host (got $o2)" \
  "[ -n '$o2' ] && [ '$o2' != error ] && [ \$(grep -c '\"type\":\"lab_boot\"' '$run/journal.jsonl') -eq 2 ]"
check "no lab QEMU of this test left behind" "! pgrep -f 'lockmap-lab .*$tmp/' >/dev/null"
exit 0
