// SPDX-License-Identifier: GPL-2.0
/* [report] in a profile: x and y name axes of the profile (SECTION.KEY of a
 * key with several values), checked when the profile loads like every key,
 * so a typo is an error before the run and not a report without a heatmap;
 * "auto" (the default) leaves the choice to report.c. */
#include <string.h>

#include "lockmap.h"
#include "profile_int.h"

/* The axes of p as "guests.count, inject.irqoff.duration" for messages. */
static void preport_axes(const struct profile *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->nkeys && off < len; i++) {
		const struct pkey *k = &p->keys[i];
		int n;

		if (k->nvals < 2)
			continue;
		n = snprintf(buf + off, len - off, "%s%s.%s", off ? ", " : "", k->section, k->key);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none: the profile has no axis");
}

/* The axis a [report] key names: the index in p->keys, or -1. */
static long preport_find(const struct profile *p, const char *name)
{
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct pkey *k = &p->keys[i];
		size_t sl = strlen(k->section);

		if (k->nvals > 1 && !strncmp(name, k->section, sl) && name[sl] == '.' &&
		    !strcmp(name + sl + 1, k->key))
			return (long)i;
	}
	return -1;
}

int preport_check(struct pstate *st, const struct profile *p)
{
	static const char *const names[] = { "x", "y" };
	long found[2] = { -1, -1 };
	char axes[512];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct pkey *k = profile_key(p, "report", names[i]);

		if (!k || !k->nvals || !strcmp(k->vals[0].text, "auto"))
			continue;
		found[i] = preport_find(p, k->vals[0].text);
		if (found[i] < 0) {
			preport_axes(p, axes, sizeof(axes));
			return pst_fail(st, "%s:%d: [report] %s: '%s' is not an axis of this profile "
					"(a key with several values, as SECTION.KEY); its axes: %s",
					st->path, k->line, names[i], k->vals[0].text, axes);
		}
	}
	if (found[0] >= 0 && found[0] == found[1])
		return pst_fail(st, "%s:%d: [report] y: '%s' is x too; name two different axes, or "
				"leave y out", st->path, profile_key(p, "report", "y")->line,
				profile_key(p, "report", "y")->vals[0].text);
	return 0;
}
