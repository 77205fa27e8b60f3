#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the initramfs of lockmap's Linux guest (guests/linux/README.md):
# Debian's static busybox, guests/linux/init.sh as /init, and
# /etc/lockmap-guest with the guest kernel's tick rate (CONFIG_HZ) and
# release, a gzip'd newc cpio that QEMU boots with -initrd.
#
#   build-initramfs.sh -c CONFIG -r RELEASE -o OUT.cpio.gz [-b BUSYBOX]
#
# CONFIG is the guest kernel's config (/boot/config-RELEASE for a
# distribution kernel). lockmap runs this into its cache
# (<cache>/linux/<release>-<key>/initramfs.cpio.gz, harness/src/linuxguest.c);
# it can also be run by hand.
set -eu

usage() {
	echo "usage: $0 -c CONFIG -r RELEASE -o OUT.cpio.gz [-b BUSYBOX]" >&2
	exit 2
}

config='' release='' out='' busybox=/bin/busybox
while getopts c:r:o:b: opt; do
	case "$opt" in
	c) config=$OPTARG ;;
	r) release=$OPTARG ;;
	o) out=$OPTARG ;;
	b) busybox=$OPTARG ;;
	*) usage ;;
	esac
done
if [ -z "$config" ] || [ -z "$release" ] || [ -z "$out" ]; then
	usage
fi

here=$(cd "$(dirname "$0")" && pwd)
if [ ! -r "$config" ]; then
	echo "$0: cannot read the kernel config $config: the guest's tick rate (CONFIG_HZ) comes from it; install the kernel's package or name its config" >&2
	exit 1
fi
hz=$(sed -n 's/^CONFIG_HZ=\([0-9][0-9]*\)$/\1/p' "$config")
if [ -z "$hz" ]; then
	echo "$0: $config has no CONFIG_HZ line" >&2
	exit 1
fi
# A dynamically linked busybox would need its libraries in the initramfs.
if ! "$busybox" --list >/dev/null 2>&1 ||
	{ command -v readelf >/dev/null && readelf -l "$busybox" | grep -q "program interpreter"; }; then
	echo "$0: $busybox is not a static busybox; install it: apt-get install busybox-static" >&2
	exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/lockmap-linuxguest.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/run" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cp "$here/init.sh" "$root/init"
chmod 755 "$root/init"
printf 'HZ=%s\nRELEASE=%s\n' "$hz" "$release" >"$root/etc/lockmap-guest"
# The kernel needs /dev/console before /init runs to give it a console.
(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
