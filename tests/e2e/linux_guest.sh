#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# payload = linux end to end on this host under TCG: `lockmap run` boots the
# distribution kernel with guests/linux's busybox initramfs, the guest finds
# its tick periodic on the LAPIC and reports its local timer interrupts
# (LOC), which land in the journal and cells.csv like tickguest's ticks; the
# same guest booted with highres=on nohz=on (its tick goes oneshot) makes the
# cell an error with the guest's line; a period other than the kernel's tick
# is refused with file:line before anything starts. Speaks TAP.
# A Linux boot under TCG takes 3-58 s here (guests/linux/README.md): 34 s
# to 2 minutes in all.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state
export LOCKMAP_CACHE="$tmp/cache"

needs_root "linux guest end to end" "/dev/kmsg, cgroups"
if [ ! -x "$lm" ] || [ ! -f build/tickguest.elf ]; then
  skip "linux guest end to end" "build/lockmap or build/tickguest.elf missing: run make"
  exit 0
fi
kernel=/boot/vmlinuz-$(uname -r)
if [ ! -r "$kernel" ]; then
  for img in /boot/vmlinuz-*; do kernel=$img; done
fi
rel=${kernel#/boot/vmlinuz-}
if [ ! -r "$kernel" ] || [ ! -r "/boot/config-$rel" ]; then
  skip "linux guest end to end" "no readable /boot/vmlinuz-* with its /boot/config-*: apt-get install linux-image-amd64"
  exit 0
fi
if [ ! -x /bin/busybox ] || ! command -v qemu-system-x86_64 >/dev/null; then
  skip "linux guest end to end" "busybox-static or qemu-system-x86 missing: scripts/install-deps.sh"
  exit 0
fi
hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$rel")
period_us=$((1000000 / hz))

# profile NAME [LINE...]: a one-cell linux profile in $tmp/NAME.profile.
profile() {
  name=$1
  shift
  {
    printf '[run]\nname = %s\ncell_seconds = 6s\nwarmup = 1s\ncooldown = 1s\n' "$name"
    printf '[guests]\npayload = linux\nlinux_kernel = %s\ncount = 1\n' "$kernel"
    printf 'period = %sus\nmemory = 128M\npin = 0\ntick_loss = 50%%\n' "$period_us"
    for l in "$@"; do printf '%s\n' "$l"; done
  } >"$tmp/$name.profile"
}

# --- lockmap check says what payload linux would boot -----------------------
"$lm" check >"$tmp/check.out" 2>&1
grep 'linux-guest' "$tmp/check.out" | sed 's/^/# /'
check "lockmap check: linux-guest ok with the kernel and CONFIG_HZ=$hz" \
  "grep -q '^ok  *linux-guest .*CONFIG_HZ=$hz (period = ${period_us}us)' '$tmp/check.out'"

# --- a period other than the tick: refused before anything starts -----------
profile wrong
sed -i "s/^period = .*/period = $((period_us + 1))us/" "$tmp/wrong.profile"
"$lm" run -o "$tmp/wres" "$tmp/wrong.profile" >"$tmp/wrong.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/wrong.out"
check "a period other than the kernel's tick exits 2 (got $rc)" "[ $rc -eq 2 ]"
check "  naming file:line, CONFIG_HZ=$hz and the period to set" \
  "grep -q 'wrong.profile:10: \[guests\] period: .*CONFIG_HZ=$hz.*set period = ${period_us}us' '$tmp/wrong.out'"
check "  and starting nothing" "[ ! -d '$tmp/wres' ]"

# --- a periodic tick: the cell reports the clock event device and LOC --------
profile periodic
"$lm" run -o "$tmp/res" "$tmp/periodic.profile" >"$tmp/p.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/p.out"
run="$tmp/res/latest"
j="$run/journal.jsonl"
check "a linux cell runs, exit 0 (got $rc)" "[ $rc -eq 0 ]"
out=$(outcome_of "$run/cells.csv")
check "its outcome is clean or degraded (TCG loses ticks under load; got $out)" \
  "[ '$out' = clean ] || [ '$out' = degraded ]"
check "the initramfs was built into the cache" \
  "ls '$tmp/cache/linux/$rel-'*/initramfs.cpio.gz >/dev/null 2>&1"
check "QEMU got the kernel, the initramfs, no TSC-deadline and nohz=off highres=off" \
  "grep -q '\"-kernel\",\"$kernel\",\"-initrd\"' '$j' && grep -q 'max,-tsc-deadline' '$j' &&
   grep -q 'nohz=off highres=off' '$j'"
check "guests_start shows the guest's periodic LAPIC tick at HZ=$hz" \
  "grep '\"guests_start\"' '$j' | grep -q '\"banner\":\"linuxguest\",\"period_us\":$period_us,\"timer\":\"periodic\",\"clockevent\":\"lapic\",\"tick_mode\":\"periodic\",\"hz\":$hz'"
rate=$(grep '"cell_end"' "$j" | sed -n 's/.*"ticks_per_s":\([0-9]*\).*/\1/p')
echo "# LOC rate ${rate:-none}/s, HZ $hz"
# A guest whose tick stopped or never ran shows 0; one a loaded TCG host
# starves, or whose boot calibrated the LAPIC against a starved HPET, less
# than HZ: a tenth of HZ is the floor here, twice HZ the ceiling.
check "cell_end has the guest's LOC rate, HZ/10..2HZ (got ${rate:-none}/s)" \
  "[ -n '$rate' ] && [ '$rate' -ge $((hz / 10)) ] && [ '$rate' -le $((hz * 2)) ]"
ticks=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ticks") c = i } NR == 2 { print $c }' "$run/cells.csv")
check "cells.csv counts the LOC interrupts as ticks (got ${ticks:-none})" \
  "[ -n '$ticks' ] && [ '$ticks' -gt 0 ]"
check "the guest log has the banner and LOC reports" \
  "grep -q '^linuxguest .*clockevent=lapic tick_mode=periodic' '$run'/cells/*/guest-0.log &&
   [ \$(grep -c '^tick seq=.* loc=' '$run'/cells/*/guest-0.log) -ge 3 ]"

# --- highres=on nohz=on: the tick goes oneshot, the cell fails with the line --
profile oneshot 'linux_append = quiet highres=on nohz=on'
"$lm" run -o "$tmp/ores" "$tmp/oneshot.profile" >"$tmp/o.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/o.out"
orun="$tmp/ores/latest"
out=$(outcome_of "$orun/cells.csv")
check "a guest whose tick is not periodic fails the run, exit 1 (got $rc)" "[ $rc -eq 1 ]"
check "  its cell is an error (got $out)" "[ '$out' = error ]"
check "  with the guest's line as the cause in cells.csv" \
  "grep -q 'linux reported: error what=tick-not-periodic cpu=0 clockevent=lapic tick_mode=oneshot handler=hrtimer_interrupt' '$orun/cells.csv'"
check "no guest QEMU left running" "! guests_running"
exit 0
