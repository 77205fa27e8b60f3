/* SPDX-License-Identifier: GPL-2.0 */
/* Injectors: host-side delays. One file per injector fills a struct
 * injector_ops; its line in registry.c lists it in injectors[], with its
 * INJ_* flags. A profile section [inject.NAME] turns an injector on for every
 * cell of the profile. */
#ifndef LOCKMAP_INJECT_H
#define LOCKMAP_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "profile.h"

struct cell;
struct cell_ctx;

struct inject_ctx {
	const struct injector_ops *ops;
	struct cell_ctx *cell;	/* the cell: parameters, guests, launcher, dir */
	char section[48];	/* "inject.NAME": read parameters with cell_num() */
	void *priv;		/* the injector's own state */
	int started;		/* set by cell.c once start() returned 0 */
};

struct injector_ops {
	const char *name;
	const char *help;
	const struct pspec *keys;	/* the keys of [inject.NAME] */
	size_t nkeys;
	/* 0 when usable here; else -ENOTSUP/-ENOENT with the reason and the fix. */
	int (*supported)(char *why, size_t len);
	/* Optional: check one cell's [inject.NAME] values, alone and together,
	 * before anything starts (nothing of the host is looked at): 0, or
	 * -EINVAL and "path:line: [inject.NAME] key: what is wrong; what is
	 * allowed" in err (cell_where() gives the start). */
	int (*validate)(const struct cell *c, const char *section, char *err, size_t len);
	/* Begin injecting (guests are running). A zero size means "off": return 0
	 * and do nothing. */
	int (*start)(struct inject_ctx *ic);
	/* Optional: do what is due at now (monotonic ns); return the monotonic ns
	 * of the next thing to do, or INT64_MAX. Called from the cell loop. */
	int64_t (*step)(struct inject_ctx *ic, int64_t now);
	/* Stop and undo everything start did; safe after a failed start. */
	int (*stop)(struct inject_ctx *ic);
	/* Optional: does the injection run (started, not "off", its process or
	 * module injection alive)? For the cell's per-second samples. Without
	 * it: started. */
	bool (*active)(const struct inject_ctx *ic);
	/* What was asked and what was done (counts, measured lengths). */
	void (*describe)(struct inject_ctx *ic, json_t *out);
};

/* Flags of an injector's line in registry.c. */
enum {
	INJ_BY_HAND = 1 << 0,	/* acts on the host alone: `lockmap inject` runs it */
};

extern const struct injector_ops *const injectors[];
extern const size_t nr_injectors;
const struct injector_ops *injector_find(const char *name);
bool injector_by_hand(const struct injector_ops *in);

#endif
