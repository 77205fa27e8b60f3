/* SPDX-License-Identifier: GPL-2.0 */
/* Payloads: what the guests run ([guests] payload). Each payload's numbers
 * come from [guests] keys in the payload's own units, and their ranges from
 * the payload's own table (tickguest: guests/tickguest/tickguest_params.h),
 * so the profile checks and the payload cannot disagree. */
#ifndef LOCKMAP_PAYLOAD_H
#define LOCKMAP_PAYLOAD_H

#include <stddef.h>

struct cell;

/* Do the cell's [guests] values fit its payload (in range, whole units)?
 * 0, or -EINVAL and "path:line: [guests] key: ..." in err. */
int payload_check(const struct cell *c, char *err, size_t len);
/* The payload's command line for the cell ("period_us=1000 report_ms=1000
 * timer=periodic idle=hlt"); -ENOSPC when it does not fit in len. */
int payload_cmdline(const struct cell *c, char *buf, size_t len);

#endif
