// SPDX-License-Identifier: GPL-2.0
/* The "libvirt" launcher: each guest is a transient domain of libvirtd
 * (qemu:///system), started through the libvirt C API from a domain XML
 * template of guests/libvirt/ (one file per payload), its serial console in a
 * file of the cell directory, its vCPUs pinned by <cputune>, paused with
 * virDomainSuspend/virDomainResume, and watched through libvirt's lifecycle
 * events. This file watches, pauses, stops and describes the domains;
 * launch_libvirt_start.c brings a cell's guests up. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel.h"
#include "cell.h"
#include "launch_libvirt_guest.h"
#include "lockmap.h"
#include "text.h"

static int libvirt_supported(char *why, size_t len)
{
	char msg[512];
	char *tmpl = data_source("guests/libvirt/tickguest.xml", "libvirt/tickguest.xml");
	int rc;

	if (!tmpl) {
		snprintf(why, len, "guests/libvirt/tickguest.xml not found %s; reinstall lockmap (make install)",
			 data_where());
		return -ENOENT;
	}
	free(tmpl);
	rc = libvirt_reachable(msg, sizeof(msg));
	snprintf(why, len, "%s", msg);
	return rc;
}

void libvirt_report_failure(struct guest *g, const char *what, char *why, size_t len)
{
	struct libvirt_guest *lg = g->priv;
	char tail[512] = "", msg[1024];

	if (lg && lg->qemu_log && (!g->exit_why[0] || strcmp(what, g->exit_why)))
		qemu_log_tail(lg->qemu_log, tail, sizeof(tail));
	snprintf(msg, sizeof(msg), "guest %d (domain %s): %s%s%s (QEMU log: %s)", g->index,
		 lg ? lg->name : "?", what, tail[0] ? "; QEMU said: " : "", tail,
		 lg && lg->qemu_log ? lg->qemu_log : "none");
	lm_err("%s", msg);
	if (why && len && !why[0])
		snprintf(why, len, "%s", msg);
}

void libvirt_guest_save_log(struct guest *g)
{
	struct libvirt_guest *lg = g->priv;
	char buf[8192];
	int in, out;
	ssize_t n;

	if (!lg || !lg->qemu_log || !g->vmm_log)
		return;
	in = open(lg->qemu_log, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	out = open(g->vmm_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (out >= 0)
		close(out);
	close(in);
}

/* A domain paused by QEMU itself (a KVM internal error, an I/O error): the
 * state's reason tells it from a pause of ours (VIR_DOMAIN_PAUSED_USER) or a
 * resume since. */
static bool libvirt_paused_by_hypervisor(struct libvirt_guest *lg, char *buf, size_t len)
{
	int state = 0, reason = 0;

	if (virDomainGetState(lg->dom, &state, &reason, 0) < 0)
		return false;
	/* Created paused (STARTING_UP), or paused by us: not the hypervisor. */
	if (state != VIR_DOMAIN_PAUSED || reason == VIR_DOMAIN_PAUSED_USER ||
	    reason == VIR_DOMAIN_PAUSED_STARTING_UP)
		return false;
	snprintf(buf, len, "libvirt: the hypervisor paused the domain (reason %d)", reason);
	return true;
}

bool libvirt_guest_gone(struct guest *g)
{
	struct libvirt_guest *lg = g->priv;
	struct libvirt_event ev;
	char what[256] = "";

	if (!lg || g->exited)
		return false;
	while (!what[0] && libvirt_event_take(lg->name, &ev)) {
		if (ev.event == VIR_DOMAIN_EVENT_SUSPENDED) {
			if (lg->dom && libvirt_paused_by_hypervisor(lg, what, sizeof(what)))
				/* QEMU says why in its log (qemu launcher's words). */
				(void)qemu_log_kvm_error(lg->qemu_log, what, sizeof(what));
			continue;
		}
		if (ev.event == VIR_DOMAIN_EVENT_SHUTDOWN)
			continue;	/* STOPPED follows */
		libvirt_event_describe(&ev, what, sizeof(what));
	}
	if (!what[0])
		return false;
	snprintf(g->exit_why, sizeof(g->exit_why), "%s", what);
	g->exited = true;
	g->pid = 0;
	libvirt_guest_save_log(g);
	return true;
}

static int libvirt_pause(struct cell_ctx *ctx, struct guest *g, bool paused)
{
	struct libvirt_guest *lg = g->priv;
	int rc;

	(void)ctx;
	if (!lg || !lg->dom || g->exited)
		return -ESRCH;
	rc = paused ? virDomainSuspend(lg->dom) : virDomainResume(lg->dom);
	if (rc < 0) {
		lm_warn("guest %d (domain %s): %s: %s", g->index, lg->name,
			paused ? "virDomainSuspend" : "virDomainResume", libvirt_error());
		return -EIO;
	}
	g->paused = paused;
	return 0;
}

