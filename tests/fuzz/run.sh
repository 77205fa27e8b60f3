#!/bin/sh
# The libFuzzer targets, each for a bounded time (LOCKMAP_FUZZ_SECONDS, 20 s)
# on its committed corpus, tests/fuzz/corpus/TARGET: a pass is a run that read
# the whole corpus and ended without a crash, leak, timeout or sanitizer
# report. New inputs go to a scratch directory, never into the corpus; a
# crashing input is kept as build/fuzz/crash-<sha1> (reproduce:
# build/fuzz/fuzz_TARGET FILE). Prints TAP lines; tests/run.sh counts them.
# Without clang or libFuzzer it is a skip with the reason `make fuzz` wrote.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
secs=${LOCKMAP_FUZZ_SECONDS:-20}

e2e_tmp

for target in classify profile; do
  bin=build/fuzz/fuzz_$target
  corpus=tests/fuzz/corpus/$target
  if [ ! -x "$bin" ]; then
    if [ -f build/fuzz/skip ]; then
      skip "fuzz_$target" "$(cat build/fuzz/skip)"
    else
      skip "fuzz_$target" "$bin not built (run make fuzz)"
    fi
    continue
  fi
  rm -rf "$tmp/new"
  mkdir "$tmp/new"
  nseeds=$(find "$corpus" -type f | wc -l)
  dict=""
  [ -f tests/fuzz/$target.dict ] && dict=-dict=tests/fuzz/$target.dict
  # shellcheck disable=SC2086 # $dict is one word or none
  "$bin" $dict -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/ "$tmp/new" "$corpus" >"$tmp/log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    grep -E '^(INFO: seed corpus|#[0-9]+ +INITED|Done |stat::)' "$tmp/log" | sed 's/^/# /'
  else
    tail -n 60 "$tmp/log" | sed 's/^/# /'
  fi
  # libFuzzer: "INFO: seed corpus: files: N min: ..." then "Done N runs in S second(s)".
  read_seeds=$(sed -n 's/^INFO: seed corpus: files: \([0-9]*\) .*/\1/p' "$tmp/log" | head -n 1)
  runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$tmp/log" | tail -n 1)
  check "fuzz_$target read the whole corpus ($corpus: ${read_seeds:-no} of $nseeds files)" \
    "[ '${read_seeds:-0}' -eq $nseeds ] && [ $nseeds -gt 0 ]"
  check "fuzz_$target ran ${secs}s (${runs:-0} inputs) without a crash (exit $rc)" \
    "[ $rc -eq 0 ] && [ -n '$runs' ]"
done
exit 0
