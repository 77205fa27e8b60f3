// SPDX-License-Identifier: GPL-2.0
/* The lab host's QEMU: which accelerator, its command line, start and stop. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "lab_int.h"
#include "lockmap.h"
#include "qmp.h"
#include "spawn.h"

/* Does the kvm_intel or kvm_amd loaded here offer nested virtualization? */
static bool lab_qemu_nested_enabled(void)
{
	static const char *const params[] = {
		"/sys/module/kvm_intel/parameters/nested", "/sys/module/kvm_amd/parameters/nested",
	};
	char v[16];

	for (size_t i = 0; i < ARRAY_SIZE(params); i++)
		if (read_file_str(params[i], v, sizeof(v)) == 0 && (v[0] == 'Y' || v[0] == '1'))
			return true;
	return false;
}

/* KVM for the lab host only when it runs a guest here and offers nested
 * virtualization (the cells run guests inside); else TCG with -cpu max, whose
 * SVM with nested paging lets the lab host run its own KVM. */
const char *lab_qemu_accel(const char *req, char *why, size_t len)
{
	const char *a;

	a = accel_choose(req ? req : "auto", why, len);
	if (!a || strcmp(a, "kvm") || lab_qemu_nested_enabled())
		return a;
	if (req && !strcmp(req, "kvm")) {
		snprintf(why, len, "KVM runs guests here but nested virtualization is off, and the lab host runs guests of its own; enable it (modprobe -r kvm_intel && modprobe kvm_intel nested=1, or kvm_amd) or use --accel tcg");
		return NULL;
	}
	snprintf(why, len, "KVM runs guests here but nested virtualization is off: the lab host runs under TCG (-cpu max: SVM with nested paging)");
	return "tcg";
}

/* --pstore: the lab host's RAM is a file that outlives each QEMU, so what
 * ramoops wrote in one boot is there in the next, as in a real host's warm
 * reset. In /dev/shm: RAM either way, never written out to a disk. */
static void lab_qemu_ram_argv(struct lab *L, struct spawn_argv *a)
{
	char *ram = spawn_opt_escape(L->ram_path);

	spawn_argv_add(a, "-object");
	spawn_argv_add(a, "memory-backend-file,id=labram,size=%dM,mem-path=%s,share=on",
		       L->mem_mb, ram);
	spawn_argv_add(a, "-machine");
	spawn_argv_add(a, "memory-backend=labram");
	free(ram);
}

/* --pstore: ramoops in 1 MiB reserved (memmap=) in the middle of the lab
 * host's RAM, away from where QEMU loads the kernel and initramfs and the
 * firmware its tables (KASLR avoids memmap regions); 128 KiB records, so
 * eight dumps before the oldest is overwritten. "" without --pstore. */
static void lab_qemu_ramoops(const struct lab *L, char *buf, size_t len)
{
	unsigned long long addr = (unsigned long long)L->mem_mb / 2 << 20;

	buf[0] = '\0';
	if (L->o->pstore)
		snprintf(buf, len, "memmap=1M$0x%llx ramoops.mem_address=0x%llx ramoops.mem_size=0x100000 ramoops.record_size=0x20000",
			 addr, addr);
}

