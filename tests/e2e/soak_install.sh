#!/bin/sh
# `make install DESTDIR=... PREFIX=/usr`: the binary, tickguest, the lab's and
# the module's files, the systemd units (their paths made the installed
# ones), the profiles under /etc/lockmap and lockmap(1); the installed lockmap
# finds its data where it was installed; the units pass `systemd-analyze
# verify` (and a broken copy does not: the check can fail); the man page
# lints clean. TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
d=$tmp/root

# --- the two services do not drift -----------------------------------------
sed -e '1,6d' -e 's/%i/nightly/g' harness/systemd/lockmap-soak@.service >"$tmp/tmpl"
sed -e '1,6d' harness/systemd/lockmap-soak.service >"$tmp/plain"
check "lockmap-soak.service is lockmap-soak@.service for the profile nightly" \
  "cmp -s '$tmp/tmpl' '$tmp/plain'"
check "profiles/nightly.profile, the one the nightly unit runs, is there" \
  "[ -f profiles/nightly.profile ]"

# --- the layout --------------------------------------------------------------
make -s install DESTDIR="$d" PREFIX=/usr >"$tmp/install.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/install.out"
check "make install DESTDIR PREFIX=/usr exits 0 (got $rc)" "[ $rc -eq 0 ]"
for f in usr/bin/lockmap usr/lib/lockmap/tickguest.elf usr/lib/lockmap/lab/init.sh \
  usr/lib/lockmap/kmod/Kbuild usr/lib/systemd/system/lockmap-soak.service \
  usr/lib/systemd/system/lockmap-soak@.service usr/lib/systemd/system/lockmap-soak.timer \
  etc/lockmap/nightly.profile etc/lockmap/smoke.profile usr/share/man/man1/lockmap.1; do
  check "installed $f" "[ -s '$d/$f' ]"
done
check "lockmap is executable" "[ -x '$d/usr/bin/lockmap' ]"
check "nothing is installed outside DESTDIR's usr and etc" \
  "[ \"\$(ls '$d' | tr '\n' ' ')\" = 'etc usr ' ]"
