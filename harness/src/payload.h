/* SPDX-License-Identifier: GPL-2.0 */
/* Payloads: what the guests run ([guests] payload). Each payload's numbers
 * come from [guests] keys in the payload's own units, and their ranges from
 * the payload's own table (tickguest: guests/tickguest/tickguest_params.h),
 * so the profile checks and the payload cannot disagree. */
#ifndef LOCKMAP_PAYLOAD_H
#define LOCKMAP_PAYLOAD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct cell;

/* What a VMM boots for a cell's payload. */
struct payload_boot {
	char kernel[PATH_MAX];	/* -kernel */
	char initrd[PATH_MAX];	/* -initrd; "" for none */
	bool serial;		/* the guest reports on COM1 (else the debug console,
				 * port 0xe9) */
	char cpu_flags[64];	/* appended to the CPU model ("max", "host"): the
				 * features the payload must not see, ",-tsc-deadline" */
};

/* Do the cell's [guests] values fit its payload (in range, whole units, and
 * the payload's own checks)? 0, or -EINVAL and "path:line: [guests] key: ..."
 * in err. */
int payload_check(const struct cell *c, char *err, size_t len);
/* The payload's command line for the cell ("period_us=1000 report_ms=1000
 * timer=periodic idle=hlt"); -ENOSPC when it does not fit in len. */
int payload_cmdline(const struct cell *c, char *buf, size_t len);
/* What to boot for the cell (payload linux builds its initramfs into the
 * cache the first time). 0, or -errno with why saying what is missing. */
int payload_boot(const struct cell *c, struct payload_boot *pb, char *why, size_t len);

#endif
