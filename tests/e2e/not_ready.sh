#!/bin/sh
# A host that lacks what a profile needs: exit 3 naming the package, before
# anything is started. And a run killed with SIGKILL: its knobs stay changed
# until `lockmap check --restore` puts them back.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=$PWD/build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp

# No QEMU on PATH.
mkdir "$tmp/bin"
env PATH="$tmp/bin" "$lm" run -o "$tmp/r1" profiles/smoke.profile >"$tmp/out" 2>&1
rc=$?
check "no QEMU: exit 3 (got $rc)" "[ $rc -eq 3 ]"
check "no QEMU: the message names the package" "grep -q 'apt-get install qemu-system-x86' '$tmp/out'"
check "no QEMU: no run directory was made" "[ ! -d '$tmp/r1' ]"

# QEMU but no stress-ng, with a profile that needs it.
ln -s "$(command -v qemu-system-x86_64)" "$tmp/bin/qemu-system-x86_64"
cat >"$tmp/stress.profile" <<'PROF'
[guests]
count = 1
period = 1ms
[inject.stress]
stressors = cpu
PROF
env PATH="$tmp/bin" "$lm" run -o "$tmp/r2" "$tmp/stress.profile" >"$tmp/out" 2>&1
rc=$?
check "no stress-ng: exit 3 (got $rc)" "[ $rc -eq 3 ]"
check "no stress-ng: the message names the package" "grep -q 'apt-get install stress-ng' '$tmp/out'"

# lockmap check says what is missing, with the fix, and exits 3.
env PATH="$tmp/bin" "$lm" check >"$tmp/out" 2>&1
check "check without stress-ng names it with its fix" "grep -q 'fix: apt-get install stress-ng' '$tmp/out'"

if [ "$(id -u)" -ne 0 ]; then
  skip "SIGKILL then check --restore" "needs root to change sysctls"
  exit 0
fi
e2e_own_state
old=$(cat /proc/sys/kernel/watchdog_thresh)
new=$((old == 7 ? 8 : 7))
cat >"$tmp/kill.profile" <<PROF
[run]
cell_seconds = 60s
warmup = 1s
[host]
watchdog_thresh = $new
[guests]
count = 1
period = 1ms
[inject.throttle]
quota = 50ms
PROF
"$lm" run -q -o "$tmp/r3" "$tmp/kill.profile" >"$tmp/out" 2>&1 &
pid=$!
# Kill it once the throttle injector has made its cgroup (the window is on).
i=0
while [ $i -lt 60 ] && ! lockmap_cgroups_left; do
  sleep 0.5
  i=$((i + 1))
done
sleep 1
kill -KILL $pid
wait $pid 2>/dev/null
sleep 1
check "after SIGKILL no guest QEMU is left (they die with lockmap)" \
  "! guests_running"
check "after SIGKILL the knob is still changed ($(cat /proc/sys/kernel/watchdog_thresh))" \
  "[ \"\$(cat /proc/sys/kernel/watchdog_thresh)\" = '$new' ]"
check "after SIGKILL a restore file is left" "[ -s '$tmp/state/knobs.restore' ]"
check "after SIGKILL its throttle cgroup is left" "lockmap_cgroups_left"
check "after SIGKILL its guest's QMP socket is left in the state directory" \
  "ls '$tmp/state/qmp/'*-g0.sock >/dev/null 2>&1"
"$lm" check >"$tmp/out" 2>&1
check "check reports the left-over knobs and exits 3" \
  "grep -q 'check --restore' '$tmp/out' && ! '$lm' check >/dev/null 2>&1"
check "check names the QMP socket a killed run left" \
  "grep -q 'QMP socket left by a killed run: $tmp/state/qmp/' '$tmp/out'"
"$lm" check --restore >"$tmp/out" 2>&1
rc=$?
check "check --restore exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "check --restore put watchdog_thresh back to $old" \
  "[ \"\$(cat /proc/sys/kernel/watchdog_thresh)\" = '$old' ]"
check "check --restore removed the restore file" "[ ! -e '$tmp/state/knobs.restore' ]"
check "check --restore removed the left cgroup" "! lockmap_cgroups_left"
check "check --restore removed the QMP socket" \
  "grep -q 'removed QMP sockets' '$tmp/out' && [ -z \"\$(ls '$tmp/state/qmp')\" ]"
exit 0
