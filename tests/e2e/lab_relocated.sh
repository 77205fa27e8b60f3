#!/bin/sh
# A lockmap installed anywhere runs a lab, and writes nothing beside itself:
# `make install` into a directory under /tmp (which the lab host covers with
# its own tmpfs), the cache pointed under /tmp too (LOCKMAP_CACHE), one lab
# cell. The module build and the initramfs land in the cache, keyed by their
# inputs; the installed tree and the source tree stay as they were. A copy
# without its data files, or a cache that cannot be written, is refused before
# anything starts, with the reason. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

lab_ready "a relocated lockmap runs a lab"

# What the source tree looks like to git, before and after (a tree that is no
# git checkout is compared by its file list).
tree_state() {
  git status --porcelain --untracked-files=all 2>/dev/null || find . -path ./build -prune -o -print | sort
}
tree_state >"$tmp/tree.before"

inst=$tmp/inst
if ! make -s install PREFIX="$inst" >"$tmp/install.log" 2>&1; then
  notok "make install PREFIX=$inst"
  sed 's/^/# /' "$tmp/install.log"
  exit 0
fi
lm=$inst/bin/lockmap
find "$inst" | sort >"$tmp/inst.before"

cat >"$tmp/one.profile" <<'EOF'
[run]
name = labmoved
target = lab
cell_seconds = 5s
warmup = 2s
cooldown = 1s

[guests]
count = 1
period = 1ms
pin = 1
EOF

# --- refused up front ---------------------------------------------------------
mkdir "$tmp/bare"
cp build/lockmap "$tmp/bare/lockmap"
LOCKMAP_CACHE=$tmp/cache "$tmp/bare/lockmap" lab --tcg-thread single -q -o "$tmp/r0" "$tmp/one.profile" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
check "a copy without its data files exits 3 (got $rc)" "[ $rc -eq 3 ]"
check "  and says what it looked for, and where" \
  "grep -q \"lab/init.sh.* is not next to lockmap ($tmp/bare)\" '$tmp/out'"
check "  no run directory was made, nothing written beside it" \
  "[ ! -e '$tmp/r0' ] && [ \"\$(ls '$tmp/bare')\" = lockmap ]"

: >"$tmp/notadir"
LOCKMAP_CACHE=$tmp/notadir "$lm" lab --tcg-thread single -q -o "$tmp/r1" "$tmp/one.profile" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
check "a cache that cannot be made exits 3 (got $rc)" "[ $rc -eq 3 ]"
check "  naming it and LOCKMAP_CACHE" "grep -q \"$tmp/notadir/lab.*LOCKMAP_CACHE\" '$tmp/out'"
check "  before any run directory was made" "[ ! -e '$tmp/r1' ]"

# --- a lab cell from the installed copy, the cache under /tmp ----------------
cache=$tmp/cache
t0=$(date +%s)
LOCKMAP_CACHE=$cache "$lm" lab --tcg-thread single -o "$tmp/res" "$tmp/one.profile" >"$tmp/out" 2>&1
rc=$?
t=$(($(date +%s) - t0))
sed 's/^/# /' "$tmp/out"
run=$tmp/res/latest
check "lockmap installed under /tmp runs a lab cell: exit 0 (got $rc, $t s)" "[ $rc -eq 0 ]"
check "  the cell ran its guest inside (not error)" \
  "grep '\"type\":\"cell_end\"' '$run/journal.jsonl' | grep -q '\"outcome\":\"[a-z]*\"' &&
   ! grep '\"type\":\"cell_end\"' '$run/journal.jsonl' | grep -q '\"outcome\":\"error\"'"
kmods=$(ls -d "$cache/kmod/$kver"-* 2>/dev/null)
labs=$(ls -d "$cache/lab/$kver"-* 2>/dev/null)
check "  the module was built in \$LOCKMAP_CACHE/kmod/$kver-<key>/" \
  "[ \$(echo '$kmods' | wc -w) -eq 1 ] && [ -s '$kmods/lockmap_inject.ko' ]"
check "  the initramfs is in \$LOCKMAP_CACHE/lab/$kver-<key>/ and the lab booted it" \
  "[ -s '$labs/initramfs.cpio.gz' ] && grep -q '\"initramfs\": \"$labs/initramfs.cpio.gz\"' '$run/run.json'"
check "  its key covers the installed binary (inputs)" "grep -qx '$lm' '$labs/inputs'"
find "$inst" | sort >"$tmp/inst.after"
check "  nothing was written in the installed tree" "cmp -s '$tmp/inst.before' '$tmp/inst.after'"
tree_state >"$tmp/tree.after"
check "  the source tree is as it was" "cmp -s '$tmp/tree.before' '$tmp/tree.after'"
check "  no QMP socket is left in the state directory" "[ -z \"\$(ls '$tmp/state/qmp' 2>/dev/null)\" ]"

# --- the cache follows its inputs ---------------------------------------------
# An edited module source means another module and another initramfs; a file
# whose date alone changed means the same ones. No cell needs to run for this:
# a boot timeout of 1 s ends the lab as soon as it starts.
entries() { find "$cache/kmod" "$cache/lab" -mindepth 1 -maxdepth 1 | wc -l; }
before=$(entries)
touch "$lm"
LOCKMAP_CACHE=$cache "$lm" lab --accel tcg --boot-timeout 1 -o "$tmp/r2" "$tmp/one.profile" >"$tmp/out" 2>&1
check "a binary touched but not changed reuses both entries" \
  "[ \$(entries) -eq $before ] &&
   ! grep -q 'building lockmap_inject.ko' '$tmp/out'"
echo "/* edited */" >>"$inst/lib/lockmap/kmod/main.c"
LOCKMAP_CACHE=$cache "$lm" lab --accel tcg --boot-timeout 1 -o "$tmp/r3" "$tmp/one.profile" >"$tmp/out" 2>&1
sed 's/^/# /' "$tmp/out" | grep -v '^# \[' | head -n 5
check "an edited module source builds a new module entry" \
  "[ \$(ls -d '$cache/kmod/$kver'-* | wc -l) -eq 2 ] && grep -q 'building lockmap_inject.ko' '$tmp/out'"
check "  and a new initramfs entry" "[ \$(ls -d '$cache/lab/$kver'-* | wc -l) -eq 2 ]"
exit 0
