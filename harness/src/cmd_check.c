// SPDX-License-Identifier: GPL-2.0
/* `lockmap check`: is this host ready to run lockmap? One line per thing, each
 * missing thing with the command that fixes it (like virt-host-validate). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "accel.h"
#include "cache.h"
#include "cgroup.h"
#include "cmd.h"
#include "hostknobs.h"
#include "inject.h"
#include "kmodctl.h"
#include "ksyms.h"
#include "labimage.h"
#include "launch.h"
#include "launch_libvirt.h"
#include "linuxguest.h"
#include "lockmap.h"
#include "pstore.h"
#include "runfiles.h"
#include "runlock.h"
#include "spawn.h"

enum check_state { CHECK_OK, CHECK_NOTE, CHECK_MISSING };

struct check {
	const char *name;
	/* Fill msg (what was found) and fix (how to get it when missing). */
	enum check_state (*fn)(char *msg, size_t len, char *fix, size_t flen);
	bool required;		/* missing makes `check` exit 3 */
};

static enum check_state check_root(char *msg, size_t len, char *fix, size_t flen)
{
	if (geteuid() == 0) {
		snprintf(msg, len, "running as root");
		return CHECK_OK;
	}
	snprintf(msg, len, "not root: host knobs, cgroups and /dev/kmsg need root");
	snprintf(fix, flen, "run lockmap as root (sudo lockmap ...)");
	return CHECK_MISSING;
}

static enum check_state check_tool(const char *tool, const char *pkg, const char *purpose,
				   char *msg, size_t len, char *fix, size_t flen)
{
	char path[512];

	if (!spawn_which(tool, path, sizeof(path))) {
		snprintf(msg, len, "%s not found on PATH (%s)", tool, purpose);
		snprintf(fix, flen, "apt-get install %s", pkg);
		return CHECK_MISSING;
	}
	snprintf(msg, len, "%s", path);
	return CHECK_OK;
}

static enum check_state check_qemu(char *msg, size_t len, char *fix, size_t flen)
{
	return check_tool("qemu-system-x86_64", "qemu-system-x86", "guests run in QEMU", msg,
			  len, fix, flen);
}

static enum check_state check_tickguest(char *msg, size_t len, char *fix, size_t flen)
{
	char *p = data_path("tickguest.elf");

	if (!p) {
		snprintf(msg, len, "tickguest.elf not found next to lockmap");
		snprintf(fix, flen, "make (builds build/tickguest.elf), or make install");
		return CHECK_MISSING;
	}
	snprintf(msg, len, "%s", p);
	free(p);
	return CHECK_OK;
}

/* payload = linux: optional, only its profiles need it. */
static enum check_state check_linux_guest(char *msg, size_t len, char *fix, size_t flen)
{
	if (linuxguest_ready(msg, len) == 0)
		return CHECK_OK;
	snprintf(fix, flen, "payload = linux needs a kernel image, its config and busybox-static: apt-get install linux-image-amd64 busybox-static, or name one with [guests] linux_kernel");
	return CHECK_MISSING;
}

/* KVM is usable only when a guest was seen to run under it. */
static enum check_state check_kvm(char *msg, size_t len, char *fix, size_t flen)
{
	char why[512];
	int rc = accel_probe_kvm(0, why, sizeof(why));

	if (rc == 0) {
		snprintf(msg, len, "KVM runs guests here (%s)", why);
		return CHECK_OK;
	}
	snprintf(msg, len, "KVM is not fit for lockmap here: %s; guests will run under TCG "
		 "(emulated timing, slower)", why);
	if (rc == -ENOENT || rc == -EACCES)
		snprintf(fix, flen, "on a KVM host: modprobe kvm_intel (or kvm_amd), and check "
			 "virtualization is enabled in the firmware");
	else
		snprintf(fix, flen, "this /dev/kvm (paravirtual, or a nested KVM without what a "
			 "guest needs) cannot run guests: run lockmap on a host with hardware "
			 "virtualization, or as a lab (lockmap lab) under TCG");
	return CHECK_NOTE;
}

