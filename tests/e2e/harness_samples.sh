#!/bin/sh
# The samples for running lockmap across hosts, checked without a cluster:
# harness/slurm/lockmap-array.sbatch (shellcheck; run as the tasks of a job
# array numbered from 1, with -n, each task lists its shard's cells and makes
# its run directory; outside an array, or with bad arguments, it exits 2) and
# harness/k8s/*.yaml (read with tests/tools/yamlq, built by make unit: the
# fields an Indexed Job needs, and --shard-count equal to its completions; each
# assertion fails on a Job edited to break it). tests/e2e/shard_merge.sh runs the
# batch script's shards and merge for real. TAP. LOCKMAP_BIN runs another
# lockmap, YAMLQ another yamlq.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
yamlq=${YAMLQ:-build/tests/yamlq}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
sb=harness/slurm/lockmap-array.sbatch
job=harness/k8s/lockmap-job.yaml
merge=harness/k8s/lockmap-merge-job.yaml

# --- the Slurm batch script ------------------------------------------------------
if command -v shellcheck >/dev/null; then
  check "shellcheck -s sh $sb" "shellcheck -s sh '$sb' >&2"
else
  skip "shellcheck -s sh $sb" "needs shellcheck (apt-get install shellcheck)"
fi
check "$sb asks for one task per host and names no array of its own (--array at submission)" \
  "grep -q '^#SBATCH --exclusive' '$sb' && ! grep -q '^#SBATCH --array' '$sb'"

cat >"$tmp/p.profile" <<'PROF'
[run]
name = samples
cell_seconds = 1s
[guests]
count = 1
period = 1ms, 2ms, 3ms, 4ms
PROF
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP \
  SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_JOB_ID JOB_COMPLETION_INDEX
# --array=1-3: three tasks, three shards
for t in 1 2 3; do
  LOCKMAP=$lm SLURM_ARRAY_JOB_ID=42 SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_TASK_MIN=1 \
    SLURM_ARRAY_TASK_MAX=3 SLURM_ARRAY_TASK_STEP=1 SLURM_ARRAY_TASK_COUNT=3 \
    sh "$sb" "$tmp/p.profile" "$tmp/res" -n >"$tmp/task$t" 2>"$tmp/task$t.err"
  rc=$?
  "$lm" run -n --shard "$t/3" "$tmp/p.profile" >"$tmp/want$t" 2>/dev/null
  sed "s/^/# task $t: /" "$tmp/task$t.err"
  check "task $t of --array=1-3 lists shard $t/3's cells ($(awk '{ printf "%s ", $1 }' "$tmp/task$t")) and exits 0 (got $rc)" \
    "[ $rc -eq 0 ] && [ -s '$tmp/want$t' ] && cmp -s '$tmp/task$t' '$tmp/want$t'"
done
check "the tasks' run directories are RESULTS/JOBID/shard-TASKID" \
  "[ -d '$tmp/res/42/shard-1' ] && [ -d '$tmp/res/42/shard-2' ] && [ -d '$tmp/res/42/shard-3' ]"
LOCKMAP=$lm sh "$sb" "$tmp/p.profile" "$tmp/res2" >"$tmp/noarray" 2>&1
rc=$?
check "outside a job array it exits 2 and makes nothing (got $rc)" "[ $rc -eq 2 ] && [ ! -e '$tmp/res2' ]"
LOCKMAP=$lm sh "$sb" --merge "$tmp/res" >/dev/null 2>&1
rc1=$?
LOCKMAP=$lm sh "$sb" >/dev/null 2>&1
rc2=$?
check "bad arguments exit 2 (got $rc1 $rc2)" "[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ]"

# --- the Kubernetes Jobs ------------------------------------------------------------
if [ ! -x "$yamlq" ]; then
  skip "the Kubernetes Job manifests parse, with the fields an Indexed Job needs" \
    "$yamlq missing: run make unit (needs libyaml-dev)"
  exit 0
