#!/bin/sh
# The demo: run profiles/smoke.profile on this host and show its results.
set -u
cd "$(dirname "$0")/.." || exit 2
build/lockmap check
echo
build/lockmap run profiles/smoke.profile
rc=$?
echo
echo "cells.csv of the run:"
cat results/latest/cells.csv
exit "$rc"
