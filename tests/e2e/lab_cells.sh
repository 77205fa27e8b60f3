#!/bin/sh
# The injectors and monitors of the helper module in a lab host, through
# `lockmap lab`: a cell with nothing injected reports no lockup, a 12 s irq-off section
# is a hard lockup (the module's buddy detector: TCG lab hosts have no PMU) and
# leaves a catch-up chain in the apic_timer_fn probe, an NMI storm with a 3 ms
# residency gives nmi_slow events. Prints TAP; the runner counts the lines.
set -u
# Every lab here has one guest: single-threaded TCG, where multi-threaded TCG
# stalled lab hosts now and then (harness/lab/README.md, "Stalls").
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
lm=build/lockmap
e2e_tmp

lab_ready "lab cells"

# lab PROFILE DIR: run it once and show what it printed. No rerun: a lab
# host that stops answering by itself is a failure here, not noise
# (harness/lab/README.md has the stall counts behind the lab's QEMU options).
lab() {
  "$lm" lab --tcg-thread single -q -o "$2" "$1" >"$2.out" 2>&1
  rc=$?
  sed 's/^/# /' "$2.out"
  return $rc
}

lab tests/data/profiles/e2e/lab-cells.profile "$tmp/r1"
rc=$?
csv="$tmp/r1/latest/cells.csv"
check "lab run of 2 irq-off cells exits 0 (got $rc)" "[ $rc -eq 0 ]"
o1=$(csv_col "$csv" 1 outcome)
o2=$(csv_col "$csv" 2 outcome)
# Measured here: under TCG the lab host itself prints "hrtimer: interrupt took
# N ns" now and then with a nested guest ticking, which makes the cell
# degraded; what must hold is that nothing injected reports no lockup.
h=$(csv_col "$csv" 1 hardlockup)
s=$(csv_col "$csv" 1 softlockup)
r=$(csv_col "$csv" 1 rcu_stall)
l1=$(( ${h:-0} + ${s:-0} + ${r:-0} ))
check "the cell with nothing injected reports no lockup (outcome $o1, $l1 lockup events)" \
  "[ $l1 -eq 0 ] && [ '$o1' != error ]"
check "the 12 s irq-off cell is hardlockup (got $o2)" "[ '$o2' = hardlockup ]"
check "  the hard lockup came from the buddy detector, for cpu 1" \
  "grep '\"kind\":\"hardlockup\"' '$tmp/r1/latest/journal.jsonl' | grep -q 'buddy: Watchdog detected hard LOCKUP on cpu 1'"
s2=$(csv_col "$csv" 2 softlockup)
# The section starts after a lead-in on a busy cpu ([inject.irqoff] lead_in =
# auto): the kernel's own soft-lockup detector must see it (8 s at thresh 4).
check "  and the kernel's own soft-lockup report came, for cpu 1 ($s2)" \
  "[ -n '$s2' ] && [ '$s2' -ge 1 ] && grep '\"kind\":\"softlockup\"' '$tmp/r1/latest/journal.jsonl' | grep -q 'CPU#1'"
chain=$(csv_col "$csv" 2 probe_max_chain)
lag=$(csv_col "$csv" 2 probe_max_lag_us)
check "  the probe saw a catch-up chain of 2 or more (chain $chain, lag $lag us)" \
  "[ -n '$chain' ] && [ '$chain' -ge 2 ] && [ '$lag' -ge 10000000 ]"
check "  the module measured one 12 s section" \
  "grep '\"type\":\"cell_end\"' '$tmp/r1/latest/journal.jsonl' | grep -q '\"sections\":1'"
irq=$(csv_col "$csv" 2 probe_max_irq_us)
# The section runs with interrupts off in a thread, not in an interrupt: the
# timer interrupt that comes after it is timed, not the 12 s before it.
check "  the probe timed the longest timer interrupt, and the section is not one ($irq us)" \
  "[ -n '$irq' ] && [ '$irq' -gt 0 ] && [ '$irq' -lt 10000000 ]"

lab tests/data/profiles/e2e/lab-nmi.profile "$tmp/r2"
rc=$?
csv="$tmp/r2/latest/cells.csv"
nmi=$(csv_col "$csv" 1 nmi_slow)
check "lab run of an NMI storm exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "  the storm with a 3 ms residency gave nmi_slow events ($nmi)" "[ -n '$nmi' ] && [ '$nmi' -ge 1 ]"
check "  the event names the module's handler" \
  "grep '\"kind\":\"nmi_slow\"' '$tmp/r2/latest/journal.jsonl' | grep -q 'lockmap_inject'"
check "no lab QEMU of this test left behind" "! pgrep -f 'lockmap-lab .*$tmp/' >/dev/null"
exit 0