/* The lab host's QEMU command line. */
static void lab_qemu_argv(struct lab *L, struct spawn_argv *a)
{
	bool kvm = !strcmp(L->accel, "kvm");
	char *con = spawn_opt_escape(L->console_path), *hb = spawn_opt_escape(L->hb_path);
	char *run = spawn_opt_escape(L->rundir), *qmp = spawn_opt_escape(L->qmp_path);
	char ramoops[160];

	lab_qemu_ramoops(L, ramoops, sizeof(ramoops));

	spawn_argv_add(a, QEMU_BIN);
	spawn_argv_add(a, "-name");
	spawn_argv_add(a, "lockmap-lab");
	spawn_argv_add(a, "-accel");
	if (kvm)
		spawn_argv_add(a, "kvm");
	else
		spawn_argv_add(a, "tcg,thread=%s", L->o->tcg_thread ? L->o->tcg_thread
							     : LAB_TCG_THREAD_DEFAULT);
	spawn_argv_add(a, "-cpu");
	spawn_argv_add(a, "%s", kvm ? "host" : "max");
	spawn_argv_add(a, "-smp");
	spawn_argv_add(a, "%d", L->cpus);
	spawn_argv_add(a, "-m");
	spawn_argv_add(a, "%d", L->mem_mb);
	spawn_argv_add(a, "-nodefaults");
	spawn_argv_add(a, "-no-user-config");
	spawn_argv_add(a, "-display");
	spawn_argv_add(a, "none");
	spawn_argv_add(a, "-no-reboot");
	/* Keep a panicked host as it is (its console is complete) until
	 * lockmap has read everything and quits QEMU. Not with pstore: the
	 * kernel calls the panic notifiers (pvpanic) before its kmsg dump, and
	 * a paused host never writes its record. */
	spawn_argv_add(a, "-action");
	spawn_argv_add(a, "%s", L->o->pstore ? "panic=none" : "panic=pause");
	if (L->o->pstore)
		lab_qemu_ram_argv(L, a);
	spawn_argv_add(a, "-kernel");
	spawn_argv_add(a, "%s", L->li.kernel);
	spawn_argv_add(a, "-initrd");
	spawn_argv_add(a, "%s", L->li.initramfs);
	/* loglevel=7: nmi_slow and the KVM timer clamp are KERN_INFO. */
	spawn_argv_add(a, "-append");
	spawn_argv_add(a, "console=ttyS0,115200 panic=-1 loglevel=7 nmi_watchdog=1 lockmap.run=%s lockmap.profile=%s%s%s%s%s",
		 L->rundir, L->profile_copy, L->o->pstore ? " " : "", L->o->pstore ? ramoops : "",
		 L->o->append ? " " : "", L->o->append ? L->o->append : "");
	spawn_argv_add(a, "-chardev");
	spawn_argv_add(a, "file,id=con,path=%s,append=on", con);
	spawn_argv_add(a, "-serial");
	spawn_argv_add(a, "chardev:con");
	spawn_argv_add(a, "-device");
	spawn_argv_add(a, "virtio-serial-pci");
	spawn_argv_add(a, "-chardev");
	spawn_argv_add(a, "file,id=hb,path=%s,append=on", hb);
	spawn_argv_add(a, "-device");
	spawn_argv_add(a, "virtserialport,chardev=hb,name=lockmap.heartbeat");
	spawn_argv_add(a, "-device");
	spawn_argv_add(a, "pvpanic");
	spawn_argv_add(a, "-virtfs");
	spawn_argv_add(a, "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap");
	spawn_argv_add(a, "-virtfs");
	spawn_argv_add(a, "local,path=%s,mount_tag=results,security_model=none,multidevs=remap", run);
	spawn_argv_add(a, "-qmp");
	spawn_argv_add(a, "unix:%s,server=on,wait=off", qmp);
	free(con);
	free(hb);
	free(run);
	free(qmp);
}

/* Spawn the lab host's QEMU for boot b, and connect to its QMP socket.
 * Returns 0, or -errno when QEMU could not start (b->fatal says why). */
int lab_qemu_start(struct lab *L, struct lab_boot *b)
{
	struct spawn_opts so = { .stdout_path = L->qemu_log, .stdout_fd = -1, .new_pgrp = true };
	struct spawn_argv a = { 0 };
	int rc;

	(void)unlink(L->qmp_path);
	lab_qemu_argv(L, &a);
	lab_journal_boot(L, b, &a);
	lm_info("lab: booting %s (%s) under %s, boot %d", L->li.kernel, L->li.version,
		L->accel, b->n);
	b->t0 = now_ns();
	lab_progress(L, "lab boot", (int64_t)L->boot_timeout_s * NSEC_PER_SEC);
	rc = spawn_start(a.v, &so, &b->pid);
	spawn_argv_free(&a);
	if (rc) {
		snprintf(b->fatal, sizeof(b->fatal), "cannot start %s: %s", QEMU_BIN, strerror(-rc));
		b->exited = true;
		return rc;
	}
	rc = qmp_connect(L->qmp_path, 10000, &b->qmp);
	if (rc)
		lm_warn("lab: no QMP session with the lab's QEMU (%s): panics are seen on the console only",
			strerror(-rc));
	return 0;
}

/* quit over QMP, then SIGTERM and SIGKILL; QEMU is always reaped. */
void lab_qemu_stop(struct lab_boot *b)
{
	if (b->pid > 0 && !b->exited) {
		if (b->qmp)
			(void)qmp_cmd(b->qmp, "quit", NULL, NULL, 500);
		b->status = spawn_stop(b->pid, 3000);
		b->exited = true;
	}
	b->pid = 0;
	qmp_close(b->qmp);
	b->qmp = NULL;
}
