#!/bin/sh
# Boundary search end to end on this host: `run -n` of a [search] profile
# (local and lab target: the combinations and the bound on probes, nothing
# started), a profile whose axis is also set in its section refused (exit 2),
# a shard of it refused (exit 2: --shard, a Slurm array task; 1/1 is whole),
# then a tiny real search (one TCG tickguest, 1 s windows, throttled harder as
# the axis grows: at most 4 probes) with its records, cells.csv and
# thresholds.csv, the summary's count against the grid, a resume of the
# finished run that runs nothing, and a resume of a journal cut after its
# first probe that goes on without running that probe again. TAP.
# LOCKMAP_BIN runs another lockmap (an older build, to see these fail on it).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

# prof FILE TARGET: the search profile; the guest gets 2 ms of CPU every
# inject.throttle.period, from 4 ms (half a cpu) to 100 ms (2%).
prof() {
  cat >"$1" <<PROF
[run]
name = search-e2e
target = $2
cell_seconds = 1s
warmup = 1s
cooldown = 0s
[guests]
count = 1
period = 1ms
pin = 0
tick_loss = 15%
[inject.throttle]
quota = 2ms
[search]
axis = inject.throttle.period
lo = 4ms
hi = 100ms
resolution = 32ms
reach = degraded
[expect]
fail_on = error
PROF
}
count() { grep -c "\"type\":\"$1\"" "$2" 2>/dev/null; }

# --- dry runs: the plan, nothing started -------------------------------------
prof "$tmp/lab.profile" lab
"$lm" run -n -o "$tmp/none" "$tmp/lab.profile" >"$tmp/lab.out" 2>&1
rc=$?
sed 's/^/# run -n (lab): /' "$tmp/lab.out"
check "run -n of a lab search profile prints its one combination, at most 4 probes (exit $rc)" \
  "[ $rc -eq 0 ] && grep -q '^combination 0: (no other axis): at most 4 probes (4 cells)' '$tmp/lab.out'"
check "and the full grid's size at the resolution" \
  "grep -q '^at most 4 cells in all; the grid at 32ms has 4' '$tmp/lab.out'"
prof "$tmp/s.profile" local
sed 's/^quota = 2ms/quota = 2ms\nperiod = 50ms/' "$tmp/s.profile" >"$tmp/bad.profile"
"$lm" run -n -o "$tmp/none" "$tmp/bad.profile" >"$tmp/bad.out" 2>&1
rc=$?
check "the axis set in its own section too is refused with its line, exit 2 (got $rc)" \
  "[ $rc -eq 2 ] && grep -q 'bad.profile:14: \[inject.throttle\] period: the \[search\] at line 16 searches this key' '$tmp/bad.out'"
check "dry runs made no results directory" "[ ! -e '$tmp/none' ]"

# --- a search is never a shard: refused before anything starts ----------------
"$lm" run --shard 2/2 -o "$tmp/none" "$tmp/s.profile" >"$tmp/shard.out" 2>&1
rc=$?
sed 's/^/# run --shard 2\/2: /' "$tmp/shard.out"
check "run --shard 2/2 of a search profile is refused, exit 2 (got $rc)" \
  "[ $rc -eq 2 ] && grep -q 's.profile: a \[search\] profile cannot be sharded: .*(--shard 2/2)' '$tmp/shard.out'"
SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=2 \
  "$lm" run -n -o "$tmp/none" "$tmp/s.profile" >"$tmp/slurm.out" 2>&1
rc=$?
check "so is run -n in a Slurm array task of 2, naming the task (exit $rc)" \
  "[ $rc -eq 2 ] && grep -q 'cannot be sharded: .*SLURM_ARRAY_TASK_ID=0' '$tmp/slurm.out'"
