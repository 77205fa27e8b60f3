// SPDX-License-Identifier: GPL-2.0
/* The payloads lockmap's launchers boot, and how a cell's [guests] values
 * become their command lines. tickguest's numbers and ranges are its own
 * table (tickguest_params.h), the one its parser reads; the Linux guest's
 * facts are in linuxguest.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "linuxguest.h"
#include "lockmap.h"
#include "payload.h"
#include "../../guests/tickguest/tickguest_params.h"

/* A number on the payload's command line, from a [guests] key. */
struct payload_num {
	const char *key;	/* the [guests] key (a duration) */
	const char *arg;	/* the payload's key, in units of unit ns */
	int64_t unit;
	const char *unit_name;
};

/* A range of the payload's own table. */
struct payload_range {
	const char *arg;
	int64_t min, max;
};

struct payload {
	const char *name;
	const char *fixed;		/* command-line words before the keys' */
	const struct payload_num *nums;
	size_t nnums;
	const struct payload_range *ranges;
	size_t nranges;
	const char *const *words;	/* [guests] keys passed as they are */
	size_t nwords;
	const char *table;		/* where the ranges are, for messages */
	const char *append_key;		/* a [guests] key whose text ends the command
					 * line (NULL: none) */
	/* Checks of the payload's own, after the ranges (NULL: none). */
	int (*check)(const struct cell *c, char *err, size_t len);
	int (*boot)(const struct cell *c, struct payload_boot *pb, char *why, size_t len);
};

static const struct payload_range tickguest_ranges[] = {
#define TICKGUEST_RANGE(arg, min, max) { #arg, min, max },
	TICKGUEST_NUM_PARAMS(TICKGUEST_RANGE)
#undef TICKGUEST_RANGE
};

static const struct payload_num tickguest_nums[] = {
	{ "period", "period_us", NSEC_PER_USEC, "us" },
	{ "report", "report_ms", NSEC_PER_MSEC, "ms" },
};

static const char *const tickguest_words[] = { "timer", "idle" };

static int tickguest_boot(const struct cell *c, struct payload_boot *pb, char *why, size_t len)
{
	char *elf = data_path("tickguest.elf");

	(void)c;
	if (!elf) {
		snprintf(why, len, "tickguest.elf not found next to lockmap; build it: make tickguest");
		return -ENOENT;
	}
	snprintf(pb->kernel, sizeof(pb->kernel), "%s", elf);
	free(elf);
	return 0;
}

/* guests/linux/init.sh reads lockmap.report_ms; the kernel leaves dotted
 * words it does not know out of init's arguments. */
static const struct payload_range linux_ranges[] = {
	{ "lockmap.report_ms", 1, 3600000 },
};

static const struct payload_num linux_nums[] = {
	{ "report", "lockmap.report_ms", NSEC_PER_MSEC, "ms" },
};

static int linux_boot(const struct cell *c, struct payload_boot *pb, char *why, size_t len)
{
	struct linuxguest lg;
	int rc = linuxguest_find(c, &lg, why, len);

	if (!rc)
		rc = linuxguest_initramfs(&lg, pb->initrd, sizeof(pb->initrd), why, len);
	if (rc)
		return rc;
	snprintf(pb->kernel, sizeof(pb->kernel), "%s", lg.kernel);
	pb->serial = true;
	/* Linux programs the LAPIC periodically only without TSC-deadline
	 * and with neither high-resolution timers nor a tickless idle. In a
	 * lab host under TCG, `-cpu host` passes on the XSAVE leaves of TCG's
	 * "max" model, whose sizes disagree ("XSAVE consistency problem: size
	 * 2696 != kernel_size 576"): the guest kernel warned and stopped in
	 * its FPU setup, 7 s into its boot. Without XSAVE it uses FXSAVE and
	 * gets further, but not yet to its banner (guests/linux/README.md,
	 * "In a lab host"). */
	snprintf(pb->cpu_flags, sizeof(pb->cpu_flags), ",-tsc-deadline%s",
		 lm_lab_inner ? ",-xsave" : "");
	return 0;
}

