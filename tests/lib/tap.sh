# Shared by the e2e tests (sourced, POSIX sh): TAP output the runner counts, and
# checks of what lockmap must leave behind.
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check DESCRIPTION SHELL-CONDITION
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
# e2e_tmp: a scratch directory in $tmp, removed when the test exits.
e2e_tmp() {
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT INT TERM
}
# e2e_own_state: after e2e_tmp, a state directory of the test's own in $tmp
# (the host lock, the restore file, the QMP sockets: its runs must neither
# wait for nor step into other runs on this machine), and none of the
# environment that would make its runs shards (a Slurm array task, a
# Kubernetes Indexed Job) or talk to systemd (soak_notify.sh sets its own).
e2e_own_state() {
  export LOCKMAP_STATE_DIR="$tmp/state"
  unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP \
    SLURM_ARRAY_TASK_COUNT JOB_COMPLETION_INDEX NOTIFY_SOCKET JOURNAL_STREAM
}
# needs_root NAME WHY: unless root, skip NAME (needs root for WHY) and exit.
needs_root() {
  if [ "$(id -u)" -ne 0 ]; then
    skip "$1" "needs root ($2)"
    exit 0
  fi
}
# Guest QEMUs are named lockmap-<cell-id>-g<N>.
guests_running() { pgrep -f 'lockmap-[0-9a-f]{16}-g' >/dev/null; }
lockmap_cgroups_left() {
  for d in /sys/fs/cgroup/lockmap-* /sys/fs/cgroup/*/lockmap-*; do
    [ -d "$d" ] && return 0
  done
  return 1
}
# csv_col CSV ROW NAME: a column of cells.csv by its header name (row 1 = the
# first cell).
csv_col() {
  awk -F, -v r="$2" -v name="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
    NR == r + 1 { print $c }' "$1"
}
# The outcome column of row 2 of a cells.csv (its place depends on the axes).
outcome_of() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "outcome") c = i } NR == 2 { print $c }' "$1" 2>/dev/null
}
# wait_records DIR TYPE N: wait (up to 60 s) until the journal of the newest
# run under DIR holds N records of TYPE; a run starts its cells after the KVM
# probe, which takes from nothing to 10 s depending on the machine's /dev/kvm.
wait_records() {
  w=0
  while [ $w -lt 600 ] &&
    [ "$(grep -c "\"type\":\"$2\"" "$1"/latest/journal.jsonl 2>/dev/null)" != "$3" ]; do
    sleep 0.1
    w=$((w + 1))
  done
}
# lab_build_ready NAME [WHY-ROOT]: skip NAME and exit unless this is root
# (WHY-ROOT says what for) and lockmap and tickguest are built.
lab_build_ready() {
  needs_root "$1" "${2:-the inner run reads /dev/kmsg and loads modules}"
  if [ ! -x build/lockmap ] || [ ! -f build/tickguest.elf ]; then
    skip "$1" "build/lockmap or build/tickguest.elf missing: run make"
    exit 0
  fi
}
# lab_ready NAME: skip NAME and exit unless a lab can run here (root, a build,
# a /boot/vmlinuz-* with its headers); else set kver to that kernel's release.
lab_ready() {
  lab_build_ready "$1"
  kver=""
  for img in /boot/vmlinuz-*; do
    v=${img#/boot/vmlinuz-}
    [ -d "/lib/modules/$v/build" ] && kver=$v
  done
  if [ -z "$kver" ]; then
    skip "$1" "no /boot/vmlinuz-* with its headers (make check installs them with LOCKMAP_LAB_KERNEL=1)"
    exit 0
  fi
}
# check_or_show DESCRIPTION SHELL-CONDITION RUN: check; when it fails, print as
# TAP comments what tells why: each cell's VMM and guest logs and the tail of
# the lab console. A lab failure in CI leaves nothing else behind.
check_or_show() {
  if eval "$2"; then
    ok "$1"
    return
  fi
  notok "$1"
  for f in "$3"/cells/*/qemu-*.log "$3"/cells/*/guest-*.log; do
    [ -f "$f" ] || continue
    echo "# --- $f"
    tail -n 20 "$f" | sed 's/^/#   /'
  done
  if [ -f "$3/lab-console.log" ]; then
    echo "# --- $3/lab-console.log (last 40 lines)"
    tail -n 40 "$3/lab-console.log" | sed 's/^/#   /'
  fi
}
# hist_pixels HIST R G B [TOLERANCE]: how many pixels of a colour (each channel
# within TOLERANCE, default 0: antialiased lines need some) a `ppmhist
# -noheader` listing HIST ("r g b lum count" a line) counts.
hist_pixels() {
  awk -v r="$2" -v g="$3" -v b="$4" -v t="${5:-0}" '
    function d(x, y) { return x > y ? x - y : y - x }
    d($1, r) <= t && d($2, g) <= t && d($3, b) <= t { n += $5 } END { print n + 0 }' "$1"
}
