#!/bin/sh
# `lockmap soak` end to end on this host, with a tiny real profile (one TCG
# tickguest whose QEMU is throttled to 5 ms of CPU per 100 ms, 1% of its
# ticks tolerated: a degraded cell, whatever the load of the machine; 1 s
# windows): a soak of a few seconds runs several passes in one run
# directory; a soak whose previous one was better (its journal edited, as
# tests/e2e/report.sh does) exits 1 with regressions.txt naming the cell;
# --keep removes the older soaks of the profile and nothing else; --resume
# goes on with a soak killed with SIGKILL in its own directory; usage errors
# exit 2 and make nothing. TAP. LOCKMAP_BIN runs another lockmap.
set -u
cd "$(dirname "$0")/../.." || exit 2
lm=${LOCKMAP_BIN:-build/lockmap}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

e2e_tmp
e2e_own_state

needs_root "lockmap soak end to end" "/dev/kmsg, cgroups for its runs"

cat >"$tmp/soak.profile" <<'PROF'
[run]
name = soak-e2e
cell_seconds = 1s
warmup = 1s
cooldown = 0s
[guests]
count = 1
period = 1ms
pin = 0
tick_loss = 1%
[inject.throttle]
quota = 5ms
period = 100ms
PROF
res=$tmp/res
# field FILE KEY: a number of run.json's "soak" (jq is a dependency).
soakval() { jq -r ".soak.$2 // empty" "$1/run.json"; }
records() { grep -c "\"type\":\"$2\"" "$1/journal.jsonl"; }
nruns() { find "$res" -mindepth 1 -maxdepth 1 ! -name latest | wc -l; }

# --- usage: exit 2, nothing made ----------------------------------------------
for args in "" "--hours 0" "--hours x" "--hours 2min" "--hours 1 --keep 0" "--resume"; do
  # shellcheck disable=SC2086 # the words of args are the options
  "$lm" soak -o "$res" $args "$tmp/soak.profile" >"$tmp/usage.out" 2>&1
  rc=$?
  check "soak $args exits 2 (got $rc)" "[ $rc -eq 2 ]"
done
printf '[run]\ntarget = lab\n[guests]\ncount = 1\nperiod = 1ms\n' >"$tmp/lab.profile"
"$lm" soak -o "$res" --hours 1 "$tmp/lab.profile" >"$tmp/lab.out" 2>&1
rc=$?
check "a lab profile is refused, exit 2 (got $rc)" "[ $rc -eq 2 ] && grep -q 'target = lab' '$tmp/lab.out'"
check "none of them made a run" "[ ! -e '$res' ]"

# --- a soak of 14 s: several passes, one run ----------------------------------
"$lm" soak -o "$res" --hours 0.004 "$tmp/soak.profile" >"$tmp/a.out" 2>"$tmp/a.err"
rc=$?
sed 's/^/# /' "$tmp/a.out" "$tmp/a.err"
a=$(readlink -f "$res/latest")
passes=$(soakval "$a" passes)
check "the first soak exits 0 (got $rc)" "[ $rc -eq 0 ]"
check "it is one run directory" "[ \$(nruns) -eq 1 ]"
check "it ran more than one pass (run.json: $passes)" "[ '${passes:-0}' -ge 2 ]"
check "its journal has a soak_pass per pass and one soak_end" \
  "[ \$(records '$a' soak_pass) -eq $passes ] && [ \$(records '$a' soak_end) -eq 1 ]"
check "a cell_end per pass, each pass's with its own index and repeat" \
  "[ \$(records '$a' cell_end) -eq $passes ] &&
   [ \$(grep -o '\"type\":\"cell_end\",\"cell\":\"[0-9a-f]*\",\"index\":[0-9]*,\"rep\":[0-9]*' '$a/journal.jsonl' |
        sed 's/.*\"index\":\\([0-9]*\\),\"rep\":\\([0-9]*\\)/\\1 \\2/' | awk '\$1 == \$2 && \$1 == NR - 1' | wc -l) -eq $passes ]"
check "run.json says it ended" "[ -n \"\$(soakval '$a' ended)\" ]"
check "rates.csv counts every pass (n = $passes)" \
  "awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if (\$i == \"n\") c = i } NR == 2 { print \$c }' '$a/rates.csv' | grep -qx '$passes'"
check "regressions.txt: nothing to compare with, 0 regressions, on stdout too" \
  "grep -q 'nothing to compare with' '$a/regressions.txt' && grep -q '^regressions: 0' '$a/regressions.txt' &&
   grep -q '^regressions: 0' '$tmp/a.out'"
"$lm" report -q "$a" >"$tmp/rep.out" 2>&1
rc=$?
check "lockmap report reads the soak (rc $rc)" "[ $rc -eq 0 ] && [ -s '$a/report.html' ]"

# --- worse than the previous soak: exit 1 ---------------------------------------
# The previous soak made clean: the next one, degraded again, is worse.
sed 's/\("type":"cell_end",[^}]*"outcome":\)"degraded"/\1"clean"/' "$a/journal.jsonl" >"$tmp/j" &&
  cat "$tmp/j" >"$a/journal.jsonl"
id=$(sed -n 's/.*"type":"cell_end","cell":"\([0-9a-f]*\)".*/\1/p' "$a/journal.jsonl" | head -n 1)
# A few passes: one degraded repeat makes it worse.
"$lm" soak -o "$res" --hours 8s "$tmp/soak.profile" >"$tmp/b.out" 2>"$tmp/b.err"
rc=$?
sed 's/^/# /' "$tmp/b.out"
b=$(readlink -f "$res/latest")
check "a soak worse than the previous one exits 1 (got $rc)" "[ $rc -eq 1 ] && [ '$b' != '$a' ]"
check "its regressions.txt compares with the previous soak and names the cell $id as worse" \
  "grep -q \"^compare with $a: 1 cell ids matched; 1 worse\" '$b/regressions.txt' &&
   grep -q \"^  worse  *$id .*degraded .*; before: clean \" '$b/regressions.txt' &&
   grep -q '^regressions: 1' '$b/regressions.txt'"
