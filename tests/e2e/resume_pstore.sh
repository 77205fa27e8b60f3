#!/bin/sh
# Resume after a host crash, on this host with a real lockmap and real local
# cells (TCG tickguests, short cells): a run of two cells is made to look as if
# the host died in the second (its cell_end dropped, its cell_start given
# another boot id and an uptime before the crash) and rebooted. Resumed with
# a pstore holding a ramoops record of a hard lockup (LOCKMAP_PSTORE_DIR: a
# copy of tests/data/pstore/ramoops-hardlockup, dated after the cell's start),
# the cell is decided hardlockup from it, not run again; resumed with an empty
# pstore, a cell_rerun record says why and the cell runs again; cut in this
# boot, it runs again too. The lab version: tests/e2e/lab_pstore.sh. TAP.
# LOCKMAP_BIN runs another lockmap (an older build, to see these fail on it).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

needs_root "resume after a host crash" "/dev/kmsg, cgroups"
if ! command -v jq >/dev/null; then
  skip "resume after a host crash" "needs jq (apt-get install jq)"
  exit 0
fi

cat >"$tmp/p.profile" <<'PROF'
[run]
name = resume-pstore
cell_seconds = 2s
warmup = 1s
cooldown = 0s
[guests]
count = 1
period = 1900us, 2100us
tick_loss = 100%
[expect]
fail_on = error
PROF
"$lm" run -q -o "$tmp/res" "$tmp/p.profile" >"$tmp/first.out" 2>&1
rc=$?
run=$(readlink -f "$tmp/res/latest")
check "a run of 2 cells exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "  its cell_start records carry this boot's id" \
  "[ \$(jq -r 'select(.type == \"cell_start\") | .boot_id' '$run/journal.jsonl' | sort -u) = \$(cat /proc/sys/kernel/random/boot_id) ]"
id=$(jq -r 'select(.type == "cell_start" and .index == 1) | .cell' "$run/journal.jsonl")
cp "$run/journal.jsonl" "$tmp/journal.done"

# cut BOOT_ID: the journal as a host that died in cell 1 would leave it.
cut() {
  jq -c --arg b "$1" 'if .type == "cell_start" and .index == 1
      then .boot_id = $b | .uptime_s = 90 else . end
    | select((.type != "cell_end" or .index != 1) and .type != "run_end")' \
    "$tmp/journal.done" >"$run/journal.jsonl"
}
other=00000000-1111-2222-3333-444444444444
# resume PSTORE NAME: resume the run with PSTORE as /sys/fs/pstore; rc, and
# its output shown under NAME.
resume() {
  LOCKMAP_PSTORE_DIR="$1" "$lm" run -q --run-dir "$run" "$tmp/p.profile" >"$tmp/$2.out" 2>&1
  rc=$?
  sed "s/^/# $2: /" "$tmp/$2.out"
}

# --- a ramoops record of the crash --------------------------------------------
cut "$other"
cp -r tests/data/pstore/ramoops-hardlockup "$tmp/pstore"
touch "$tmp/pstore/dmesg-ramoops-0"
resume "$tmp/pstore" "resume with a record"
end=$(jq -c "select(.type == \"cell_end\" and .index == 1)" "$run/journal.jsonl")
check "the resume exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "  the cut cell ended from the record: hardlockup, source resume" \
  "[ \"\$(printf '%s' '$end' | jq -r '.outcome + \" \" + .source')\" = 'hardlockup resume' ]"
check "  the evidence names the record and quotes its line" \
  "printf '%s' '$end' | jq -e '.evidence.records[0].file == \"dmesg-ramoops-0\" and (.evidence.events | map(.line) | index(\"NMI watchdog: Watchdog detected hard LOCKUP on cpu 1\")) != null' >/dev/null"
check "  a copy of the record is in cells/$id/" "cmp -s '$tmp/pstore/dmesg-ramoops-0' '$run/cells/$id/pstore-dmesg-ramoops-0'"
check "  the record stays in pstore" "[ -s '$tmp/pstore/dmesg-ramoops-0' ]"
check "  the cell did not run again" \
  "[ \$(grep -c '\"type\":\"cell_start\"' '$run/journal.jsonl') -eq 2 ]"
check "  cells.csv has it as hardlockup" "grep '$id' '$run/cells.csv' | grep -q hardlockup"

# --- nothing survived ------------------------------------------------------------
cut "$other"
mkdir "$tmp/nothing"
resume "$tmp/nothing" "resume with nothing"
why=$(jq -r 'select(.type == "cell_rerun") | .why' "$run/journal.jsonl")
check "with no evidence the resume exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "  a cell_rerun record says why ($why)" "printf '%s' '$why' | grep -q 'left no evidence'"
check "  and the cell ran again" \
  "[ \$(grep -c '\"type\":\"cell_start\"' '$run/journal.jsonl') -eq 3 ] && [ \$(jq -r 'select(.type == \"cell_end\" and .index == 1) | .source' '$run/journal.jsonl') = cell ]"

# --- cut in this boot: lockmap was stopped, the host did not die ----------------
cut "$(cat /proc/sys/kernel/random/boot_id)"
resume "$tmp/pstore" "cut in this boot"
why=$(jq -r 'select(.type == "cell_rerun") | .why' "$run/journal.jsonl")
check "cut in this boot: exit 0 (got $rc), run again though pstore has a record ($why)" \
  "[ $rc -eq 0 ] && printf '%s' '$why' | grep -q 'did not reboot' && [ \$(jq -r 'select(.type == \"cell_end\" and .index == 1) | .source' '$run/journal.jsonl') = cell ]"
exit 0
