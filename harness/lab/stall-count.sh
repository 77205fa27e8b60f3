#!/bin/sh
# stall-count.sh: how often does a TCG lab host stall by itself, and does a
# QEMU option make it rarer? Boots the lab N times per variant, each boot a
# fresh `lockmap run` of a small lab profile (one tickguest, nothing injected,
# monitor probe and buddy off), and counts per lab boot: ok, host_hang (with
# the vCPU RIPs lockmap sampled) or another error. Variants are applied by a
# qemu-system-x86_64 wrapper put first in PATH (lockmap starts QEMU through
# PATH) that rewrites the lab host's QEMU command line only (`-name
# lockmap-lab`); the KVM probe and anything else QEMU runs pass unchanged.
# Variants listed together are run in turn (round robin), one lab at a time.
# POSIX sh; see usage() for the options.
set -u

usage() {
  cat <<'EOF'
usage: harness/lab/stall-count.sh [OPTIONS] VARIANT...

Boot the lab host N times for each VARIANT (in turn: v1 v2 v1 v2 ...), one
lab at a time, and count per lab boot: ok / host_hang / error. One line per
boot (host_hang with where lockmap's samples found each vCPU, error with its
message), then per variant:
  VARIANT: N boots, K stalls, E errors, median boot+cell wall S s
where S is the median, over the ok boots, of QEMU start to lab power-off
(lab_down "seconds" in the run's journal).

Variants (how the lab host's QEMU command line is rewritten):
  baseline   unchanged (-accel tcg,thread=multi -cpu max)
  single     -accel tcg,thread=single (one TCG thread for every vCPU)
  epyc       -cpu EPYC instead of -cpu max (still svm + npt under TCG)
  tbsize     -accel tcg,thread=multi,tb-size=64 (64 MiB translation cache)

Options:
  -n N        runs per variant (default 30); a run whose lab host stalls
              before its cell boots again, so boots can exceed runs
  -c SECONDS  cell length, [run] cell_seconds (default 10)
  -t SECONDS  hang timeout, [run] hang_timeout, at least 20 (default 20)
  -m MODE     [monitor] buddy and probe: off (default) or auto (as the e2e
              lab tests run them: buddy detector and apic_timer_fn probe on)
  -o DIR      where runs, logs and the profile go (default /tmp/stalls);
              the log of VARIANT is DIR/VARIANT.log, its runs DIR/VARIANT/RUN/
  -l LOCKMAP  the lockmap binary (default build/lockmap of this tree)
  -S DIR      export HEAD (git archive) into DIR/src, build it there and
              run that lockmap (with its tickguest, module sources and
              init.sh), so edits and rebuilds of the working tree during the
              measurement change nothing; DIR must not be under /tmp, /run
              or /var/tmp (the lab host cannot see them)
  -k IMAGE    lab kernel, run with `lockmap lab --kernel IMAGE` (default:
              `lockmap run`, with lockmap's choice of kernel)
  -h          this text

Needs root, QEMU, and the lab kernel's headers, like `lockmap lab`.
Exit: 0 done, 2 usage error, 3 something missing.
EOF
}

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
runs=30
cell=10
hang=20
outdir=/tmp/stalls
lm=$top/build/lockmap
snap=""
commit=""
kernel=""
monitor=off

while getopts n:c:t:m:o:l:S:k:h opt; do
  case $opt in
    n) runs=$OPTARG ;;
    c) cell=$OPTARG ;;
    t) hang=$OPTARG ;;
    m) monitor=$OPTARG ;;
    o) outdir=$OPTARG ;;
    l) lm=$OPTARG ;;
    S) snap=$OPTARG ;;
    k) kernel=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

die() {
  printf 'stall-count: %s\n' "$*" >&2
  exit "${rc:-2}"
}

