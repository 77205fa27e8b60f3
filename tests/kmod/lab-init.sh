#!/bin/sh
# /init of the initramfs that tests/kmod/run-in-lab.sh boots as a lab host
# (busybox). Loads KVM and lockmap_inject.ko, runs lockmap_kmod_test, checks
# what unloading leaves behind, powers off. TAP lines go to the second serial
# port (ttyS1), so kernel messages on the console (ttyS0) cannot split them;
# they are numbered by run-in-lab.sh.
PATH=/bin:/sbin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

# Threads of the module: lockmap_irqoff/N and lockmap_nmi/N.
lockmap_threads() {
  n=0
  for c in /proc/[0-9]*/comm; do
    case "$(cat "$c" 2>/dev/null)" in lockmap_irqoff/*|lockmap_nmi/*) n=$((n + 1)) ;; esac
  done
  echo "$n"
}

run_tests() {
  for m in irqbypass ccp kvm kvm-amd; do
    if [ -f "/lib/kmod/$m.ko" ]; then
      insmod "/lib/kmod/$m.ko" 2>&1 | sed 's/^/# /'
    fi
  done
  if [ -c /dev/kvm ]; then
    echo "# kvm loaded: $(grep -c . /proc/modules) modules, /dev/kvm present"
  else
    echo "# kvm not loaded: the probe test checks the -ENOENT path"
  fi

  check "lockmap_inject.ko loads" "insmod /lib/kmod/lockmap_inject.ko"
  check "/dev/lockmap exists" "[ -c /dev/lockmap ]"
  # TESTS from run-in-lab.sh: names of the tests to run (default: all)
  tests=$(cat /tests 2>/dev/null)
  # shellcheck disable=SC2086 # one argument per test name
  /bin/lockmap_kmod_test $tests
  echo "# lockmap_kmod_test exited with status $?"

  check "no injection left running after the test program" \
    "[ \"\$(cat /sys/module/lockmap_inject/parameters/active_injections)\" = 0 ]"
  check "no buddy timer queued (/proc/timer_list)" \
    "! grep -q lm_buddy_fn /proc/timer_list"
  check "rmmod lockmap_inject" "rmmod lockmap_inject"
  check "module gone from /proc/modules" "! grep -q '^lockmap_inject ' /proc/modules"
  check "no lockmap thread after rmmod ($(lockmap_threads))" "[ \"\$(lockmap_threads)\" = 0 ]"
  # A tracepoint probe left registered after rmmod would be called from the
  # next timer interrupt into freed module text: give it a second to oops.
  sleep 1
  check "no kernel WARNING, Oops or BUG during the tests" \
    "! dmesg | grep 'WARNING:\|Oops\|BUG:' | grep -qv 'BUG: soft lockup - CPU#1'"
  check "no NMI of unknown reason (the handler claims only its own)" \
    "! dmesg | grep -q 'NMI received for unknown reason'"
  dmesg | grep "lockmap_inject:" | grep -v "must be\|unknown bits\|is busy\|is not online\|one section only\|max_cpus\|must be outside\|more than half" | sed "s/^/# dmesg: /"
  echo "# lab tests done"
}

if [ -c /dev/ttyS1 ]; then
  run_tests >/dev/ttyS1 2>&1
else
  run_tests
fi
poweroff -f
