#!/bin/sh
# The lab kernel recipe's fast paths, without building a kernel (make
# check-slow builds both; tests/slow/control.sh): the revert patch applies to
# Debian's linux-source-6.1 with patch -p1; build-kernel.sh refuses bad
# arguments, a source that is not a kernel, --unfixed on a tree it may not
# change, and says clearly when the patch does not apply; `lockmap lab
# --kernel` names what is missing from the kernel tree beside an image, or a
# tree of another release, and starts nothing. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state
export LOCKMAP_CACHE="$tmp/cache"
bk=harness/lab/build-kernel.sh
patchfile=harness/lab/patches/revert-periodic-timer-catchup-fix.patch
tarball=/usr/src/linux-source-6.1.tar.xz

# expect_fail DESC PATTERN CMD...: CMD exits 1 and its stderr matches PATTERN.
expect_fail() {
  desc=$1 pat=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" = 1 ] && grep -q -- "$pat" "$tmp/err" && [ ! -s "$tmp/out" ]; then
    ok "$desc"
  else
    notok "$desc (exit $rc)"
    sed 's/^/# /' "$tmp/out" "$tmp/err"
  fi
}

# ---- the patch against Debian's source ----
if [ -f "$tarball" ]; then
  mkdir -p "$tmp/deb"
  tar -xJf "$tarball" -C "$tmp/deb" --strip-components=1 \
    linux-source-6.1/arch/x86/kvm/lapic.c linux-source-6.1/Makefile
  ver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$tmp/deb/Makefile" | paste -sd.)
  if patch -p1 --batch -d "$tmp/deb" <"$patchfile" >"$tmp/patch.out" 2>&1; then
    ok "the revert applies to Debian's linux-source-6.1 ($ver) with patch -p1"
  else
    notok "the revert applies to Debian's linux-source-6.1 ($ver) with patch -p1"
    sed 's/^/# /' "$tmp/patch.out"
  fi
  lapic=$tmp/deb/arch/x86/kvm/lapic.c
  check "unfixed apic_timer_fn re-arms one period after the last expiry" \
    "grep -q 'hrtimer_add_expires_ns(&ktimer->timer, ktimer->period);' '$lapic'"
  check "unfixed lapic.c has no hrtimer_set_expires(target), no WARN on period 0, no clamp to now" \
    "! grep -q -e 'hrtimer_set_expires(&ktimer->timer, ktimer->target_expiration)' \
       -e 'WARN_ON_ONCE(!apic->lapic_timer.period)' \
       -e 'apic->lapic_timer.target_expiration = now;' '$lapic'"
else
  skip "the revert applies to Debian's linux-source-6.1" "no $tarball (apt-get install linux-source-6.1)"
fi

# ---- build-kernel.sh refuses, before building anything ----
expect_fail "build-kernel.sh: an unknown argument" "unknown argument '--bogus'" sh $bk --bogus
expect_fail "build-kernel.sh: --jobs 0" "--jobs needs a number above 0" sh $bk --jobs 0
expect_fail "build-kernel.sh: a missing source" "no kernel source $tmp/nothing" \
  sh $bk --source "$tmp/nothing"
mkdir -p "$tmp/notkernel"
expect_fail "build-kernel.sh: a directory that is no kernel tree" "is not a kernel source tree" \
  sh $bk --source "$tmp/notkernel"
mkdir -p "$tmp/tree/scripts/kconfig"
: >"$tmp/tree/Makefile"
: >"$tmp/tree/scripts/kconfig/merge_config.sh"
expect_fail "build-kernel.sh --unfixed never patches a tree it was given" "apply .* to it yourself" \
  sh $bk --unfixed --source "$tmp/tree"

# A source whose lapic.c is not the one the patch was written for.
mkdir -p "$tmp/old/linux/arch/x86/kvm" "$tmp/old/linux/scripts/kconfig"
: >"$tmp/old/linux/Makefile"
: >"$tmp/old/linux/scripts/kconfig/merge_config.sh"
printf 'static int apic_timer_fn(void)\n{\n\treturn 0;\n}\n' >"$tmp/old/linux/arch/x86/kvm/lapic.c"
tar -czf "$tmp/old.tar.gz" -C "$tmp/old" linux
expect_fail "build-kernel.sh --unfixed says the patch does not apply" \
  "revert-periodic-timer-catchup-fix.patch does not apply to $tmp/old.tar.gz" \
  sh $bk --unfixed --source "$tmp/old.tar.gz"
check "the failed patch's output is in the entry's build.log" \
  "grep -q 'lapic.c' '$tmp'/cache/kernel/lab-unfixed-*/build.log"

# ---- lockmap lab --kernel and the tree beside the image ----
if [ "$(id -u)" -ne 0 ] || [ ! -x build/lockmap ]; then
  skip "lockmap lab --kernel names what the kernel tree lacks" "needs root and build/lockmap"
  exit 0
fi
img=""
for i in /boot/vmlinuz-*; do [ -f "$i" ] && img=$i; done
if [ -z "$img" ]; then
  skip "lockmap lab --kernel names what the kernel tree lacks" "no /boot/vmlinuz-*"
  exit 0
fi
rel=${img#/boot/vmlinuz-}
mkdir -p "$tmp/k/build" "$tmp/res"
cp "$img" "$tmp/k/bzImage"
cat >"$tmp/one.profile" <<'EOF'
[run]
target = lab
cell_seconds = 2s
[guests]
count = 1
period = 1ms
EOF
lab_try() {
  build/lockmap lab --kernel "$tmp/k/bzImage" -o "$tmp/res" "$tmp/one.profile" >"$tmp/out" 2>"$tmp/err"
  echo $?
}
rc=$(lab_try)
check "an empty build/ beside the image: exit 3 (was $rc)" "[ '$rc' = 3 ]"
check "... naming the files it lacks and how to prepare it" \
  "grep -q 'is not prepared for building modules (missing: Makefile, include/generated/autoconf.h, include/config/kernel.release, scripts/mod/modpost, Module.symvers)' '$tmp/err' &&
   grep -q 'harness/lab/build-kernel.sh' '$tmp/err'"
for f in Makefile include/generated/autoconf.h scripts/mod/modpost Module.symvers; do
  mkdir -p "$(dirname "$tmp/k/build/$f")"
  : >"$tmp/k/build/$f"
done
mkdir -p "$tmp/k/build/include/config"
echo "0.0.1-other" >"$tmp/k/build/include/config/kernel.release"
rc=$(lab_try)
check "a tree of another release beside the image: exit 3 (was $rc)" "[ '$rc' = 3 ]"
check "... naming both releases" "grep -q 'is release 0.0.1-other, the image is $rel' '$tmp/err'"
check "nothing was run: no run directory" "[ -z \"\$(ls '$tmp/res')\" ]"
