#!/bin/sh
# The helper module in a lab host: tests/kmod/run-in-lab.sh builds
# lockmap_inject.ko for the lab kernel, boots it under QEMU and prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
exec sh tests/kmod/run-in-lab.sh
