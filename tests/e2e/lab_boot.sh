#!/bin/sh
# End to end in the lab: `lockmap lab` boots the distribution kernel as a lab
# host (TCG here), the inner lockmap runs nested tickguests under the lab's own
# KVM, and the outer lockmap classifies a lab host that panics or hangs and
# goes on with the next cell. A kernel that does not boot gives error cells
# with the console tail, in bounded time. Prints TAP lines.
set -u
# Every lab here has one guest: single-threaded TCG, where multi-threaded TCG
# stalled lab hosts now and then (harness/lab/README.md, "Stalls").
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp

# journal_has RUN TYPE PATTERN: a record of TYPE in RUN's journal matches PATTERN.
journal_has() {
  grep "\"type\":\"$2\"" "$1/journal.jsonl" 2>/dev/null | grep -q "$3"
}
# outcome_of_cell RUN INDEX: the outcome of the cell_end of that grid index.
outcome_of_cell() {
  grep '"type":"cell_end"' "$1/journal.jsonl" | grep "\"index\":$2," |
    sed -n 's/.*"outcome":"\([a-z_]*\)".*/\1/p' | head -n 1
}

lab_ready "lockmap lab end to end"

# --- bad kernel images: refused at once, or error cells, never a hang --------
cat >"$tmp/one.profile" <<'EOF'
[run]
name = labone
target = lab
cell_seconds = 5s
warmup = 2s
cooldown = 1s

[guests]
count = 1
period = 1ms
pin = 1
EOF

head -c 65536 /dev/urandom >"$tmp/random.img"
"$lm" lab --tcg-thread single -q --kernel "$tmp/random.img" -o "$tmp/bad" "$tmp/one.profile" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
check "a file of random bytes as kernel exits 2 (got $rc)" "[ $rc -eq 2 ]"
check "  and says it is not a bzImage" "grep -q 'not a Linux bzImage' '$tmp/out'"

t0=$(date +%s)
"$lm" lab --tcg-thread single -q --append "rdinit=/nonexistent" -o "$tmp/early" "$tmp/one.profile" >"$tmp/out" 2>&1
rc=$?
t=$(($(date +%s) - t0))
sed 's/^/# /' "$tmp/out"
run="$tmp/early/latest"
check "a kernel that panics while booting exits 1 (got $rc) within 120 s (took $t s)" \
  "[ $rc -eq 1 ] && [ $t -lt 120 ]"
check "  its cell is error" "[ \"\$(outcome_of_cell '$run' 0)\" = error ]"
check "  with the console tail in the error text" \
  "journal_has '$run' cell_end 'did not boot.*console: .*[a-zA-Z]'"
check "  cells.csv has the error row" "grep -q ',error,' '$run/cells.csv'"

t0=$(date +%s)
"$lm" lab --tcg-thread single -q --boot-timeout 2 -o "$tmp/slow" "$tmp/one.profile" >"$tmp/out" 2>&1
rc=$?
t=$(($(date +%s) - t0))
sed 's/^/# /' "$tmp/out"
check "no heartbeat within --boot-timeout 2: exit 1 (got $rc) in bounded time (took $t s)" \
  "[ $rc -eq 1 ] && [ $t -lt 60 ]"
check "  the cell is error: did not boot within 2 s" \
  "journal_has '$tmp/slow/latest' cell_end 'did not boot within 2 s'"
check "  no lab QEMU of this test left behind" "! pgrep -f 'lockmap-lab .*$tmp/' >/dev/null"

