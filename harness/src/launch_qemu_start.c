// SPDX-License-Identifier: GPL-2.0
/* Bringing a cell's QEMU guests up, all at once: every QEMU is spawned paused
 * (-S); each is pinned as soon as it answers on QMP; all are let run together
 * (`cont`), so their boots overlap and no guest ever runs on a cpu it is then
 * moved from; then every banner is awaited. Both waits are bounded by times
 * that scale with the number of guests and the accelerator. A guest still
 * booting at the end is starved by the host under test: the cell goes on and
 * that guest counts as silent (guestreport.h). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cell.h"
#include "launch_qemu_int.h"
#include "lockmap.h"

/* What a start costs, by payload and where the guests run: a fixed part and
 * a part per guest, for the QMP phase (spawn until every QEMU answers,
 * paused) and for the boot phase (`cont` until every banner; per guest
 * sharing a cpu). Measured (harness/lab/README.md, "Starting many guests";
 * guests/linux/README.md, "Boot times"), with room. */
struct qemu_start_cost {
	const char *payload, *where;
	int64_t qmp_ns, qmp_per_guest_ns;
	int64_t boot_ns, boot_per_guest_ns;
};

static const struct qemu_start_cost qemu_costs[] = {
	{ "tickguest", "kvm", 5 * NSEC_PER_SEC, 250 * NSEC_PER_MSEC,
	  5 * NSEC_PER_SEC, 250 * NSEC_PER_MSEC },
	{ "tickguest", "tcg", 10 * NSEC_PER_SEC, 1 * NSEC_PER_SEC,
	  15 * NSEC_PER_SEC, 1 * NSEC_PER_SEC },
	/* Nested KVM inside a lab host under TCG: every QEMU of the lab host
	 * is emulated, and one tickguest took 3-4.5 s to its first reports. */
	{ "tickguest", "lab", 30 * NSEC_PER_SEC, 2 * NSEC_PER_SEC,
	  20 * NSEC_PER_SEC, 5 * NSEC_PER_SEC },
	/* A Debian kernel to its banner under TCG, at nice 19 on 2 cpus shared
	 * with other jobs: 3-4 s at load 5, 30-58 s at load 7-11 (other TCG
	 * labs running; guests/linux/README.md). The lab row is not measured
	 * yet: a tickguest's lab cost scaled by those boots. */
	{ "linux", "kvm", 5 * NSEC_PER_SEC, 250 * NSEC_PER_MSEC,
	  20 * NSEC_PER_SEC, 2 * NSEC_PER_SEC },
	{ "linux", "tcg", 10 * NSEC_PER_SEC, 1 * NSEC_PER_SEC,
	  120 * NSEC_PER_SEC, 30 * NSEC_PER_SEC },
	{ "linux", "lab", 30 * NSEC_PER_SEC, 2 * NSEC_PER_SEC,
	  180 * NSEC_PER_SEC, 60 * NSEC_PER_SEC },
};

static const struct qemu_start_cost *qemu_cost(const struct cell_ctx *ctx)
{
	const char *payload = cell_str(ctx->cell, "guests", "payload");
	const char *where = lm_lab_inner ? "lab" : strcmp(ctx->accel, "kvm") ? "tcg" : "kvm";

	for (size_t i = 0; i < ARRAY_SIZE(qemu_costs); i++)
		if (!strcmp(qemu_costs[i].payload, payload) && !strcmp(qemu_costs[i].where, where))
			return &qemu_costs[i];
	lm_err("qemu: no start cost for payload %s under %s (a lockmap bug)", payload, where);
	abort();
}

/* Guests per cpu they may run on: pinned guests share guests.pin, the
 * others every online cpu. Guests that share a cpu boot one after the other. */
static int64_t qemu_guests_per_cpu(const struct cell_ctx *ctx)
{
	int cpus = ctx->pin_mask ? __builtin_popcountll(ctx->pin_mask) : cpus_online();

	if (cpus < 1)
		cpus = 1;
	return ((int64_t)ctx->nguests + cpus - 1) / cpus;
}