"$lm" run -n --shard 1/1 -o "$tmp/none" "$tmp/s.profile" >"$tmp/whole.out" 2>&1
rc=$?
check "--shard 1/1 (the whole grid) prints the search's plan (exit $rc)" \
  "[ $rc -eq 0 ] && grep -q '^combination 0: (no other axis): at most 4 probes' '$tmp/whole.out'"
check "the refused shards made no results directory" "[ ! -e '$tmp/none' ]"

needs_root "a search end to end" "/dev/kmsg, cgroups"

# --- a real search -------------------------------------------------------------
"$lm" run -o "$tmp/res" "$tmp/s.profile" >"$tmp/run.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/run.out"
run=$(cd "$tmp/res/latest" && pwd -P)
j="$run/journal.jsonl"
check "the search exits 0 (got $rc)" "[ $rc -eq 0 ]"
probes=$(count search_probe "$j")
check "1 to 4 probes, each a cell: as many cell_end as search_probe records ($probes)" \
  "[ '$probes' -ge 1 ] && [ '$probes' -le 4 ] && [ \$(count cell_end '$j') -eq '$probes' ]"
check "one search_result record" "[ \$(count search_result '$j') -eq 1 ]"
check "the first probe is hi (100ms)" \
  "grep '\"type\":\"search_probe\"' '$j' | head -n 1 | grep -q '\"value\":\"100ms\"'"
check "cells.csv has a row per probe" "[ \$(wc -l <'$run/cells.csv') -eq \$(($probes + 1)) ]"
check "thresholds.csv: a header and one row with its status and probes" \
  "[ \$(wc -l <'$run/thresholds.csv') -eq 2 ] && awk -F, 'NR == 2 && \$3 == \"degraded\" && \$4 ~ /^(found|above_hi|at_or_below_lo)\$/ && \$6 == $probes' '$run/thresholds.csv' | grep -q ."
check "the summary counts its cells against the grid's" \
  "grep -q '^search: $probes cells, the grid at 32ms would be 4\$' '$tmp/run.out'"

# --- resumes -------------------------------------------------------------------
cp -R "$run" "$tmp/cut"
"$lm" run -o "$tmp/res" --run-dir "$run" "$tmp/s.profile" >"$tmp/again.out" 2>&1
rc=$?
check "resuming the finished search runs no cell, writes no search record again (exit $rc)" \
  "[ $rc -eq 0 ] && [ \$(count cell_start '$j') -eq $probes ] && [ \$(count search_probe '$j') -eq $probes ] && [ \$(count search_result '$j') -eq 1 ]"
if [ "$probes" -ge 2 ]; then
  # The journal as a crash after the first probe leaves it.
  line=$(grep -n '"type":"search_probe"' "$tmp/cut/journal.jsonl" | head -n 1 | cut -d: -f1)
  head -n "$line" "$run/journal.jsonl" >"$tmp/cut/journal.jsonl"
  first=$(grep '"type":"search_probe"' "$tmp/cut/journal.jsonl" | sed 's/.*"cell":"\([0-9a-f]*\)".*/\1/')
  "$lm" run -q -o "$tmp/res" --run-dir "$tmp/cut" "$tmp/s.profile" >"$tmp/cut.out" 2>&1
  rc=$?
  cj="$tmp/cut/journal.jsonl"
  sed 's/^/# resumed: /' "$tmp/cut.out"
  check "the cut search resumed goes on to its result (exit $rc)" \
    "[ $rc -eq 0 ] && [ \$(count search_result '$cj') -eq 1 ]"
  check "without running its first probe (cell $first) again" \
    "[ \$(grep '\"type\":\"cell_start\"' '$cj' | grep -c '\"cell\":\"$first\"') -eq 1 ]"
  check "each probe's record once" \
    "[ \$(count search_probe '$cj') -eq \$(count cell_end '$cj') ]"
else
  skip "a cut search resumed" "the search ended after one probe (hi did not reach)"
fi
check "no guest QEMU left running" "! guests_running"
check "no lockmap cgroup left" "! lockmap_cgroups_left"
exit 0