static enum check_state check_nested(char *msg, size_t len, char *fix, size_t flen)
{
	static const char *const mods[] = { "kvm_intel", "kvm_amd" };
	char path[128], val[16];

	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/nested", mods[i]);
		if (read_file_str(path, val, sizeof(val)) < 0)
			continue;
		if (val[0] == 'Y' || val[0] == '1') {
			snprintf(msg, len, "%s nested=%s", mods[i], val);
			return CHECK_OK;
		}
		snprintf(msg, len, "%s nested=%s: no nested virtualization (the lab needs it "
			 "under KVM; it falls back to TCG otherwise)", mods[i], val);
		snprintf(fix, flen, "modprobe -r %s && modprobe %s nested=1", mods[i], mods[i]);
		return CHECK_NOTE;
	}
	snprintf(msg, len, "neither kvm_intel nor kvm_amd is loaded");
	snprintf(fix, flen, "modprobe kvm_intel nested=1 (or kvm_amd nested=1)");
	return CHECK_NOTE;
}

/* kvm parameters that shape periodic-timer behaviour. */
static enum check_state check_kvm_params(char *msg, size_t len, char *fix, size_t flen)
{
	char v[64], pt[64];
	size_t off;

	if (read_file_str("/sys/module/kvm/parameters/min_timer_period_us", v, sizeof(v)) < 0) {
		snprintf(msg, len, "kvm module not loaded: min_timer_period_us unknown");
		snprintf(fix, flen, "modprobe kvm");
		return CHECK_NOTE;
	}
	off = (size_t)snprintf(msg, len, "kvm.min_timer_period_us=%s", v);
	if (off < len &&
	    read_file_str("/sys/module/kvm_intel/parameters/preemption_timer", pt, sizeof(pt)) == 0)
		snprintf(msg + off, len - off, " kvm_intel.preemption_timer=%s", pt);
	return CHECK_OK;
}

static enum check_state check_cgroup(char *msg, size_t len, char *fix, size_t flen)
{
	struct cgroup_cpu cc;

	if (cgroup_cpu_find(NULL, &cc) < 0) {
		snprintf(msg, len, "no cgroup hierarchy offers the cpu controller: the "
			 "throttle injector cannot run");
		snprintf(fix, flen, "mount cgroup2 with the cpu controller enabled "
			 "(or a cgroup v1 cpu hierarchy)");
		return CHECK_MISSING;
	}
	snprintf(msg, len, "%s", cc.desc);
	return CHECK_OK;
}

static enum check_state check_cgroup_left(char *msg, size_t len, char *fix, size_t flen)
{
	char names[512], unused[8], holder[1024];

	if (runlock_busy(holder, sizeof(holder))) {
		snprintf(msg, len, "not checked: %s is running", holder);
		return CHECK_NOTE;
	}
	if (cgroup_leftovers(false, names, sizeof(names), unused, sizeof(unused)) == 0) {
		snprintf(msg, len, "no cgroups left by an earlier run");
		return CHECK_OK;
	}
	snprintf(msg, len, "cgroups left by a killed run: %s", names);
	snprintf(fix, flen, "lockmap check --restore");
	return CHECK_MISSING;
}

static enum check_state check_kmsg(char *msg, size_t len, char *fix, size_t flen)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(msg, len, "/dev/kmsg not readable: %s", strerror(errno));
		snprintf(fix, flen, "run as root; sysctl kernel.dmesg_restrict=0 does not "
			 "suffice for /dev/kmsg in containers: run on the host");
		return CHECK_MISSING;
	}
	close(fd);
	snprintf(msg, len, "/dev/kmsg readable");
	return CHECK_OK;
}

static enum check_state check_stress(char *msg, size_t len, char *fix, size_t flen)
{
	return check_tool("stress-ng", "stress-ng", "the stress injector needs it", msg, len, fix,
			  flen);
}

/* The kernel's lockup detectors: what they will and will not report. */
static enum check_state check_watchdog(char *msg, size_t len, char *fix, size_t flen)
{
	char nmi[16] = "?", soft[16] = "?", thresh[16] = "?";
	bool pmu = access("/sys/bus/event_source/devices/cpu", F_OK) == 0;