static int64_t qemu_qmp_budget_ns(const struct cell_ctx *ctx)
{
	const struct qemu_start_cost *c = qemu_cost(ctx);

	return c->qmp_ns + (int64_t)ctx->nguests * c->qmp_per_guest_ns;
}

static int64_t qemu_boot_budget_ns(const struct cell_ctx *ctx)
{
	const struct qemu_start_cost *c = qemu_cost(ctx);

	return c->boot_ns + qemu_guests_per_cpu(ctx) * c->boot_per_guest_ns;
}

/* A QMP command during the start may take what is left of its phase: QEMUs
 * that start together answer slowly, and that is no failure. */
static int qemu_start_cmd_ms(int64_t deadline)
{
	int64_t left = (deadline - now_ns()) / NSEC_PER_MSEC;

	return left > QMP_CMD_MS ? (int)left : QMP_CMD_MS;
}

/* Ask QEMU for its vCPU thread ids and pin each one. Under single-threaded
 * TCG all vCPUs share a thread: it then gets the union of their cpus. */
static int qemu_pin_vcpus(struct cell_ctx *ctx, struct guest *g, int64_t deadline,
			  char *why, size_t len)
{
	struct qemu_guest *qg = g->priv;
	/* Slots follow guest order, not the order QMP answered in, so the
	 * same cell pins the same way every time. */
	int slot = g->index * (int)cell_num(ctx->cell, "guests", "vcpus");
	json_t *cpus = NULL, *cpu;
	char what[256];
	size_t i;
	int rc;

	rc = qmp_cmd(qg->qmp, "query-cpus-fast", NULL, &cpus, qemu_start_cmd_ms(deadline));
	if (rc) {
		qemu_report_failure(g, qmp_error(qg->qmp), why, len);
		return rc;
	}
	g->nvcpus = 0;
	json_array_foreach(cpus, i, cpu) {
		json_int_t idx = json_integer_value(json_object_get(cpu, "cpu-index"));

		if (idx < 0 || idx >= (json_int_t)ARRAY_SIZE(g->vcpu_tids))
			continue;
		g->vcpu_tids[idx] = (int)json_integer_value(json_object_get(cpu, "thread-id"));
		if (idx + 1 > g->nvcpus)
			g->nvcpus = (int)idx + 1;
	}
	json_decref(cpus);

	for (int v = 0; v < g->nvcpus; v++)
		qg->pins[v] = launch_pin_cpu(ctx->pin_mask, slot + v);
	if (!ctx->pin_mask)
		return 0;
	for (int v = 0; v < g->nvcpus; v++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		for (int w = 0; w < g->nvcpus; w++)
			if (g->vcpu_tids[w] == g->vcpu_tids[v] && qg->pins[w] >= 0)
				CPU_SET(qg->pins[w], &set);
		if (sched_setaffinity(g->vcpu_tids[v], sizeof(set), &set) < 0) {
			rc = -errno;
			snprintf(what, sizeof(what), "cannot pin vCPU %d (thread %d) to cpu %d: %s (does guests.pin name cpus that are online and allowed here? %d online)",
				 v, g->vcpu_tids[v], qg->pins[v], strerror(errno), cpus_online());
			qemu_report_failure(g, what, why, len);
			return rc;
		}
	}
	return 0;
}

/* Connect QMP to one QEMU whose socket exists, and pin its vCPUs. */
static int qemu_connect_one(struct cell_ctx *ctx, struct guest *g, int64_t deadline,
			    char *why, size_t len)
{
	struct qemu_guest *qg = g->priv;
	struct timespec ts = { 0, 10 * NSEC_PER_MSEC };
	char what[256];
	int rc;

	rc = qmp_connect(qg->qmp_path, qemu_start_cmd_ms(deadline), &qg->qmp);
	if (rc) {
		snprintf(what, sizeof(what), "no QMP session on %s: %s", qg->qmp_path,
			 strerror(-rc));
		/* A QEMU that hung up on us is usually exiting: its exit
		 * status says more than the socket. */
		for (int w = 0; w < 50 && !qemu_reap(g); w++)
			nanosleep(&ts, NULL);
		if (g->exited)
			qemu_describe_status(g->exit_status, what, sizeof(what));
		qemu_report_failure(g, what, why, len);
		return rc;
	}
	snprintf(qg->version, sizeof(qg->version), "%s", qmp_version(qg->qmp));
	/* Pinned before it runs: a nested guest that boots on one lab cpu and
	 * is then moved to another is what preceded a triple fault and a lab
	 * host panic ("corrupted stack end") in the TCG lab. */
	return qemu_pin_vcpus(ctx, g, deadline, why, len);
}

