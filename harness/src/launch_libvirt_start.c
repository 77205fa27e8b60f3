// SPDX-License-Identifier: GPL-2.0
/* Bringing a cell's libvirt guests up, all at once: every domain is created
 * paused from its template (virDomainCreateXML), its vCPUs pinned by the
 * <cputune> of its XML; all are resumed together so their boots overlap; then
 * every banner is awaited. Both waits are bounded by times that scale with
 * the number of guests and the accelerator; a guest still booting at the end
 * is starved by the host and counts as silent (guestreport.h). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "cell.h"
#include "launch_libvirt_guest.h"
#include "lockmap.h"
#include "payload.h"

/* What a start costs: a fixed part and a part per guest for creating the
 * domains (libvirtd starts one QEMU after the other, and probes QEMU once
 * after it starts: 6 s for the first domain here), and for the boot phase
 * (resume until every banner; per guest sharing a cpu), as launch_qemu. */
struct libvirt_start_cost {
	const char *payload, *accel;
	int64_t create_ns, create_per_guest_ns;
	int64_t boot_ns, boot_per_guest_ns;
};

static const struct libvirt_start_cost libvirt_costs[] = {
	{ "tickguest", "kvm", 15 * NSEC_PER_SEC, 1 * NSEC_PER_SEC, 5 * NSEC_PER_SEC, 250 * NSEC_PER_MSEC },
	{ "tickguest", "tcg", 20 * NSEC_PER_SEC, 2 * NSEC_PER_SEC, 15 * NSEC_PER_SEC, 1 * NSEC_PER_SEC },
	/* A Linux boot: the qemu launcher's measured boot budgets
	 * (launch_qemu_start.c), the creation as a tickguest's. */
	{ "linux", "kvm", 15 * NSEC_PER_SEC, 1 * NSEC_PER_SEC, 20 * NSEC_PER_SEC, 2 * NSEC_PER_SEC },
	{ "linux", "tcg", 20 * NSEC_PER_SEC, 2 * NSEC_PER_SEC, 120 * NSEC_PER_SEC, 30 * NSEC_PER_SEC },
};

static const struct libvirt_start_cost *libvirt_cost(const struct cell_ctx *ctx)
{
	const char *payload = cell_str(ctx->cell, "guests", "payload");
	const char *accel = strcmp(ctx->accel, "kvm") ? "tcg" : "kvm";

	for (size_t i = 0; i < ARRAY_SIZE(libvirt_costs); i++)
		if (!strcmp(libvirt_costs[i].payload, payload) && !strcmp(libvirt_costs[i].accel, accel))
			return &libvirt_costs[i];
	lm_err("libvirt: no start cost for payload %s under %s (a lockmap bug)", payload, accel);
	abort();
}

static int64_t libvirt_boot_budget_ns(const struct cell_ctx *ctx)
{
	int cpus = ctx->pin_mask ? __builtin_popcountll(ctx->pin_mask) : cpus_online();
	int64_t per_cpu = ((int64_t)ctx->nguests + cpus - 1) / (cpus < 1 ? 1 : cpus);

	return libvirt_cost(ctx)->boot_ns + per_cpu * libvirt_cost(ctx)->boot_per_guest_ns;
}

static int64_t libvirt_create_budget_ns(const struct cell_ctx *ctx)
{
	return libvirt_cost(ctx)->create_ns +
	       (int64_t)ctx->nguests * libvirt_cost(ctx)->create_per_guest_ns;
}

/* The vCPU thread ids of g's QEMU (threads named "CPU n/KVM" or "CPU n/TCG"),
 * from the pid file libvirtd keeps: libvirt's API does not give them. */
static void libvirt_vcpu_tids(struct guest *g)
{
	struct libvirt_guest *lg = g->priv;
	char *path = xasprintf("%s/%s.pid", LIBVIRT_QEMU_RUN_DIR, lg->name);
	char buf[32], comm[64], *task;
	struct dirent *e;
	DIR *d;

	if (read_file_str(path, buf, sizeof(buf)) < 0 || atoi(buf) <= 0) {
		free(path);
		return;
	}
	free(path);
	g->pid = atoi(buf);
	task = xasprintf("/proc/%d/task", (int)g->pid);
	d = opendir(task);
	while (d && (e = readdir(d))) {
		char *p = xasprintf("%s/%s/comm", task, e->d_name);
		int v;

		if (e->d_name[0] != '.' && read_file_str(p, comm, sizeof(comm)) == 0 &&
		    sscanf(comm, "CPU %d/", &v) == 1 && v >= 0 &&
		    v < (int)ARRAY_SIZE(g->vcpu_tids)) {
			g->vcpu_tids[v] = atoi(e->d_name);
			if (v + 1 > g->nvcpus)
				g->nvcpus = v + 1;
		}
		free(p);
	}
	if (d)
		closedir(d);
	free(task);
}

