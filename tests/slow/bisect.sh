#!/bin/sh
# `git bisect run lockmap bisect PROFILE --kernel-tree .` finds the commit that
# brought back KVM's periodic-timer catch-up (the revert of CVE-2025-71104's
# fix), for real: tests/lib/bisect-tree.sh makes a git repository from
# Debian's linux-source-6.1 (the import, then five commits, the third applying
# harness/lab/patches/revert-periodic-timer-catchup-fix.patch; it is kept in
# $LOCKMAP_CACHE/bisect/linux-6.1 for the next run), and git bisect runs
# lockmap bisect on each commit it picks: build-kernel.sh --source . rebuilds
# the tree's one cache entry in place (only what the commit changed), the lab
# host boots it, and profiles/bisect-catchup.profile runs its one cell (8
# tickguests at 200 us on lab cpu 1, 3 s
# with interrupts off there) under `fail_on = probe.max_chain > 1000`: measured
# 124769-125001 on the unfixed kernel, 24 on the fixed one
# (harness/lab/README.md, "The positive control, measured").
#
# Each step builds first, then takes the lab: with LOCKMAP_LAB_LOCK=FILE the
# lab part runs under `flock FILE` (machines that share one lab among several
# users), the build outside it; lockmap bisect then finds the build current.
# (Or hold the lock for the whole test: `flock FILE make check-slow`.)
# Prints TAP lines, the steps and their times as comments.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
repo=$(pwd)

lab_build_ready "git bisect run lockmap bisect" "kernel build dependencies, the lab"
if [ ! -f /usr/src/linux-source-6.1.tar.xz ]; then
  skip "git bisect run lockmap bisect" "no /usr/src/linux-source-6.1.tar.xz (apt-get install linux-source-6.1)"
  exit 0
fi

e2e_tmp
export LOCKMAP_STATE_DIR="$tmp/state"
cache=${LOCKMAP_CACHE:-/var/cache/lockmap}
tree=$cache/bisect/linux-6.1

if ids=$(sh tests/lib/bisect-tree.sh "$tree" 2>"$tmp/tree.err"); then
  # shellcheck disable=SC2086 # three words
  set -- $ids
  good=$1 bad=$2 revert=$3
  check "the repository: the import, 5 commits, the third the revert ($(git -C "$tree" rev-list --count "$good..$bad") commits)" \
    "[ \"\$(git -C '$tree' rev-list --count '$good..$bad')\" = 5 ] && [ \"\$(git -C '$tree' rev-list --reverse '$good..$bad' | sed -n 3p)\" = '$revert' ]"
else
  notok "tests/lib/bisect-tree.sh makes the repository in $tree"
  sed 's/^/# /' "$tmp/tree.err" | tail -n 20
  exit 0
fi

profile=$repo/profiles/bisect-catchup.profile

# One step of git bisect run: the build (outside the lab lock), then lockmap
# bisect under it; its exit code is the step's. A line per step in steps.
cat >"$tmp/step.sh" <<EOF
#!/bin/sh
t0=\$(date +%s)
sh '$repo/harness/lab/build-kernel.sh' --source . >>'$tmp/prebuild.log' 2>&1
t1=\$(date +%s)
if [ -n "\${LOCKMAP_LAB_LOCK:-}" ]; then
  flock "\$LOCKMAP_LAB_LOCK" '$repo/build/lockmap' bisect -o '$tmp/results' --kernel-tree . '$profile' >>'$tmp/lockmap.log' 2>&1
else
  '$repo/build/lockmap' bisect -o '$tmp/results' --kernel-tree . '$profile' >>'$tmp/lockmap.log' 2>&1
fi
rc=\$?
echo "\$(git rev-parse --short HEAD) \$(git log -1 --format=%s | cut -c1-50): exit \$rc, build \$((t1 - t0)) s, lockmap bisect \$((\$(date +%s) - t1)) s" >>'$tmp/steps'
exit \$rc
EOF

git -C "$tree" bisect reset >/dev/null 2>&1
git -C "$tree" checkout -q "$bad"
start=$(date +%s)
(cd "$tree" && git bisect start "$bad" "$good" >/dev/null && git bisect run sh "$tmp/step.sh") >"$tmp/bisect.out" 2>&1
rc=$?
total=$(($(date +%s) - start))
found=$(git -C "$tree" rev-parse -q --verify refs/bisect/bad)
git -C "$tree" bisect reset >/dev/null 2>&1
steps=$(wc -l <"$tmp/steps" 2>/dev/null || echo 0)
check "git bisect run lockmap bisect names the revert commit $(echo "$revert" | cut -c1-12) (exit $rc; $steps steps in $total s)" \
  "[ $rc = 0 ] && [ '$found' = '$revert' ] && grep -q '^$revert is the first bad commit' '$tmp/bisect.out'"
sed 's/^/# step /' "$tmp/steps" 2>/dev/null
grep -h '^bisect: \|reaches fail_on\|apic_timer_fn' "$tmp/lockmap.log" 2>/dev/null | sed 's/^/# /'
if [ "$rc" != 0 ] || [ "$found" != "$revert" ]; then
  tail -n 30 "$tmp/bisect.out" | sed 's/^/# /'
  tail -n 30 "$tmp/lockmap.log" | sed 's/^/# /'
fi
# Both verdicts were given: the revert's side bad, the import's side good.
check "lockmap bisect said bad at least once and good or bad on every step" \
  "grep -q 'exit 1,' '$tmp/steps' && ! grep -q 'exit 125,' '$tmp/steps'"
