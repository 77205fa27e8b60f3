#!/bin/sh
# control-table.sh RUN [RUN...]: one row per cell and run, its outcomes over
# the repeats and what the probe measured, read from each run's journal.
#   outcomes  each outcome's count over the cell's repeats (hardlockup 2/3)
#   chain     longest apic_timer_fn chain in one hrtimer interrupt: the
#             smallest and largest over the repeats that measured it
#   calls/s   apic_timer_fn calls per second on the watched cpus (median)
#   lag       largest lag of a call behind its timer's expiry (largest)
#   irq       longest local timer interrupt, entry to exit (largest; "-" from
#             a lockmap before uAPI 4)
#   tick gap  longest time a guest went without a tick (largest)
#   hard/soft/rcu/hrt  lockup, RCU stall and hrtimer-hang reports (sums)
# The kernel is the lab host's release (lab-host.json). Runs with the same
# cells (make control's fixed and unfixed runs) are printed cell by cell.
set -eu
[ $# -ge 1 ] || { echo "usage: control-table.sh RUN [RUN...]" >&2; exit 2; }
for r in "$@"; do
	[ -f "$r/journal.jsonl" ] || { echo "control-table: $r has no journal.jsonl" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "control-table: jq is not installed (apt-get install jq)" >&2; exit 2; }

for r in "$@"; do
	kernel=$(jq -r '.kernel // "?"' "$r/lab-host.json" 2>/dev/null || echo "?")
	# A torn line (a run cut by a kill) is left out, not fatal.
	jq -R -c --arg kernel "$kernel" 'fromjson? // empty | select(.type == "cell_start" or .type == "cell_end")
		| . + {kernel: $kernel}' "$r/journal.jsonl"
done | jq -r -s '
	def fmt: if . == null then "-" elif . >= 10000 then "\(. / 1000 | floor)k" else tostring end;
	def lagfmt: if . == null then "-" elif . >= 1000000 then "\(. / 100000 | round / 10)s"
		elif . >= 1000 then "\(. / 100 | round / 10)ms" else "\(.)us" end;
	def median: sort | if length == 0 then null else .[length / 2 | floor] end;
	(map(select(.type == "cell_start") | {key: "\(.kernel) \(.cell)", value: ((.params // {}) + (.axes // {}))}) | from_entries) as $axes
	| [ .[] | select(.type == "cell_end") ]
	| group_by(.kernel + " " + .cell)
	| map(. as $reps
		| ($reps[0].kernel + " " + $reps[0].cell) as $k
		| ($reps | map(.summary.probe // null) | map(select(. != null))) as $p
		| {
			kernel: $reps[0].kernel,
			index: ($reps | map(.index) | min),
			count: ($axes[$k]["guests.count"] // "-"),
			period: ($axes[$k]["guests.period"] // "-"),
			irqoff: ($axes[$k]["inject.irqoff.duration"] // "-"),
			outcomes: ($reps | group_by(.outcome) | map("\(.[0].outcome) \(length)/\($reps | length)")
				| join(", ")),
			chain: (if ($p | length) == 0 then "-" else
				($p | map(.max_chain) | min | fmt) + ".." + ($p | map(.max_chain) | max | fmt) end),
			calls: ($p | map(.calls_per_s) | median | if . == null then null else round end | fmt),
			lag: ($p | map(.max_lag_us) | max | lagfmt),
			irq: ($p | map(.max_irq_us // null) | map(select(. != null)) | max | lagfmt),
			gap: ($reps | map(select((.summary.expected // 0) > 0) | .summary.maxgap_us) | max | lagfmt),
			ev: ([ "hardlockup", "softlockup", "rcu_stall", "hrtimer_hang" ]
				| map(. as $e | $reps | map(.events[$e] // 0) | add) | map(tostring) | join("/"))
		})
	| sort_by(.index, .kernel)
	| [ [ "kernel", "guests", "period", "irqoff", "outcomes (of repeats)", "chain", "calls/s", "lag", "irq", "tick gap",
	      "hard/soft/rcu/hrt" ] ]
	  + map([ .kernel, .count, .period, .irqoff, .outcomes, .chain, .calls, .lag, .irq, .gap, .ev ])
	| (transpose | map(map(length) | max)) as $w
	| .[] | [ range(0; length) as $i | .[$i] + " " * ($w[$i] - (.[$i] | length)) ]
	| join("  ") | sub(" +$"; "")
'
