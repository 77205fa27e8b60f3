/* SPDX-License-Identifier: GPL-2.0 */
/* The grid: the product of a profile's axes, one cell per combination. */
#ifndef LOCKMAP_GRID_H
#define LOCKMAP_GRID_H

#include <stdio.h>

#include "profile.h"

/* One parameter of a cell: a key with exactly one value chosen. */
struct cparam {
	const struct pkey *pkey;
	const struct pval *val;
};

struct cell {
	char id[17];		/* 16 hex digits: FNV-1a 64 of sorted set params */
	size_t index;		/* 0-based, in grid order */
	int rep;		/* repetition 0..repeat-1 */
	const struct profile *prof;
	struct cparam *params;	/* every key of the profile, one value each */
	size_t nparams;
};

struct grid {
	struct cell *cells;	/* ncells = product of axis lengths * repeat */
	size_t ncells;
	size_t naxes;
	const struct pkey **axes;	/* in profile order; the last varies fastest */
};

int grid_build(const struct profile *p, struct grid *g);
/* The grid of a soak of passes passes (soak.h): grid_build's cells, then
 * the same again for each further pass, pass-major (index pass * N + i for
 * the N cells of one pass), the repeats numbered on (rep pass * repeat + r):
 * the same cell ids, more repeats of each. passes <= 1 is grid_build. */
int grid_build_passes(const struct profile *p, unsigned passes, struct grid *g);
void grid_free(struct grid *g);

/* Parameter access; section/key must exist in the spec (a default is used when
 * the profile did not set it). Aborts on a programming error (unknown key). */
const struct pval *cell_val(const struct cell *c, const char *section, const char *key);
int64_t cell_num(const struct cell *c, const char *section, const char *key);
const char *cell_str(const struct cell *c, const char *section, const char *key);
/* The profile key behind a parameter: its line, whether the profile set it. */
const struct pkey *cell_key(const struct cell *c, const char *section, const char *key);
/* "path:line: [section] key" of a parameter, for messages (profile_where()). */
void cell_where(const struct cell *c, const char *section, const char *key, char *buf,
		size_t len);
/* Is there an [inject.NAME] section in this cell's profile? */
bool cell_has_section(const struct cell *c, const char *section);
/* "guests.count=8 guests.period=200us" for the axis params only (for display). */
void cell_describe(const struct cell *c, char *buf, size_t len);

/* The id of the whole grid: FNV-1a 64 over its cells in order (index, rep,
 * id). Two profiles have the same grid id when they make the same cells in
 * the same order, whatever their comments, key order or [run] name. */
void grid_id(const struct grid *g, char out[17]);
/* One line per cell, "INDEX ID rREP AXIS=VALUE ...": what --dry-run prints. */
void grid_print(const struct grid *g, FILE *f);
void grid_print_cell(const struct cell *c, FILE *f);

#endif
