// SPDX-License-Identifier: GPL-2.0
/* The KVM probe: boot tickguest under KVM and wait for its tick reports. Some
 * machines expose a /dev/kvm that cannot run ordinary guests: QEMU fails with
 * "failed to set MSR", spins in the guest forever, or runs tickguest up to its
 * banner and then stops it with "KVM internal error" (emulation failure at its
 * first iret). So only a guest that ticks proves KVM works for lockmap
 * (LAB-NOTES.md "The machine's own KVM"). */
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "launch.h"
#include "lockmap.h"
#include "spawn.h"

#define QEMU_BIN "qemu-system-x86_64"

void qemu_log_tail(const char *path, char *buf, size_t len)
{
	char raw[1024];
	const char *lines[3];
	int nlines = 0;
	ssize_t n;
	off_t size;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		size = 0;
	n = pread(fd, raw, sizeof(raw) - 1, size > (off_t)sizeof(raw) - 1 ?
		  size - (off_t)sizeof(raw) + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	raw[n] = '\0';
	/* Walk back over the last three non-empty lines. */
	for (char *p = raw + n; p > raw && nlines < 3;) {
		char *end = p;

		while (end > raw && (end[-1] == '\n' || end[-1] == '\r'))
			*--end = '\0';
		p = end;
		while (p > raw && p[-1] != '\n')
			p--;
		if (p < end)
			lines[nlines++] = p;
		if (p == raw)
			break;
		p[-1] = '\0';
		p--;
	}
	for (int i = nlines - 1; i >= 0; i--) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", used ? " | " : "", lines[i]);
	}
}


