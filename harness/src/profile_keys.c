// SPDX-License-Identifier: GPL-2.0
/* The keys of the built-in profile sections [run], [guests], [expect], [monitor]
 * and [search].
 * [host] keys live in hostknobs.c, launcher and injector keys in their own
 * files; profile.c puts them all together (section_spec_find()). */
#include "lockmap.h"
#include "profile.h"

const struct pspec profile_run_keys[] = {
	/* The default is the profile's file name without ".profile"; profile.c
	 * fills it in, the empty text here only marks the key as optional. */
	{ "name", PT_STRING, 1, 0, "", NULL,
	  "name of the run, part of results/<run-id> (default: the file's base name)" },
	{ "target", PT_ENUM, 1, 0, "local", "local|lab",
	  "where the host under test is: this machine, or a lab VM" },
	{ "cell_seconds", PT_DURATION, NSEC_PER_SEC, 24 * 3600 * NSEC_PER_SEC, "20s", NULL,
	  "length of each cell's observation window" },
	{ "warmup", PT_DURATION, 0, 3600 * NSEC_PER_SEC, "3s", NULL,
	  "time the guests run before injectors start (not counted)" },
	{ "cooldown", PT_DURATION, 0, 3600 * NSEC_PER_SEC, "2s", NULL,
	  "time after injectors stop, still watched for late lockup reports" },
	{ "repeat", PT_INT, 1, 1000, "1", NULL,
	  "how many times each cell runs (repetitions share the cell id)" },
	{ "hang_timeout", PT_DURATION, NSEC_PER_SEC, 3600 * NSEC_PER_SEC, "30s", NULL,
	  "lab target: console and heartbeat silent this long make the cell host_hang" },
	{ "boot_timeout", PT_DURATION, 0, 3600 * NSEC_PER_SEC, "0", NULL,
	  "lab target: how long the lab host may take to boot (0: 120s under TCG, 60s under KVM)" },
};
const size_t profile_run_nkeys = ARRAY_SIZE(profile_run_keys);

const struct pspec profile_guests_keys[] = {
	/* choices are the names in launchers[]; profile.c fills them in. */
	{ "launcher", PT_ENUM, 1, 0, "qemu", NULL,
	  "what starts the guests" },
	{ "payload", PT_ENUM, 1, 0, "tickguest", "tickguest|linux",
	  "what the guests run: tickguest, or a Linux kernel whose tick runs the LAPIC "
	  "periodically (guests/linux/README.md)" },
	{ "count", PT_INT, 1, 512, NULL, NULL,
	  "number of guests in each cell" },
	{ "vcpus", PT_INT, 1, 64, "1", NULL,
	  "vCPUs per guest" },
	{ "memory", PT_SIZE, 16, 4096, "32M", NULL,
	  "memory per guest" },
	{ "period", PT_DURATION, NSEC_PER_USEC, NSEC_PER_SEC, NULL, NULL,
	  "LAPIC timer period the guests program (payload linux: its kernel's tick, "
	  "1s / CONFIG_HZ, and no other)" },
	{ "timer", PT_ENUM, 1, 0, "periodic", "periodic|oneshot|tscdeadline",
	  "LAPIC timer mode" },
	{ "idle", PT_ENUM, 1, 0, "hlt", "hlt|busy",
	  "what a guest does between ticks: halt, or spin" },
	{ "report", PT_DURATION, 100 * NSEC_PER_MSEC, 60 * NSEC_PER_SEC, "1s", NULL,
	  "interval of the guests' tick reports" },
	{ "pin", PT_CPULIST, 1, 0, "0", NULL,
	  "host cpus the guests' vCPU threads are pinned to (kernel cpu list)" },
	{ "tick_loss", PT_PERCENT, 0, 10000, "5%", NULL,
	  "ticks a guest may lose before the cell counts as degraded" },
	{ "linux_kernel", PT_STRING, 1, 0, "auto", NULL,
	  "payload linux: the guest kernel image; auto: /boot/vmlinuz-$(uname -r), "
	  "else the newest /boot/vmlinuz-* with headers; its config gives CONFIG_HZ" },
	{ "linux_append", PT_STRING, 1, 0, "quiet", NULL,
	  "payload linux: kernel command-line words after lockmap's own (a later word "
	  "wins: highres=on makes the tick oneshot, and the cell an error)" },
	{ "accel", PT_ENUM, 1, 0, "auto", "auto|kvm|tcg",
	  "KVM, TCG, or auto: KVM when a probe guest runs under it, else TCG" },
};
const size_t profile_guests_nkeys = ARRAY_SIZE(profile_guests_keys);

