#!/bin/sh
# Shards end to end: shards 1/2 and 2/2 of a small local profile, run as the
# tasks of a Slurm job array by harness/slurm/lockmap-array.sbatch and merged
# by its merge job, give the cells.csv of the unsharded run (its index,
# rep, cell_id and axis columns: outcomes and measurements differ from run to
# run); -n lists a slice (a cell's repeats together); a Slurm array task's or a
# Kubernetes Indexed Job's environment picks the shard, --shard wins; bad
# values exit 2; a --run-dir of another shard is refused; merge refuses
# another profile's shard, the same shard twice, overlapping cells and an OUT
# in use, and writes a partial set with exit 3, which a resume completes.
# Real local runs (TCG tickguests, 1 s cells: 7 in all). TAP. LOCKMAP_BIN
# runs another lockmap (an older build, to see these tests fail on it).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

# The columns of a cells.csv up to its outcome: index, rep, cell_id, axes.
ids() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "outcome") c = i - 1 }
    { s = $1; for (i = 2; i <= c; i++) s = s "," $i; print s }' "$1"
}
# The first column of -n output: the cells' indices, on one line.
indices() { awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$1"; }
sums() { (cd "$1" && find . -type f -exec cksum {} + | sort); }

prof() { # prof FILE PERIODS [EXTRA-RUN-LINE]
  cat >"$1" <<PROF
[run]
name = shards
cell_seconds = 1s
warmup = 1s
cooldown = 0s
${3:-}
[guests]
count = 1
period = $2
tick_loss = 100%
PROF
}
prof "$tmp/a.profile" "1900us, 2000us, 2100us"
prof "$tmp/r.profile" "1900us, 2000us, 2100us" "repeat = 2"
prof "$tmp/b.profile" "2200us"

# --- the slices, as -n lists them --------------------------------------------
"$lm" run -n "$tmp/a.profile" >"$tmp/all" 2>/dev/null
"$lm" run -n --shard 1/2 "$tmp/a.profile" >"$tmp/n1" 2>"$tmp/n1.err"
rc1=$?
"$lm" run -n --shard 2/2 "$tmp/a.profile" >"$tmp/n2" 2>/dev/null
rc2=$?
sed 's/^/# -n --shard 1\/2: /' "$tmp/n1.err"
check "-n --shard 1/2 lists cells 0 and 2, 2/2 cell 1, exit 0 (got '$(indices "$tmp/n1")' '$(indices "$tmp/n2")', $rc1 $rc2)" \
  "[ '$(indices "$tmp/n1")' = '0 2' ] && [ '$(indices "$tmp/n2")' = '1' ] && [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]"
check "the two slices are the whole grid ($(wc -l <"$tmp/all") cells)" \
  "[ \$(wc -l <'$tmp/all') -eq 3 ] && sort -n '$tmp/n1' '$tmp/n2' | cmp -s - '$tmp/all'"
"$lm" run -n --shard 1/2 "$tmp/r.profile" >"$tmp/r1" 2>/dev/null
check "with repeat = 2, shard 1/2 holds both repeats of cells 0 and 2 (got '$(indices "$tmp/r1")')" \
  "[ '$(indices "$tmp/r1")' = '0 1 4 5' ]"

SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_STEP=1 \
  SLURM_ARRAY_TASK_COUNT=2 "$lm" run -n "$tmp/a.profile" >"$tmp/slurm1" 2>/dev/null
SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=2 \
  "$lm" run -n "$tmp/a.profile" >"$tmp/slurm0" 2>/dev/null
check "a Slurm array task is its shard: task 2 of --array=1-2 is 2/2, task 0 of 0-1 is 1/2" \
  "cmp -s '$tmp/slurm1' '$tmp/n2' && cmp -s '$tmp/slurm0' '$tmp/n1'"
JOB_COMPLETION_INDEX=1 "$lm" run -n --shard-count 2 "$tmp/a.profile" >"$tmp/k8s" 2>/dev/null
check "JOB_COMPLETION_INDEX=1 with --shard-count 2 is shard 2/2" "cmp -s '$tmp/k8s' '$tmp/n2'"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=2 \
  "$lm" run -n --shard 1/2 "$tmp/a.profile" >"$tmp/wins" 2>/dev/null
check "--shard wins over the environment" "cmp -s '$tmp/wins' '$tmp/n1'"

for v in 0/2 3/2 1/0 x/2 1/2x; do
  "$lm" run -n --shard "$v" "$tmp/a.profile" >"$tmp/bad.out" 2>&1
  rc=$?
  check "--shard $v exits 2 and says why (got $rc)" \
    "[ $rc -eq 2 ] && grep -q -- '--shard $v' '$tmp/bad.out'"
done
JOB_COMPLETION_INDEX=1 "$lm" run -n "$tmp/a.profile" >"$tmp/bad.out" 2>&1
rc=$?
check "JOB_COMPLETION_INDEX without --shard-count exits 2 (got $rc)" \
  "[ $rc -eq 2 ] && grep -q -- '--shard-count' '$tmp/bad.out'"
SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=9 SLURM_ARRAY_TASK_COUNT=3 \
  "$lm" run -n "$tmp/a.profile" >"$tmp/bad.out" 2>&1
rc=$?
check "a Slurm array that is no range (--array=1,2,9) exits 2 (got $rc)" "[ $rc -eq 2 ]"
sed 's/^name = shards/name = shards-lab\ntarget = lab/' "$tmp/a.profile" >"$tmp/lab.profile"
"$lm" run -n --shard 1/2 -o "$tmp/labres" "$tmp/lab.profile" >"$tmp/bad.out" 2>&1
rc=$?
check "a target = lab profile with --shard exits 2, nothing made (got $rc)" \
  "[ $rc -eq 2 ] && [ ! -e '$tmp/labres' ]"

needs_root "shard runs and merge end to end" "/dev/kmsg, cgroups"
if ! command -v jq >/dev/null; then
  skip "shard runs and merge end to end" "needs jq (apt-get install jq)"
  exit 0
fi

# --- the whole run, and its two shards as the tasks of a Slurm job array -------
# (--array=0-1, job 77), run by harness/slurm/lockmap-array.sbatch
"$lm" run -q -o "$tmp/whole" "$tmp/a.profile" >"$tmp/whole.out" 2>&1
rcw=$?
whole=$(readlink -f "$tmp/whole/latest")
sb=harness/slurm/lockmap-array.sbatch
task() { # task ID: that task of the array
  LOCKMAP=$lm SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=$1 SLURM_ARRAY_TASK_MIN=0 \
    SLURM_ARRAY_TASK_MAX=1 SLURM_ARRAY_TASK_STEP=1 SLURM_ARRAY_TASK_COUNT=2 \
    sh "$sb" "$tmp/a.profile" "$tmp/slurm" -q
}
task 0 >"$tmp/s1.out" 2>&1
rc1=$?
task 1 >"$tmp/s2.out" 2>&1
rc2=$?
s1=$tmp/slurm/77/shard-0
s2=$tmp/slurm/77/shard-1
sed 's/^/# shard 1\/2: /' "$tmp/s1.out"
check "the whole run and both shards exit 0 (got $rcw $rc1 $rc2)" \
  "[ $rcw -eq 0 ] && [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]"
check "the shards ran 2 and 1 cells (cells.csv rows)" \
  "[ \$(wc -l <'$s1/cells.csv') -eq 3 ] && [ \$(wc -l <'$s2/cells.csv') -eq 2 ]"
check "run.json records shard 1/2 and the whole grid's id" \
  "jq -e '.shard.index == 1 and .shard.count == 2 and .shard.grid_id == .grid_id' '$s1/run.json' >/dev/null && [ \"\$(jq -r .grid_id '$s1/run.json')\" = \"\$(jq -r .grid_id '$whole/run.json')\" ]"
check "run_start of task 1 records shard 2/2" \
  "[ \"\$(jq -r 'select(.type == \"run_start\") | \"\\(.shard.index)/\\(.shard.count)\"' '$s2/journal.jsonl')\" = 2/2 ]"

# --- merged (the batch script's merge job): the same cells as the whole run ----
LOCKMAP=$lm sh "$sb" --merge "$tmp/slurm" 77 >"$tmp/merge.out" 2>&1
rc=$?
sed 's/^/# merge: /' "$tmp/merge.out"
merged=$tmp/slurm/77/merged
check "the merge of shards 1/2 and 2/2 exits 0 (got $rc)" "[ $rc -eq 0 ]"
ids "$whole/cells.csv" >"$tmp/ids.whole"
ids "$merged/cells.csv" >"$tmp/ids.merged" 2>/dev/null
sed 's/^/# merged cells.csv: /' "$tmp/ids.merged"
check "the merged cells.csv is the whole run's: index, rep, cell_id, axis columns, in order" \
  "[ -s '$tmp/ids.whole' ] && cmp -s '$tmp/ids.whole' '$tmp/ids.merged'"
check "its journal holds every record of both shards and a merge_part each" \
  "[ \$(wc -l <'$merged/journal.jsonl') -eq \$((\$(cat '$s1/journal.jsonl' '$s2/journal.jsonl' | wc -l) + 2)) ] && [ \$(grep -c '\"type\":\"cell_end\"' '$merged/journal.jsonl') -eq 3 ]"
logs=$(awk -F, 'NR > 1 { print $3 }' "$whole/cells.csv" | while read -r id; do
  [ -s "$merged/cells/$id/guest-0.log" ] && echo "$id"
done | wc -l)
check "every cell's guest log is in the merged run ($logs of 3)" "[ $logs -eq 3 ]"
check "junit.xml has 3 testcases, run.json the grid, no shard, 2 parts" \
  "[ \$(grep -c '<testcase' '$merged/junit.xml') -eq 3 ] && jq -e '.shard == null and (.merged.parts | length) == 2 and .merged.missing_cells == 0' '$merged/run.json' >/dev/null && [ \"\$(jq -r .grid_id '$merged/run.json')\" = \"\$(jq -r .grid_id '$whole/run.json')\" ]"

# --- a shard's run directory is that shard's ----------------------------------
sums "$s1" >"$tmp/sums.before"
"$lm" run -q --run-dir "$s1" "$tmp/a.profile" >"$tmp/rd1.out" 2>&1
rca=$?
"$lm" run -q --run-dir "$s1" --shard 2/2 "$tmp/a.profile" >"$tmp/rd2.out" 2>&1
rcb=$?
sed 's/^/# --run-dir of shard 1\/2 as 2\/2: /' "$tmp/rd2.out"
sums "$s1" >"$tmp/sums.after"
check "--run-dir of shard 1/2 without a shard, or as 2/2, exits 2 (got $rca $rcb)" \
  "[ $rca -eq 2 ] && [ $rcb -eq 2 ] && grep -q -- '--shard 1/2' '$tmp/rd2.out'"
check "and changes nothing in it" "[ -s '$s1/run.json' ] && cmp -s '$tmp/sums.before' '$tmp/sums.after'"

# --- merge refusals: nothing written ------------------------------------------
"$lm" run -q -o "$tmp/b" --shard 2/2 "$tmp/b.profile" >"$tmp/b.out" 2>&1
b2=$(readlink -f "$tmp/b/latest")
cp -a "$s1" "$tmp/fake"
jq '.shard.index = 2' "$tmp/fake/run.json" >"$tmp/fake.json" && mv "$tmp/fake.json" "$tmp/fake/run.json"
"$lm" merge "$tmp/m1" "$s1" "$s1" >"$tmp/m1.out" 2>&1
r1=$?
"$lm" merge "$tmp/m2" "$s1" "$b2" >"$tmp/m2.out" 2>&1
r2=$?
"$lm" merge "$tmp/m3" "$s1" "$tmp/fake" >"$tmp/m3.out" 2>&1
r3=$?
"$lm" merge "$merged" "$s1" "$s2" >"$tmp/m4.out" 2>&1
r4=$?
sed 's/^/# refused: /' "$tmp/m1.out" "$tmp/m2.out" "$tmp/m3.out" "$tmp/m4.out"
check "the same shard twice exits 2" "[ $r1 -eq 2 ] && grep -q 'same shard' '$tmp/m1.out'"
check "another profile's shard exits 2" "[ $r2 -eq 2 ] && grep -q 'different profiles' '$tmp/m2.out'"
check "overlapping cells exit 2" "[ $r3 -eq 2 ] && grep -q 'in both' '$tmp/m3.out'"
check "an OUT that is not empty exits 2" "[ $r4 -eq 2 ]"
check "none of them wrote anything" "[ ! -e '$tmp/m1' ] && [ ! -e '$tmp/m2' ] && [ ! -e '$tmp/m3' ]"

# --- a partial set: written, exit 3, completed by a resume ---------------------
"$lm" merge "$tmp/part" "$s1" >"$tmp/part.out" 2>&1
rc=$?
sed 's/^/# partial: /' "$tmp/part.out"
check "a merge without shard 2/2 exits 3 and lists it (got $rc)" \
  "[ $rc -eq 3 ] && grep -q 'missing shard 2/2' '$tmp/part.out' && jq -e '.merged.missing_shards == [2]' '$tmp/part/run.json' >/dev/null"
"$lm" run -q --run-dir "$tmp/part" "$tmp/a.profile" >"$tmp/resume.out" 2>&1
rc=$?
ids "$tmp/part/cells.csv" >"$tmp/ids.part" 2>/dev/null
check "a resume of it runs the missing cell, and it is the whole run (got $rc)" \
  "[ $rc -eq 0 ] && cmp -s '$tmp/ids.whole' '$tmp/ids.part' && [ \$(grep -c '\"type\":\"cell_start\"' '$tmp/part/journal.jsonl') -eq 3 ]"
exit 0