	(void)read_file_str("/proc/sys/kernel/nmi_watchdog", nmi, sizeof(nmi));
	(void)read_file_str("/proc/sys/kernel/soft_watchdog", soft, sizeof(soft));
	(void)read_file_str("/proc/sys/kernel/watchdog_thresh", thresh, sizeof(thresh));
	snprintf(msg, len, "nmi_watchdog=%s soft_watchdog=%s watchdog_thresh=%s, %s", nmi, soft,
		 thresh, pmu ? "PMU present" : "no PMU (the perf NMI watchdog cannot run)");
	if (strcmp(nmi, "1") || !pmu) {
		snprintf(fix, flen, "hard lockups are not detected by this kernel: "
			 "sysctl kernel.nmi_watchdog=1 on a host with a PMU%s",
			 pmu ? "" : "; the lab's helper module brings its own detector");
		return CHECK_NOTE;
	}
	return CHECK_OK;
}

/* The helper module for this kernel: loaded, or buildable (headers present). */
static enum check_state check_kmod(char *msg, size_t len, char *fix, size_t flen)
{
	struct utsname u;
	char path[PATH_MAX + 64];

	if (access(LOCKMAP_DEV, F_OK) == 0) {
		snprintf(msg, len, "lockmap_inject loaded (%s)", LOCKMAP_DEV);
		return CHECK_OK;
	}
	(void)uname(&u);
	if (kmodctl_available(msg, len) == 0)
		return CHECK_OK;
	snprintf(path, sizeof(path), "/lib/modules/%s/build", u.release);
	if (access(path, F_OK) == 0) {
		snprintf(msg, len, "lockmap_inject not built for %s (headers present: buildable)",
			 u.release);
		snprintf(fix, flen, "make -C harness/kmod KVER=%s O=$PWD/build/kmod/%s", u.release,
			 u.release);
	} else {
		snprintf(msg, len, "lockmap_inject cannot be built for %s: no headers; irqoff, nmi "
			 "and the [monitor] need it on a local target (the lab builds its own)",
			 u.release);
		snprintf(fix, flen, "apt-get install linux-headers-%s", u.release);
	}
	return CHECK_NOTE;
}

/* The apic_timer_fn probe needs kvm loaded: the module compares hrtimer
 * callbacks with apic_timer_fn's address from /proc/kallsyms. */
static enum check_state check_probe(char *msg, size_t len, char *fix, size_t flen)
{
	uint64_t addr;
	int rc = ksyms_lookup("/proc/kallsyms", "apic_timer_fn", &addr);

	if (rc == 0) {
		snprintf(msg, len, "apic_timer_fn is in /proc/kallsyms: the probe (tracepoints hrtimer_expire_entry, local_timer_entry/exit) can run");
		return CHECK_OK;
	}
	if (rc == -EPERM) {
		snprintf(msg, len, "/proc/kallsyms hides addresses (kernel.kptr_restrict = 2): the probe cannot tell apic_timer_fn");
		snprintf(fix, flen, "sysctl kernel.kptr_restrict=1");
		return CHECK_MISSING;
	}
	snprintf(msg, len, "apic_timer_fn not in /proc/kallsyms (kvm not loaded): no probe here");
	snprintf(fix, flen, "modprobe kvm_intel (or kvm_amd)");
	return CHECK_NOTE;
}

/* The lab target: a kernel image with headers, busybox for its init. */
static enum check_state check_lab(char *msg, size_t len, char *fix, size_t flen)
{
	char kernel[PATH_MAX], why[512];

	if (labimage_default_kernel(kernel, sizeof(kernel), why, sizeof(why)) < 0) {
		snprintf(msg, len, "no lab kernel: %s", why);
		snprintf(fix, flen, "apt-get install linux-image-amd64 linux-headers-amd64");
		return CHECK_NOTE;
	}
	if (access("/bin/busybox", X_OK) < 0) {
		snprintf(msg, len, "lab kernel %s, but no /bin/busybox for the lab's init", kernel);
		snprintf(fix, flen, "apt-get install busybox-static");
		return CHECK_NOTE;
	}
	snprintf(msg, len, "lab ready: kernel %s with headers, busybox", kernel);
	return CHECK_OK;
}