/* The domain XML of guest g: its payload's template with the cell's values. */
static int libvirt_guest_xml(struct cell_ctx *ctx, struct guest *g,
			     const struct payload_boot *pb, char *why, size_t len)
{
	struct libvirt_guest *lg = g->priv;
	const struct cell *c = ctx->cell;
	bool kvm = !strcmp(ctx->accel, "kvm");
	int vcpus = (int)cell_num(c, "guests", "vcpus");
	char num_vcpus[16], num_mem[32], cmdline[1024];
	struct libvirt_meta meta = { .pid = getpid(), .guest = g->index };
	/* The names a template may use; adding a payload adds its own. */
	const struct libvirt_var vars[] = {
		{ "NAME", lg->name },
		/* libvirt's "qemu" domain type is TCG. */
		{ "DOMAIN_TYPE", kvm ? "kvm" : "qemu" },
		/* TCG's "maximum" is QEMU's -cpu max, as the qemu launcher. */
		{ "CPU_MODE", kvm ? "host-passthrough" : "maximum" },
		{ "VCPUS", num_vcpus },
		{ "MEMORY_MIB", num_mem },
		{ "KERNEL", pb->kernel },
		{ "INITRD", pb->initrd },
		{ "CMDLINE", cmdline },
		{ "OUTPUT", g->out_path },
	};

	snprintf(num_vcpus, sizeof(num_vcpus), "%d", vcpus);
	snprintf(num_mem, sizeof(num_mem), "%lld", (long long)cell_num(c, "guests", "memory"));
	/* The cell was checked against the payload before anything started. */
	(void)payload_cmdline(c, cmdline, sizeof(cmdline));
	snprintf(meta.run, sizeof(meta.run), "%s", ctx->run_id);
	snprintf(meta.cell, sizeof(meta.cell), "%s", c->id);
	/* Slots follow guest order, so the same cell pins the same way. */
	for (int v = 0; v < vcpus && v < (int)ARRAY_SIZE(lg->pins); v++)
		lg->pins[v] = launch_pin_cpu(ctx->pin_mask, g->index * vcpus + v);
	return libvirt_xml_build(lg->template_path, vars, ARRAY_SIZE(vars), lg->pins,
				 vcpus < 64 ? vcpus : 64, &meta, &lg->xml, why, len);
}

/* Create guest g's domain, paused. */
static int libvirt_create(struct cell_ctx *ctx, virConnectPtr conn, struct guest *g,
			  const struct payload_boot *pb, char *why, size_t len)
{
	struct libvirt_guest *lg = calloc(1, sizeof(*lg));
	const char *payload = cell_str(ctx->cell, "guests", "payload");
	char *rel = xasprintf("guests/libvirt/%s.xml", payload);
	char what[512];
	int rc;

	if (!lg) {
		free(rel);
		return -ENOMEM;
	}
	g->priv = lg;
	for (size_t v = 0; v < ARRAY_SIZE(lg->pins); v++)
		lg->pins[v] = -1;
	lg->template_path = data_source(rel, rel + strlen("guests/"));
	free(rel);
	if (!lg->template_path) {
		snprintf(why, len, "no domain template guests/libvirt/%s.xml for payload %s %s",
			 payload, payload, data_where());
		return -ENOENT;
	}
	rc = libvirt_domain_name(lg->name, sizeof(lg->name), ctx->run_id, ctx->cell->id, g->index);
	if (rc) {
		snprintf(why, len, "guest %d: no domain name fits for run %s", g->index, ctx->run_id);
		return rc;
	}
	g->out_path = xasprintf("%s/guest-%d.log", ctx->dir, g->index);
	g->vmm_log = xasprintf("%s/qemu-%d.log", ctx->dir, g->index);
	lg->qemu_log = xasprintf("%s/%s.log", LIBVIRT_QEMU_LOG_DIR, lg->name);
	/* A repeated cell reuses its directory: start from empty files. */
	(void)unlink(g->out_path);
	(void)unlink(g->vmm_log);
	rc = libvirt_guest_xml(ctx, g, pb, why, len);
	if (rc)
		return rc;
	g->launch_ns = now_ns();
	lg->dom = virDomainCreateXML(conn, lg->xml, VIR_DOMAIN_START_PAUSED);
	if (!lg->dom) {
		snprintf(what, sizeof(what), "virDomainCreateXML: %s", libvirt_error());
		libvirt_report_failure(g, what, why, len);
		return -EIO;
	}
	libvirt_vcpu_tids(g);
	return 0;
}

