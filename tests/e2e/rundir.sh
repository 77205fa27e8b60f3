#!/bin/sh
# The run directory is the run's, and an interrupted run is not a failed one:
# `--run-dir` with another profile's run, into an empty directory, into a
# directory that is no run or does not exist; a torn last journal line; -o ''
# and -o FILE; SIGINT and SIGTERM during a cell (exit 130 and 143, junit.xml
# skips the cell); `lab -n` and `run -n` of a lab profile. Real local runs
# (TCG tickguests, short cells). TAP. LOCKMAP_BIN runs another lockmap (an
# older build, to see these tests fail on it).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

# Every file under a directory with its checksum, for "changed nothing".
sums() { (cd "$1" && find . -type f -exec cksum {} + | sort); }

# --- dry runs of a lab profile: the cells, nothing booted ---------------------
cat >"$tmp/lab.profile" <<'PROF'
[run]
name = rundir-lab
target = lab
cell_seconds = 2s
[guests]
count = 1
period = 1ms, 2ms
PROF
"$lm" lab -n -o "$tmp/labres" "$tmp/lab.profile" >"$tmp/lab.out" 2>&1
rc=$?
sed 's/^/# lab -n: /' "$tmp/lab.out"
check "lab -n prints the 2 cells and exits 0 (got $rc)" \
  "[ $rc -eq 0 ] && [ \$(grep -c ' r0 guests.period=' '$tmp/lab.out') -eq 2 ]"
"$lm" run -n -o "$tmp/labres" "$tmp/lab.profile" >"$tmp/labrun.out" 2>&1
rc=$?
check "run -n of a target = lab profile prints the same cells, exit 0 (got $rc)" \
  "[ $rc -eq 0 ] && cmp -s '$tmp/lab.out' '$tmp/labrun.out'"
check "neither made a results directory" "[ ! -e '$tmp/labres' ]"

needs_root "run directories and signals end to end" "/dev/kmsg, cgroups"
if ! command -v jq >/dev/null; then
  skip "run directories and signals end to end" "needs jq (apt-get install jq)"
  exit 0
fi

# --- a finished run, then another profile on its directory -------------------
prof() { # prof FILE PERIOD CELL_SECONDS: a one-cell profile
  cat >"$1" <<PROF
[run]
name = rundir
cell_seconds = $3
warmup = 1s
cooldown = 0s
[guests]
count = 1
period = $2
tick_loss = 100%
PROF
}
prof "$tmp/a.profile" 1900us 2s
prof "$tmp/b.profile" 2100us 2s
"$lm" run -q -o "$tmp/res" "$tmp/a.profile" >"$tmp/a.out" 2>&1
rc=$?
run=$(readlink -f "$tmp/res/latest")
check "a one-cell run exits 0 (got $rc)" "[ $rc -eq 0 ] && [ -s '$run/run.json' ]"
sums "$run" >"$tmp/sums.before"
"$lm" run -q --run-dir "$run" "$tmp/b.profile" >"$tmp/b.out" 2>&1
rc=$?
sed 's/^/# foreign profile: /' "$tmp/b.out"
sums "$run" >"$tmp/sums.after"
check "--run-dir with another profile's run exits 2 (got $rc)" "[ $rc -eq 2 ]"
check "it changed nothing in the run directory (every file's checksum)" \
  "cmp -s '$tmp/sums.before' '$tmp/sums.after'"
check "it says whose run it is and how to resume it" \
  "grep -q 'a.profile' '$tmp/b.out' && grep -q 'jq -r .profile' '$tmp/b.out'"
{ echo "# the same cells, commented and renamed"; sed 's/^name = .*/name = renamed/' "$tmp/a.profile"; } \
  >"$tmp/a2.profile"
"$lm" run -q --run-dir "$run" "$tmp/a2.profile" >"$tmp/a2.out" 2>&1
rc=$?
check "the same cells with other comments and name resume it, exit 0 (got $rc)" \
  "[ $rc -eq 0 ] && [ \$(grep -c '\"type\":\"cell_start\"' '$run/journal.jsonl') -eq 1 ]"

# --- a torn last journal line ---------------------------------------------------
frag='{"type":"cell_end","cell":"00'
printf '%s' "$frag" >>"$run/journal.jsonl"
"$lm" run -q --run-dir "$run" "$tmp/a.profile" >"$tmp/torn.out" 2>&1
rc=$?
sed 's/^/# torn journal: /' "$tmp/torn.out"
check "a resume after a torn journal line exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "jq parses every line of the journal afterwards" "jq -c . '$run/journal.jsonl' >/dev/null"
dropped=$(jq -r 'select(.type == "journal_repair") | .dropped_bytes' "$run/journal.jsonl" 2>/dev/null)
check "a journal_repair record says ${#frag} bytes were dropped (got '$dropped')" \
  "[ '$dropped' = '${#frag}' ]"

