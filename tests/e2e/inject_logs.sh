#!/bin/sh
# `lockmap inject` keeps its log directory only when asked: with -o DIR the
# injector's logs (stress-ng.log) are in DIR; without, the directory it made
# for them under $TMPDIR is gone when it exits. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=$PWD/build/lockmap
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp

if ! command -v stress-ng >/dev/null 2>&1; then
  skip "lockmap inject and its logs" "stress-ng is not installed (apt-get install stress-ng)"
  exit 0
fi
mkdir "$tmp/t"
# The log path it printed (the "log" of the stress injector's JSON).
log_of() { sed -n 's/^ *"log": "\(.*\)",*$/\1/p' "$1"; }

TMPDIR=$tmp/t "$lm" inject stress --for 1s --stressors cpu >"$tmp/out" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/err"
log=$(log_of "$tmp/out")
check "inject stress without -o exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "  its logs were under \$TMPDIR ($log)" "case '$log' in '$tmp/t/'*) true ;; *) false ;; esac"
check "  and are gone when it exits" "[ -n '$log' ] && [ ! -e \"\$(dirname '$log')\" ] && [ -z \"\$(ls -A '$tmp/t')\" ]"

TMPDIR=$tmp/t "$lm" inject stress -o "$tmp/keep/logs" --for 1s --stressors cpu >"$tmp/out" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/err"
check "inject stress -o DIR exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "  DIR was made and holds stress-ng.log" "[ -s '$tmp/keep/logs/stress-ng.log' ]"
check "  the JSON names it" "[ \"\$(log_of '$tmp/out')\" = '$tmp/keep/logs/stress-ng.log' ]"
check "  it says where the logs are" "grep -q 'logs kept in $tmp/keep/logs' '$tmp/err'"
check "  nothing else was left under \$TMPDIR" "[ -z \"\$(ls -A '$tmp/t')\" ]"

"$lm" inject stress -o >"$tmp/out" 2>&1
rc=$?
check "-o without a directory is a usage error (exit 2, got $rc)" "[ $rc -eq 2 ]"
"$lm" inject --help >"$tmp/out" 2>&1
check "inject --help documents -o DIR" "grep -q -- '-o DIR' '$tmp/out'"
exit 0
