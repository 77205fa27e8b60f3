#!/bin/sh
# Every mistake caught before anything starts. For each hostile profile, made
# from a small local profile (one guest, one short cell, as run_local.sh), both
# `lockmap run -n` and `lockmap run` exit 2 for a mistake in the profile and 3
# for what this host lacks, name file:line and the key, and make no run
# directory: no guest booted, nothing journaled, no knob touched. `lockmap lab`
# (and `lab -n`, `run -n` of a target = lab profile) makes the profile checks,
# and the cpus against the lab host's, before it locks, builds or boots
# anything. Prints TAP lines. LOCKMAP_BIN runs another build (an older
# lockmap, to see each case fail there).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp

if [ ! -x "$lm" ]; then
  skip "checks before anything starts" "$lm missing: run make"
  exit 0
fi
esc=$(printf '\033')

# The first cpu under 64 that is not online here, or nothing.
offline_cpu() {
  tr ',' '\n' </sys/devices/system/cpu/online 2>/dev/null | awk -F- '
    { lo = $1; hi = NF > 1 ? $2 : $1; for (c = lo; c <= hi; c++) on[c] = 1 }
    END { for (c = 0; c < 64; c++) if (!(c in on)) { print c; exit } }'
}

# profile NAME: the small local profile, then stdin ([guests] is open, line 7 next).
profile() {
  {
    printf '[run]\ncell_seconds = 1s\nwarmup = 0\ncooldown = 0\n[guests]\ncount = 1\n'
    cat
  } >"$tmp/$1.profile"
}

# show FILE: its first lines as TAP comments, control bytes made visible.
show() { head -n 3 "$1" | cat -v | sed 's/^/# /'; }

# refused NAME EXIT LINE KEY: `run -n` and `run` of NAME.profile exit EXIT,
# name NAME.profile:LINE and KEY, print no ESC byte, and make no run directory.
refused() {
  prof="$tmp/$1.profile"
  for flag in -n ""; do
    res="$tmp/res-$1${flag:+-dry}"
    # shellcheck disable=SC2086 # $flag is one word or none
    "$lm" run $flag -o "$res" "$prof" >"$tmp/out" 2>&1
    rc=$?
    show "$tmp/out"
    what="$1: run${flag:+ $flag}"
    check "$what exits $2 (got $rc)" "[ $rc -eq $2 ]"
    check "$what names $1.profile:$3 and $4" "grep -qF -- '$prof:$3: $4: ' '$tmp/out'"
    check "$what prints no ESC byte" "! grep -q '$esc' '$tmp/out'"
    check "$what made no run directory (no guest, no journal)" "[ ! -e '$res' ]"
  done
}

# --- a mistake in the profile: exit 2 ------------------------------------------
printf 'period = 1ms\n[inject.throttle]\nquota = 500us\n' | profile quota
refused quota 2 9 "[inject.throttle] quota"
printf 'period = 1ms\n[inject.throttle]\nquota = 0, 2ms, 999us\n' | profile quota-axis
refused quota-axis 2 9 "[inject.throttle] quota"
printf 'period = 1ms\n[host]\nsysctl.kernel/../hostname = x\n' | profile sysctl-slash
refused sysctl-slash 2 9 "[host] sysctl.kernel/../hostname"
printf 'period = 1ms\n[host]\nsysctl.kernel..hostname = x\n' | profile sysctl-dots
refused sysctl-dots 2 9 "[host] sysctl.kernel..hostname"
printf 'period = 1ms\n[host]\nkvm.a/b = 1\n' | profile kvm-slash
refused kvm-slash 2 9 "[host] kvm.a/b"
# Inside the profile key's range (1us..1s), outside tickguest's (10us..10s).
printf 'period = 1ms, 5us\n' | profile period
refused period 2 7 "[guests] period"
printf 'period = 1ms\n[inject.nmi]\ncpus = 0-1\nsender = 1\nrate = 100hz\n' | profile nmi-sender
refused nmi-sender 2 10 "[inject.nmi] sender"
printf 'period = 1ms\n[host]\nsysctl.kernel.lockmap_no_such_knob = caf\351\n' | profile not-utf8
refused not-utf8 2 9 "[host] sysctl.kernel.lockmap_no_such_knob"
check "not-utf8: the byte is shown escaped, never raw" \
  "grep -qF 'caf\\xe9' '$tmp/out' && ! grep -q \"\$(printf '\\351')\" '$tmp/out'"
printf 'period = 1ms\n[host]\nsysctl.kernel.lockmap_no_such_knob = \033]0;owned\007\n' |
  profile escape-value