/* fail_on's choices are the outcomes, in the order of enum outcome; its value
 * may also hold metric thresholds (failon.h); its num is a mask of outcomes. */
const struct pspec profile_expect_keys[] = {
	{ "fail_on", PT_FAILON, 1, 0, "softlockup,hardlockup,rcu_stall,panic,host_hang,error",
	  "skipped|clean|degraded|rcu_stall|softlockup|hardlockup|panic|host_hang|error",
	  "outcomes, and metric thresholds METRIC OP VALUE (probe.max_chain > 1000, "
	  "guest.lost_ticks > 5%, events.hrtimer_hang >= 1), that make a cell fail the run "
	  "(exit status 1); comma-separated" },
};
const size_t profile_expect_nkeys = ARRAY_SIZE(profile_expect_keys);

/* What the cell watches with the helper module (lockmap_inject.ko), when it is
 * loaded: its buddy hard-lockup detector and the apic_timer_fn probe. */
const struct pspec profile_monitor_keys[] = {
	{ "buddy", PT_ENUM, 1, 0, "auto", "auto|on|off",
	  "the module's buddy hard-lockup detector: auto runs it when the kernel's "
	  "perf NMI watchdog is off (no PMU), on always, off never" },
	{ "buddy_thresh", PT_DURATION, 0, 120 * NSEC_PER_SEC, "0", NULL,
	  "how long a cpu's heartbeat may stop before the buddy detector reports a "
	  "hard lockup (0: kernel.watchdog_thresh, like the kernel's own detector)" },
	{ "probe", PT_ENUM, 1, 0, "auto", "auto|on|off|timed",
	  "the apic_timer_fn probe: auto runs it when kvm is loaded, on requires it, "
	  "timed also times every apic_timer_fn call and timer interrupt (two clock "
	  "reads each: for measuring the probe and the call, not for maps)" },
};
const size_t profile_monitor_nkeys = ARRAY_SIZE(profile_monitor_keys);

/* [search] (profile_search.c): lo, hi and resolution are written in the
 * axis' own type and units, so they are read as text here and parsed with
 * the axis' spec once it is known. The choices of reach are the outcomes a
 * search can aim at, in outcome.h order (error and skipped are not). */
const struct pspec profile_search_keys[] = {
	{ "axis", PT_STRING, 1, 0, NULL, NULL,
	  "the key searched, SECTION.KEY, numeric (e.g. inject.irqoff.duration, guests.count)" },
	{ "lo", PT_STRING, 1, 0, NULL, NULL,
	  "the lowest value searched, in the axis' units (e.g. 0)" },
	{ "hi", PT_STRING, 1, 0, NULL, NULL,
	  "the highest value searched, in the axis' units (e.g. 16s)" },
	{ "resolution", PT_STRING, 1, 0, NULL, NULL,
	  "the step between values the search may probe (e.g. 500ms)" },
	{ "reach", PT_ENUM, 1, 0, NULL, "degraded|rcu_stall|softlockup|hardlockup|panic|host_hang",
	  "the target outcome: a probe reaches it with this outcome or a worse one" },
	{ "repeats", PT_INT, 1, 1000, "1", NULL,
	  "runs of each probe (default: [run] repeat); the value reaches when at least "
	  "half of its runs that count do" },
};
const size_t profile_search_nkeys = ARRAY_SIZE(profile_search_keys);

/* [report] (profile_report.c): how report.html lays out the grid. Not the
 * cell's conditions: they stay out of cell ids (grid.c). */
const struct pspec profile_report_keys[] = {
	{ "x", PT_STRING, 1, 0, "auto", NULL,
	  "the axis across the heatmaps, SECTION.KEY (e.g. guests.count); auto: the "
	  "profile's first axis" },
	{ "y", PT_STRING, 1, 0, "auto", NULL,
	  "the axis down the heatmaps (e.g. inject.irqoff.duration); auto: the first "
	  "axis that is not x; the other axes make one heatmap per combination of their values" },
};
const size_t profile_report_nkeys = ARRAY_SIZE(profile_report_keys);
