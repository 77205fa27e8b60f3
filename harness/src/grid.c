// SPDX-License-Identifier: GPL-2.0
/* The grid: every combination of a profile's axis values is one cell, run
 * [run] repeat times ([search] repeats in a search). A cell's id hashes its
 * parameters so the same cell has the same id in every run, whatever the key
 * order or spelling in the file. */
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "lockmap.h"

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

/* Longest "section.key=text\n" line: the sizes of struct pkey and pval. */
#define ID_LINE_MAX (48 + 64 + 128 + 4)

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys that name or count the run, not the cell, stay out of the id: the
 * same cell in a run called differently, or repeated more, is the same cell;
 * and so is a cell probed by a [search] (its axis key is in the id, with the
 * value probed) and the cell of a profile that lists that value; and so is
 * a cell whose [report] lays the heatmaps out otherwise. */
static bool id_excluded(const struct pkey *k)
{
	return (!strcmp(k->section, "run") &&
		(!strcmp(k->key, "name") || !strcmp(k->key, "repeat"))) ||
	       !strcmp(k->section, "search") || !strcmp(k->section, "report");
}

/* FNV-1a 64 over the sorted "section.key=text\n" lines of the params the
 * profile set. Defaults are left out so a profile that spells one out and
 * one that does not give different ids only when they differ in text. */
static void cell_id(struct cell *c, char (*lines)[ID_LINE_MAX], char **sorted)
{
	uint64_t h = FNV64_OFFSET;
	size_t n = 0;

	for (size_t i = 0; i < c->nparams; i++) {
		const struct cparam *cp = &c->params[i];

		if (!cp->pkey->is_set || id_excluded(cp->pkey))
			continue;
		snprintf(lines[n], ID_LINE_MAX, "%s.%s=%s\n", cp->pkey->section, cp->pkey->key,
			 cp->val->text);
		sorted[n] = lines[n];
		n++;
	}
	qsort(sorted, n, sizeof(*sorted), line_cmp);
	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)sorted[i]; *p; p++) {
			h ^= *p;
			h *= FNV64_PRIME;
		}
	}
	snprintf(c->id, sizeof(c->id), "%016llx", (unsigned long long)h);
}

int grid_build(const struct profile *p, struct grid *g)
{
	size_t repeat = profile_repeat(p);
	size_t combos = 1, *axis_of = NULL, *choice = NULL;
	char (*lines)[ID_LINE_MAX] = NULL;
	char **sorted = NULL;
	int rc = -ENOMEM;

	memset(g, 0, sizeof(*g));
	if (repeat < 1)
		repeat = 1;
	g->axes = calloc(p->nkeys + 1, sizeof(*g->axes));
	axis_of = calloc(p->nkeys + 1, sizeof(*axis_of));
	lines = calloc(p->nkeys + 1, sizeof(*lines));
	sorted = calloc(p->nkeys + 1, sizeof(*sorted));
	if (!g->axes || !axis_of || !lines || !sorted)
		goto fail;
	for (size_t k = 0; k < p->nkeys; k++) {
		axis_of[k] = SIZE_MAX;
		if (p->keys[k].nvals < 2)
			continue;
		axis_of[k] = g->naxes;
		g->axes[g->naxes++] = &p->keys[k];
		combos *= p->keys[k].nvals;
		/* profile.c refuses such grids; this keeps the product bounded. */
		if (combos > PROFILE_MAX_CELLS) {
			rc = -E2BIG;
			goto fail;
		}
	}
	if (combos * repeat > PROFILE_MAX_CELLS) {
		rc = -E2BIG;
		goto fail;
	}
	choice = calloc(g->naxes + 1, sizeof(*choice));
	g->cells = calloc(combos * repeat, sizeof(*g->cells));
	if (!choice || !g->cells)
		goto fail;

	for (size_t ci = 0; ci < combos; ci++) {
		struct cell *c = &g->cells[ci * repeat];
		size_t rest = ci;

		/* The last axis varies fastest. */
		for (size_t a = g->naxes; a-- > 0;) {
			choice[a] = rest % g->axes[a]->nvals;
			rest /= g->axes[a]->nvals;
		}
		c->params = calloc(p->nkeys ? p->nkeys : 1, sizeof(*c->params));
		if (!c->params)
			goto fail;
		c->nparams = p->nkeys;
		c->prof = p;
		for (size_t k = 0; k < p->nkeys; k++) {
			c->params[k].pkey = &p->keys[k];
			c->params[k].val = &p->keys[k].vals[axis_of[k] == SIZE_MAX ? 0 :
							   choice[axis_of[k]]];
		}
		cell_id(c, lines, sorted);
		/* Repetitions share the parameters (freed once, with rep 0). */
		for (size_t r = 0; r < repeat; r++) {
			if (r)
				g->cells[ci * repeat + r] = *c;
			g->cells[ci * repeat + r].rep = (int)r;
			g->cells[ci * repeat + r].index = ci * repeat + r;
		}
		g->ncells = (ci + 1) * repeat;
	}
	rc = 0;
	goto out;
fail:
	grid_free(g);
out:
	free(axis_of);
	free(choice);
	free(lines);
	free(sorted);
	return rc;
}