is_uint() {
  case $1 in '' | *[!0-9]*) return 1 ;; esac
  return 0
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
if ! is_uint "$runs" || [ "$runs" -lt 1 ]; then
  die "-n $runs: a number of runs (1 or more)"
fi
if ! is_uint "$cell" || [ "$cell" -lt 1 ]; then
  die "-c $cell: cell seconds (1 or more)"
fi
if ! is_uint "$hang" || [ "$hang" -lt 20 ]; then
  die "-t $hang: hang timeout in seconds, at least 20 (shorter ones mistake a slow TCG lab for a stall)"
fi
case $monitor in
  off | auto) ;;
  *) die "-m $monitor: allowed are off, auto" ;;
esac
for v in "$@"; do
  case $v in
    baseline | single | epyc | tbsize) ;;
    *) die "unknown variant '$v'; allowed: baseline, single, epyc, tbsize" ;;
  esac
done

rc=3
[ "$(id -u)" -eq 0 ] || die "needs root (the inner run reads /dev/kmsg and loads modules)"
real_qemu=$(command -v qemu-system-x86_64) ||
  die "qemu-system-x86_64 not found; install it: apt-get install qemu-system-x86"
[ -x "$lm" ] || die "$lm missing: run make all (or name one with -l)"
if [ -n "$kernel" ] && [ ! -r "$kernel" ]; then
  die "-k $kernel: no such kernel image"
fi

if [ -n "$snap" ]; then
  case $snap in
    /tmp | /tmp/* | /run | /run/* | /var/tmp | /var/tmp/*)
      rc=2
      die "-S $snap: the lab host cannot see /tmp, /run or /var/tmp of this machine"
      ;;
  esac
  command -v git >/dev/null || die "-S needs git"
  commit=$(git -C "$top" rev-parse HEAD) || die "-S: $top is not a git tree"
  # The committed tree, not the working tree (others may be editing it):
  # lockmap, tickguest, the module sources and init.sh of one commit.
  # A fresh tree each time: the lab's cache (module, initramfs) goes with it.
  rm -rf "$snap/src"
  mkdir -p "$snap/src" || die "cannot create $snap/src"
  if ! git -C "$top" archive "$commit" | tar -x -C "$snap/src"; then
    die "-S: git archive $commit failed"
  fi
  if ! make -C "$snap/src" all >"$snap/build.log" 2>&1; then
    die "-S: building $commit in $snap/src failed; see $snap/build.log"
  fi
  lm=$snap/src/build/lockmap
fi

mkdir -p "$outdir" || die "cannot create $outdir"
outdir=$(cd "$outdir" && pwd)
tmp=$(mktemp -d) || die "mktemp failed"
child=""
# lockmap stops its lab host when it gets SIGTERM.
trap '[ -z "$child" ] || kill "$child" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The profile: one cell, one tickguest on lab cpu 1, nothing injected; no
# module monitors unless -m auto.
profile=$outdir/stall-count.profile
cat >"$profile" <<EOF
# harness/lab/stall-count.sh: one short cell with nothing injected.
[run]
name = stall-count
target = lab
cell_seconds = ${cell}s
warmup = 2s
cooldown = 1s
hang_timeout = ${hang}s

[guests]
count = 1
period = 1ms
pin = 1
# nested guests under TCG lose ticks by themselves; not what is counted here
tick_loss = 100%

[monitor]
buddy = $monitor
probe = $monitor

[expect]
fail_on = host_hang, error
EOF

# make_wrapper VARIANT: $tmp/VARIANT/qemu-system-x86_64, which rewrites the
# lab host's -accel and -cpu values, logs the argv it runs to
# $tmp/VARIANT/argv.log and execs the real QEMU.
make_wrapper() {
  # the lab passes -accel tcg,thread=multi (lockmap lab --tcg-thread)
  accel=tcg,thread=multi
  cpu=max
  case $1 in
    single) accel=tcg,thread=single ;;
    epyc) cpu=EPYC ;;
    tbsize) accel=tcg,thread=multi,tb-size=64 ;;
  esac
  mkdir -p "$tmp/$1" && : >"$tmp/$1/argv.log" || return 1
  cat >"$tmp/$1/qemu-system-x86_64" <<EOF
#!/bin/sh
# stall-count.sh variant $1
lab=0
for a; do [ "\$a" = lockmap-lab ] && lab=1; done
[ \$lab -eq 1 ] || exec '$real_qemu' "\$@"
prev=""
seen=0
for a; do
  shift
  case \$prev in
    -accel) [ "\${a%%,*}" = tcg ] && a='$accel' && seen=\$((seen + 1)) ;;
    -cpu) [ "\$a" = max ] && a='$cpu' && seen=\$((seen + 1)) ;;
  esac
  set -- "\$@" "\$a"
  prev=\$a
done
if [ \$seen -eq 2 ]; then echo "applied \$*"; else echo "unchanged \$*"; fi >>'$tmp/$1/argv.log'
exec '$real_qemu' "\$@"
EOF
  chmod +x "$tmp/$1/qemu-system-x86_64"
}

# field REC KEY: a scalar field of one compact JSON record.
field() {
  printf "%s\n" "$1" | sed -n -e "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p;t" -e "s/.*\"$2\":\\([^,}]*\\).*/\\1/p"
}

