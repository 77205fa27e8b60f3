#!/bin/sh
# The cell's time series end to end on this host: a real run of one cell (two
# TCG tickguests, 2 s warm-up, 4 s window with their QEMUs throttled, 2 s
# cool-down) journals a sample record about once a second, each with its
# phase, the guests' ticks and the throttle on only in the window; the
# guests' tick rate drops while throttled. report.html draws its timeline,
# and the page rendered in headless Chromium shows it: the throttle's shaded
# span and the guests' rate line (pixels counted). TAP.
# LOCKMAP_BIN runs another lockmap (an older build, to see these fail on it).
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

needs_root "samples and the timeline end to end" "/dev/kmsg, cgroups for its run"

cat >"$tmp/tl.profile" <<'PROF'
[run]
name = timeline-e2e
cell_seconds = 4s
warmup = 2s
cooldown = 2s
[guests]
count = 2
period = 1ms
report = 500ms
pin = 0
tick_loss = 90%
[inject.throttle]
quota = 3ms
period = 100ms
PROF

"$lm" run -o "$tmp/res" "$tmp/tl.profile" >"$tmp/run.out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/run.out"
run=$(readlink -f "$tmp/res/latest")
j="$run/journal.jsonl"
check "the run exits 0 (got $rc)" "[ $rc -eq 0 ] && [ -s '$j' ]"

# The cell lasts 8 s from its guests' start: 7 to 9 samples (phase ends add
# one when they fall between two seconds).
samples=$(grep -c '"type":"sample"' "$j")
check "the journal has a sample about once a second: $samples" "[ $samples -ge 7 ] && [ $samples -le 10 ]"
for ph in warmup window cooldown; do
  check "samples of the $ph phase" "grep -q '\"type\":\"sample\".*\"phase\":\"$ph\"' '$j'"
done
check "the throttle is on in every window sample and off in the others" \
  "[ $samples -gt 0 ] && ! grep '\"type\":\"sample\"' '$j' | grep '\"phase\":\"window\"' | grep -q '\"throttle\":false' &&
   ! grep '\"type\":\"sample\"' '$j' | grep -v '\"phase\":\"window\"' | grep -q '\"throttle\":true'"
check "each sample has both guests' ticks and expected" \
  "[ $samples -gt 0 ] && [ \$(grep '\"type\":\"sample\"' '$j' | grep -c '\"guests\":\\[{\"ticks\":[0-9]*,\"expected\":[0-9]*},{\"ticks\"') -eq $samples ]"
# The guests' rate: ticks / expected summed over the samples of a phase.
rate() {
  grep '"type":"sample"' "$j" | grep "\"phase\":\"$1\"" |
    sed 's/"ticks":\([0-9]*\),"expected":\([0-9]*\)/\n\1 \2\n/g' |
    awk 'NF == 2 && $1 ~ /^[0-9]+$/ { t += $1; e += $2 } END { if (e) printf "%.2f", t / e; else print 0 }'
}
win=$(rate window)
cool=$(rate cooldown)
check "the guests' tick rate drops while throttled ($win in the window, $cool after)" \
  "awk 'BEGIN { exit !($win + 0.2 < $cool) }'"

"$lm" report -q "$run" >"$tmp/rep.out" 2>&1
rc=$?
check "lockmap report exits 0 (got $rc)" "[ $rc -eq 0 ] && [ -s '$run/report.html' ]"
check "the cell's timeline has its guests' rate lines and the throttle's span" \
  "[ \$(grep -c 'class=\"tl-rate\"' '$run/report.html') -eq 2 ] &&
   [ \$(grep -c 'class=\"tl-inject\"' '$run/report.html') -eq 1 ] &&
   grep -q '<title>inject.throttle on, ' '$run/report.html'"

if ! command -v chromium >/dev/null 2>&1; then
  skip "report.html rendered in headless Chromium" "no chromium (apt-get install chromium)"
  exit 0
fi
png="$tmp/report.png"
timeout 180 chromium --headless --no-sandbox --disable-gpu --screenshot="$png" \
  --window-size=1000,1400 "file://$run/report.html" >"$tmp/chromium.out" 2>&1
check "Chromium renders report.html to a PNG" "[ -f '$png' ] && [ \$(wc -c <'$png') -gt 20000 ]"
if ! command -v pngtopnm >/dev/null 2>&1 || ! command -v ppmhist >/dev/null 2>&1; then
  skip "the timeline's colours in the PNG" "no netpbm (apt-get install netpbm)"
  exit 0
fi
[ -n "${LOCKMAP_KEEP_PNG:-}" ] && cp "$png" "$LOCKMAP_KEEP_PNG"
pngtopnm "$png" | ppmhist -noheader >"$tmp/hist"
# The span: 4 s of an 8-9 s cell across both panels, 692 px wide and 194 high:
# over 35000 pixels of its colour (#fde6c8); only the legend's 9x9 key
# elsewhere (a window shaded over the rate panel alone has some 25000).
span=$(hist_pixels "$tmp/hist" 253 230 200)
check "the throttle's span is shaded (#fde6c8): $span pixels" "[ $span -gt 35000 ]"
# The first guest's line (#1f5fbf, 2 px, drawn over the others; antialiased:
# its colour within 12 per channel) over the cell's width; the legend's key
# is 81 pixels of it.
line=$(hist_pixels "$tmp/hist" 31 95 191 12)
check "the first guest's rate is a line (#1f5fbf): $line pixels" "[ $line -gt 300 ]"