/* Connect QMP to every guest and pin its vCPUs, while watching for QEMUs that
 * exit early (a bad option, no memory) instead of waiting out the budget. */
static int qemu_connect_all(struct cell_ctx *ctx, int64_t deadline, char *why, size_t len)
{
	size_t left = ctx->nguests;

	while (left) {
		struct timespec ts = { 0, 10 * NSEC_PER_MSEC };

		for (size_t i = 0; i < ctx->nguests; i++) {
			struct guest *g = &ctx->guests[i];
			struct qemu_guest *qg = g->priv;
			struct stat st;
			char what[128];
			int rc;

			if (qg->qmp)
				continue;
			if (qemu_reap(g)) {
				qemu_describe_status(g->exit_status, what, sizeof(what));
				qemu_report_failure(g, what, why, len);
				return -EIO;
			}
			if (stat(qg->qmp_path, &st) < 0)
				continue;
			rc = qemu_connect_one(ctx, g, deadline, why, len);
			if (rc)
				return rc;
			left--;
		}
		if (!left)
			break;
		if (lm_stop_requested)
			return -EINTR;
		if (now_ns() >= deadline) {
			char what[128];

			snprintf(what, sizeof(what), "QMP socket never appeared within %lld s",
				 (long long)(qemu_qmp_budget_ns(ctx) / NSEC_PER_SEC));
			for (size_t i = 0; i < ctx->nguests; i++) {
				struct qemu_guest *qg = ctx->guests[i].priv;

				if (!qg->qmp)
					qemu_report_failure(&ctx->guests[i], what, why, len);
			}
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Let every guest run: `cont` is sent to all before any reply is awaited,
 * so the boots start together (one round trip after another took 40 s for
 * 64 guests in a TCG lab host, the later guests waiting on the earlier ones'
 * boots). */
static int qemu_cont_all(struct cell_ctx *ctx, int64_t deadline, char *why, size_t len)
{
	long long *ids = calloc(ctx->nguests, sizeof(*ids));
	int rc = 0;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->nguests && !rc; i++) {
		struct guest *g = &ctx->guests[i];
		struct qemu_guest *qg = g->priv;

		rc = qmp_send(qg->qmp, "cont", NULL, qemu_start_cmd_ms(deadline), &ids[i]);
		if (rc)
			qemu_report_failure(g, qmp_error(qg->qmp), why, len);
		else
			g->run_ns = now_ns();
	}
	for (size_t i = 0; i < ctx->nguests && !rc; i++) {
		struct guest *g = &ctx->guests[i];
		struct qemu_guest *qg = g->priv;

		rc = qmp_reply(qg->qmp, "cont", ids[i], NULL, qemu_start_cmd_ms(deadline));
		if (rc)
			qemu_report_failure(g, qmp_error(qg->qmp), why, len);
	}
	free(ids);
	return rc ? -EIO : 0;
}

/* A guest that cannot run as asked: it exited, KVM stopped it, or its
 * payload printed an error before its banner: -ECHILD when its QEMU exited
 * before the banner, else -EIO, with the cause in why; 0 when it runs. */
static int qemu_guest_failed(struct cell_ctx *ctx, struct guest *g, char *why, size_t len)
{
	const char *payload = cell_str(ctx->cell, "guests", "payload");
	char what[320];

	if (qemu_kvm_error(g)) {
		qemu_report_failure(g, g->exit_why, why, len);
		return -EIO;
	}
	if (g->metrics.error[0]) {
		bool no_tscdl = strstr(g->metrics.error, "no-tsc-deadline");

		/* tickguest would fall back to oneshot, a Linux guest whose tick
		 * is not periodic on the LAPIC says so: neither is the cell that
		 * was asked for, so refuse it. */
		snprintf(what, sizeof(what), "%s reported: %s%s",
			 payload, g->metrics.error,
			 !no_tscdl ? "" :
			 " (timer=tscdeadline needs a CPU with the TSC-deadline timer; QEMU's TCG has none: run it under KVM or choose timer=periodic|oneshot)");
		qemu_report_failure(g, what, why, len);
		return -EIO;
	}
	if (!g->metrics.banner_seen && qemu_reap(g)) {
		qemu_describe_status(g->exit_status, what, sizeof(what));
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 " before %s printed its banner", payload);
		qemu_report_failure(g, what, why, len);
		return -ECHILD;
	}
	return 0;
}

/* Where vCPU 0 of a guest is, from QEMU's "info registers": its instruction
 * pointer ("EIP=..." or "RIP=...") in ip, and whether it is halted. */
static int qemu_guest_ip(struct guest *g, char *ip, size_t len, bool *halted)
{
	struct qemu_guest *qg = g->priv;
	json_t *args = json_pack("{s:s}", "command-line", "info registers"), *out = NULL;
	const char *s, *p = NULL;
	int rc;

	rc = qmp_cmd(qg->qmp, "human-monitor-command", args, &out, 2 * QMP_CMD_MS);
	json_decref(args);
	if (rc)
		return rc;
	s = json_string_value(out);
	if (s && !(p = strstr(s, "RIP=")))
		p = strstr(s, "EIP=");
	if (p) {
		snprintf(ip, len, "%.*s", (int)strcspn(p, " \r\n"), p);
		*halted = strstr(s, "HLT=1") != NULL;
	}
	json_decref(out);
	return p ? 0 : -EPROTO;
}

/* Note in start_note where vCPU 0 of each guest that printed no banner is,
 * twice half a second apart: a guest the host starves moves on, one that is
 * stuck (a firmware or nested-virtualization fault) does not. The silent
 * guests' indexes go to list. */
static void qemu_note_silent(struct cell_ctx *ctx, char *list, size_t len)
{
	struct timespec ts = { 0, 500 * NSEC_PER_MSEC };
	char ip[2][32];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		bool halted = false;

		if (g->metrics.banner_seen)
			continue;
		if (used < len - 8)
			used += (size_t)snprintf(list + used, len - used, "%s%d",
						 used ? " " : "", g->index);
		if (!qemu_guest_ip(g, ip[0], sizeof(ip[0]), &halted))
			snprintf(g->start_note, sizeof(g->start_note), "%s%s", ip[0],
				 halted ? " halted" : "");
	}
	if (used >= len - 8)
		snprintf(list + len - 8, 8, " ...");
	nanosleep(&ts, NULL);
	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		size_t n = strlen(g->start_note);
		bool halted = false;

		if (g->metrics.banner_seen || !n)
			continue;
		if (qemu_guest_ip(g, ip[1], sizeof(ip[1]), &halted))
			continue;
		snprintf(g->start_note + n, sizeof(g->start_note) - n, ", 0.5 s later %s%s",
			 strncmp(g->start_note, ip[1], strlen(ip[1])) ? ip[1] : "the same",
			 halted ? " halted" : "");
		lm_warn("guest %d: not up; vCPU 0 at %s", g->index, g->start_note);
	}
}

