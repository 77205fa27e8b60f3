#!/bin/sh
# The demo: is this host ready, then the demo profiles in a lab host booted from
# the distribution kernel (profiles/demo.profile: tickguests at 200 us with
# irq-off sections of 0, 3 and 12 s; profiles/demo-nmi.profile: an NMI storm),
# and the table of what each cell gave.
set -u
cd "$(dirname "$0")/.." || exit 2
lm=build/lockmap

# table CSV: one line per cell with the columns a person looks at first.
table() {
  awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    function v(name) { return (name in col) ? $col[name] : "" }
    NR == 2 {
      printf "%-17s %-6s %-7s %-11s %6s %7s %6s %8s %5s %8s %10s\n", "cell", "guests", "irqoff",
        "outcome", "lost%", "hardlkp", "softlk", "nmi_slow", "chain", "calls/s", "maxlag_us"
    }
    {
      printf "%-17s %-6s %-7s %-11s %6s %7s %6s %8s %5s %8s %10s\n", v("cell_id"),
        v("guests.count") == "" ? "-" : v("guests.count"),
        v("inject.irqoff.duration") == "" ? "-" : v("inject.irqoff.duration"),
        v("outcome"), v("worst_loss_pct"), v("hardlockup"), v("softlockup"), v("nmi_slow"),
        v("probe_max_chain"), v("probe_calls_per_s"), v("probe_max_lag_us")
    }' "$1"
}

"$lm" check
echo
rc=0
for p in profiles/demo.profile profiles/demo-nmi.profile; do
  echo "== lockmap lab $p"
  "$lm" lab "$p" || rc=$?
  echo
  echo "cells of $(readlink results/latest):"
  table results/latest/cells.csv
  echo
done
exit "$rc"
