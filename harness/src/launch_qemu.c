// SPDX-License-Identifier: GPL-2.0
/* The "qemu" launcher: one qemu-system-x86_64 per guest booting its payload
 * (payload.h: tickguest with -kernel, its reports on the debug console at
 * port 0xe9; a Linux kernel with -kernel/-initrd, its reports on COM1), the
 * output into a file in the cell directory, a QMP socket for pause/resume and vCPU thread ids, and its vCPU
 * threads pinned to the cell's host cpus. This file spawns, watches, pauses
 * and stops QEMUs; launch_qemu_start.c brings a cell's guests up. */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "cell.h"
#include "launch_qemu_int.h"
#include "lockmap.h"
#include "payload.h"
#include "runfiles.h"
#include "text.h"

static void qg_free(struct qemu_guest *qg)
{
	if (!qg)
		return;
	qmp_close(qg->qmp);
	spawn_argv_free(&qg->argv);
	free(qg->qmp_path);
	free(qg);
}

static int qemu_supported(char *why, size_t len)
{
	char path[PATH_MAX];
	char *elf;

	if (!spawn_which(QEMU_BIN, path, sizeof(path))) {
		snprintf(why, len, "%s not found; install it: apt-get install qemu-system-x86",
			 QEMU_BIN);
		return -ENOENT;
	}
	elf = data_path("tickguest.elf");
	if (!elf) {
		snprintf(why, len, "tickguest.elf not found next to lockmap; build it: make tickguest");
		return -ENOENT;
	}
	snprintf(why, len, "%s, guest %s", path, elf);
	free(elf);
	return 0;
}

/* A 9p mount (a lab host's shared results directory) cannot hold a socket:
 * QMP sockets live in the state directory, named for this lockmap, so that
 * `lockmap check` can tell those a killed run left (runfiles.h). */
static char *qemu_qmp_path(const struct cell_ctx *ctx, int index)
{
	char what[64], why[512];
	char *p;

	snprintf(what, sizeof(what), "%s-g%d", ctx->cell->id, index);
	p = runfiles_qmp_path(what, why, sizeof(why));
	if (!p)
		lm_err("guest %d: %s", index, why);
	return p;
}

/* The whole command line of one guest, from the cell's [guests] parameters. */
static void qemu_build_argv(struct cell_ctx *ctx, struct guest *g, struct qemu_guest *qg,
			    const struct payload_boot *pb)
{
	const struct cell *c = ctx->cell;
	bool kvm = !strcmp(ctx->accel, "kvm");
	char *out = spawn_opt_escape(g->out_path), *qmp = spawn_opt_escape(qg->qmp_path);
	char cmdline[1024];

	spawn_argv_add(&qg->argv, QEMU_BIN);
	spawn_argv_add(&qg->argv, "-name");
	spawn_argv_add(&qg->argv, "lockmap-%s-g%d", c->id, g->index);
	/* TCG's "max" model lacks the TSC-deadline timer (QEMU 7.2 drops
	 * +tsc-deadline with a warning), so tickguest's tscdeadline mode needs
	 * KVM; tickguest says so itself when the CPUID bit is missing. A Linux
	 * guest must not see it (payload.c): "-tsc-deadline" is accepted by
	 * QEMU 7.2 for both "max" under TCG and "host" under KVM. */
	spawn_argv_add(&qg->argv, "-accel");
	spawn_argv_add(&qg->argv, "%s", kvm ? "kvm" : "tcg");
	spawn_argv_add(&qg->argv, "-cpu");
	spawn_argv_add(&qg->argv, "%s%s", kvm ? "host" : "max", pb->cpu_flags);
	spawn_argv_add(&qg->argv, "-smp");
	spawn_argv_add(&qg->argv, "%lld", (long long)cell_num(c, "guests", "vcpus"));
	spawn_argv_add(&qg->argv, "-m");
	spawn_argv_add(&qg->argv, "%lldM", (long long)cell_num(c, "guests", "memory"));
	spawn_argv_add(&qg->argv, "-nodefaults");
	spawn_argv_add(&qg->argv, "-display");
	spawn_argv_add(&qg->argv, "none");
	spawn_argv_add(&qg->argv, "-no-reboot");
	spawn_argv_add(&qg->argv, "-no-user-config");
	/* Paused until its vCPUs are pinned (launch_qemu_start.c). */
	spawn_argv_add(&qg->argv, "-S");
	spawn_argv_add(&qg->argv, "-kernel");
	spawn_argv_add(&qg->argv, "%s", pb->kernel);
	if (pb->initrd[0]) {
		spawn_argv_add(&qg->argv, "-initrd");
		spawn_argv_add(&qg->argv, "%s", pb->initrd);
	}
	spawn_argv_add(&qg->argv, "-append");
	/* The cell was checked against the payload before anything started. */
	(void)payload_cmdline(c, cmdline, sizeof(cmdline));
	spawn_argv_add(&qg->argv, "%s", cmdline);
	spawn_argv_add(&qg->argv, "-chardev");
	spawn_argv_add(&qg->argv, "file,id=dbg,path=%s", out);
	if (pb->serial) {
		spawn_argv_add(&qg->argv, "-serial");
		spawn_argv_add(&qg->argv, "chardev:dbg");
	} else {
		spawn_argv_add(&qg->argv, "-device");
		spawn_argv_add(&qg->argv, "isa-debugcon,chardev=dbg,iobase=0xe9");
	}
	spawn_argv_add(&qg->argv, "-device");
	spawn_argv_add(&qg->argv, "isa-debug-exit,iobase=0xf4,iosize=4");
	spawn_argv_add(&qg->argv, "-qmp");
	spawn_argv_add(&qg->argv, "unix:%s,server=on,wait=off", qmp);
	free(out);
	free(qmp);
}