/* Wait until every guest printed its banner or the boot phase ends. */
static int qemu_wait_banners(struct cell_ctx *ctx, int64_t deadline, char *why, size_t len)
{
	char list[256];
	size_t ready;
	int rc = launch_wait_banners(ctx, deadline, qemu_guest_failed, &ready, why, len);

	if (rc != -ETIMEDOUT)
		return rc;
	qemu_note_silent(ctx, list, sizeof(list));
	if (ready) {
		lm_warn("cell %s: %zu of %zu guests printed no banner within %lld s of being let run under %s (guests %s): the host starves them; they count as silent until they report",
			ctx->cell->id, ctx->nguests - ready, ctx->nguests,
			(long long)(qemu_boot_budget_ns(ctx) / NSEC_PER_SEC), ctx->accel, list);
		return 0;
	}
	/* Where the first guest's vCPU was tells a stuck guest from a slow one. */
	snprintf(why, len, "no guest printed its banner within %lld s of being let run under %s (QEMU answered on QMP; guest 0's vCPU 0 at %s; see the guest-N.log and qemu-N.log files)",
		 (long long)(qemu_boot_budget_ns(ctx) / NSEC_PER_SEC), ctx->accel,
		 ctx->guests[0].start_note[0] ? ctx->guests[0].start_note : "an unknown place");
	lm_err("cell %s: %s", ctx->cell->id, why);
	return -ETIMEDOUT;
}

