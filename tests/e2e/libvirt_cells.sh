#!/bin/sh
# The libvirt launcher end to end, through a real libvirtd (started here by
# scripts/start-libvirtd.sh when it is not running, and then stopped at the
# end): a plain TCG cell whose guests report ticks from transient domains; a
# pause cell whose pauses show in the guest's metrics; a domain destroyed
# behind lockmap's back, seen at once through libvirt's lifecycle events;
# and a lockmap killed with SIGKILL mid-cell, whose domains `lockmap check`
# lists and the next `lockmap run` destroys. virsh is this test's eyes only:
# lockmap itself uses the C API. The state directory (the host lock) is the
# test's. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

what="lockmap run with launcher = libvirt"
needs_root "$what" "qemu:///system, /dev/kmsg"
if [ ! -x "$lm" ] || [ ! -f build/tickguest.elf ]; then
  skip "$what" "build/lockmap or build/tickguest.elf missing: run make"
  exit 0
fi
e2e_tmp
# The daemons that scripts/start-libvirtd.sh started for this test ("NAME
# PID" lines) are stopped when it ends; those that ran before are left alone.
started=$(sh scripts/start-libvirtd.sh 2>"$tmp/libvirtd.err")
rc=$?
# libvirtd_stop: SIGTERM to each daemon this test started, libvirtd first (it
# logs through virtlogd), if its pid is still that daemon; wait (10 s each)
# until it is gone.
libvirtd_stop() {
  for d in libvirtd virtlogd; do
    pid=$(printf '%s\n' "$started" | awk -v d="$d" '$1 == d { print $2 }')
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$d" ]; then
      continue
    fi
    kill "$pid"
    w=0
    while [ -d "/proc/$pid" ] && [ $w -lt 100 ]; do
      sleep 0.1
      w=$((w + 1))
    done
  done
}
trap 'libvirtd_stop; rm -rf "$tmp"' EXIT INT TERM
if [ $rc -ne 0 ]; then
  skip "$what" "libvirtd cannot be started here: $(cat "$tmp/libvirtd.err")"
  exit 0
fi
printf '%s\n' "$started" | sed -n 's/^./# started for this test: &/p'

e2e_own_state
uri=qemu:///system

# domains PATTERN: the running domains whose name matches PATTERN (grep -E).
domains() { virsh -q -c "$uri" list --name 2>/dev/null | grep -E "$1"; }
ndomains() { domains "$1" | grep -c .; }
# The cell_end record of the newest run under DIR, into FILE.
cell_end() { grep '"type":"cell_end"' "$1/latest/journal.jsonl" | tail -n 1 >"$2"; }

profile() { # NAME COUNT SECONDS [EXTRA...]: a libvirt profile on stdout
  name=$1 count=$2 secs=$3
  shift 3
  printf '[run]\nname = %s\ncell_seconds = %s\nwarmup = 1s\ncooldown = 1s\n' "$name" "$secs"
  # TCG on a shared machine loses ticks: the loss is not what is tested here.
  printf '[guests]\nlauncher = libvirt\ncount = %s\nperiod = 1ms\ntick_loss = 100%%\n' "$count"
  for l in "$@"; do printf '%s\n' "$l"; done
}

# --- `lockmap check` sees libvirtd -------------------------------------------
"$lm" check >"$tmp/check0.out" 2>&1
sed 's/^/# /' "$tmp/check0.out" | grep -E 'libvirt'
check "check: libvirtd reachable, nothing left" \
  "grep -Eq '^ok +libvirt +libvirtd [0-9.]+ at qemu:///system; no lockmap- domain' '$tmp/check0.out'"
check "check: launcher.libvirt usable" "grep -Eq '^ok +launcher.libvirt +usable' '$tmp/check0.out'"

# --- a plain cell: two guests, ticks reported through the serial file ---------
profile plain 2 4s "pin = 0-1" >"$tmp/plain.profile"
"$lm" run -o "$tmp/res" "$tmp/plain.profile" >"$tmp/plain.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/plain.out"
run=$tmp/res/latest
end=$tmp/plain.end
cell_end "$tmp/res" "$end"
check "plain libvirt cell exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "guests_start says launcher libvirt, 2 of 2 up" \
  "grep '\"type\":\"guests_start\"' '$run/journal.jsonl' | jq -e '.launcher == \"libvirt\" and .up == 2' >/dev/null"
check "each guest's serial file has tick reports" \
  "[ \$(grep -l '^tick seq=' '$run'/cells/*/guest-0.log '$run'/cells/*/guest-1.log | wc -l) -eq 2 ]"