static int libvirt_poll(struct cell_ctx *ctx)
{
	int n = 0;

	for (size_t i = 0; i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];

		if (!libvirt_guest_gone(g))
			continue;
		lm_err("guest %d: %s (QEMU log: %s)", g->index, g->exit_why, g->vmm_log);
		n++;
	}
	return n;
}

static void libvirt_guest_free(struct guest *g)
{
	struct libvirt_guest *lg = g->priv;

	if (!lg)
		return;
	libvirt_event_forget(lg->name);
	if (lg->dom)
		virDomainFree(lg->dom);
	free(lg->xml);
	free(lg->template_path);
	free(lg->qemu_log);
	free(lg);
	g->priv = NULL;
}

/* Destroy every domain (transient: it is gone with it), keep its QEMU log in
 * the cell directory, and free what the launcher held. Safe to call twice. */
static int libvirt_stop(struct cell_ctx *ctx)
{
	int rc = 0;

	for (size_t i = 0; ctx->guests && i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		struct libvirt_guest *lg = g->priv;

		if (!lg)
			continue;
		if (lg->dom && virDomainIsActive(lg->dom) == 1 && virDomainDestroy(lg->dom) < 0) {
			lm_err("guest %d: cannot destroy domain %s: %s", g->index, lg->name,
			       libvirt_error());
			rc = -EIO;
		}
		g->exited = true;
		g->pid = 0;
		libvirt_guest_save_log(g);
		libvirt_guest_free(g);
	}
	return rc;
}

static void libvirt_describe(struct cell_ctx *ctx, json_t *out)
{
	struct libvirt_guest *lg0 = ctx->nguests && ctx->guests ? ctx->guests[0].priv : NULL;
	json_t *guests = json_array();
	unsigned long v = 0;
	char why[256];
	virConnectPtr c = libvirt_conn(why, sizeof(why));

	json_object_set_new(out, "accel", json_string(ctx->accel));
	json_object_set_new(out, "uri", json_string(LIBVIRT_URI));
	if (c && virConnectGetLibVersion(c, &v) == 0)
		json_object_set_new(out, "libvirt_version", json_integer((json_int_t)v));
	if (lg0) {
		json_object_set_new(out, "template", text_json(lg0->template_path));
		if (lg0->xml)
			json_object_set_new(out, "xml", text_json(lg0->xml));
	}
	json_object_set_new(out, "pin_policy",
			    json_string(ctx->pin_mask ? "round-robin: one cpu of guests.pin per vCPU (<vcpupin>)"
						      : "none"));
	for (size_t i = 0; ctx->guests && i < ctx->nguests; i++) {
		struct guest *g = &ctx->guests[i];
		struct libvirt_guest *lg = g->priv;
		json_t *tids = json_array(), *pins = json_array();

		for (int v = 0; v < g->nvcpus; v++) {
			json_array_append_new(tids, json_integer(g->vcpu_tids[v]));
			json_array_append_new(pins, lg && lg->pins[v] >= 0 ?
					      json_integer(lg->pins[v]) : json_null());
		}
		json_array_append_new(guests, json_pack("{s:i, s:o, s:o, s:o}", "index", g->index,
							"domain", text_json(lg ? lg->name : ""),
							"vcpu_tids", tids, "pins", pins));
	}
	json_object_set_new(out, "guests", guests);
}

/* Before a run's first cell: the domains killed runs left are destroyed. */
static int libvirt_run_leftovers(char *msg, size_t len)
{
	char why[512];
	int n = libvirt_leftovers(true, msg, len, why, sizeof(why));

	if (n < 0)
		snprintf(msg, len, "%s", why);
	return n;
}

const struct launcher_ops launch_libvirt_ops = {
	.name = "libvirt",
	.help = "each guest a transient libvirt domain (qemu:///system) from guests/libvirt/<payload>.xml; kvm or qemu (TCG) as the KVM probe decides, vCPUs pinned to guests.pin by <cputune>, pause by virDomainSuspend/Resume, lifecycle events",
	.keys = NULL,
	.nkeys = 0,
	.supported = libvirt_supported,
	.leftovers = libvirt_run_leftovers,
	.start = libvirt_start,
	.pause = libvirt_pause,
	.poll = libvirt_poll,
	.stop = libvirt_stop,
	.describe = libvirt_describe,
};