static int qemu_start_once(struct cell_ctx *ctx, char *why, size_t len)
{
	struct payload_boot *pb = malloc(sizeof(*pb));
	int64_t deadline;
	int rc;

	for (size_t i = 0; i < ctx->nguests; i++)
		ctx->guests[i].index = (int)i;
	ctx->start_budget_ns = qemu_qmp_budget_ns(ctx) + qemu_boot_budget_ns(ctx);
	if (!pb)
		return -ENOMEM;
	rc = payload_boot(ctx->cell, pb, why, len);
	deadline = now_ns() + qemu_qmp_budget_ns(ctx);
	for (size_t i = 0; i < ctx->nguests && !rc; i++) {
		rc = qemu_spawn(ctx, &ctx->guests[i], pb);
		if (rc)
			snprintf(why, len, "guest %zu: cannot start %s: %s", i, QEMU_BIN,
				 strerror(-rc));
	}
	free(pb);
	if (!rc)
		rc = qemu_connect_all(ctx, deadline, why, len);
	if (!rc)
		rc = qemu_cont_all(ctx, deadline, why, len);
	if (!rc)
		rc = qemu_wait_banners(ctx, now_ns() + qemu_boot_budget_ns(ctx), why, len);
	/* The guests that did start keep running until stop(), so describe()
	 * can still show what was launched. */
	if (rc)
		return rc;
	lm_debug("qemu: %zu guests up under %s", ctx->nguests, ctx->accel);
	return 0;
}

/* Stop the guests of a start that failed and clear them for another: their
 * logs are kept as guest-N.try1.log and qemu-N.try1.log. */
static void qemu_start_reset(struct cell_ctx *ctx)
{
	ctx->launcher->stop(ctx);
	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		int index = g->index;

		for (int f = 0; f < 2; f++) {
			char *from = f ? g->vmm_log : g->out_path;
			char *to = from ? xasprintf("%.*s.try1.log", (int)strlen(from) - 4, from) : NULL;

			if (to)
				(void)rename(from, to);
			free(to);
		}
		free(g->out_path);
		free(g->vmm_log);
		memset(g, 0, sizeof(*g));
		g->index = index;
	}
}

/*
 * In a lab host under TCG, a nested guest now and then never runs to its
 * banner, with none of the cell's conditions yet applied (the injectors start
 * after the warm-up): 3 first cells of a lab boot in about 40 here; or it runs
 * astray before it, and its QEMU exits (status 207, a write of 0x67 to the
 * debug-exit port that tickguest never writes: 1 of 64 guests of an overload
 * cell) (harness/lab/README.md, "Stalls"). A guest start is lockmap's own set-up,
 * not the cell's data: in a lab host the guests are started once more, and
 * guests_start says so ("restart": why, with where the vCPU was; the first
 * try's logs are kept as guest-N.try1.log). A host lockmap runs on directly
 * gets no second start: a guest that cannot boot there is the cell's error.
 */
int qemu_start(struct cell_ctx *ctx, char *why, size_t len)
{
	int rc = qemu_start_once(ctx, why, len);

	if ((rc != -ETIMEDOUT && rc != -ECHILD) || !lm_lab_inner || lm_stop_requested)
		return rc;
	snprintf(ctx->start_retry, sizeof(ctx->start_retry), "%s", why);
	lm_warn("cell %s: started its guests once more (a nested guest under an emulated lab host): %s",
		ctx->cell->id, why);
	qemu_start_reset(ctx);
	return qemu_start_once(ctx, why, len);
}