/* A guest that cannot run as asked: its domain stopped, or tickguest printed
 * an error before its banner. -EIO with the cause in why, else 0. */
static int libvirt_guest_failed(struct cell_ctx *ctx, struct guest *g, char *why, size_t len)
{
	char what[320];

	if (libvirt_guest_gone(g) || g->exited) {
		libvirt_report_failure(g, g->exit_why, why, len);
		return -EIO;
	}
	if (g->metrics.error[0]) {
		snprintf(what, sizeof(what), "%s reported: %s",
			 cell_str(ctx->cell, "guests", "payload"), g->metrics.error);
		libvirt_report_failure(g, what, why, len);
		return -EIO;
	}
	return 0;
}

/* Wait until every guest printed its banner or the boot phase ends. */
static int libvirt_wait_banners(struct cell_ctx *ctx, int64_t deadline, char *why, size_t len)
{
	size_t ready;
	int rc = launch_wait_banners(ctx, deadline, libvirt_guest_failed, &ready, why, len);

	if (rc != -ETIMEDOUT)
		return rc;
	if (ready) {
		lm_warn("cell %s: %zu of %zu guests printed no banner within %lld s of being resumed under %s: the host starves them; they count as silent until they report",
			ctx->cell->id, ctx->nguests - ready, ctx->nguests,
			(long long)(libvirt_boot_budget_ns(ctx) / NSEC_PER_SEC), ctx->accel);
		return 0;
	}
	snprintf(why, len, "no guest printed its banner within %lld s of being resumed under %s (see the guest-N.log and qemu-N.log files)",
		 (long long)(libvirt_boot_budget_ns(ctx) / NSEC_PER_SEC), ctx->accel);
	lm_err("cell %s: %s", ctx->cell->id, why);
	return -ETIMEDOUT;
}

int libvirt_start(struct cell_ctx *ctx, char *why, size_t len)
{
	virConnectPtr conn = libvirt_conn(why, len);
	struct payload_boot *pb = malloc(sizeof(*pb));
	int rc;

	for (size_t i = 0; i < ctx->nguests; i++)
		ctx->guests[i].index = (int)i;
	ctx->start_budget_ns = libvirt_create_budget_ns(ctx) + libvirt_boot_budget_ns(ctx);
	if (!conn || !pb) {
		free(pb);
		return conn ? -ENOMEM : -ENOTCONN;
	}
	/* The payload's kernel, initramfs and CPU flags, as the qemu launcher's;
	 * its template (guests/libvirt/PAYLOAD.xml) says how they are used. */
	rc = payload_boot(ctx->cell, pb, why, len);
	for (size_t i = 0; i < ctx->nguests && !rc; i++) {
		rc = libvirt_create(ctx, conn, &ctx->guests[i], pb, why, len);
		if (!rc && lm_stop_requested)
			rc = -EINTR;
	}
	free(pb);
	/* Resumed together, so the boots overlap as under the qemu launcher. */
	for (size_t i = 0; i < ctx->nguests && !rc; i++) {
		struct guest *g = &ctx->guests[i];
		struct libvirt_guest *lg = g->priv;
		char what[320];

		if (virDomainResume(lg->dom) < 0) {
			snprintf(what, sizeof(what), "virDomainResume: %s", libvirt_error());
			libvirt_report_failure(g, what, why, len);
			rc = -EIO;
		}
		g->run_ns = now_ns();
	}
	if (!rc)
		rc = libvirt_wait_banners(ctx, now_ns() + libvirt_boot_budget_ns(ctx), why, len);
	if (rc)
		return rc;
	lm_debug("libvirt: %zu guests up under %s", ctx->nguests, ctx->accel);
	return 0;
}
