#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of lockmap's Linux guest (guests/linux/README.md): check that the
# kernel's tick runs the LAPIC in periodic mode, then report local timer
# interrupts (/proc/interrupts LOC) in tickguest's report format on the
# console, which lockmap reads (harness/src/guestreport.c).
# Runs under busybox; /etc/lockmap-guest (written by build-initramfs.sh)
# holds the kernel's HZ and release.

PATH=/bin
export PATH

mount -t proc proc /proc
mount -t devtmpfs dev /dev
# No /dev/console in the archive (it is built without root): the console
# comes with devtmpfs.
exec </dev/console >/dev/console 2>&1

# shellcheck source=/dev/null
. /etc/lockmap-guest

# The options lockmap passes on the kernel command line (lockmap.KEY=VALUE:
# the kernel keeps dotted words it does not know out of init's arguments).
report_ms=1000
read -r cmdline </proc/cmdline
for w in $cmdline; do
	case "$w" in
	lockmap.report_ms=*) report_ms=${w#lockmap.report_ms=} ;;
	esac
done

stop() {
	poweroff -f
	while :; do sleep 3600; done
}

# Each cpu's tick device from /proc/timer_list (kernel/time/timer_list.c):
# "cpu=N clockevent=NAME tick_mode=periodic|oneshot handler=FUNC", one line
# per cpu. The tick is periodic on the LAPIC when every cpu's tick device is
# in TICKDEV_MODE_PERIODIC (0) with tick_handle_periodic on "lapic" (the
# TSC-deadline variant is "lapic-deadline", which runs oneshot only).
tick_devices() {
	awk '
	/^Tick Device: mode:/ { mode = ($4 == "0") ? "periodic" : "oneshot" }
	/^Per CPU device:/ { cpu = $4 }
	/^Broadcast device/ { cpu = "" }
	/^Clock Event Device:/ { dev = $4 }
	/^ event_handler:/ {
		if (cpu != "")
			printf "cpu=%s clockevent=%s tick_mode=%s handler=%s\n", cpu, dev, mode, $2
	}' /proc/timer_list
}

# The first cpu whose tick is not periodic on the LAPIC, or nothing.
tick_not_periodic() {
	tick_devices | grep -v -m1 ' clockevent=lapic tick_mode=periodic handler=tick_handle_periodic$'
}

# Ticks a change to oneshot mode may still be pending (highres or nohz
# switch at a timer softirq): look twice, a second apart.
bad=$(tick_not_periodic)
if [ -z "$bad" ]; then
	sleep 1
	bad=$(tick_not_periodic)
fi
if [ -n "$bad" ]; then
	echo "error what=tick-not-periodic $bad"
	stop
fi
if [ -z "$(tick_devices)" ]; then
	echo "error what=no-tick-device detail=/proc/timer_list-has-no-per-cpu-device"
	stop
fi

ncpus=$(tick_devices | wc -l)
period_us=$((1000000 / HZ))
khz=$(awk -F': *' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
echo "linuxguest period_us=$period_us timer=periodic idle=kernel report_ms=$report_ms tsc_khz=${khz:-0} calib=cpuinfo clockevent=lapic tick_mode=periodic hz=$HZ cpus=$ncpus kernel=$RELEASE"

# One report: counters since the first sample (state in /run/lockmap-base
# and /run/lockmap-prev: "now_ns loc0 loc1 ..."). expected is HZ per cpu
# over the kernel's monotonic clock ("now at" in /proc/timer_list, ns);
# maxgap_us is a lower bound (a cpu with n ticks in an interval of t had a
# gap of at least t/(n+1)): single ticks are not visible from user space,
# and late stays 0 for the same reason.
sample() {
	awk '
	FILENAME == "/proc/timer_list" && /^now at/ { now = $3 }
	FILENAME == "/proc/interrupts" && $1 == "LOC:" {
		for (i = 2; i <= 1 + ncpus; i++)
			loc = loc " " $i
	}
	END { print now loc }' ncpus="$ncpus" /proc/timer_list /proc/interrupts
}

mkdir -p /run
sample > /run/lockmap-base
cp /run/lockmap-base /run/lockmap-prev
seq=0
while :; do
	usleep $((report_ms * 1000))
	seq=$((seq + 1))
	sample > /run/lockmap-now
	awk -v seq="$seq" -v hz="$HZ" '
	FILENAME == "/run/lockmap-base" { for (i = 1; i <= NF; i++) base[i] = $i }
	FILENAME == "/run/lockmap-prev" { for (i = 1; i <= NF; i++) prev[i] = $i }
	FILENAME == "/run/lockmap-now" {
		t = $1 - prev[1]
		ticks = 0; gap = 0; locs = ""
		for (i = 2; i <= NF; i++) {
			ticks += $i - base[i]
			g = t / ($i - prev[i] + 1)
			if (g > gap)
				gap = g
			locs = locs (i > 2 ? "," : "") $i
		}
		printf "tick seq=%d ticks=%d expected=%d maxgap_us=%d late=0 loc=%s\n", seq,
		       ticks, int(($1 - base[1]) * hz / 1e9) * (NF - 1), gap / 1000, locs
	}' /run/lockmap-base /run/lockmap-prev /run/lockmap-now
	mv /run/lockmap-now /run/lockmap-prev
done
