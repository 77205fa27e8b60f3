// SPDX-License-Identifier: GPL-2.0
/* System.map lookups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"
#include "lockmap.h"

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *v;
	size_t n;
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int ksyms_load(const char *path, struct ksyms **out)
{
	FILE *f = fopen(path, "re");
	struct ksyms *k;
	char line[512];
	size_t cap = 0;

	if (!f)
		return -errno;
	k = calloc(1, sizeof(*k));
	if (!k) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		/* Text symbols only: where a cpu can be executing. */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (k->n == cap) {
			struct ksym *nv;

			cap = cap ? cap * 2 : 4096;
			nv = realloc(k->v, cap * sizeof(*nv));
			if (!nv)
				break;
			k->v = nv;
		}
		k->v[k->n].addr = addr;
		k->v[k->n].name = strdup(name);
		k->n++;
	}
	fclose(f);
	qsort(k->v, k->n, sizeof(*k->v), ksym_cmp);
	*out = k;
	return 0;
}

void ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = k ? k->n : 0;

	/* The last symbol at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Past the last text symbol by more than a page is not kernel text. */
	if (!lo || (lo == k->n && addr - k->v[lo - 1].addr > 4096)) {
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
		return;
	}
	snprintf(buf, len, "%s+0x%llx", k->v[lo - 1].name,
		 (unsigned long long)(addr - k->v[lo - 1].addr));
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].name);
	free(k->v);
	free(k);
}

int ksyms_lookup(const char *path, const char *name, uint64_t *addr)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, sym[256];

		if (sscanf(line, "%llx %c %255s", &a, &type, sym) != 3 || strcmp(sym, name))
			continue;
		*addr = a;
		/* kptr_restrict hides addresses as zeros. */
		rc = a ? 0 : -EPERM;
		break;
	}
	fclose(f);
	return rc;
}