refused escape-value 2 9 "[host] sysctl.kernel.lockmap_no_such_knob"
printf 'period = 1ms\ntimer = periodic\033[2J\n' | profile escape-echoed
refused escape-echoed 2 8 "[guests] timer"
check "escape-echoed: the sequence is shown escaped" "grep -qF '\\x1b[2J' '$tmp/out'"

# --- what this host lacks: exit 3 ------------------------------------------------
printf 'period = 1ms\n[host]\nsysctl.kernel.lockmap_no_such_knob = 1\n' | profile sysctl-missing
refused sysctl-missing 3 9 "[host] sysctl.kernel.lockmap_no_such_knob"
printf 'period = 1ms\n[host]\nkvm.lockmap_no_such_param = 1\n' | profile kvm-missing
refused kvm-missing 3 9 "[host] kvm.lockmap_no_such_param"
off=$(offline_cpu)
if [ -n "$off" ]; then
  printf 'period = 1ms\npin = 0 | %s\n' "$off" | profile pin-offline
  refused pin-offline 3 8 "[guests] pin"
  printf 'period = 1ms\n[inject.irqoff]\ncpus = %s\nduration = 1ms\n' "$off" | profile cpus-offline
  refused cpus-offline 3 9 "[inject.irqoff] cpus"
else
  skip "a pin or cpus naming a cpu that is not online" "cpus 0-63 are all online here"
fi

# --- a period under kvm's min_timer_period_us is accepted, and said ---------------
min=$(cat /sys/module/kvm/parameters/min_timer_period_us 2>/dev/null)
if [ -n "$min" ] && [ "$min" -gt 10 ]; then
  printf 'period = 10us\n' | profile clamp
  "$lm" run -n -o "$tmp/res-clamp" "$tmp/clamp.profile" >"$tmp/out" 2>&1
  rc=$?
  show "$tmp/out"
  check "clamp: a period under min_timer_period_us ($min) passes run -n (got $rc)" "[ $rc -eq 0 ]"
  check "clamp: run -n says KVM clamps it to ${min}us" \
    "grep -qF '$tmp/clamp.profile:7: [guests] period: 10us is below kvm' '$tmp/out' &&
     grep -qF 'clamps a periodic LAPIC timer to ${min}us' '$tmp/out'"
else
  skip "a period under kvm's min_timer_period_us" "kvm is not loaded here"
fi

# --- lockmap lab: the profile checks, and the lab host's cpus, come first ----------
# A kernel image that does not exist: nothing can be built or booted, so a lab
# that gets past the checks stops at the image, with another message.
for c in quota nmi-sender; do
  "$lm" lab --kernel "$tmp/no-such-bzImage" -o "$tmp/res-lab-$c" "$tmp/$c.profile" >"$tmp/out" 2>&1
  rc=$?
  show "$tmp/out"
  check "lab $c: exits 2 (got $rc) naming $c.profile and the key before the image" \
    "[ $rc -eq 2 ] && grep -qF '$tmp/$c.profile:' '$tmp/out' && ! grep -q 'no-such-bzImage' '$tmp/out'"
  check "lab $c: made no run directory" "[ ! -e '$tmp/res-lab-$c' ]"
done
printf 'period = 1ms\npin = 3\n' | profile lab-pin
"$lm" lab --cpus 2 --kernel "$tmp/no-such-bzImage" -o "$tmp/res-lab-pin" "$tmp/lab-pin.profile" \
  >"$tmp/out" 2>&1
rc=$?
show "$tmp/out"
check "lab pin = 3 with --cpus 2: exits 3 (got $rc), the lab host's cpus named" \
  "[ $rc -eq 3 ] && grep -qF '$tmp/lab-pin.profile:8: [guests] pin: cpu 3 is not a cpu of the lab host' '$tmp/out'"
check "lab pin: made no run directory" "[ ! -e '$tmp/res-lab-pin' ]"
# -n makes the same checks: `lab -n`, and `run -n` of a target = lab profile.
"$lm" lab -n "$tmp/quota.profile" >"$tmp/out" 2>&1
rc=$?
show "$tmp/out"
check "lab -n quota: exits 2 (got $rc) naming quota.profile:9 and the key" \
  "[ $rc -eq 2 ] && grep -qF '$tmp/quota.profile:9: [inject.throttle] quota: ' '$tmp/out'"
sed '1a target = lab' "$tmp/lab-pin.profile" >"$tmp/lab-target.profile"
"$lm" run -n "$tmp/lab-target.profile" >"$tmp/out" 2>&1
rc=$?
show "$tmp/out"
check "run -n of a target = lab profile with pin = 3: exits 3 (got $rc), the lab host's cpus named" \
  "[ $rc -eq 3 ] && grep -qF '$tmp/lab-target.profile:9: [guests] pin: cpu 3 is not a cpu of the lab host' '$tmp/out'"
exit 0
