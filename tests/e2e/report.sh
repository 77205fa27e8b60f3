#!/bin/sh
# `lockmap report` end to end on this host: a tiny real run (one TCG
# tickguest, 1 s windows, repeat = 2, two axes) writes report.html at its
# end; `lockmap report RUN` rewrites it (well-formed, a square per cell id);
# --compare against itself exits 0, against a copy whose journal was edited
# to make one cell hard-lock exits 1 and names that cell, the other way it is
# better (exit 0); an OTHER that is no run exits 2. The page rendered in
# headless Chromium shows the heatmap's colours (pixels counted). TAP.
# LOCKMAP_BIN runs another lockmap (an older build, to see these fail on it).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

needs_root "lockmap report end to end" "/dev/kmsg, cgroups for its run"

cat >"$tmp/report.profile" <<'PROF'
[run]
name = report-e2e
cell_seconds = 1s
warmup = 1s
cooldown = 0s
repeat = 2
[guests]
count = 1
period = 1ms, 4ms
pin = 0
tick_loss = 15%
[inject.throttle]
quota = 0, 5ms
period = 100ms
[report]
x = guests.period
y = inject.throttle.quota
PROF

"$lm" run -o "$tmp/res" "$tmp/report.profile" >"$tmp/run.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/run.out"
run=$(readlink -f "$tmp/res/latest")
check "the run exits 0 or 1 (got $rc)" "[ $rc -le 1 ] && [ -d '$run' ]"
check "lockmap run wrote report.html at its end" \
  "[ -s '$run/report.html' ] && grep -q '^report: $run/report.html' '$tmp/run.out'"
rm -f "$run/report.html"

"$lm" report "$run" >"$tmp/rep.out" 2>&1
rc=$?
check "lockmap report RUN exits 0 (got $rc) and writes report.html" \
  "[ $rc -eq 0 ] && [ -s '$run/report.html' ] && grep -q 'report: $run/report.html' '$tmp/rep.out'"
check "its summary gives the rates over the 2 repeats" "grep -q 'per cell over its 2 repeats' '$tmp/rep.out'"
if command -v xmllint >/dev/null 2>&1; then
  check "report.html is well-formed (xmllint)" "xmllint --noout '$run/report.html'"
else
  skip "report.html is well-formed" "no xmllint (apt-get install libxml2-utils)"
fi
check "the heatmap has a square linked to each of the 4 cell ids" \
  "[ \$(grep -o 'a href=\"#cell-[0-9a-f]*\"><rect' '$run/report.html' | sort -u | wc -l) -eq 4 ]"
check "each cell id has its section" "[ \$(grep -c '<section class=\"cell\" id=\"cell-' '$run/report.html') -eq 4 ]"
check "no script in it" "! grep -qi '<script' '$run/report.html'"

"$lm" report -q "$run" --compare "$run" >"$tmp/self.out" 2>&1
rc=$?
check "--compare against itself exits 0 (got $rc), 4 matched, 0 worse" \
  "[ $rc -eq 0 ] && grep -q '4 cell ids matched; 0 worse' '$tmp/self.out'"

# The copy: the first cell's first repeat made a hard lockup.
cp -r "$run" "$tmp/worse"
id=$(sed -n 's/.*"type":"cell_end","cell":"\([0-9a-f]*\)","index":0,.*/\1/p' "$run/journal.jsonl")
sed 's/\("type":"cell_end","cell":"[0-9a-f]*","index":0,"rep":0,"outcome":\)"[a-z_]*"/\1"hardlockup"/' \
  "$run/journal.jsonl" >"$tmp/worse/journal.jsonl"
"$lm" report -q "$tmp/worse" --compare "$run" >"$tmp/worse.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/worse.out"
check "--compare against a copy with a worse cell exits 1 (got $rc)" "[ $rc -eq 1 ]"
check "it names the cell $id as worse, with both rates" \
  "grep -q \"^  worse  *$id .*hardlockup 1/2 .*; before: \" '$tmp/worse.out'"
check "the report of the copy has the comparison" \
  "grep -q 'id=\"compare\"' '$tmp/worse/report.html' && grep -q '<tr class=\"worse\"><td>worse</td><td><a href=\"#cell-$id\"' '$tmp/worse/report.html'"
"$lm" report -q "$run" --compare "$tmp/worse" >"$tmp/better.out" 2>&1
rc=$?
check "the other way round it is better, exit 0 (got $rc)" \
  "[ $rc -eq 0 ] && grep -q \"^  better  *$id \" '$tmp/better.out'"
"$lm" report -q "$run" --compare "$tmp/nothing" >"$tmp/bad.out" 2>&1
rc=$?
check "--compare with no run there exits 2 (got $rc)" "[ $rc -eq 2 ]"

# --- the picture -------------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
  skip "report.html rendered in headless Chromium" "no chromium (apt-get install chromium)"
  exit 0
fi
png="$tmp/report.png"
timeout 180 chromium --headless --no-sandbox --disable-gpu --screenshot="$png" \
  --window-size=1200,1600 "file://$tmp/worse/report.html" >"$tmp/chromium.out" 2>&1
check "Chromium renders report.html to a PNG of more than 20 kB" \
  "[ -f '$png' ] && [ \$(wc -c <'$png') -gt 20000 ]"
if ! command -v pngtopnm >/dev/null 2>&1 || ! command -v ppmhist >/dev/null 2>&1; then
  skip "the heatmap's colours in the PNG" "no netpbm (apt-get install netpbm)"
  exit 0
fi
# ppmhist: "r g b lum count" per colour. A square is 56x56 = 3136 pixels, its
# rate written over it: most of a square is still its colour.
pngtopnm "$png" | ppmhist -noheader >"$tmp/hist"
pixels() { awk -v r="$1" -v g="$2" -v b="$3" '$1 == r && $2 == g && $3 == b { n += $5 } END { print n + 0 }' "$tmp/hist"; }
red=$(pixels 200 30 30)
green=$(pixels 46 158 68)
check "the hard-locked cell is a red (#c81e1e) square: $red pixels" "[ $red -gt 2000 ] && [ $red -lt 8000 ]"
check "clean cells are green (#2e9e44): $green pixels" "[ $green -gt 2000 ]"