static enum check_state check_leftover(char *msg, size_t len, char *fix, size_t flen)
{
	const char *p = hostknobs_restore_path();
	char holder[1024];

	if (runlock_busy(holder, sizeof(holder))) {
		snprintf(msg, len, "not checked: %s is running", holder);
		return CHECK_NOTE;
	}
	if (access(p, F_OK) == 0) {
		snprintf(msg, len, "%s exists: a killed run left host knobs changed", p);
		snprintf(fix, flen, "lockmap check --restore");
		return CHECK_MISSING;
	}
	snprintf(msg, len, "no host knobs left changed by an earlier run");
	return CHECK_OK;
}

/* The cache the lab (and a local run, for the module) builds into. */
static enum check_state check_cache(char *msg, size_t len, char *fix, size_t flen)
{
	if (cache_prepare("lab", msg, len) < 0) {
		snprintf(fix, flen, "export LOCKMAP_CACHE=<a writable directory>, or run as root");
		return CHECK_MISSING;
	}
	snprintf(msg, len, "cache %s is writable (LOCKMAP_CACHE moves it)", cache_dir());
	return CHECK_OK;
}

/* QMP sockets of runs that were killed: harmless to a new run (each is named
 * for its lockmap), but litter. */
static enum check_state check_runfiles(char *msg, size_t len, char *fix, size_t flen)
{
	char names[512];
	int n = runfiles_stale(false, names, sizeof(names));

	if (n <= 0) {
		snprintf(msg, len, "no QMP sockets left by a killed run in %s/qmp",
			 lm_state_dir());
		return CHECK_OK;
	}
	snprintf(msg, len, "%d QMP socket%s left by a killed run: %s", n, n > 1 ? "s" : "", names);
	snprintf(fix, flen, "lockmap check --restore");
	return CHECK_MISSING;
}

/* libvirtd, for launcher = libvirt, and the domains killed runs left there
 * (each named lockmap-..., its lockmap's pid gone). */
static enum check_state check_libvirt(char *msg, size_t len, char *fix, size_t flen)
{
	char names[768], why[512];
	int n;

	if (libvirt_reachable(why, sizeof(why)) < 0) {
		snprintf(msg, len, "launcher = libvirt cannot run: %s", why);
		snprintf(fix, flen, "apt-get install libvirt-daemon-system; then sh scripts/start-libvirtd.sh (virtlogd -d; libvirtd -d), or systemctl start libvirtd where systemd runs");
		return CHECK_MISSING;
	}
	n = libvirt_leftovers(false, names, sizeof(names), msg, len);
	if (n < 0)
		return CHECK_MISSING;
	if (n > 0) {
		snprintf(msg, len, "%s; %d domain%s left by killed runs: %s", why, n,
			 n > 1 ? "s" : "", names);
		snprintf(fix, flen, "lockmap check --restore, or the next lockmap run with launcher = libvirt (either destroys them)");
		return CHECK_MISSING;
	}
	snprintf(msg, len, "%s; no lockmap- domain left by a killed run", why);
	return CHECK_OK;
}

/* A host that dies leaves its cut cell's outcome in pstore (resume_crash.h). */
static enum check_state check_pstore(char *msg, size_t len, char *fix, size_t flen)
{
	return pstore_usable(msg, len, fix, flen) ? CHECK_OK : CHECK_NOTE;
}

