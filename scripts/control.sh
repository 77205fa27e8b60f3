#!/bin/sh
# `make control`: the positive control. Build the lab kernel with and without
# KVM's periodic-timer catch-up fix (harness/lab/build-kernel.sh, cached after
# the first build), run the control profile in a lab host booted from each,
# and print their cells side by side (scripts/control-table.sh).
#   PROFILE   the profile (default profiles/catchup-control.profile)
#   OUT       where the two runs go (default results/control-<time>)
# Exit status: 0 when both runs completed, else the first failing step's.
set -u
cd "$(dirname "$0")/.." || exit 2
lm=build/lockmap
profile=${PROFILE:-profiles/catchup-control.profile}
out=${OUT:-results/control-$(date -u +%Y%m%d-%H%M%S)}

# The image is the last line of build-kernel.sh's standard output.
fixed=$(harness/lab/build-kernel.sh) || exit 3
unfixed=$(harness/lab/build-kernel.sh --unfixed) || exit 3
fixed=$(printf '%s\n' "$fixed" | tail -n 1)
unfixed=$(printf '%s\n' "$unfixed" | tail -n 1)

rc=0
for v in fixed unfixed; do
	if [ "$v" = fixed ]; then image=$fixed; else image=$unfixed; fi
	echo "== lockmap lab --kernel $image $profile"
	mkdir -p "$out/$v" || exit 3
	"$lm" lab --wait --kernel "$image" -o "$out/$v" "$profile"
	s=$?
	[ "$s" = 0 ] || [ "$rc" != 0 ] || rc=$s
	echo
done
echo "== $profile: fixed ($out/fixed/latest) and unfixed ($out/unfixed/latest)"
sh scripts/control-table.sh "$out/fixed/latest" "$out/unfixed/latest" || exit 3
exit "$rc"