static const struct payload payloads[] = {
	{ "tickguest", "", tickguest_nums, ARRAY_SIZE(tickguest_nums), tickguest_ranges,
	  ARRAY_SIZE(tickguest_ranges), tickguest_words, ARRAY_SIZE(tickguest_words),
	  "guests/tickguest/tickguest_params.h", NULL, NULL, tickguest_boot },
	/* panic=-1: a guest that panics ends its QEMU (-no-reboot) instead of
	 * hanging there. linux_append (default "quiet": the console carries
	 * the reports) comes last. */
	{ "linux", "console=ttyS0 nohz=off highres=off panic=-1", linux_nums,
	  ARRAY_SIZE(linux_nums), linux_ranges, ARRAY_SIZE(linux_ranges), NULL, 0,
	  "guests/linux/init.sh", "linux_append", linuxguest_check, linux_boot },
};

/* The cell's payload; [guests] payload only takes the names above. */
static const struct payload *payload_of(const struct cell *c)
{
	const char *name = cell_str(c, "guests", "payload");

	for (size_t i = 0; i < ARRAY_SIZE(payloads); i++)
		if (!strcmp(payloads[i].name, name))
			return &payloads[i];
	lm_err("payload %s: not in payloads[] (a lockmap bug)", name);
	abort();
}

static const struct payload_range *payload_range(const struct payload *pl, const char *arg)
{
	for (size_t i = 0; i < pl->nranges; i++)
		if (!strcmp(pl->ranges[i].arg, arg))
			return &pl->ranges[i];
	lm_err("payload %s: no range for %s in %s (a lockmap bug)", pl->name, arg, pl->table);
	abort();
}

int payload_check(const struct cell *c, char *err, size_t len)
{
	const struct payload *pl = payload_of(c);

	for (size_t i = 0; i < pl->nnums; i++) {
		const struct payload_num *pn = &pl->nums[i];
		const struct payload_range *r = payload_range(pl, pn->arg);
		const struct pval *v = cell_val(c, "guests", pn->key);
		char where[600], lo[32], hi[32];

		if (v->num % pn->unit == 0 && v->num / pn->unit >= r->min &&
		    v->num / pn->unit <= r->max)
			continue;
		cell_where(c, "guests", pn->key, where, sizeof(where));
		fmt_duration(r->min * pn->unit, lo, sizeof(lo));
		fmt_duration(r->max * pn->unit, hi, sizeof(hi));
		if (v->num % pn->unit)
			snprintf(err, len, "%s: %s is not a whole number of %s: the payload %s takes "
				 "%s; round it to whole %s", where, v->text, pn->unit_name, pl->name,
				 pn->arg, pn->unit_name);
		else
			snprintf(err, len, "%s: %s is outside what the payload %s takes: %s to %s "
				 "(its %s, %lld..%lld, in %s)", where, v->text, pl->name, lo, hi,
				 pn->arg, (long long)r->min, (long long)r->max, pl->table);
		return -EINVAL;
	}
	return pl->check ? pl->check(c, err, len) : 0;
}

/* One word (or several: the append key's text) onto the command line. */
static int cmdline_add(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int cmdline_add(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off && *off < len - 1)
		buf[(*off)++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

int payload_cmdline(const struct cell *c, char *buf, size_t len)
{
	const struct payload *pl = payload_of(c);
	size_t off = 0;
	int rc = 0;

	buf[0] = '\0';
	if (*pl->fixed)
		rc = cmdline_add(buf, len, &off, "%s", pl->fixed);
	for (size_t i = 0; !rc && i < pl->nnums; i++)
		rc = cmdline_add(buf, len, &off, "%s=%lld", pl->nums[i].arg,
				 (long long)(cell_num(c, "guests", pl->nums[i].key) /
					     pl->nums[i].unit));
	for (size_t i = 0; !rc && i < pl->nwords; i++)
		rc = cmdline_add(buf, len, &off, "%s=%s", pl->words[i],
				 cell_str(c, "guests", pl->words[i]));
	if (!rc && pl->append_key)
		rc = cmdline_add(buf, len, &off, "%s", cell_str(c, "guests", pl->append_key));
	return rc;
}

int payload_boot(const struct cell *c, struct payload_boot *pb, char *why, size_t len)
{
	memset(pb, 0, sizeof(*pb));
	return payload_of(c)->boot(c, pb, why, len);
}
