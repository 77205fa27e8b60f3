// SPDX-License-Identifier: GPL-2.0
/* Injector "irqoff": sections with local interrupts disabled on chosen cpus,
 * run by lockmap_inject.ko (a host module whose timer callback spins longer
 * than KVM's 200 us period clamp, say). While a cpu has interrupts off, the
 * hrtimers of the guest LAPIC timers it carries expire unserved; when they are
 * served, KVM catches up on every period it missed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "inject.h"
#include "kmodctl.h"
#include "lockmap.h"

static const struct pspec irqoff_keys[] = {
	{ "cpus", PT_CPULIST, 1, 0, "1", NULL,
	  "host cpus that run the irq-off sections" },
	{ "duration", PT_DURATION, 0, 120 * NSEC_PER_SEC, "0", NULL,
	  "length of each section with interrupts off; 0 turns the injector off "
	  "(the module's max_irqoff_ms bounds it too)" },
	{ "interval", PT_DURATION, 0, 3600 * NSEC_PER_SEC, "0", NULL,
	  "start-to-start time of the sections; 0: one section per cpu" },
	{ "count", PT_INT, 0, 1000000, "0", NULL,
	  "sections per cpu; 0: until the observation window ends" },
	{ "lead_in", PT_ENUM, 1, 0, "auto", "auto|off",
	  "before each section keep the cpu busy at nice 19 for one soft-lockup "
	  "watchdog period (auto: 2 x kernel.watchdog_thresh / 5, plus 10%), so the "
	  "section does not start right after idle, where the kernel excuses it; "
	  "off: the section starts as the thread wakes (the first section is "
	  "that much later with auto)" },
};

struct irqoff_state {
	int fd;
	struct lockmap_irqoff req;
	struct lockmap_stats st;
	bool have_stats;
};

static int irqoff_supported(char *why, size_t len)
{
	return kmodctl_available(why, len);
}

/* The kernel's soft-lockup watchdog checks every 2 x watchdog_thresh / 5 s
 * (kernel/watchdog.c, sample_period); leaving idle excuses the next check, so
 * the cpu is kept busy for one period and a tenth before a section. 0 when the
 * watchdog is off. */
static uint64_t irqoff_lead_in_ns(const char *mode)
{
	char v[16] = "";
	long long thresh;

	if (strcmp(mode, "auto") ||
	    read_file_str("/proc/sys/kernel/watchdog_thresh", v, sizeof(v)) < 0)
		return 0;
	thresh = atoll(v);
	return thresh > 0 ? (uint64_t)thresh * 2 * NSEC_PER_SEC / 5 * 11 / 10 : 0;
}

/* Sections one after the other must not overlap. */
static int irqoff_validate(const struct cell *c, const char *section, char *err, size_t len)
{
	int64_t duration = cell_num(c, section, "duration");
	int64_t interval = cell_num(c, section, "interval");
	char where[600];

	if (!duration || !interval || interval > duration)
		return 0;
	cell_where(c, section, cell_key(c, section, "interval")->is_set ? "interval" : "duration",
		   where, sizeof(where));
	snprintf(err, len, "%s: the interval (%s) must be longer than the duration (%s), or 0 "
		 "for one section per cpu", where, cell_val(c, section, "interval")->text,
		 cell_val(c, section, "duration")->text);
	return -EINVAL;
}

static int irqoff_start(struct inject_ctx *ic)
{
	const struct cell *c = ic->cell->cell;
	struct irqoff_state *s;

	if (cell_num(c, ic->section, "duration") == 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	ic->priv = s;
	s->req.cpumask = cell_val(c, ic->section, "cpus")->mask;
	s->req.duration_ns = (uint64_t)cell_num(c, ic->section, "duration");
	s->req.interval_ns = (uint64_t)cell_num(c, ic->section, "interval");
	s->req.count = (uint32_t)cell_num(c, ic->section, "count");
	s->req.lead_in_ns = irqoff_lead_in_ns(cell_str(c, ic->section, "lead_in"));
	s->fd = kmodctl_start("inject.irqoff", LOCKMAP_IOC_IRQOFF_START, &s->req);
	return s->fd < 0 ? s->fd : 0;
}

static int irqoff_stop(struct inject_ctx *ic)
{
	struct irqoff_state *s = ic->priv;

	return s ? kmodctl_finish(&s->fd, LOCKMAP_ACT_IRQOFF, &s->st, &s->have_stats) : 0;
}

static void irqoff_describe(struct inject_ctx *ic, json_t *out)
{
	struct irqoff_state *s = ic->priv;
	json_t *cpus;
	uint64_t n = 0, min = UINT64_MAX, max = 0, total = 0;

	if (!s) {
		json_object_set_new(out, "off", json_true());
		return;
	}
	json_object_set_new(out, "cpumask", json_integer((json_int_t)s->req.cpumask));
	json_object_set_new(out, "duration_ns", json_integer((json_int_t)s->req.duration_ns));
	json_object_set_new(out, "interval_ns", json_integer((json_int_t)s->req.interval_ns));
	json_object_set_new(out, "count", json_integer(s->req.count));
	json_object_set_new(out, "lead_in_ns", json_integer((json_int_t)s->req.lead_in_ns));
	if (!s->have_stats)
		return;
	cpus = json_object();
	for (unsigned i = 0; i < s->st.nr_cpus && i < LOCKMAP_MAX_CPUS; i++) {
		const struct lockmap_cpu_stats *cs = &s->st.cpu[i];
		char k[16];

		if (!cs->irqoff_count)
			continue;
		snprintf(k, sizeof(k), "%u", i);
		json_object_set_new(cpus, k, json_pack("{s:I, s:I, s:I, s:I}", "sections",
						       (json_int_t)cs->irqoff_count, "min_ns",
						       (json_int_t)cs->irqoff_min_ns, "max_ns",
						       (json_int_t)cs->irqoff_max_ns, "avg_ns",
						       (json_int_t)(cs->irqoff_total_ns /
								    cs->irqoff_count)));
		n += cs->irqoff_count;
		total += cs->irqoff_total_ns;
		min = cs->irqoff_min_ns < min ? cs->irqoff_min_ns : min;
		max = cs->irqoff_max_ns > max ? cs->irqoff_max_ns : max;
	}
	json_object_set_new(out, "cpus", cpus);
	json_object_set_new(out, "sections", json_integer((json_int_t)n));
	if (n)
		json_object_set_new(out, "measured", json_pack("{s:I, s:I, s:I}", "min_ns",
							       (json_int_t)min, "max_ns",
							       (json_int_t)max, "avg_ns",
							       (json_int_t)(total / n)));
}

/* Its injection runs: the module's series has not ended (duration 0 is off;
 * the lead-in before a section counts). */
static bool irqoff_active(const struct inject_ctx *ic)
{
	const struct irqoff_state *s = ic->priv;

	return s && kmodctl_running(s->fd, LOCKMAP_ACT_IRQOFF);
}

const struct injector_ops inject_irqoff_ops = {
	.name = "irqoff",
	.help = "interrupts off on host cpus for a while, again and again (helper module)",
	.keys = irqoff_keys,
	.nkeys = ARRAY_SIZE(irqoff_keys),
	.supported = irqoff_supported,
	.validate = irqoff_validate,
	.start = irqoff_start,
	.stop = irqoff_stop,
	.describe = irqoff_describe,
	.active = irqoff_active,
};