int grid_build_passes(const struct profile *p, unsigned passes, struct grid *g)
{
	size_t n, repeat = profile_repeat(p) ? profile_repeat(p) : 1;
	struct cell *cells;
	int rc = grid_build(p, g);

	if (rc || passes <= 1)
		return rc;
	n = g->ncells;
	cells = realloc(g->cells, n * passes * sizeof(*cells));
	if (!cells) {
		grid_free(g);
		return -ENOMEM;
	}
	g->cells = cells;
	/* Pass-major: the cells of passes before keep their index when a pass
	 * is added, so a soak's journal stays valid as it grows. */
	for (size_t pass = 1; pass < passes; pass++) {
		for (size_t i = 0; i < n; i++) {
			struct cell *c = &cells[pass * n + i];

			*c = cells[i];
			c->index = pass * n + i;
			c->rep = (int)(pass * repeat) + cells[i].rep;
		}
	}
	g->ncells = n * passes;
	return 0;
}

void grid_free(struct grid *g)
{
	for (size_t i = 0; i < g->ncells; i++)
		if (g->cells[i].rep == 0)
			free(g->cells[i].params);
	free(g->cells);
	free(g->axes);
	memset(g, 0, sizeof(*g));
}

static const struct cparam *cell_param(const struct cell *c, const char *section,
				       const char *key)
{
	for (size_t i = 0; i < c->nparams; i++) {
		const struct pkey *k = c->params[i].pkey;

		if (!strcmp(k->key, key) && !strcmp(k->section, section))
			return &c->params[i];
	}
	/* Every key of the spec is in every cell, so this is a bug in the caller
	 * (a misspelt key, or an [inject.X] section not checked first). */
	lm_err("cell_param: no parameter [%s] %s in cell %s (a lockmap bug)", section, key, c->id);
	abort();
}

const struct pval *cell_val(const struct cell *c, const char *section, const char *key)
{
	return cell_param(c, section, key)->val;
}

const struct pkey *cell_key(const struct cell *c, const char *section, const char *key)
{
	return cell_param(c, section, key)->pkey;
}

void cell_where(const struct cell *c, const char *section, const char *key, char *buf,
		size_t len)
{
	profile_where(c->prof, cell_key(c, section, key), buf, len);
}

int64_t cell_num(const struct cell *c, const char *section, const char *key)
{
	return cell_val(c, section, key)->num;
}

const char *cell_str(const struct cell *c, const char *section, const char *key)
{
	return cell_val(c, section, key)->text;
}

bool cell_has_section(const struct cell *c, const char *section)
{
	return profile_has_section(c->prof, section);
}

void cell_describe(const struct cell *c, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < c->nparams && off < len; i++) {
		const struct cparam *cp = &c->params[i];
		int n;

		if (cp->pkey->nvals < 2)
			continue;
		n = snprintf(buf + off, len - off, "%s%s.%s=%s", off ? " " : "", cp->pkey->section,
			     cp->pkey->key, cp->val->text);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "(single cell)");
}

void grid_id(const struct grid *g, char out[17])
{
	uint64_t h = FNV64_OFFSET;

	for (size_t i = 0; i < g->ncells; i++) {
		char line[64];

		snprintf(line, sizeof(line), "%zu %d %s\n", g->cells[i].index, g->cells[i].rep,
			 g->cells[i].id);
		for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
			h ^= *p;
			h *= FNV64_PRIME;
		}
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void grid_print_cell(const struct cell *c, FILE *f)
{
	char desc[1024];

	cell_describe(c, desc, sizeof(desc));
	fprintf(f, "%zu %s r%d %s\n", c->index, c->id, c->rep, desc);
}

void grid_print(const struct grid *g, FILE *f)
{
	for (size_t i = 0; i < g->ncells; i++)
		grid_print_cell(&g->cells[i], f);
}