void qemu_report_failure(struct guest *g, const char *what, char *why, size_t len)
{
	char tail[512] = "", msg[1024];

	/* The KVM error line says it all; the log's tail is a register dump. */
	if (!g->exit_why[0] || strcmp(what, g->exit_why))
		qemu_log_tail(g->vmm_log, tail, sizeof(tail));
	snprintf(msg, sizeof(msg), "guest %d: %s%s%s (QEMU log: %s)", g->index, what,
		 tail[0] ? "; QEMU said: " : "", tail, g->vmm_log);
	lm_err("%s", msg);
	if (why && len && !why[0])
		snprintf(why, len, "%s", msg);
}

/* QEMU stops a guest that hits a KVM internal error and stays alive, so the
 * process does not tell: scan its log when it grew. True once, with the
 * line in g->exit_why. */
bool qemu_kvm_error(struct guest *g)
{
	struct qemu_guest *qg = g->priv;
	struct stat st;

	if (!qg || g->exit_why[0] || !g->vmm_log || stat(g->vmm_log, &st) ||
	    st.st_size == qg->log_seen)
		return false;
	qg->log_seen = st.st_size;
	return qemu_log_kvm_error(g->vmm_log, g->exit_why, sizeof(g->exit_why));
}

bool qemu_reap(struct guest *g)
{
	int status;

	if (g->pid <= 0)
		return g->exited;
	if (spawn_poll(g->pid, &status) == 0)
		return false;
	g->exited = true;
	g->exit_status = status;
	g->pid = 0;
	return true;
}

void qemu_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "QEMU exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "QEMU was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "QEMU ended (wait status %#x)", status);
}

int qemu_spawn(struct cell_ctx *ctx, struct guest *g, const struct payload_boot *pb)
{
	struct qemu_guest *qg = calloc(1, sizeof(*qg));
	struct spawn_opts so = { .stdout_fd = -1, .new_pgrp = true };
	int rc;

	if (!qg)
		return -ENOMEM;
	g->priv = qg;
	g->out_path = xasprintf("%s/guest-%d.log", ctx->dir, g->index);
	g->vmm_log = xasprintf("%s/qemu-%d.log", ctx->dir, g->index);
	qg->qmp_path = qemu_qmp_path(ctx, g->index);
	if (!qg->qmp_path)
		return -EIO;
	for (size_t v = 0; v < ARRAY_SIZE(qg->pins); v++)
		qg->pins[v] = -1;
	/* A repeated cell reuses its directory: start from empty files so
	 * out_off and the logs describe this run only. */
	(void)unlink(g->out_path);
	(void)unlink(g->vmm_log);
	(void)unlink(qg->qmp_path);
	qemu_build_argv(ctx, g, qg, pb);
	so.stdout_path = g->vmm_log;
	g->launch_ns = now_ns();
	rc = spawn_start(qg->argv.v, &so, &g->pid);
	if (rc) {
		g->pid = 0;
		lm_err("guest %d: cannot start %s: %s", g->index, QEMU_BIN, strerror(-rc));
	}
	return rc;
}

static int qemu_pause(struct cell_ctx *ctx, struct guest *g, bool paused)
{
	struct qemu_guest *qg = g->priv;
	int rc;

	(void)ctx;
	if (!qg || !qg->qmp || g->exited)
		return -ESRCH;
	rc = qmp_cmd(qg->qmp, paused ? "stop" : "cont", NULL, NULL, QMP_CMD_MS);
	if (rc) {
		lm_warn("guest %d: %s", g->index, qmp_error(qg->qmp));
		return rc;
	}
	g->paused = paused;
	return 0;
}

