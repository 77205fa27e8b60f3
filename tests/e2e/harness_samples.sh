#!/bin/sh
# The samples for running lockmap across hosts, checked without a cluster:
# harness/slurm/lockmap-array.sbatch (shellcheck; run as the tasks of a job
# array numbered from 1, with -n, each task lists its shard's cells and makes
# its run directory; outside an array, or with bad arguments, it exits 2) and
# harness/k8s/*.yaml (parsed as YAML: the fields an Indexed Job needs, and
# --shard-count equal to its completions). tests/e2e/shard_merge.sh runs the
# batch script's shards and merge for real. TAP. LOCKMAP_BIN runs another
# lockmap.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
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
if ! command -v yq >/dev/null; then
  skip "the Kubernetes Job manifests parse, with the fields an Indexed Job needs" \
    "needs yq (apt-get install yq)"
  exit 0
fi
# yq FILTER FILE: true, or the test fails (yq -e exits 1 on false and null)
# shellcheck disable=SC2317 # called in the conditions check evals
y() { yq -e "$1" "$2" >/dev/null 2>&1; }
check "$job is a batch/v1 Job" "y '.apiVersion == \"batch/v1\" and .kind == \"Job\"' '$job'"
check "it is Indexed, completions = parallelism" \
  "y '.spec.completionMode == \"Indexed\" and .spec.completions >= 1 and .spec.parallelism == .spec.completions' '$job'"
check "its pods are not restarted in place (restartPolicy Never: a retry is a new pod)" \
  "y '.spec.template.spec.restartPolicy == \"Never\"' '$job'"
check "containers[0] runs lockmap run --shard-count N, N = completions" \
  "y '.spec as \$s | \$s.template.spec.containers[0] | (.command + .args) as \$a | (\$a | index(\"--shard-count\")) as \$i | \$a[0:2] == [\"lockmap\", \"run\"] and \$i != null and (\$a[\$i + 1] | tonumber) == \$s.completions' '$job'"
check "each pod runs in a directory of its index (--run-dir .../\$(JOB_COMPLETION_INDEX))" \
  "y '.spec.template.spec.containers[0].args as \$a | (\$a | index(\"--run-dir\")) as \$i | \$a[\$i + 1] | test(\"[$][(]JOB_COMPLETION_INDEX[)]\")' '$job'"
check "it is privileged, with the node's /run/lockmap" \
  "y '.spec.template.spec.containers[0].securityContext.privileged == true and ([.spec.template.spec.volumes[] | select(.hostPath.path == \"/run/lockmap\")] | length) == 1' '$job'"
check "every volumeMount names a volume of the pod" \
  "y '.spec.template.spec as \$p | ([\$p.containers[], \$p.initContainers[] | .volumeMounts[].name] - [\$p.volumes[].name]) == []' '$job'"
check "$merge is a batch/v1 Job that runs lockmap merge on the shards' runs" \
  "y '.apiVersion == \"batch/v1\" and .kind == \"Job\" and .spec.template.spec.restartPolicy == \"Never\" and (.spec.template.spec.containers[0].command | join(\" \") | test(\"lockmap merge .*/shard-[*]\"))' '$merge'"
exit 0