ticks=$(jq '.metrics.guests | map(.ticks) | min' "$end")
check "both guests' metrics count ticks (fewest: $ticks)" "[ '${ticks:-0}' -gt 0 ]"
check "the domains were lockmap-<run>-<cell>-g<N>, vCPUs pinned to cpus 0 and 1" \
  "jq -e '(.metrics.launcher.guests | map(.domain | test(\"^lockmap-.*-g[01]$\")) | all) and (.metrics.launcher.guests | map(.pins[0])) == [0, 1]' '$end' >/dev/null"
check "the XML carries lockmap's metadata with lockmap's pid" \
  "jq -r .metrics.launcher.xml '$end' | grep -q 'xmlns:lockmap=\"urn:lockmap:domain:1\"'"
check "QEMU's log kept in the cell directory" "grep -q 'starting up libvirt' '$run'/cells/*/qemu-0.log"
check "no lockmap- domain left after the run" "[ \$(ndomains '^lockmap-') -eq 0 ]"

# --- a Linux guest through libvirt: guests/libvirt/linux.xml, periodic tick ---
kernel=/boot/vmlinuz-$(uname -r)
[ -r "$kernel" ] || for img in /boot/vmlinuz-*; do kernel=$img; done
rel=${kernel#/boot/vmlinuz-}
if [ ! -r "$kernel" ] || [ ! -r "/boot/config-$rel" ] || [ ! -x /bin/busybox ]; then
  skip "a linux guest through libvirt" "no readable /boot/vmlinuz-* with its config, or no busybox-static"
else
  hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$rel")
  {
    printf '[run]\nname = lvlinux\ncell_seconds = 6s\nwarmup = 1s\ncooldown = 1s\n'
    printf '[guests]\nlauncher = libvirt\npayload = linux\nlinux_kernel = %s\ncount = 1\nperiod = %sus\n' "$kernel" $((1000000 / hz))
    printf 'memory = 128M\npin = 0\ntick_loss = 100%%\n'
  } >"$tmp/lvlinux.profile"
  "$lm" run -o "$tmp/lres" "$tmp/lvlinux.profile" >"$tmp/lvlinux.out" 2>&1
  rc=$?
  sed 's/^/# /' "$tmp/lvlinux.out"
  run=$tmp/lres/latest
  check "a linux guest through libvirt: exit 0 (got $rc)" "[ $rc -eq 0 ]"
  check "  its domain came from linux.xml, with the initramfs and no TSC-deadline" \
    "grep '\"type\":\"cell_end\"' '$run/journal.jsonl' | jq -r .metrics.launcher.xml |
     grep -q '<initrd>.*initramfs.cpio.gz</initrd>' &&
     grep '\"type\":\"cell_end\"' '$run/journal.jsonl' | jq -r .metrics.launcher.xml |
     grep -q \"<feature policy=.disable. name=.tsc-deadline./>\""
  check "  guests_start shows the guest's periodic LAPIC tick at HZ=$hz" \
    "grep '\"type\":\"guests_start\"' '$run/journal.jsonl' | jq -e '.launcher == \"libvirt\" and .guests[0].clockevent == \"lapic\" and .guests[0].tick_mode == \"periodic\" and .guests[0].hz == $hz' >/dev/null"
  rate=$(grep '"type":"cell_end"' "$run/journal.jsonl" | jq '.metrics.guests[0].ticks_per_s // 0 | floor')
  check "  and a LOC rate in cell_end, HZ/10..2HZ (got $rate/s)" \
    "[ '$rate' -ge $((hz / 10)) ] && [ '$rate' -le $((hz * 2)) ]"
fi

# --- a pause cell: virDomainSuspend/Resume show in the guest's metrics --------
profile pause 1 6s "[inject.pause]" "length = 3s" "gap = 2s" >"$tmp/pause.profile"
"$lm" run -q -o "$tmp/pres" "$tmp/pause.profile" >"$tmp/pause.out" 2>&1
rc=$?
end=$tmp/pause.end
cell_end "$tmp/pres" "$end"
printf '# %s\n' "$(jq -c '[.injectors.pause, .metrics.guests]' "$end")"
pauses=$(jq '.injectors.pause.pauses' "$end")
# The guest's metrics must account for the time it was paused. Under TCG
# QEMU stops the guest's TSC while the VM is stopped, so tickguest's own clock
# (its expected ticks, 1 ms each, less the silence the harness added) covers
# only the time it ran; under KVM the TSC runs on and the paused time shows
# as lost ticks. 1 s of slack.
guest_ms=$(jq '.metrics.guests[0] | (.expected - .silent_s * 1000) | floor' "$end")
paused_ms=$(jq '.injectors.pause.paused_ns / 1000000 | floor' "$end")
lost=$(jq '.metrics.guests[0].lost' "$end")
accel=$(jq -r '.metrics.launcher.accel' "$end")
if [ "$accel" = kvm ]; then
  shows="[ \$((lost + 1000)) -ge $paused_ms ]"
else
  shows="[ \$((guest_ms + paused_ms)) -le 7000 ]"
fi
check "pause cell ran (exit $rc), the injector paused $pauses time(s) for ${paused_ms} ms, no errors" \
  "[ $rc -le 1 ] && [ '${pauses:-0}' -ge 1 ] && [ '${paused_ms:-0}' -ge 3000 ] && jq -e '.injectors.pause.errors == 0' '$end' >/dev/null"
check "the guest's metrics show the pause ($accel): its clock ran ${guest_ms} ms of the 6000 ms window, lost ${lost} ticks" \
  "$shows"

# --- a domain destroyed by someone else: the lifecycle event ends it at once --
profile gone 1 20s >"$tmp/gone.profile"
"$lm" run -q -o "$tmp/gres" "$tmp/gone.profile" >"$tmp/gone.out" 2>&1 &
pid=$!
wait_records "$tmp/gres" guests_start 1
sleep 1
dom=$(domains "^lockmap-.*-gone-" | head -n 1)
# virsh returns once QEMU is gone, when libvirtd sends the STOPPED event;
# the journal gets guest_exit at the next poll of the cell's loop (100 ms).
virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1
t0=$(date +%s%N)
w=0
while [ $w -lt 100 ] && ! grep -q '"type":"guest_exit"' "$tmp/gres/latest/journal.jsonl"; do
  sleep 0.05
  w=$((w + 1))
done
ms=$((($(date +%s%N) - t0) / 1000000))
wait $pid
exitrec=$tmp/gone.exit
grep '"type":"guest_exit"' "$tmp/gres/latest/journal.jsonl" >"$exitrec"
sed 's/^/# /' "$exitrec"
check "destroyed domain $dom: guest_exit journaled within 1 s of its end (${ms} ms)" \
  "[ -s '$exitrec' ] && [ $ms -lt 1000 ]"
check "its why says the domain was destroyed" \
  "jq -e '.why | test(\"destroyed\")' '$exitrec' >/dev/null"
check "the cell is an error naming the exit" \
  "[ \"\$(outcome_of '$tmp/gres/latest/cells.csv')\" = error ] && grep -q 'exited during the cell' '$tmp/gres/latest/cells.csv'"

# --- SIGKILL mid-cell: check lists the domains, the next run destroys them ----
profile killed 2 60s >"$tmp/killed.profile"
"$lm" run -q -o "$tmp/kres" "$tmp/killed.profile" >"$tmp/killed.out" 2>&1 &
pid=$!
wait_records "$tmp/kres" guests_start 1
kill -9 $pid
wait $pid 2>/dev/null
left=$(ndomains "^lockmap-.*-killed-")
check "after kill -9 its 2 domains still run ($left)" "[ $left -eq 2 ]"
"$lm" check >"$tmp/check1.out" 2>&1
sed 's/^/# /' "$tmp/check1.out" | grep -E 'libvirt|fix: lockmap check --restore, or'
check "check lists the 2 domains left, with lockmap's pid $pid and the fix" \
  "grep -Eq '^note +libvirt .*2 domains left by killed runs: lockmap-.*-killed-.*lockmap pid $pid' '$tmp/check1.out' && grep -q 'fix: lockmap check --restore, or the next lockmap run' '$tmp/check1.out'"
"$lm" run -o "$tmp/res2" "$tmp/plain.profile" >"$tmp/next.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/next.out" | grep -E 'destroyed|error'
check "the next run says each domain it destroyed (one line each)" \
  "[ \$(grep -c 'libvirt: destroyed domain lockmap-.*-killed-.* left by lockmap pid $pid' '$tmp/next.out') -eq 2 ]"
check "... and they are gone; it ran (exit $rc)" \
  "[ \$(ndomains '^lockmap-.*-killed-') -eq 0 ] && [ $rc -eq 0 ]"
check "its journal records what it ended (host_restore)" \
  "grep '\"type\":\"host_restore\"' '$tmp/res2/latest/journal.jsonl' | grep -q 'libvirt: ended 2'"
"$lm" check >"$tmp/check2.out" 2>&1
check "check is clean again" "grep -Eq '^ok +libvirt .*no lockmap- domain' '$tmp/check2.out'"

# --- the host as the test found it: the daemons it started are stopped --------
libvirtd_stop
for d in libvirtd virtlogd; do
  if printf '%s\n' "$started" | grep -q "^$d "; then
    check "$d, started for this test, is stopped" "! pgrep -x $d >/dev/null"
  else
    check "$d, running before this test, still runs" "pgrep -x $d >/dev/null"
  fi
done
started=""
exit 0
