#!/bin/sh
# The helper module in a lab host: tests/kmod/run-in-lab.sh builds
# lockmap_inject.ko for the lab kernel, boots it under QEMU and prints TAP.
# Run once: a lab host that does not get through the tests is a failure
# ("the lab host ran every test and powered off"), never retried.
set -u
cd "$(dirname "$0")/../.." || exit 2
exec sh tests/kmod/run-in-lab.sh