# --- a real cell in the lab ---------------------------------------------------
t0=$(date +%s)
"$lm" lab --tcg-thread single -o "$tmp/res" "$tmp/one.profile" >"$tmp/out" 2>&1
rc=$?
t=$(($(date +%s) - t0))
sed 's/^/# /' "$tmp/out"
run="$tmp/res/latest"
check "lockmap lab with the distribution kernel ($kver) exits 0 (got $rc, $t s)" "[ $rc -eq 0 ]"
check "  the lab host came up (heartbeat)" "[ -s '$run/lab-heartbeat.log' ]"
check "  lab-console.log has the kernel's boot" "grep -q 'Linux version' '$run/lab-console.log'"
check "  run.json says target lab" "grep -q '\"target\": \"lab\"' '$run/run.json'"
check "  the inner run wrote lab-host.json" "[ -s '$run/lab-host.json' ]"
check "  the cell ran its guests under the lab's KVM (accel kvm)" \
  "journal_has '$run' cell_start '\"accel\":\"kvm\"'"
check "  its cell_end is in the outer journal, not error" \
  "o=\$(outcome_of_cell '$run' 0); [ -n \"\$o\" ] && [ \"\$o\" != error ]"
check "  the cell has the lab console in cells/<id>/console.log" \
  "ls '$run'/cells/*/console.log >/dev/null 2>&1"
check "  cells.csv and junit.xml written" "[ -s '$run/cells.csv' ] && [ -s '$run/junit.xml' ]"
check "  the lab host powered off (lab_down inner_exit)" \
  "journal_has '$run' lab_down '\"end\":\"inner_exit\"'"

# --- a lab host that panics in a cell: panic, and the next cell still runs ----
cat >"$tmp/two.profile" <<'EOF'
[run]
name = labtwo
target = lab
cell_seconds = 10s
warmup = 2s
cooldown = 1s

[guests]
count = 1
period = 1ms, 2ms
pin = 1
EOF
# The crash comes 10 s into the inner run: past its KVM probe, inside cell 1.
"$lm" lab --tcg-thread single --append "lockmap.test_panic=10" -o "$tmp/panic" "$tmp/two.profile" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
run="$tmp/panic/latest"
check "a lab host crashed in cell 1 exits 1 (panic is a fail_on outcome; got $rc)" "[ $rc -eq 1 ]"
check_or_show "  cell 1 is panic" "[ \"\$(outcome_of_cell '$run' 0)\" = panic ]" "$run"
check "  its cell_end came from the outer lockmap" \
  "journal_has '$run' cell_end '\"source\":\"lab\"'"
check "  the lab booted twice" "[ \$(grep -c '\"type\":\"lab_boot\"' '$run/journal.jsonl') -eq 2 ]"
check "  cell 2 still ran (not error)" \
  "o=\$(outcome_of_cell '$run' 1); [ -n \"\$o\" ] && [ \"\$o\" != error ]"

# --- a lab host that hangs: irq-off on every cpu past the limit ---------------
if ! "$lm" inject --help 2>&1 | grep -q "^  irqoff:"; then
  skip "a hung lab host is host_hang" "this lockmap has no irqoff injector (lockmap inject --help)"
  exit 0
fi
cat >"$tmp/hang.profile" <<'EOF'
[run]
name = labhang
target = lab
cell_seconds = 5s
warmup = 2s
cooldown = 1s

[guests]
count = 1
period = 1ms
pin = 1

[inject.irqoff]
cpus = 0-1
duration = 60s, 0
EOF
# The module refuses this by default (all cpus, 60 s): the test raises its bounds.
"$lm" lab --tcg-thread single --hang-timeout 15 \
  --append "lockmap_inject.max_irqoff_ms=60000 lockmap_inject.max_cpus=2" \
  -o "$tmp/hang" "$tmp/hang.profile" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
run="$tmp/hang/latest"
check "a lab host with interrupts off on every cpu exits 1 (got $rc)" "[ $rc -eq 1 ]"
check_or_show "  that cell is host_hang" "[ \"\$(outcome_of_cell '$run' 0)\" = host_hang ]" "$run"
check "  the next cell still runs (not error)" \
  "o=\$(outcome_of_cell '$run' 1); [ -n \"\$o\" ] && [ \"\$o\" != error ]"
