// SPDX-License-Identifier: GPL-2.0
/* Two runs' rates matched by cell id and told apart (compare.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "lockmap.h"

static const char *const compare_names[] = {
	[CMP_WORSE] = "worse", [CMP_BETTER] = "better", [CMP_NEW] = "new",
	[CMP_GONE] = "gone",   [CMP_UNMEASURED] = "unmeasured", [CMP_SAME] = "same",
};
_Static_assert(ARRAY_SIZE(compare_names) == CMP__COUNT, "a name for every compare kind");

const char *compare_kind_name(enum compare_kind k)
{
	return (unsigned)k < CMP__COUNT ? compare_names[k] : "?";
}

enum compare_kind compare_cell(const struct cell_rate *now, const struct cell_rate *before,
			       bool *by_rate)
{
	*by_rate = false;
	if (!now->n || !before->n)
		return CMP_UNMEASURED;
	if (now->worst != before->worst)
		return outcome_worst(now->worst, before->worst) == now->worst ? CMP_WORSE
									    : CMP_BETTER;
	/* The same worst outcome: a rate that moved beyond what its repeats can
	 * tell (the intervals apart). A clean cell's "rate" is of being clean,
	 * so its rising is no regression. */
	if (now->worst == OUT_CLEAN)
		return CMP_SAME;
	*by_rate = true;
	if (now->lo > before->hi)
		return CMP_WORSE;
	if (now->hi < before->lo)
		return CMP_BETTER;
	*by_rate = false;
	return CMP_SAME;
}

static const struct cell_rate *compare_find(const struct rates *r, const char *id)
{
	for (size_t i = 0; i < r->ncells; i++)
		if (!strcmp(r->cells[i].cell->id, id))
			return &r->cells[i];
	return NULL;
}

static void compare_add(struct compare *c, enum compare_kind k, const struct cell_rate *now,
			const struct cell_rate *before, bool by_rate)
{
	c->entries[c->nentries++] = (struct compare_entry){ k, now, before, by_rate };
	c->count[k]++;
}

int compare_rates(const struct rates *now, const struct rates *before, struct compare *out)
{
	memset(out, 0, sizeof(*out));
	out->entries = calloc(now->ncells + before->ncells + 1, sizeof(*out->entries));
	if (!out->entries)
		return -ENOMEM;
	for (size_t i = 0; i < now->ncells; i++) {
		const struct cell_rate *n = &now->cells[i];
		const struct cell_rate *b = compare_find(before, n->cell->id);
		bool by_rate = false;

		if (!b) {
			compare_add(out, CMP_NEW, n, NULL, false);
			continue;
		}
		out->matched++;
		compare_add(out, compare_cell(n, b, &by_rate), n, b, by_rate);
	}
	for (size_t i = 0; i < before->ncells; i++)
		if (!compare_find(now, before->cells[i].cell->id))
			compare_add(out, CMP_GONE, NULL, &before->cells[i], false);
	return 0;
}

void compare_free(struct compare *c)
{
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

void compare_describe(const struct compare_entry *e, char *buf, size_t len)
{
	const struct cell_rate *any = e->now ? e->now : e->before;
	char desc[512], now[256] = "", before[256] = "";

	cell_describe(any->cell, desc, sizeof(desc));
	if (e->now)
		rates_describe(e->now, now, sizeof(now));
	if (e->before)
		rates_describe(e->before, before, sizeof(before));
	snprintf(buf, len, "%-10s %s %s: %s%s%s%s", compare_kind_name(e->kind), any->cell->id,
		 desc, e->now ? now : "not in this run",
		 e->before ? "; before: " : "", e->before ? before : "",
		 !e->by_rate ? "" : e->kind == CMP_WORSE ? " (a higher rate, beyond both intervals)"
						   : " (a lower rate, beyond both intervals)");
}

/* The comparison's lines: every cell but the same ones. */
void compare_print(FILE *f, const struct compare *cmp, const char *other)
{
	char line[2048];

	fprintf(f, "\ncompare with %s: %zu cell ids matched; %zu worse, %zu better, %zu new, %zu gone, %zu unmeasured, %zu the same\n",
	       other, cmp->matched, cmp->count[CMP_WORSE], cmp->count[CMP_BETTER],
	       cmp->count[CMP_NEW], cmp->count[CMP_GONE], cmp->count[CMP_UNMEASURED],
	       cmp->count[CMP_SAME]);
	for (int k = 0; k < CMP_SAME; k++) {
		for (size_t i = 0; i < cmp->nentries; i++) {
			if (cmp->entries[i].kind != (enum compare_kind)k)
				continue;
			compare_describe(&cmp->entries[i], line, sizeof(line));
			fprintf(f, "  %s\n", line);
		}
	}
}
