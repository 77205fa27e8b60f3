#!/bin/sh
# What a killed `lockmap lab --pstore` leaves, removed by the next lab: its
# lab host's RAM file in /dev/shm (lockmap-lab-<run-id>.ram, as large as the
# lab's memory) that no live lockmap holds an flock on. A file a live lab
# holds (here: a process that holds its flock) and a name not of that form are kept. No
# lab boots: the lab start fails on a kernel image that does not exist, after
# the sweep. TAP. LOCKMAP_BIN runs another lockmap (an older build, to see
# these fail on it).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

if [ ! -d /dev/shm ] || [ ! -w /dev/shm ]; then
  skip "a killed lab's RAM file is removed" "no writable /dev/shm"
  exit 0
fi
if ! command -v flock >/dev/null; then
  skip "a killed lab's RAM file is removed" "needs flock(1) (util-linux)"
  exit 0
fi

shm=/dev/shm/lockmap-lab-e2e-sweep-$$
stale=$shm-killed.ram
live=$shm-live.ram
other=$shm.notram
holder=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  rm -f "$stale" "$live" "$other"
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

echo ram >"$stale"
: >"$other"
# A live lab: a process that holds the flock for as long as it lives.
(exec 9>>"$live" && flock 9 && exec sleep 120) &
holder=$!
w=0
while flock -n "$live" true 2>/dev/null && [ $w -lt 100 ]; do
  sleep 0.1
  w=$((w + 1))
done

cat >"$tmp/lab.profile" <<'PROF'
[run]
name = ram-sweep
target = lab
cell_seconds = 1s
[guests]
count = 1
period = 1ms
PROF
"$lm" lab --kernel "$tmp/no-such-bzImage" -o "$tmp/res" "$tmp/lab.profile" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
check "the lab start fails on the missing image (exit 3, got $rc)" "[ $rc -eq 3 ]"
check "the RAM file no lockmap holds is removed" "[ ! -e '$stale' ]"
check "its removal is said" "grep -q 'removed $stale' '$tmp/out'"
check "the RAM file a live lab holds is kept" "[ -e '$live' ]"
check "a name not of a lab's RAM file is kept" "[ -e '$other' ]"

# Its holder killed, as a lockmap killed with SIGKILL: the next lab removes it.
kill "$holder"
wait "$holder" 2>/dev/null
holder=""
"$lm" lab --kernel "$tmp/no-such-bzImage" -o "$tmp/res" "$tmp/lab.profile" >"$tmp/out" 2>&1
sed 's/^/# /' "$tmp/out"
check "the RAM file is removed once its holder is gone" "[ ! -e '$live' ]"

exit 0