/* The first line of text that starts with prefix, copied without its end. */
static bool qemu_text_line(const char *text, const char *prefix, char *buf, size_t len)
{
	for (const char *p = text; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!strncmp(p, prefix, strlen(prefix))) {
			while (n && p[n - 1] == '\r')
				n--;
			snprintf(buf, len, "%.*s", (int)n, p);
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

bool qemu_text_kvm_error(const char *text, char *buf, size_t len)
{
	char head[160], eip[160] = "";
	bool emul;

	if (!qemu_text_line(text, "KVM internal error", head, sizeof(head)))
		return false;
	emul = qemu_text_line(text, "emulation failure", eip, sizeof(eip));
	/* "EIP=0010012e EFL=..." (32-bit guest) or "RIP=..." (64-bit) */
	if (!qemu_text_line(text, "EIP=", eip, sizeof(eip)) &&
	    !qemu_text_line(text, "RIP=", eip, sizeof(eip)))
		eip[0] = '\0';
	eip[strcspn(eip, " ")] = '\0';
	snprintf(buf, len, "QEMU: %s%s%s%s", head, emul ? " (emulation failure)" : "",
		 eip[0] ? " at " : "", eip);
	return true;
}

bool qemu_log_kvm_error(const char *path, char *buf, size_t len)
{
	char text[16384];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	/* QEMU prints the error and the register dump once, then stops. */
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	if (!strstr(text, "KVM internal error"))
		return false;
	return qemu_text_kvm_error(text, buf, len);
}

/* Is /dev/kvm there, openable and a KVM device? */
static int accel_check_dev(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int e, ver;

	if (fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENXIO || e == ENODEV) {
			snprintf(why, len, "/dev/kvm absent (no KVM on this machine, or the kvm_intel/kvm_amd module is not loaded)");
			return -ENOENT;
		}
		snprintf(why, len, "cannot open /dev/kvm: %s (run as root or join the kvm group)",
			 strerror(e));
		return e == EACCES || e == EPERM ? -EACCES : -e;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (ver != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm answers KVM_GET_API_VERSION with %d, not %d",
			 ver, KVM_API_VERSION);
		return -EIO;
	}
	return 0;
}

/* Tick reports a guest must print, with ticks counted, before KVM counts as
 * running guests: a banner alone is not proof (one paravirtual KVM runs
 * tickguest up to its banner and then fails at its first iret). */
#define ACCEL_FIT_REPORTS 2

/* One boot of tickguest under KVM with the given -cpu model. Returns 0 when
 * the guest ticked (ACCEL_FIT_REPORTS reports, ticks > 0), else the probe's
 * error with why filled. *msr_fail is set when QEMU gave up at once on an
 * MSR the CPU model asked for. */
static int accel_boot(const char *dir, const char *kernel, const char *cpu,
		      int timeout_ms, bool *msr_fail, char *why, size_t len)
{
	char *out = xasprintf("%s/guest.log", dir);
	char *log = xasprintf("%s/qemu.log", dir);
	char *chardev = xasprintf("file,id=dbg,path=%s", out);
	char *const argv[] = {
		QEMU_BIN, "-name", "lockmap-kvmprobe", "-accel", "kvm",
		"-cpu", (char *)cpu, "-m", "32", "-nodefaults", "-display", "none",
		"-no-reboot", "-no-user-config", "-kernel", (char *)kernel,
		"-append", "period_us=1000 report_ms=200 duration_s=5",
		"-chardev", chardev,
		"-device", "isa-debugcon,chardev=dbg,iobase=0xe9",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=4",
		NULL
	};
	struct spawn_opts so = { .stdout_path = log, .stdout_fd = -1, .new_pgrp = true };
	struct guest g = { .out_path = out };
	int64_t t0 = now_ns(), end = t0 + (int64_t)timeout_ms * NSEC_PER_MSEC;
	char tail[512], kvm_err[256] = "";
	int rc, status = 0;
	pid_t pid;

	*msr_fail = false;
	(void)unlink(out);
	(void)unlink(log);
	rc = spawn_start(argv, &so, &pid);
	if (rc) {
		snprintf(why, len, "cannot start %s: %s", QEMU_BIN, strerror(-rc));
		goto out;
	}
	/* Every report counts, from the first one. */
	guest_metrics_open(&g.metrics, now_ns(), NSEC_PER_MSEC, 200 * NSEC_PER_MSEC);
	rc = -ETIMEDOUT;
	while (now_ns() < end && !lm_stop_requested) {
		struct timespec ts = { 0, 20 * NSEC_PER_MSEC };
		int exited = spawn_poll(pid, &status);

		guest_read_output(&g, NULL, NULL);
		if (g.metrics.nreports >= ACCEL_FIT_REPORTS && g.metrics.last.ticks > 0) {
			rc = 0;
			break;
		}
		/* QEMU stays alive after a KVM internal error: read its log. */
		if (qemu_log_kvm_error(log, kvm_err, sizeof(kvm_err))) {
			rc = -EIO;
			break;
		}
		if (exited != 0) {
			pid = 0;
			rc = -EIO;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (pid)
		(void)spawn_stop(pid, 500);
	qemu_log_tail(log, tail, sizeof(tail));
	if (rc == 0) {
		snprintf(why, len, "KVM ran tickguest (-cpu %s): %u tick reports, %llu ticks, after %lld ms",
			 cpu, g.metrics.nreports, (unsigned long long)g.metrics.last.ticks,
			 (long long)((now_ns() - t0) / NSEC_PER_MSEC));
	} else if (kvm_err[0]) {
		snprintf(why, len, "/dev/kvm is present but this KVM cannot run tickguest (-cpu %s): %s, after the guest %s (this KVM cannot run ordinary guests)",
			 cpu, kvm_err, g.metrics.banner_seen ? "printed its banner" : "started");
	} else if (rc == -EIO) {
		*msr_fail = strstr(tail, "failed to set MSR") != NULL;
		snprintf(why, len, "/dev/kvm is present but QEMU -accel kvm -cpu %s exited at once (status %d)%s%s",
			 cpu, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			 tail[0] ? ": " : "", tail);
	} else if (lm_stop_requested) {
		rc = -EINTR;
		snprintf(why, len, "interrupted");
	} else {
		snprintf(why, len, "/dev/kvm is present but a guest under QEMU -accel kvm -cpu %s %s within %d ms (this KVM cannot run ordinary guests)%s%s",
			 cpu, !g.metrics.banner_seen ? "printed nothing" :
			 g.metrics.nreports ? "reported no ticks" : "printed its banner but no tick report",
			 timeout_ms, tail[0] ? "; QEMU said: " : "", tail);
	}
out:
	(void)unlink(out);
	(void)unlink(log);
	free(out);
	free(log);
	free(chardev);
	return rc;
}

int accel_probe_kvm(int timeout_ms, char *why, size_t len)
{
	char qemu[PATH_MAX], dir[] = "/tmp/lockmap-kvmprobe-XXXXXX";
	char *kernel;
	bool msr_fail;
	int rc;

	if (timeout_ms <= 0)
		timeout_ms = ACCEL_PROBE_TIMEOUT_MS;
	rc = accel_check_dev(why, len);
	if (rc)
		return rc;
	if (!spawn_which(QEMU_BIN, qemu, sizeof(qemu))) {
		snprintf(why, len, "%s not found; install it: apt-get install qemu-system-x86",
			 QEMU_BIN);
		return -ENOENT;
	}
	kernel = data_path("tickguest.elf");
	if (!kernel) {
		snprintf(why, len, "tickguest.elf not found next to lockmap; build it: make tickguest");
		return -ENOENT;
	}
	if (!mkdtemp(dir)) {
		rc = -errno;
		snprintf(why, len, "cannot create %s: %s", dir, strerror(errno));
		free(kernel);
		return rc;
	}
	rc = accel_boot(dir, kernel, "host", timeout_ms, &msr_fail, why, len);
	/* Some hosts refuse an MSR that -cpu host passes through, while a
	 * model QEMU fully defines may still run. */
	if (rc == -EIO && msr_fail) {
		char first[256];

		snprintf(first, sizeof(first), "%s", why);
		rc = accel_boot(dir, kernel, "max", timeout_ms, &msr_fail, why, len);
		if (rc) {
			size_t used = strlen(why);

			snprintf(why + used, len - used, " (and with -cpu host: %s)", first);
		}
	}
	(void)rmdir(dir);
	free(kernel);
	return rc;
}

const char *accel_choose(const char *requested, char *why, size_t len)
{
	static bool probed;
	static int probe_rc;
	static char probe_why[768];

	if (!strcmp(requested, "tcg")) {
		snprintf(why, len, "TCG requested by the profile");
		return "tcg";
	}
	if (strcmp(requested, "kvm") && strcmp(requested, "auto")) {
		snprintf(why, len, "unknown accelerator \"%s\" (allowed: auto, kvm, tcg)",
			 requested);
		return NULL;
	}
	if (!probed) {
		/* In a lab host nested KVM runs under emulation: seconds, not ms. */
		probe_rc = accel_probe_kvm(lm_lab_inner ? ACCEL_PROBE_TIMEOUT_LAB_MS
							: ACCEL_PROBE_TIMEOUT_MS,
					   probe_why, sizeof(probe_why));
		/* An interrupted probe proves nothing: let the next call retry. */
		probed = probe_rc != -EINTR;
	}
	if (probe_rc == 0) {
		snprintf(why, len, "KVM probe: %s", probe_why);
		return "kvm";
	}
	if (!strcmp(requested, "kvm")) {
		snprintf(why, len, "KVM requested but the KVM probe failed: %s (set accel = auto or tcg in [guests])",
			 probe_why);
		return NULL;
	}
	snprintf(why, len, "KVM probe: %s; using TCG (slow, timing is emulated)", probe_why);
	return "tcg";
}