# where REC: the hang_cpus of a record, as cpuN=rip[/rip...] with each
# distinct sample once.
where() {
  printf '%s\n' "$1" | sed -n 's/.*"hang_cpus":{\([^}]*\)}.*/\1/p' |
    awk '{
      n = split($0, parts, /\],?/)
      out = ""
      for (i = 1; i <= n; i++) {
        p = parts[i]
        if (p !~ /:/) continue
        cpu = p; sub(/:.*/, "", cpu); gsub(/[",]/, "", cpu)
        rest = p; sub(/^[^:]*:\[/, "", rest)
        m = split(rest, s, /","/)
        seen = ""; list = ""
        for (j = 1; j <= m; j++) {
          x = s[j]; gsub(/"/, "", x)
          if (index("|" seen "|", "|" x "|")) continue
          seen = seen "|" x; list = list (list == "" ? "" : "/") x
        }
        out = out (out == "" ? "" : " ") "cpu" cpu "=" list
      }
      print out
    }'
}

# round X: X with one decimal ("-" when it is not a number).
round() {
  case $1 in
    '' | *[!0-9.]*) echo - ;;
    *) awk -v x="$1" 'BEGIN { printf "%.1f\n", x }' ;;
  esac
}

# median: the median of the numbers on stdin (empty when none).
median() {
  sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit
    if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]
    else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
  }'
}

for v in "$@"; do
  make_wrapper "$v" || die "cannot write the $v wrapper in $tmp"
  : >"$outdir/$v.log"
  : >"$tmp/$v.ok"
  : >"$tmp/$v.counts"
  printf '# %s: %s runs, cell %s s, hang timeout %s s, monitors %s, lockmap %s%s, started %s\n' \
    "$v" "$runs" "$cell" "$hang" "$monitor" "$lm" "${commit:+ (commit $commit)}" \
    "$(date '+%F %T')" >>"$outdir/$v.log"
done