static const struct check checks[] = {
	{ "root", check_root, true },
	{ "qemu", check_qemu, true },
	{ "tickguest", check_tickguest, true },
	{ "linux-guest", check_linux_guest, false },
	{ "kvm", check_kvm, false },
	{ "nested", check_nested, false },
	{ "kvm-params", check_kvm_params, false },
	{ "cgroup-cpu", check_cgroup, false },
	{ "kmsg", check_kmsg, true },
	{ "stress-ng", check_stress, false },
	{ "watchdog", check_watchdog, false },
	{ "pstore", check_pstore, false },
	{ "kmod", check_kmod, false },
	{ "probe", check_probe, false },
	{ "lab", check_lab, false },
	{ "knobs", check_leftover, true },
	{ "cgroups", check_cgroup_left, true },
	{ "cache", check_cache, false },
	{ "runfiles", check_runfiles, false },
	{ "libvirt", check_libvirt, false },
};

static void check_unit(const char *kind, const char *name, int (*supported)(char *, size_t))
{
	char why[512] = "", label[64];
	int rc = supported(why, sizeof(why));

	snprintf(label, sizeof(label), "%s.%s", kind, name);
	printf("%-8s %-16s %s\n", rc ? "note" : "ok", label, rc ? why : "usable");
}

/* `check --restore`: with the host's lock, so never under a live run. */
static int check_restore(bool wait)
{
	struct runlock *lk;
	char msg[4096] = "";
	int rc, busy;

	if (wait && sig_install() < 0)
		return EXIT_NOTREADY;
	rc = runlock_take("check --restore", wait, &lk, msg, sizeof(msg));
	if (rc) {
		lm_err("%s", msg);
		return EXIT_NOTREADY;
	}
	rc = runlock_restore_leftovers(msg, sizeof(msg), &busy);
	printf("%s\n", msg[0] ? msg : "nothing to restore");
	/* What launchers left (libvirt's domains); a launcher that cannot
	 * run here (no libvirtd) has nothing left to end. */
	for (size_t i = 0; i < nr_launchers; i++) {
		char left[2048];

		if (launchers[i]->leftovers &&
		    launchers[i]->leftovers(left, sizeof(left)) > 0)
			printf("%s: ended what killed runs left: %s\n", launchers[i]->name, left);
	}
	runlock_release(lk);
	return rc < 0 || busy ? EXIT_NOTREADY : EXIT_CLEAN;
}

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: lockmap check [--restore [--wait]]\n"
		"\n"
		"Print, line by line, whether this host can run lockmap, each missing\n"
		"thing with the command that fixes it. `ok` is ready, `note` works with a\n"
		"limit it explains, `missing` is needed (exit 3).\n"
		"\n"
		"  --restore   put back what a killed run left changed: host knobs (from\n"
		"              their restore file), its cgroups and QMP sockets, and the\n"
		"              libvirt domains it left running. Refused\n"
		"              while another lockmap holds the host (exit 3), unless --wait\n"
		"  --wait      with --restore, wait for the other lockmap to end\n"
		"  -h, --help  this text\n");
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "restore", no_argument, NULL, 'r' },
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const state[] = { "ok", "note", "missing" };
	bool restore = false, wait = false, missing = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': restore = true; break;
		case 'w': wait = true; break;
		case 'h': check_usage(stdout); return EXIT_CLEAN;
		default: check_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || (wait && !restore)) {
		check_usage(stderr);
		return EXIT_USAGE;
	}
	if (restore)
		return check_restore(wait);
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		char msg[1024] = "", fix[512] = "";
		enum check_state s = checks[i].fn(msg, sizeof(msg), fix, sizeof(fix));

		if (s == CHECK_MISSING && !checks[i].required)
			s = CHECK_NOTE;
		printf("%-8s %-16s %s\n", state[s], checks[i].name, msg);
		if (s != CHECK_OK && fix[0])
			printf("%-8s %-16s fix: %s\n", "", "", fix);
		if (s == CHECK_MISSING)
			missing = true;
		fflush(stdout);
	}
	/* Every launcher and injector says itself whether it can run here. */
	for (size_t i = 0; i < nr_launchers; i++)
		check_unit("launcher", launchers[i]->name, launchers[i]->supported);
	for (size_t i = 0; i < nr_injectors; i++)
		check_unit("inject", injectors[i]->name, injectors[i]->supported);
	return missing ? EXIT_NOTREADY : EXIT_CLEAN;
}
