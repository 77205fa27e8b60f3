#!/bin/sh
# /init of the lab host's initramfs (busybox sh, PID 1). It loads the kernel
# modules lockmap put in /lib/lockmap, starts the heartbeat, mounts the
# machine's root (read-only 9p) at /host and the run directory (writable 9p)
# at the same path inside it, and runs the inner lockmap (which came in this
# initramfs) there with chroot.
# Every line it prints starts with "lockmap-lab:" so the outer lockmap can
# tell them from kernel messages. Kernel command line: see README.md.

PATH=/bin:/sbin
export PATH

say() { echo "lockmap-lab: $*"; }

# PID 1 must never exit (the kernel would panic): power off instead.
halt_lab() {
	sync
	poweroff -f
	sleep 10
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done
}

die() {
	say "fatal: $*"
	halt_lab
}

/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run /host
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
hostname lockmap-lab

run=""
profile=""
test_panic=""
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case "$arg" in
	lockmap.run=*) run=${arg#lockmap.run=} ;;
	lockmap.profile=*) profile=${arg#lockmap.profile=} ;;
	lockmap.test_panic=*) test_panic=${arg#lockmap.test_panic=} ;;
	esac
done
say "init on $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus"
if [ -z "$run" ] || [ -z "$profile" ]; then
	die "lockmap.run and lockmap.profile must be on the kernel command line"
fi

# busybox insmod does not read the kernel command line the way modprobe does:
# hand each module its "module.param=value" arguments (e.g. the bounds of
# lockmap_inject raised by a test).
module_args() {
	mod=$(echo "$1" | tr - _)
	for a in $cmdline; do
		case "$a" in
		"$mod".*=*) echo "${a#"$mod".}" ;;
		esac
	done
}

# modules.order lists the modules in dependency order (lockmap resolved it from
# modules.dep when it built this initramfs). Only the KVM module of this cpu
# vendor is loaded; other failures are reported, not fatal (init checks what
# it needs: the 9p mounts).
if [ -f /lib/lockmap/modules.order ]; then
	while read -r ko; do
		name=${ko%.ko}
		case "$name" in
		kvm-intel | kvm_intel) grep -qw vmx /proc/cpuinfo || continue ;;
		kvm-amd | kvm_amd) grep -qw svm /proc/cpuinfo || continue ;;
		esac
		# shellcheck disable=SC2046 # one word per module argument
		if ! out=$(insmod "/lib/lockmap/$ko" $(module_args "$name") 2>&1); then
			say "insmod $name: ${out:-failed}"
		fi
	done </lib/lockmap/modules.order
fi

# The heartbeat: one line a second on the virtio-serial port lockmap watches.
# A busy host still beats; a hung one does not.
hb=""
for p in /sys/class/virtio-ports/*; do
	[ "$(cat "$p/name" 2>/dev/null)" = lockmap.heartbeat ] && hb="/dev/${p##*/}"
done
if [ -n "$hb" ] && [ -c "$hb" ]; then
	(
		n=0
		while :; do
			n=$((n + 1))
			read -r up _ </proc/uptime
			echo "hb $n $up"
			sleep 1
		done
	) >"$hb" 2>/dev/null &
	say "heartbeat on $hb"
else
	say "no heartbeat port (virtio_console missing?): lockmap will judge by the console alone"
fi

opts=trans=virtio,version=9p2000.L,msize=262144
# The machine's root does not change under a run: let the lab host cache it
# (QEMU and its libraries load from it for every nested guest).
mount -t 9p -o "$opts,ro,cache=loose" hostroot /host || die "cannot mount the machine's root (9p hostroot)"
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
# The inner run reads a crashed boot's records there when it resumes (with
# `lockmap lab --pstore`, ramoops keeps them in RAM across the reboot).
mount -t pstore pstore /host/sys/fs/pstore 2>/dev/null
mount -t devtmpfs devtmpfs /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/dev/shm
mount -t tmpfs tmpfs /host/tmp
mount -t tmpfs tmpfs /host/run
mount -t tmpfs tmpfs /host/var/tmp 2>/dev/null
mount -t cgroup2 cgroup2 /host/sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /host/sys/kernel/tracing 2>/dev/null
# After the tmpfs mounts: a run directory under /tmp goes on top of the lab's
# own /tmp (mkdir makes its mount point there; elsewhere it exists already).
mkdir -p "/host$run" || die "cannot make the mount point /host$run"
mount -t 9p -o "$opts" results "/host$run" || die "cannot mount the run directory (9p results)"
# The helper module is not optional: it is the hard-lockup detector of a
# host without a PMU and the injectors' engine.
[ -d /sys/module/lockmap_inject ] || die "lockmap_inject.ko did not load (see the insmod line above)"
# The lockmap that runs the cells came in this initramfs with its guest
# (outside, it may live where the lab host cannot see, such as /tmp): into
# the lab's own /run, where the chroot finds them side by side.
bin=/run/lockmap-lab/lockmap
if ! mkdir -p /host/run/lockmap-lab ||
	! cp -r /lib/lockmap/bin/lockmap /lib/lockmap/bin/tickguest.elf /lib/lockmap/bin/linux \
		/host/run/lockmap-lab/; then
	die "cannot copy lockmap into the lab host's /run"
fi
[ -c /dev/kvm ] && kvm=yes || kvm=no
# Read QEMU and its libraries once over 9p into the lab host's cache: the
# first nested guest otherwise pays for it inside the KVM probe's time bound.
chroot /host qemu-system-x86_64 -version >/dev/null 2>&1
say "ready: /dev/kvm $kvm, lockmap_inject loaded"

# Test hook (README.md): crash the lab host once, test_panic seconds into the
# inner run, to check that lockmap classifies a panic and goes on.
case "$test_panic" in
'' | 0) ;;
*)
	if [ ! -e "/host$run/.lab-test-panic" ]; then
		: >"/host$run/.lab-test-panic"
		(
			sleep "$test_panic"
			say "test_panic: crashing the lab host"
			echo c >/proc/sysrq-trigger
		) &
	fi
	;;
esac

# The inner run's own output goes to a file: on the console its echoes of
# kernel messages would be classified a second time.
# The cache (payload linux's initramfs) on the lab's own tmpfs: the
# machine's root is read-only here.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LOCKMAP_CACHE=/run/lockmap-lab/cache \
	chroot /host "$bin" run --lab-inner --run-dir "$run" "$profile" \
	>"/host$run/lab-inner.log" 2>&1
rc=$?
say "inner exit $rc"
halt_lab
