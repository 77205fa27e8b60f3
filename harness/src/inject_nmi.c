// SPDX-License-Identifier: GPL-2.0
/* Injector "nmi": NMI storms that emulate SMIs, run by lockmap_inject.ko. A
 * sender cpu sends NMIs to the target cpus at a rate; the module's handler
 * spins for the SMI residency. Like an SMI, the time is stolen from whatever
 * ran, interrupts included: guest timers on those cpus fall behind. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "inject.h"
#include "kmodctl.h"
#include "lockmap.h"

static const struct pspec nmi_keys[] = {
	{ "cpus", PT_CPULIST, 1, 0, "1", NULL,
	  "host cpus that receive the NMIs" },
	{ "sender", PT_CPU, 0, LOCKMAP_MAX_CPUS - 1, "0", NULL,
	  "host cpu that sends them (must not be a target)" },
	{ "rate", PT_RATE, 0, 100000, "0", NULL,
	  "NMIs per second to each target; 0 turns the injector off "
	  "(the module's max_nmi_rate_hz bounds it too)" },
	{ "residency", PT_DURATION, 0, NSEC_PER_SEC, "100us", NULL,
	  "time the NMI handler spins, like an SMI's residency "
	  "(the module's max_nmi_residency_us bounds it too)" },
};

struct nmi_state {
	int fd;
	struct lockmap_nmi req;
	struct lockmap_stats st;
	bool have_stats;
};

static int nmi_supported(char *why, size_t len)
{
	return kmodctl_available(why, len);
}

/* A sender that is also a target would interrupt itself. */
static int nmi_validate(const struct cell *c, const char *section, char *err, size_t len)
{
	const struct pval *cpus = cell_val(c, section, "cpus");
	const struct pval *sender = cell_val(c, section, "sender");
	char where[600];

	if (cell_num(c, section, "rate") == 0 || !(cpus->mask & sender->mask))
		return 0;
	/* Name the key the profile set (the other may be a default). */
	cell_where(c, section, cell_key(c, section, "sender")->is_set ? "sender" : "cpus", where,
		   sizeof(where));
	snprintf(err, len, "%s: the sender cpu %s is also one of the target cpus (cpus = %s); "
		 "choose a sender outside cpus", where, sender->text, cpus->text);
	return -EINVAL;
}

static int nmi_start(struct inject_ctx *ic)
{
	const struct cell *c = ic->cell->cell;
	struct nmi_state *s;

	if (cell_num(c, ic->section, "rate") == 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	ic->priv = s;
	s->req.cpumask = cell_val(c, ic->section, "cpus")->mask;
	s->req.sender_cpu = (uint32_t)cell_num(c, ic->section, "sender");
	s->req.rate_hz = (uint32_t)cell_num(c, ic->section, "rate");
	s->req.residency_ns = (uint64_t)cell_num(c, ic->section, "residency");
	s->req.duration_ns = 0;	/* until the window ends */
	s->fd = kmodctl_start("inject.nmi", LOCKMAP_IOC_NMI_START, &s->req);
	return s->fd < 0 ? s->fd : 0;
}

static int nmi_stop(struct inject_ctx *ic)
{
	struct nmi_state *s = ic->priv;

	return s ? kmodctl_finish(&s->fd, LOCKMAP_ACT_NMI, &s->st, &s->have_stats) : 0;
}

static void nmi_describe(struct inject_ctx *ic, json_t *out)
{
	struct nmi_state *s = ic->priv;
	uint64_t sent = 0, handled = 0, rmax = 0, rtotal = 0;
	uint64_t span;
	unsigned targets = 0;
	json_t *cpus;

	if (!s) {
		json_object_set_new(out, "off", json_true());
		return;
	}
	json_object_set_new(out, "cpumask", json_integer((json_int_t)s->req.cpumask));
	json_object_set_new(out, "sender", json_integer(s->req.sender_cpu));
	json_object_set_new(out, "rate_hz", json_integer(s->req.rate_hz));
	json_object_set_new(out, "residency_ns", json_integer((json_int_t)s->req.residency_ns));
	if (!s->have_stats)
		return;
	cpus = json_object();
	for (unsigned i = 0; i < s->st.nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
		const struct lockmap_cpu_stats *cs = &s->st.cpu[i];
		char k[16];

		if (!cs->nmi_sent)
			continue;
		snprintf(k, sizeof(k), "%u", i);
		json_object_set_new(cpus, k, json_pack("{s:I, s:I, s:I}", "sent",
						       (json_int_t)cs->nmi_sent, "handled",
						       (json_int_t)cs->nmi_handled,
						       "residency_max_ns",
						       (json_int_t)cs->nmi_residency_max_ns));
		targets++;
		sent += cs->nmi_sent;
		handled += cs->nmi_handled;
		rtotal += cs->nmi_residency_total_ns;
		rmax = cs->nmi_residency_max_ns > rmax ? cs->nmi_residency_max_ns : rmax;
	}
	json_object_set_new(out, "cpus", cpus);
	json_object_set_new(out, "sent", json_integer((json_int_t)sent));
	json_object_set_new(out, "handled", json_integer((json_int_t)handled));
	json_object_set_new(out, "residency_max_ns", json_integer((json_int_t)rmax));
	if (handled)
		json_object_set_new(out, "residency_avg_ns",
				    json_integer((json_int_t)(rtotal / handled)));
	/* Achieved rate per target, from the first to the last NMI sent. */
	span = s->st.nmi_last_ns - s->st.nmi_first_ns;
	if (targets && sent > targets && span)
		json_object_set_new(out, "achieved_rate_hz",
				    json_real((double)(sent / targets - 1) * 1e9 / (double)span));
}

/* Its injection runs: the module's storm has not ended (rate 0 is off). */
static bool nmi_active(const struct inject_ctx *ic)
{
	const struct nmi_state *s = ic->priv;

	return s && kmodctl_running(s->fd, LOCKMAP_ACT_NMI);
}

const struct injector_ops inject_nmi_ops = {
	.name = "nmi",
	.help = "NMI storms emulating SMIs: NMIs at a rate, a handler that spins (helper module)",
	.keys = nmi_keys,
	.nkeys = ARRAY_SIZE(nmi_keys),
	.supported = nmi_supported,
	.validate = nmi_validate,
	.start = nmi_start,
	.stop = nmi_stop,
	.describe = nmi_describe,
	.active = nmi_active,
};
