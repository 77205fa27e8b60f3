#!/bin/sh
# Crash-proof resume in a lab host (`lockmap lab --pstore`): its RAM is a file
# kept across its boots and ramoops is reserved in it (memmap=), as on a real
# host with pstore. With kernel.hardlockup_panic = 1 the middle cell of three
# (12 s with interrupts off on cpu 1) hard-locks it: the buddy detector
# reports and panics, the panic's kmsg dump goes to ramoops, the host goes
# down. The outer lockmap leaves that cell to the run inside, which resumes in
# the next boot, finds the cell cut in another boot (boot ids), decides it
# from the pstore record (hardlockup, the record's name and lines in the
# cell_end, a copy in cells/<id>/) and runs the last cell. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
lm=build/lockmap
e2e_tmp

lab_ready "lab pstore"

# Single-threaded TCG, as the other lab tests (harness/lab/README.md "Stalls").
"$lm" lab --pstore --tcg-thread single -q -o "$tmp/r" \
  tests/data/profiles/e2e/lab-pstore.profile >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
run="$tmp/r/latest"
j="$run/journal.jsonl"
csv="$run/cells.csv"
check "lab --pstore run of 3 cells exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "  the lab host booted twice (a reboot after the crash)" \
  "[ \$(grep -c '\"type\":\"lab_boot\"' '$j') -eq 2 ]"
check "  it went down in a panic" "grep '\"type\":\"lab_down\"' '$j' | head -1 | grep -q '\"end\":\"panic\"'"
check "  the outer lockmap left the cell to the resumed run (lab_cell_left)" \
  "grep '\"type\":\"lab_cell_left\"' '$j' | grep -q '\"index\":1'"
end=$(grep '"type":"cell_end"' "$j" | grep '"index":1,' | tail -1)
printf '%s\n' "$end" | cut -c1-600 | sed 's/^/# cell_end: /'
check "the cut cell was decided on resume (source resume)" \
  "printf '%s' '$end' | grep -q '\"source\":\"resume\"'"
o2=$(csv_col "$csv" 2 outcome)
check "  as hardlockup (got $o2)" "[ '$o2' = hardlockup ]"
check "  the evidence names the ramoops record" \
  "printf '%s' '$end' | grep -q '\"file\":\"dmesg-ramoops-[0-9]*\"'"
check "  and quotes the buddy detector's line from it" \
  "printf '%s' '$end' | grep -q 'buddy: Watchdog detected hard LOCKUP on cpu 1'"
id=$(csv_col "$csv" 2 cell_id)
check "  a copy of the record is in cells/$id/" "ls '$run/cells/$id'/pstore-dmesg-ramoops-* >/dev/null 2>&1"
check "  its boot id differs from the resumed run's" \
  "printf '%s' '$end' | grep -q '\"boot_id_now\"'"
o3=$(csv_col "$csv" 3 outcome)
check "the last cell ran after the reboot (got $o3)" "[ -n '$o3' ] && [ '$o3' != error ]"
check "the lab's RAM file is gone" "! ls /dev/shm/lockmap-lab-*e2e-lab-pstore*.ram >/dev/null 2>&1"
check "no lab QEMU of this test left behind" "! pgrep -f 'lockmap-lab .*$tmp/' >/dev/null"
exit 0