# --- --run-dir into an empty directory, one with files, one that is not there --
mkdir "$tmp/empty" "$tmp/junk"
echo keep >"$tmp/junk/notes.txt"
"$lm" run -q --run-dir "$tmp/empty" "$tmp/a.profile" >"$tmp/empty.out" 2>&1
rc=$?
sed 's/^/# empty dir: /' "$tmp/empty.out"
check "--run-dir into an empty directory runs the cell, exit 0 (got $rc)" \
  "[ $rc -eq 0 ] && [ \$(grep -c '\"type\":\"cell_end\"' '$tmp/empty/journal.jsonl') -eq 1 ]"
check "and writes run.json with the profile and its grid" \
  "[ \"\$(jq -r .profile '$tmp/empty/run.json')\" = \"\$(cat '$tmp/a.profile')\" ] && [ \$(jq -r .grid_id '$tmp/empty/run.json' | wc -c) -eq 17 ]"
sums "$tmp/junk" >"$tmp/junk.before"
"$lm" run -q --run-dir "$tmp/junk" "$tmp/a.profile" >"$tmp/junk.out" 2>&1
rc=$?
sums "$tmp/junk" >"$tmp/junk.after"
check "--run-dir into a directory with files but no run.json exits 2 (got $rc)" \
  "[ $rc -eq 2 ] && [ \$(ls -A '$tmp/junk' | wc -l) -eq 1 ] && cmp -s '$tmp/junk.before' '$tmp/junk.after'"
"$lm" run -q --run-dir "$tmp/missing" "$tmp/a.profile" >"$tmp/missing.out" 2>&1
rc=$?
check "--run-dir into a directory that does not exist exits 2 (got $rc)" \
  "[ $rc -eq 2 ] && [ ! -e '$tmp/missing' ]"

# --- -o '' and -o FILE ------------------------------------------------------------
prof "$tmp/o.profile" 1900us 1s
sed -i 's/^name = .*/name = rundir-empty-o/' "$tmp/o.profile"
"$lm" run -q -o '' "$tmp/o.profile" >"$tmp/oe.out" 2>&1
rc=$?
sed 's/^/# -o empty: /' "$tmp/oe.out"
check "-o '' exits 2 (got $rc)" "[ $rc -eq 2 ]"
if [ $rc -ne 2 ]; then
  # a lockmap that took '' for a directory ran into /: take it back out
  rm -rf /[0-9]*-rundir-empty-o*
  case $(readlink /latest 2>/dev/null) in *-rundir-empty-o*) rm -f /latest ;; esac
fi
echo "not a directory" >"$tmp/ofile"
"$lm" run -q -o "$tmp/ofile" "$tmp/o.profile" >"$tmp/of.out" 2>&1
rc=$?
sed 's/^/# -o FILE: /' "$tmp/of.out"
check "-o FILE exits 2 (got $rc)" "[ $rc -eq 2 ] && [ \"\$(cat '$tmp/ofile')\" = 'not a directory' ]"

# --- SIGINT and SIGTERM during a cell --------------------------------------------
prof "$tmp/int.profile" 1900us 60s
for sig in INT TERM; do
  case $sig in INT) want=130 num=2 ;; TERM) want=143 num=15 ;; esac
  "$lm" run -q -o "$tmp/$sig" "$tmp/int.profile" >"$tmp/$sig.out" 2>&1 &
  pid=$!
  wait_records "$tmp/$sig" cell_start 1
  sleep 2
  kill -s "$sig" $pid
  wait $pid
  rc=$?
  junit="$tmp/$sig/latest/junit.xml"
  check "SIG$sig during a cell: exit $want (got $rc)" "[ $rc -eq $want ]"
  check "junit.xml marks the cell skipped, interrupted by signal $num, and counts no error" \
    "grep -q '<skipped message=\"interrupted by signal $num\"/>' '$junit' && ! grep -q '<error' '$junit' && grep -q 'errors=\"0\" skipped=\"1\"' '$junit'"
done
cell=$(jq -r 'select(.type == "cell_start") | .cell' "$tmp/INT/latest/journal.jsonl" 2>/dev/null)
check "no guest QEMU of the interrupted cell left running" \
  "[ -n '$cell' ] && ! pgrep -f 'lockmap-$cell-g' >/dev/null"
exit 0