static int qemu_poll(struct cell_ctx *ctx)
{
	int n = 0;

	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		struct qemu_guest *qg = g->priv;
		json_t *ev;

		if (g->pid > 0 && qemu_reap(g))
			n++;
		if (g->pid > 0 && qemu_kvm_error(g)) {
			/* The guest is dead for good: end its QEMU like an exit. */
			lm_err("guest %d: %s (QEMU log: %s)", g->index, g->exit_why, g->vmm_log);
			g->exit_status = spawn_stop(g->pid, 500);
			g->pid = 0;
			g->exited = true;
			n++;
		}
		if (!qg || !qg->qmp)
			continue;
		/* Drain QMP events so they do not pile up in QEMU's monitor. */
		(void)qmp_pump(qg->qmp, 0);
		while ((ev = qmp_event_next(qg->qmp))) {
			lm_debug("guest %d: QMP event %s", g->index,
				 json_string_value(json_object_get(ev, "event")));
			json_decref(ev);
		}
	}
	return n;
}

/* quit over QMP to every guest, then SIGTERM, then SIGKILL for whatever is
 * left; every QEMU is reaped and its socket file removed. */
static int qemu_stop(struct cell_ctx *ctx)
{
	int64_t end;

	if (!ctx->guests)
		return 0;
	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		struct qemu_guest *qg = g->priv;

		if (g->pid > 0 && qg && qg->qmp && !qemu_reap(g))
			(void)qmp_cmd(qg->qmp, "quit", NULL, NULL, 500);
	}
	end = now_ns() + 2 * NSEC_PER_SEC;
	for (bool again = true; again && now_ns() < end;) {
		struct timespec ts = { 0, 10 * NSEC_PER_MSEC };

		again = false;
		for (size_t i = 0; i < ctx->nguests; i++)
			if (ctx->guests[i].pid > 0 && !qemu_reap(&ctx->guests[i]))
				again = true;
		if (again)
			nanosleep(&ts, NULL);
	}
	/* Stragglers get SIGTERM together, then one grace period in total. */
	for (size_t i = 0; i < ctx->nguests; i++)
		if (ctx->guests[i].pid > 0)
			(void)kill(ctx->guests[i].pid, SIGTERM);
	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];

		if (g->pid <= 0)
			continue;
		g->exit_status = spawn_stop(g->pid, i == 0 ? 1000 : 100);
		g->exited = true;
		g->pid = 0;
	}
	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		struct qemu_guest *qg = g->priv;

		if (!qg)
			continue;
		if (qg->qmp_path)
			(void)unlink(qg->qmp_path);
		qg_free(qg);
		g->priv = NULL;
	}
	return 0;
}

static void qemu_describe(struct cell_ctx *ctx, json_t *out)
{
	struct qemu_guest *qg0 = ctx->nguests && ctx->guests ? ctx->guests[0].priv : NULL;
	json_t *guests = json_array();
	char path[PATH_MAX];

	json_object_set_new(out, "accel", json_string(ctx->accel));
	if (spawn_which(QEMU_BIN, path, sizeof(path)))
		json_object_set_new(out, "qemu", json_string(path));
	if (qg0) {
		json_t *argv = json_array();

		if (qg0->version[0])
			json_object_set_new(out, "qemu_version", text_json(qg0->version));
		for (int i = 0; i < qg0->argv.n; i++)
			json_array_append_new(argv, text_json(qg0->argv.v[i]));
		json_object_set_new(out, "argv", argv);
	}
	json_object_set_new(out, "pin_policy",
			    json_string(ctx->pin_mask ? "round-robin: one cpu of guests.pin per vCPU"
						      : "none"));
	for (size_t i = 0; ctx->guests && i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		struct qemu_guest *qg = g->priv;
		json_t *tids = json_array(), *pins = json_array();

		for (int v = 0; v < g->nvcpus; v++) {
			json_array_append_new(tids, json_integer(g->vcpu_tids[v]));
			json_array_append_new(pins, qg && qg->pins[v] >= 0 ?
					      json_integer(qg->pins[v]) : json_null());
		}
		json_array_append_new(guests, json_pack("{s:i, s:o, s:o}", "index", g->index,
							"vcpu_tids", tids, "pins", pins));
	}
	json_object_set_new(out, "guests", guests);
}

const struct launcher_ops launch_qemu_ops = {
	.name = "qemu",
	.help = "one qemu-system-x86_64 per guest (KVM when the probe passes, else TCG), QMP for pause/resume, vCPUs pinned to guests.pin",
	.keys = NULL,
	.nkeys = 0,
	.supported = qemu_supported,
	.start = qemu_start,
	.pause = qemu_pause,
	.poll = qemu_poll,
	.stop = qemu_stop,
	.describe = qemu_describe,
};