fi
pod=spec.template.spec
c0="$pod.containers[0]"
# The assertions on a Job, each a function of its file: true, or the test fails.
# shellcheck disable=SC2317 # they are called in the conditions check evals
{
# v FILE PATH: what yamlq prints at PATH (a sequence an item a line); its
# messages go to the test's log.
v() { "$yamlq" "$2" "$1"; }
is_job() { [ "$(v "$1" apiVersion)" = batch/v1 ] && [ "$(v "$1" kind)" = Job ]; }
is_indexed() {
  c=$(v "$1" spec.completions) || return 1
  case $c in '' | *[!0-9]*) return 1 ;; esac
  [ "$(v "$1" spec.completionMode)" = Indexed ] && [ "$c" -ge 1 ] &&
    [ "$(v "$1" spec.parallelism)" = "$c" ]
}
never_restarts() { [ "$(v "$1" "$pod.restartPolicy")" = Never ]; }
# after NAME: the line after the first line NAME of stdin
after() { awk -v n="$1" 'f { print; exit } $0 == n { f = 1 }'; }
runs_shard_count() {
  { v "$1" "$c0.command" || :; v "$1" "$c0.args" || :; } 2>/dev/null >"$tmp/argv"
  [ "$(head -n 2 "$tmp/argv" | tr '\n' ' ')" = "lockmap run " ] &&
    [ "$(after --shard-count <"$tmp/argv")" = "$(v "$1" spec.completions)" ]
}
# shellcheck disable=SC2016 # the literal $(...) that the Job controller expands
runs_in_index_dir() { v "$1" "$c0.args" | after --run-dir | grep -qF '$(JOB_COMPLETION_INDEX)'; }
is_privileged() {
  [ "$(v "$1" "$c0.securityContext.privileged")" = true ] &&
    [ "$(v "$1" "$pod.volumes[*].hostPath.path" | grep -cx /run/lockmap)" -eq 1 ]
}
mounts_are_volumes() {
  v "$1" "$pod.volumes[*].name" >"$tmp/volumes" || return 1
  { v "$1" "$pod.containers[*].volumeMounts[*].name"
    v "$1" "$pod.initContainers[*].volumeMounts[*].name"; } 2>/dev/null >"$tmp/mounts"
  [ -s "$tmp/mounts" ] && ! grep -qvxF -f "$tmp/volumes" "$tmp/mounts"
}
runs_merge() { v "$1" "$c0.command" | tr '\n' ' ' | grep -q 'lockmap merge .*/shard-[*]'; }
}

check "$job is a batch/v1 Job" "is_job '$job'"
check "it is Indexed, completions = parallelism" "is_indexed '$job'"
check "its pods are not restarted in place (restartPolicy Never: a retry is a new pod)" \
  "never_restarts '$job'"
check "containers[0] runs lockmap run --shard-count N, N = completions" "runs_shard_count '$job'"
check "each pod runs in a directory of its index (--run-dir .../\$(JOB_COMPLETION_INDEX))" \
  "runs_in_index_dir '$job'"
check "it is privileged, with the node's /run/lockmap" "is_privileged '$job'"
check "every volumeMount names a volume of the pod" "mounts_are_volumes '$job'"
check "$merge is a batch/v1 Job that runs lockmap merge on the shards' runs" \
  "is_job '$merge' && never_restarts '$merge' && runs_merge '$merge'"

# The assertions fail on Jobs that are wrong: each edit of $job breaks the one
# named. mutant NAME ASSERTION SED-SCRIPT: $job edited by SED-SCRIPT fails
# ASSERTION (an edit that changed nothing would pass for nothing: it fails).
m=0
mutant() {
  m=$((m + 1))
  if sed "$3" "$job" >"$tmp/mutant$m.yaml" && ! cmp -s "$job" "$tmp/mutant$m.yaml"; then
    check "$1: $2 fails" "! $2 '$tmp/mutant$m.yaml' 2>/dev/null"
  else
    notok "$1: the edit changed nothing in $job"
  fi
}
mutant "completions and parallelism 3, --shard-count 4" runs_shard_count \
  's/^  completions: 4$/  completions: 3/; s/^  parallelism: 4$/  parallelism: 3/'
mutant "--shard-count misspelled" runs_shard_count 's/"--shard-count"/"--shard-cuont"/'
mutant "parallelism 3 of 4 completions" is_indexed 's/^  parallelism: 4$/  parallelism: 3/'
mutant "completionMode NonIndexed" is_indexed 's/completionMode: Indexed/completionMode: NonIndexed/'
mutant "kind Deployment" is_job 's/^kind: Job$/kind: Deployment/'
mutant "restartPolicy OnFailure" never_restarts 's/restartPolicy: Never/restartPolicy: OnFailure/'
mutant "--run-dir without the index" runs_in_index_dir 's|/shard-[$](JOB_COMPLETION_INDEX)"$|/shard"|'
mutant "no /run/lockmap from the node" is_privileged 's|path: /run/lockmap|path: /run/other|'
mutant "a mount of no volume" mounts_are_volumes 's/^        - name: state$/        - name: stat/'
mutant "a tab in the indentation (not YAML)" is_job 's/^kind: Job$/kind:\tJob\n\t x: 1/'
exit 0
