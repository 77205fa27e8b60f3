#!/bin/sh
# Install the Debian packages lockmap needs to build, test and run, only those
# that are missing. Used by `make check` and `make demo`.
set -eu

# The lab host boots this Debian 12 kernel ABI when no kernel in /boot has its
# headers. One fixed ABI name rather than the linux-image-amd64 metapackage:
# the metapackage follows point releases, and the lab needs an image and
# headers of the same release; raise this when Debian drops the ABI.
lab_kabi=6.1.0-50-amd64

here=$(dirname "$0")
pkgs="gcc make binutils pkg-config libjansson-dev libinih-dev libcmocka-dev libkmod-dev \
qemu-system-x86 stress-ng jq libyaml-dev \
chromium libxml2-utils netpbm \
libarchive-dev busybox-static cpio \
clang libclang-rt-dev \
libsystemd-dev systemd mandoc groff-base man-db \
libvirt-dev libxml2-dev libvirt-daemon-system"
if [ -f "$here/../guests/tickguest/PACKAGES" ]; then
  pkgs="$pkgs $(cat "$here/../guests/tickguest/PACKAGES")"
fi

# `make check` and `make demo` set LOCKMAP_LAB_KERNEL=1: the lab needs a kernel
# image with matching headers (lockmap_inject.ko is built against them).
if [ "${LOCKMAP_LAB_KERNEL:-0}" = 1 ]; then
  have_kernel=0
  for img in /boot/vmlinuz-*; do
    [ -f "$img" ] && [ -d "/lib/modules/${img#/boot/vmlinuz-}/build" ] && have_kernel=1
  done
  if [ "$have_kernel" = 0 ]; then
    pkgs="$pkgs linux-image-$lab_kabi linux-headers-$lab_kabi"
  fi
  # harness/lab/build-kernel.sh (the positive control's lab kernels) and its
  # tests: the source and what building it takes.
  pkgs="$pkgs linux-source-6.1 bc bison flex libelf-dev libssl-dev dwarves xz-utils patch"
fi

missing=""
for p in $pkgs; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *" installed") ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "lockmap: missing packages:$missing" >&2
  echo "lockmap: install them as root: apt-get install$missing" >&2
  exit 1
fi
echo "lockmap: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing >/dev/null
