#!/bin/sh
# `lockmap soak` under systemd, with systemd played by build/tests/notify_sink
# (tests/tools/notify_sink.c): a unix datagram socket as NOTIFY_SOCKET with a
# 2 s watchdog, and, in a mount namespace of the test's own with a tmpfs on
# /run/systemd, a socket where journald's is, stderr on a file named by
# JOURNAL_STREAM. The soak must send READY=1, STATUS= lines with its pass,
# WATCHDOG=1 at least every second while it runs, STOPPING=1, and its
# messages must reach the journal with LOCKMAP_RUN=<run id>, not stderr.
# Without a watchdog it sends no WATCHDOG=1. TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
sink=build/tests/notify_sink
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

needs_root "lockmap soak under systemd's sockets" "/dev/kmsg, cgroups, a mount namespace"
if [ ! -x "$sink" ]; then
  skip "lockmap soak under systemd's sockets" "no $sink: run make unit"
  exit 0
fi

cat >"$tmp/soak.profile" <<'PROF'
[run]
name = soak-notify
cell_seconds = 2s
warmup = 1s
cooldown = 0s
[guests]
count = 1
period = 1ms
pin = 0
tick_loss = 50%
PROF

# --- notify and the journal ----------------------------------------------------
# The journal's socket path is fixed (/run/systemd/journal/socket): a tmpfs of
# this namespace only, so no journald of the machine is touched.
if unshare -m sh -c 'mount -t tmpfs none /run/systemd' 2>/dev/null; then
  # shellcheck disable=SC2016 # the inner shell expands its own $0, $1, $2
  unshare -m sh -c 'mount -t tmpfs none /run/systemd && mkdir /run/systemd/journal &&
    exec "$0" -s "$1/notify.sock" -w 2000000 -j /run/systemd/journal/socket -e "$1/stderr" \
      "$2" soak -o "$1/res" --hours 0.0005 "$1/soak.profile"' \
    "$sink" "$tmp" "$lm" >"$tmp/sink.out" 2>"$tmp/sink.err"
  rc=$?
  journal=1
else
  "$sink" -s "$tmp/notify.sock" -w 2000000 \
    "$lm" soak -o "$tmp/res" --hours 0.0005 "$tmp/soak.profile" >"$tmp/sink.out" 2>"$tmp/stderr"
  rc=$?
  journal=0
fi
grep -v '^journal: \(CODE_\|SYSLOG\|PRIORITY\)' "$tmp/sink.out" | sed 's/^/# /'
id=$(basename "$(readlink -f "$tmp/res/latest")")
check "the soak exits 0 under the sink (got $rc)" "[ $rc -eq 0 ]"
check "READY=1 once" "[ \$(grep -c '^notify: READY=1\$' '$tmp/sink.out') -eq 1 ]"
check "STATUS= with the soak's pass" "grep -q '^notify: STATUS=soak $id: pass 1, ' '$tmp/sink.out'"
check "STATUS= with the cell's progress" "grep -q '^notify: STATUS=\\[1/1\\] ' '$tmp/sink.out'"
# The soak runs a cell of 3 s and more (boot, warm-up, window): at a ping a
# second at least 3 of them. (Not every gap is under 2 s: the KVM probe
# before the first cell waits up to 10 s without a ping; the units'
# WatchdogSec is 10 minutes.)
pings=$(grep -c '^notify: WATCHDOG=1$' "$tmp/sink.out")
check "WATCHDOG=1 at half of WATCHDOG_USEC: $pings pings" "[ $pings -ge 3 ]"
check "STOPPING=1 at the end" "grep -q '^notify: STOPPING=1\$' '$tmp/sink.out'"
check "READY=1 before the first WATCHDOG=1" \
  "[ \"\$(grep -m 1 -n '^notify: READY=1' '$tmp/sink.out' | cut -d: -f1)\" -lt \"\$(grep -m 1 -n '^notify: WATCHDOG=1' '$tmp/sink.out' | cut -d: -f1)\" ]"
if [ "$journal" = 1 ]; then
  check "its messages reach the journal with LOCKMAP_RUN=$id" \
    "grep -q '^journal: LOCKMAP_RUN=$id\$' '$tmp/sink.out' && grep -q '^journal: MESSAGE=soak $id: pass 1, ' '$tmp/sink.out'"
  check "an info line has PRIORITY=6 (syslog's info)" \
    "grep -q '^journal: PRIORITY=6\$' '$tmp/sink.out'"
  check "and not stderr, which is the journal" "! grep -q 'soak $id: pass 1' '$tmp/stderr'"
else
  skip "messages to the journal with LOCKMAP_RUN" "no mount namespace here (unshare -m) for a journal socket of the test's own"
fi

# --- no watchdog asked, no ping --------------------------------------------------
"$sink" -s "$tmp/n2.sock" "$lm" soak -o "$tmp/res2" --hours 0.0001 "$tmp/soak.profile" \
  >"$tmp/sink2.out" 2>"$tmp/sink2.err"
rc=$?
check "without WATCHDOG_USEC: READY=1 and no WATCHDOG=1 (rc $rc)" \
  "[ $rc -eq 0 ] && grep -q '^notify: READY=1\$' '$tmp/sink2.out' && ! grep -q 'WATCHDOG=1' '$tmp/sink2.out'"
check "and its messages stay on stderr" "grep -q 'soak .*: pass 1, ' '$tmp/sink2.err'"
