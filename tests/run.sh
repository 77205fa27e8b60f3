#!/bin/sh
# Run every test of lockmap and count them: the cmocka unit tests (plain and
# under ASan+UBSan), the libFuzzer targets and the end-to-end shell tests. Each
# suite speaks TAP; this prints each result, the reasons of skips, and ends with
# the line "N passed, N failed, N skipped". Exit 1 when anything failed.
# `tests/run.sh slow` runs only tests/slow/*.sh (make check-slow): the tests
# that build lab kernels.
set -u

cd "$(dirname "$0")/.." || exit 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
: >"$out/results"

# run_suite NAME CMD...: run a TAP producer, record "pass|fail|skip NAME: text".
run_suite() {
  name=$1
  shift
  "$@" >"$out/log" 2>&1
  rc=$?
  seen=0
  while IFS= read -r line; do
    case "$line" in
      "not ok"*)
        seen=1
        echo "fail $name: ${line#not ok }" >>"$out/results" ;;
      "ok"*"# SKIP"*|"ok"*"# skip"*)
        seen=1
        echo "skip $name: ${line#ok }" >>"$out/results" ;;
      "ok"*)
        seen=1
        echo "pass $name: ${line#ok }" >>"$out/results" ;;
    esac
  done <"$out/log"
  # A crash or a suite that ran nothing is a failure; its output is shown
  # then, and when a test failed (the "# " lines say what was measured).
  if [ "$rc" -ne 0 ] || [ "$seen" -eq 0 ] || grep -q '^not ok' "$out/log"; then
    if [ "$rc" -ne 0 ] || [ "$seen" -eq 0 ]; then
      if ! grep -q '^not ok' "$out/log"; then
        echo "fail $name: exited with status $rc" >>"$out/results"
      fi
    fi
    echo "---- $name output (exit $rc) ----"
    tail -n 80 "$out/log"
    echo "----"
  fi
}

export LOCKMAP_TESTDATA="$PWD/tests/data"
if [ "${1:-}" = slow ]; then
  for t in tests/slow/*.sh; do
    [ -f "$t" ] || continue
    run_suite "slow/$(basename "$t" .sh)" sh "$t"
  done
else
  for t in build/tests/test_* build-san/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in build-san/*) sfx=" [asan+ubsan]" ;; *) sfx="" ;; esac
    CMOCKA_MESSAGE_OUTPUT=TAP ASAN_OPTIONS=detect_leaks=1 \
      run_suite "$(basename "$t")$sfx" "$t"
  done

  # The libFuzzer targets, for a bounded time on their committed corpus.
  run_suite "fuzz" sh tests/fuzz/run.sh

  for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    run_suite "e2e/$(basename "$t" .sh)" sh "$t"
  done
fi

while IFS= read -r r; do
  case "$r" in
    pass*) echo "PASS ${r#pass }" ;;
    fail*) echo "FAIL ${r#fail }" ;;
    skip*) echo "SKIP ${r#skip }" ;;
  esac
done <"$out/results"

passed=$(grep -c '^pass' "$out/results")
failed=$(grep -c '^fail' "$out/results")
skipped=$(grep -c '^skip' "$out/results")
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
