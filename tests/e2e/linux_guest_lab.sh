#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# payload = linux inside a lab host, under its nested KVM (`-cpu
# host,-tsc-deadline,-xsave`): one guest whose tick is periodic on the LAPIC reports
# it and its LOC rate; one booted with highres=on nohz=on fails its cell with
# the guest's line (tests/data/profiles/e2e/lab-linux.profile). The inner
# lockmap builds the guests' initramfs from the recipe that travels in the
# lab's initramfs, into a cache on the lab's tmpfs. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
lm=build/lockmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

lab_ready "linux guest in a lab"
if [ ! -r "/boot/config-$kver" ]; then
  skip "linux guest in a lab" "/boot/config-$kver missing: the guest's CONFIG_HZ comes from it"
  exit 0
fi
hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$kver")
if [ "$hz" != 250 ]; then
  skip "linux guest in a lab" "the profile is written for HZ=250; $kver has HZ=$hz"
  exit 0
fi

"$lm" lab --tcg-thread single -q -o "$tmp/r" tests/data/profiles/e2e/lab-linux.profile \
  >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
run="$tmp/r/latest"
j="$run/journal.jsonl"
# The guests' consoles say how far a guest got that printed no banner.
for f in "$run"/cells/*/guest-0.log; do
  [ -f "$f" ] && tail -n 5 "$f" | sed "s|^|# $(basename "$(dirname "$f")") guest: |"
done
col() {
  awk -F, -v r="$1" -v name="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
    NR == r + 1 { print $c }' "$run/cells.csv"
}
o1=$(col 1 outcome)
o2=$(col 2 outcome)
check "the lab run ends with exit 1: the oneshot cell is an error (got $rc)" "[ $rc -eq 1 ]"
check "the periodic cell is clean or degraded (got $o1)" "[ '$o1' = clean ] || [ '$o1' = degraded ]"
check "  under the lab's KVM with host,-tsc-deadline,-xsave" "grep -q '\"host,-tsc-deadline,-xsave\"' '$j'"
check "  its guest found the LAPIC tick periodic at HZ=250" \
  "grep '\"guests_start\"' '$j' | grep -q '\"clockevent\":\"lapic\",\"tick_mode\":\"periodic\",\"hz\":250'"
rate=$(grep '"cell_end"' "$j" | head -n 1 | sed -n 's/.*"ticks_per_s":\([0-9]*\).*/\1/p')
echo "# LOC rate in the lab: ${rate:-none}/s"
check "  and its LOC rate is in the journal, 25..500/s (got ${rate:-none})" \
  "[ -n '$rate' ] && [ '$rate' -ge 25 ] && [ '$rate' -le 500 ]"
check "the highres=on cell is an error (got $o2)" "[ '$o2' = error ]"
check "  with the guest's line" "grep -q 'error what=tick-not-periodic cpu=0 clockevent=lapic' '$run/cells.csv'"
exit 0
