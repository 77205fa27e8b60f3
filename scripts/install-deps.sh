#!/bin/sh
# Install the Debian packages lockmap needs to build, test and run, only those
# that are missing. Used by `make check` and `make demo`.
set -eu

here=$(dirname "$0")
pkgs="gcc make binutils pkg-config libjansson-dev libinih-dev libcmocka-dev libkmod-dev \
qemu-system-x86 stress-ng"
if [ -f "$here/../guests/tickguest/PACKAGES" ]; then
  pkgs="$pkgs $(cat "$here/../guests/tickguest/PACKAGES")"
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