# one_run VARIANT I: one `lockmap run`, then one line per lab boot of it.
one_run() {
  v=$1
  i=$2
  dir=$outdir/$v/$i
  rm -rf "$dir"
  mkdir -p "$dir"
  before=$(wc -l <"$tmp/$v/argv.log" 2>/dev/null || echo 0)
  t0=$(date +%s)
  if [ -n "$kernel" ]; then
    PATH="$tmp/$v:$PATH" "$lm" lab -q --kernel "$kernel" -o "$dir" "$profile" \
      >"$dir/lockmap.out" 2>&1 &
  else
    PATH="$tmp/$v:$PATH" "$lm" run -q -o "$dir" "$profile" >"$dir/lockmap.out" 2>&1 &
  fi
  child=$!
  wait "$child"
  lrc=$?
  child=""
  wall=$(($(date +%s) - t0))
  after=$(wc -l <"$tmp/$v/argv.log" 2>/dev/null || echo 0)
  j=$dir/latest/journal.jsonl
  note=""
  # What the wrapper ran, next to the run's results.
  tail -n "$((after - before))" "$tmp/$v/argv.log" >"$dir/qemu-argv.txt"
  if [ "$after" -le "$before" ]; then
    note=" (the $v wrapper did not start the lab: variant NOT applied)"
  elif tail -n "$((after - before))" "$tmp/$v/argv.log" | grep -q '^unchanged'; then
    note=" (no -accel tcg... -cpu max to rewrite: variant NOT applied)"
  fi
  if [ ! -f "$j" ] || ! grep -q '"type":"lab_down"' "$j"; then
    msg=$(grep -v '^$' "$dir/lockmap.out" | tail -n 2 | tr '\n' ' ')
    line="$v run $i: error: no lab boot (lockmap exit $lrc, $wall s): $msg$note"
    echo error >>"$tmp/$v.counts"
    printf '%s\n' "$line" | tee -a "$outdir/$v.log"
    return
  fi
  grep '"type":"lab_down"' "$j" | while IFS= read -r rec; do
    b=$(field "$rec" boot)
    end=$(field "$rec" end)
    secs=$(field "$rec" seconds)
    up=$(field "$rec" boot_seconds)
    cellend=$(grep '"type":"cell_end"' "$j" | grep "\"boot\":${b}[,}]" | head -n 1)
    [ -n "$cellend" ] || [ "$end" != inner_exit ] ||
      cellend=$(grep '"type":"cell_end"' "$j" | head -n 1)
    outcome=$(field "$cellend" outcome)
    case $end in
      inner_exit)
        if [ "$outcome" = error ] || [ -z "$outcome" ]; then
          kind=error
          detail="inner run ended, cell ${outcome:-missing}: $(field "$cellend" error)"
        else
          kind=ok
          detail="cell $outcome, guests under $(field "$(grep '"type":"cell_start"' "$j" | head -n 1)" accel)"
          echo "$secs" >>"$tmp/$v.ok"
        fi
        ;;
      host_hang)
        kind=host_hang
        if [ -n "$cellend" ]; then
          detail="in the cell:"
        else
          detail="before the cell:"
        fi
        detail="$detail $(where "$rec") status=$(field "$rec" qemu_status)"
        ;;
      *)
        kind=error
        detail="lab_down $end: $(field "$rec" init)$(field "$rec" panic) $(field "$cellend" error); lockmap: $(grep -v '^$' "$dir/lockmap.out" | tail -n 1)"
        ;;
    esac
    echo "$kind" >>"$tmp/$v.counts"
    printf '%s run %s boot %s: %s (heartbeat after %s s, boot %s s, run %s s, exit %s) %s%s\n' \
      "$v" "$i" "$b" "$kind" "$(round "$up")" "$(round "$secs")" "$wall" "$lrc" \
      "$detail" "$note" |
      tee -a "$outdir/$v.log"
  done
}

i=1
while [ "$i" -le "$runs" ]; do
  for v in "$@"; do
    one_run "$v" "$i"
  done
  i=$((i + 1))
done

for v in "$@"; do
  n=$(wc -l <"$tmp/$v.counts")
  k=$(grep -c '^host_hang$' "$tmp/$v.counts")
  e=$(grep -c '^error$' "$tmp/$v.counts")
  med=$(median <"$tmp/$v.ok")
  printf '%s: %s boots, %s stalls, %s errors, median boot+cell wall %s s\n' \
    "$v" "$((n))" "$((k))" "$((e))" "${med:--}" | tee -a "$outdir/$v.log"
done
exit 0
