#!/bin/sh
# The helper module in a lab host: tests/kmod/run-in-lab.sh builds
# lockmap_inject.ko for the lab kernel, boots it under QEMU and prints TAP.
# A TCG lab host now and then freezes by itself (both vCPUs stuck; seen about
# once in ten boots, see the lab notes in harness/lab/README.md): when the lab
# host did not get through the tests, its lines are shown as comments and the
# whole run is done once more; a module that breaks the lab fails both times.
set -u
cd "$(dirname "$0")/../.." || exit 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
sh tests/kmod/run-in-lab.sh >"$out" 2>&1
if grep -q '^not ok .*the lab host ran every test and powered off' "$out"; then
  sed 's/^/# first run: /' "$out"
  echo "# the lab host did not finish the tests: running them once more"
  sh tests/kmod/run-in-lab.sh >"$out" 2>&1
fi
cat "$out"