check "stdout has the same" "grep -q \"^  worse  *$id \" '$tmp/b.out' && grep -q '^regressions: 1' '$tmp/b.out'"
check "its report.html has the comparison" "grep -q 'id=\"compare\"' '$b/report.html'"

# --- --keep 2: the older soaks of this profile go, nothing else ----------------
cp "$tmp/soak.profile" "$tmp/other.profile"
cp -r "$a" "$res/other-soak"
jq --arg p "$(readlink -f "$tmp/other.profile")" '.soak.profile = $p' "$a/run.json" >"$res/other-soak/run.json"
mkdir "$res/not-a-run" && echo keep >"$res/not-a-run/file"
"$lm" soak -o "$res" --hours 2s --keep 2 "$tmp/soak.profile" >"$tmp/c.out" 2>&1
rc=$?
c=$(readlink -f "$res/latest")
check "the third soak (--hours 2s --keep 2) exits 0 (got $rc): as degraded as the one before" \
  "[ $rc -eq 0 ] && [ \"\$(jq .soak.hours '$c/run.json' | cut -c1-8)\" = 0.000555 ]"
check "--keep 2 removed the oldest soak, kept the last two" "[ ! -e '$a' ] && [ -d '$b' ] && [ -d '$c' ]"
check "--keep left another profile's soak and a directory that is no run" \
  "[ -f '$res/other-soak/run.json' ] && [ -f '$res/not-a-run/file' ]"

# --- SIGKILL in the middle, then --resume --------------------------------------
before=$(nruns)
"$lm" soak -o "$res" --hours 0.01 "$tmp/soak.profile" >"$tmp/d.out" 2>&1 &
pid=$!
# Killed in its second pass's cell (36 s are time for more): after its first
# cell_end, at the next cell_start.
w=0
while [ $w -lt 600 ] && { [ "$(readlink -f "$res/latest")" = "$c" ] ||
  [ "$(grep -c '"type":"cell_start"' "$res/latest/journal.jsonl" 2>/dev/null)" -lt 2 ]; }; do
  sleep 0.1
  w=$((w + 1))
done
sleep 1
kill -KILL $pid
wait $pid
rc=$?
d=$(readlink -f "$res/latest")
check "the killed soak died of SIGKILL (rc $rc) with an unfinished pass" \
  "[ $rc -eq 137 ] && [ '$d' != '$c' ] && [ -z \"\$(soakval '$d' ended)\" ] &&
   [ \$(records '$d' cell_start) -gt \$(records '$d' cell_end) ]"
"$lm" soak -o "$res" --resume "$tmp/soak.profile" >"$tmp/e.out" 2>"$tmp/e.err"
rc=$?
sed 's/^/# /' "$tmp/e.out" "$tmp/e.err"
passes=$(soakval "$d" passes)
# 0 or 1: it compares with the soak before it, real cells both.
check "soak --resume exits 0 or 1 (got $rc), with its regressions.txt" \
  "[ $rc -le 1 ] && grep -q '^regressions: ' '$d/regressions.txt'"
check "it went on in the same run directory, no new one" \
  "[ \$(nruns) -eq $((before + 1)) ] && [ \"\$(readlink -f '$res/latest')\" = '$d' ] &&
   grep -q \"going on with it at pass\" '$tmp/e.err'"
check "its journal: a soak_resume, then every pass's cell ended ($passes passes)" \
  "[ \$(records '$d' soak_resume) -eq 1 ] && [ \$(records '$d' cell_end) -eq $passes ] &&
   [ \$(records '$d' soak_end) -eq 1 ] && [ -n \"\$(soakval '$d' ended)\" ]"
check "the cut cell ran again (a cell_start more than cell_ends)" \
  "[ \$(records '$d' cell_start) -eq \$((passes + 1)) ]"
check "no guest QEMU of its cell left running" "! pgrep -f 'lockmap-$id-g' >/dev/null"

# --- the newest soak is unfinished, but the profile changed since -------------
# A copy of the last soak, started later and not ended; then the profile makes
# other cells (another tick_loss): --resume cannot go on with it.
cp -r "$d" "$res/zz-cut"
jq '.started += 1 | del(.soak.ended)' "$d/run.json" >"$res/zz-cut/run.json"
sum=$(cksum <"$res/zz-cut/journal.jsonl")
sed -i 's/^tick_loss = 1%/tick_loss = 2%/' "$tmp/soak.profile"
"$lm" soak -o "$res" --resume "$tmp/soak.profile" >"$tmp/f.out" 2>&1
rc=$?
check "--resume of a soak whose cells the profile no longer makes, no --hours: exit 2 (got $rc), with why" \
  "[ $rc -eq 2 ] && grep -q 'zz-cut is unfinished, but cannot go on with' '$tmp/f.out'"
before=$(nruns)
"$lm" soak -o "$res" --resume --hours 0.0001 "$tmp/soak.profile" >"$tmp/g.out" 2>&1
rc=$?
check "with --hours it starts a new soak instead (rc $rc)" \
  "[ $rc -eq 0 ] && [ \$(nruns) -eq $((before + 1)) ] && [ \"\$(readlink -f '$res/latest')\" != '$res/zz-cut' ]"
check "and leaves the unfinished one as it was" "[ \"\$(cksum <'$res/zz-cut/journal.jsonl')\" = '$sum' ]"