check "the units name /usr/bin/lockmap and /etc/lockmap, no placeholder left" \
  "grep -q '^ExecStart=/usr/bin/lockmap soak .* /etc/lockmap/%i.profile\$' '$d/usr/lib/systemd/system/lockmap-soak@.service' &&
   grep -q '^ExecStart=/usr/bin/lockmap soak .* /etc/lockmap/nightly.profile\$' '$d/usr/lib/systemd/system/lockmap-soak.service' &&
   ! grep -q '@[a-z]*@' '$d'/usr/lib/systemd/system/*"
check "the timer is nightly and persistent" \
  "grep -q '^OnCalendar=\\*-\\*-\\* ' '$d/usr/lib/systemd/system/lockmap-soak.timer' &&
   grep -q '^Persistent=true' '$d/usr/lib/systemd/system/lockmap-soak.timer'"

# An admin's profile is not overwritten by the next install.
echo "# mine" >>"$d/etc/lockmap/smoke.profile"
make -s install DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
check "a second install keeps an edited /etc/lockmap profile" \
  "tail -n 1 '$d/etc/lockmap/smoke.profile' | grep -q '^# mine'"

# Another prefix: everything under it, /etc/lockmap too.
make -s install DESTDIR="$tmp/local" >/dev/null 2>&1
check "make install with the default PREFIX puts the profiles in /usr/local/etc/lockmap, units under /usr/local" \
  "[ \"\$(ls '$tmp/local')\" = usr ] && [ -f '$tmp/local/usr/local/etc/lockmap/nightly.profile' ] &&
   grep -q '^ExecStart=/usr/local/bin/lockmap soak .* /usr/local/etc/lockmap/nightly.profile\$' '$tmp/local/usr/local/lib/systemd/system/lockmap-soak.service'"

# The installed lockmap finds its guest where it was installed.
"$d/usr/bin/lockmap" check >"$tmp/check.out" 2>&1
grep tickguest "$tmp/check.out" | sed 's/^/# /'
check "the installed lockmap finds tickguest.elf under DESTDIR/usr/lib/lockmap" \
  "grep -q '^ok  *tickguest  *$d/usr/bin/../lib/lockmap/tickguest.elf' '$tmp/check.out'"
"$d/usr/bin/lockmap" --help >"$tmp/help.out" 2>&1
check "the installed lockmap lists soak in its help" "grep -q '^  soak ' '$tmp/help.out'"

# --- systemd-analyze verify ------------------------------------------------------
# systemd is not PID 1 here; verify reads unit files from anywhere, but checks
# that ExecStart's binary exists: verify copies that name the DESTDIR binary.
# The man page is found through MANPATH (Documentation=man:lockmap(1)).
if ! command -v systemd-analyze >/dev/null 2>&1; then
  skip "systemd-analyze verify of the units" "no systemd-analyze (apt-get install systemd)"
else
  mkdir -p "$tmp/v" "$tmp/bad"
  for u in "$d"/usr/lib/systemd/system/*; do
    sed "s|/usr/bin/lockmap|$d/usr/bin/lockmap|" "$u" >"$tmp/v/${u##*/}"
  done
  (cd "$tmp/v" && MANPATH="$d/usr/share/man" systemd-analyze verify \
    lockmap-soak.service lockmap-soak@nightly.service lockmap-soak.timer) >"$tmp/verify.out" 2>&1
  rc=$?
  sed 's/^/# /' "$tmp/verify.out"
  check "systemd-analyze verify passes on the three units (rc $rc), silent" \
    "[ $rc -eq 0 ] && [ ! -s '$tmp/verify.out' ]"
  sed 's/^WatchdogSec=/WatchdogSecs=/; s|^ExecStart=[^ ]*|ExecStart=/nonexistent/lockmap|' \
    "$tmp/v/lockmap-soak.service" >"$tmp/bad/lockmap-soak.service"
  (cd "$tmp/bad" && MANPATH="$d/usr/share/man" systemd-analyze verify lockmap-soak.service) \
    >"$tmp/bad.out" 2>&1
  rc=$?
  check "verify fails on a copy with a misspelt key and a missing binary (rc $rc)" \
    "[ $rc -ne 0 ] && grep -q 'WatchdogSecs' '$tmp/bad.out' && grep -q '/nonexistent/lockmap' '$tmp/bad.out'"
fi

# --- lockmap(1) --------------------------------------------------------------
man1="$d/usr/share/man/man1/lockmap.1"
if command -v mandoc >/dev/null 2>&1; then
  mandoc -T lint -W warning "$man1" >"$tmp/lint.out" 2>&1
  rc=$?
  sed 's/^/# /' "$tmp/lint.out"
  check "mandoc -T lint: no warning (rc $rc)" "[ $rc -eq 0 ] && [ ! -s '$tmp/lint.out' ]"
else
  skip "mandoc -T lint of lockmap.1" "no mandoc (apt-get install mandoc)"
fi
if command -v groff >/dev/null 2>&1; then
  groff -man -ww -z "$man1" >"$tmp/groff.out" 2>&1
  rc=$?
  check "groff -man -ww: no warning (rc $rc)" "[ $rc -eq 0 ] && [ ! -s '$tmp/groff.out' ]"
else
  skip "groff -man -ww of lockmap.1" "no groff (apt-get install groff)"
fi
MANWIDTH=80 man -l "$man1" >"$tmp/man.txt" 2>/dev/null
for v in check run lab soak merge report classify inject; do
  check "lockmap(1) describes the verb $v" "grep -Eq '^       $v( |\$)' '$tmp/man.txt'"
done
for s in '\[run\]' '\[host\]' '\[guests\]' '\[inject.name\]' '\[expect\]' EXIT.STATUS FILES; do
  check "lockmap(1) has $s" "grep -q '$s' '$tmp/man.txt'"
done
check "lockmap(1) gives the exit codes 0, 1, 2, 3, 125 and 130" \
  "(for c in 0 1 2 3 125; do grep -Eq \"^       \$c( |\\$)\" '$tmp/man.txt' || exit 1; done) && grep -q '130, 143, 129' '$tmp/man.txt'"
