#!/bin/sh
# Overload is data: in a lab host, 32 and then 64 tickguests at 200 us on one
# lab cpu with nothing injected (tests/data/profiles/e2e/lab-overload.profile)
# all start, and the cells end clean or degraded with the tick loss in the
# journal, never `error`: a guest the host starves (late to boot, silent in the
# window) is counted as lost ticks. Every guest's start time is journaled.
# Prints TAP; the runner counts the lines.
#
# Single-threaded TCG, as in the other e2e labs (harness/lab/README.md,
# "Stalls"): every guest is a VM the lab's KVM creates, and multi-threaded TCG
# stalled lab hosts now and then just then. Under it the starts take longer;
# the launcher's start bounds allow for that ("Starting many guests").
#
# LOCKMAP=path runs another lockmap binary (not under /tmp: the lab host
# mounts its own /tmp), e.g. an older build to see this test fail there.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
lm=${LOCKMAP:-build/lockmap}
e2e_tmp

lab_ready "lab overload"
if ! command -v jq >/dev/null 2>&1; then
  skip "lab overload" "jq not installed (apt-get install jq)"
  exit 0
fi

# One run, no rerun: a lab host that stops answering is a failure here.
"$lm" lab --tcg-thread single -q -o "$tmp/r" tests/data/profiles/e2e/lab-overload.profile \
  >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
run="$tmp/r/latest"
j="$run/journal.jsonl"
check "lab run of 32 and 64 guests exits 0: no cell is error (got $rc)" "[ $rc -eq 0 ]"

for count in 32 64; do
  id=$(jq -r --arg n "$count" 'select(.type == "cell_start" and .params["guests.count"] == $n) | .cell' "$j" 2>/dev/null | head -n 1)
  e="$tmp/end-$count.json"
  s="$tmp/start-$count.json"
  jq -c --arg c "$id" 'select(.type == "cell_end" and .cell == $c)' "$j" >"$e" 2>/dev/null
  jq -c --arg c "$id" 'select(.type == "guests_start" and .cell == $c)' "$j" >"$s" 2>/dev/null
  out=$(jq -r '.outcome' "$e" 2>/dev/null)
  err=$(jq -r '.error // ""' "$e" 2>/dev/null)
  check "$count guests: the cell is clean or degraded (got '$out'${err:+: $err})" \
    "[ '$out' = clean ] || [ '$out' = degraded ]"
  loss=$(jq -r '"worst \(.summary.worst_loss_pct) %, \(.summary.lost) of \(.summary.expected) ticks lost, \(.summary.silent_guests) guests silent"' "$e" 2>/dev/null)
  check "  its tick loss is reported for every guest ($loss)" \
    "[ \"\$(jq '[.metrics.guests[] | select((.loss_pct | type) == \"number\" and (.silent_s | type) == \"number\")] | length' '$e')\" = $count ]"
  check "  a cell with silent guests is degraded" \
    "[ \"\$(jq '.summary.silent_guests == 0 or .outcome == \"degraded\"' '$e')\" = true ]"
  echo "# $count guests: $(jq -r '"\(.up) up when the start ended (\(.seconds) s, bound \(.budget_s) s)"' "$s" 2>/dev/null);" \
    "start times $(jq -r '[.guests[].start_s | select(. != null)] | sort |
      if length > 0 then "first \(.[0]) s, median \(.[length / 2 | floor]) s, last \(.[-1]) s" else "none" end' "$s" 2>/dev/null)"
  jq -r '.guests[] | select(.start_s == null) | "# guest \(.guest) not up when the start ended: vCPU 0 at \(.note)"' "$s" 2>/dev/null
  check "  the journal has a guests_start record with each of the $count guests" \
    "[ \"\$(jq '[.guests[] | select((.run_s | type) == \"number\") | .guest] | sort == [range($count)]' '$s')\" = true ]"
  check "  each guest not up when the start ended has a note on where its vCPU was" \
    "[ \"\$(jq '[.guests[] | select(.start_s == null and (.note | type) != \"string\")] | length' '$s')\" = 0 ]"
  # A guest that printed no banner by the end of the start has its start time
  # in the cell_end if it came up later; one that never came up is null there
  # and silent for the whole window.
  check "  every guest has a start time, or never came up and sent nothing in the window" \
    "[ \"\$(jq '[.metrics.guests[] | select((.start_s | type) == \"number\" or (.reports == 0 and .loss_pct == 100))] | length' '$e')\" = $count ]"
done
check "no lab QEMU of this test left behind" "! pgrep -f 'lockmap-lab .*$tmp/' >/dev/null"
exit 0
