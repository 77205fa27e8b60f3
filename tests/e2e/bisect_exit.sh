#!/bin/sh
# `lockmap bisect` answers git bisect run without booting anything here: a
# corrupt kernel image and a directory that is no kernel tree are 125 (skip
# this commit), each with its reason; its own usage errors and a profile that
# does not load (a fail_on threshold naming an unknown metric) are 128, which
# stops git bisect run. The real bisect is tests/slow/bisect.sh. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

if [ ! -x $lm ]; then
  skip "lockmap bisect exit codes" "build/lockmap missing: run make"
  exit 0
fi
e2e_tmp
e2e_own_state

# The slow test's profile: nothing boots here.
profile=profiles/bisect-catchup.profile

# usage and profile errors: 128, git bisect run stops
$lm bisect "$profile" >"$tmp/u1.out" 2>&1
rc=$?
check "neither --kernel nor --kernel-tree: exit 128 (got $rc), said" \
  "[ $rc = 128 ] && grep -q 'give one of --kernel IMAGE and --kernel-tree DIR' '$tmp/u1.out'"
$lm bisect --runs 0 --kernel /nonexistent "$profile" >"$tmp/u2.out" 2>&1
rc=$?
check "--runs 0: exit 128 (got $rc)" "[ $rc = 128 ] && grep -q 'from 1 to 1000' '$tmp/u2.out'"
sed 's/^fail_on = probe.max_chain > 1000/fail_on = probe.max_chains > 1000/' "$profile" >"$tmp/bad.profile"
line=$(grep -n '^fail_on' "$profile" | cut -d: -f1)
$lm bisect --kernel /nonexistent "$tmp/bad.profile" >"$tmp/u3.out" 2>&1
rc=$?
check "an unknown fail_on metric: exit 128 (got $rc), file:line and the metrics allowed" \
  "[ $rc = 128 ] && grep -q 'bad.profile:$line: \[expect\] fail_on:.*unknown metric .probe.max_chains.; allowed: probe.max_chain' '$tmp/u3.out'"

needs_root "a corrupt kernel image is 125" "the lab's checks"
# a corrupt image: skip, with the reason
mkdir -p "$tmp/k"
head -c 200000 /dev/urandom >"$tmp/k/bzImage"
$lm bisect --kernel "$tmp/k/bzImage" -o "$tmp/res" "$profile" >"$tmp/c.out" 2>&1
rc=$?
check "a corrupt kernel image: exit 125 (got $rc), the image named as no bzImage" \
  "[ $rc = 125 ] && grep -q 'is not a Linux bzImage' '$tmp/c.out' && grep -q '^bisect: skip (exit 125)' '$tmp/c.out'"
[ "$rc" = 125 ] || sed 's/^/# /' "$tmp/c.out" | tail -n 20

# a directory that is no kernel tree: the build fails, skip
mkdir -p "$tmp/notree"
$lm bisect --kernel-tree "$tmp/notree" -o "$tmp/res" "$profile" >"$tmp/t.out" 2>&1
rc=$?
check "a directory that is no kernel tree: exit 125 (got $rc), build-kernel.sh's reason shown" \
  "[ $rc = 125 ] && grep -q 'is not a kernel source tree' '$tmp/t.out' && grep -q 'the kernel did not build' '$tmp/t.out'"
[ "$rc" = 125 ] || sed 's/^/# /' "$tmp/t.out" | tail -n 20

# git bisect run calls `--kernel-tree .` from inside the tree: build-kernel.sh
# must key it as the absolute path, or every step would build a new entry from
# scratch. A fake tree (the two files it checks for) gets as far as naming its
# entry, in a cache of this test's own.
mkdir -p "$tmp/fake/scripts/kconfig"
: >"$tmp/fake/Makefile"
: >"$tmp/fake/scripts/kconfig/merge_config.sh"
(cd "$tmp/fake" && LOCKMAP_CACHE="$tmp/cache" sh "$OLDPWD/harness/lab/build-kernel.sh" --source .) >/dev/null 2>"$tmp/dot.err"
LOCKMAP_CACHE="$tmp/cache" sh harness/lab/build-kernel.sh --source "$tmp/fake/" >/dev/null 2>"$tmp/abs.err"
e1=$(sed -n 's/^build-kernel: building the lab kernel in \([^ ]*\) .*/\1/p' "$tmp/dot.err")
e2=$(sed -n 's/^build-kernel: building the lab kernel in \([^ ]*\) .*/\1/p' "$tmp/abs.err")
check "--source . inside a tree and --source /its/path/ are one cache entry ($(basename "${e1:-none}"))" \
  "[ -n '$e1' ] && [ '$e1' = '$e2' ]"
