#!/bin/sh
# Test lockmap_inject.ko in a lab host: build the module for KVER and the test
# program, pack them with busybox and the KVM modules into an initramfs, boot
# it with QEMU (TCG, -cpu max, 2 cpus) and print the TAP lines it reports,
# numbered, with the measured figures as "# " lines. Exits 0; the runner
# counts the lines. Takes about a minute.
#
#   tests/kmod/run-in-lab.sh            # KVER=6.1.0-50-amd64
#   KVER=... KERNEL=/boot/vmlinuz-... BUILD=build/kmod-test tests/kmod/run-in-lab.sh
#   TCG_THREAD=multi tests/kmod/run-in-lab.sh   # QEMU -accel tcg,thread=multi
#   TESTS="nmi probe" tests/kmod/run-in-lab.sh   # only these (names in
#                                               # lockmap_kmod_test.c)
#
# The console of the lab host is kept in $BUILD/console.log.
set -u

cd "$(dirname "$0")/../.." || exit 2
KVER=${KVER:-6.1.0-50-amd64}
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
BUILD=${BUILD:-$PWD/build/kmod-test}
MODDIR=/lib/modules/$KVER
TIMEOUT=${TIMEOUT:-420}

skip_all() {
  echo "ok 1 - lockmap_inject in a lab host # SKIP $1"
  exit 0
}

[ -r "$KERNEL" ] || skip_all "no kernel image $KERNEL (install linux-image-$KVER)"
[ -d "$MODDIR/build" ] || skip_all "no headers for $KVER (install linux-headers-$KVER)"
[ -x /bin/busybox ] || skip_all "no /bin/busybox (install busybox-static)"
for tool in qemu-system-x86_64 cpio gzip gcc; do
  command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not found"
done

mkdir -p "$BUILD" || exit 2
n=0
say() { n=$((n + 1)); echo "$1 $n - $2"; }

if make -C harness/kmod KVER="$KVER" O="$BUILD/kmod/$KVER" >"$BUILD/build.log" 2>&1; then
  if grep -q 'warning:' "$BUILD/build.log"; then
    say "not ok" "lockmap_inject.ko builds for $KVER without warnings"
    grep 'warning:' "$BUILD/build.log" | sed 's/^/# /'
  else
    say ok "lockmap_inject.ko builds for $KVER without warnings"
  fi
else
  say "not ok" "lockmap_inject.ko builds for $KVER"
  tail -n 20 "$BUILD/build.log" | sed 's/^/# /'
  exit 0
fi
if ! gcc -static -O2 -Wall -Wextra -Werror -std=gnu11 -I harness/kmod \
    -o "$BUILD/lockmap_kmod_test" tests/kmod/lockmap_kmod_test.c \
    tests/kmod/kvm_tick.c >"$BUILD/test-build.log" 2>&1; then
  say "not ok" "lockmap_kmod_test builds"
  tail -n 20 "$BUILD/test-build.log" | sed 's/^/# /'
  exit 0
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
  "$root/tmp" "$root/lib/kmod" || exit 2
cp /bin/busybox "$root/bin/busybox" || exit 2
for applet in sh mount insmod rmmod cat grep sed dmesg poweroff; do
  ln -s busybox "$root/bin/$applet"
done
cp tests/kmod/lab-init.sh "$root/init" && chmod 755 "$root/init"
cp "$BUILD/kmod/$KVER/lockmap_inject.ko" "$root/lib/kmod/" || exit 2
cp "$BUILD/lockmap_kmod_test" "$root/bin/" || exit 2
printf "%s\n" "${TESTS:-}" >"$root/tests"
# KVM and what kvm-amd needs; missing ones only disable the probe test
for m in virt/lib/irqbypass drivers/crypto/ccp/ccp arch/x86/kvm/kvm \
    arch/x86/kvm/kvm-amd; do
  [ -f "$MODDIR/kernel/$m.ko" ] && cp "$MODDIR/kernel/$m.ko" "$root/lib/kmod/"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.gz" || exit 2

start=$(date +%s)
# Single-threaded TCG: its one small guest boots fine on one host thread, and
# multi-threaded TCG hung this lab host in a 12 s section beside a guest (most
# likely a kernel code patch, KVM's static keys, under MTTCG; lab README).
# Cells with many guests need multi (lockmap lab --tcg-thread).
timeout "$TIMEOUT" qemu-system-x86_64 -accel "tcg,thread=${TCG_THREAD:-single}" -cpu max -m 2048 -smp 2 \
  -display none -monitor none -no-reboot \
  -kernel "$KERNEL" -initrd "$tmp/initrd.gz" \
  -append "console=ttyS0 panic=-1 quiet" \
  -serial "file:$BUILD/console.log" -serial "file:$tmp/tap.log"
rc=$?
echo "# lab host ran $(( $(date +%s) - start )) s (qemu exit $rc)"

while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  case "$line" in
    "not ok"*) say "not ok" "$(printf '%s' "$line" | sed 's/^not ok [0-9]* *- *//')" ;;
    "ok"*) say ok "$(printf '%s' "$line" | sed 's/^ok [0-9]* *- *//')" ;;
    "#"*) echo "$line" ;;
  esac
done <"$tmp/tap.log"
if grep -q '^# lab tests done' "$tmp/tap.log"; then
  say ok "the lab host ran every test and powered off"
else
  say "not ok" "the lab host ran every test and powered off (qemu exit $rc)"
  tail -n 30 "$BUILD/console.log" | sed 's/^/# console: /'
fi
exit 0
