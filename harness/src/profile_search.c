// SPDX-License-Identifier: GPL-2.0
/* [search] in a profile: the one numeric key it searches (its axis), checked
 * when the profile loads like every key, and given its values: lo, lo +
 * resolution, ..., hi, the points the search may probe. The grid is then the
 * full grid at that resolution, whose cells (and ids) are those of a profile
 * listing the same values; a search runs only the few it probes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "profile_int.h"

/* Split "inject.irqoff.duration" where its first part names a section (a
 * section name may hold dots, and so may a [host] key). */
static bool psearch_split(const char *axis, char *sec, size_t slen, const char **key)
{
	for (const char *d = strchr(axis, '.'); d; d = strchr(d + 1, '.')) {
		size_t n = (size_t)(d - axis);

		if (n >= slen)
			break;
		memcpy(sec, axis, n);
		sec[n] = '\0';
		if (d[1] && section_spec_find(sec)) {
			*key = d + 1;
			return true;
		}
	}
	return false;
}

bool psearch_owned(const struct pstate *st, char *sec, size_t slen, const char **key)
{
	for (size_t i = 0; i < st->nraws; i++)
		if (!strcmp(st->raws[i].section, "search") && !strcmp(st->raws[i].key, "axis"))
			return psearch_split(st->raws[i].value, sec, slen, key);
	return false;
}

static bool psearch_type_ok(enum ptype t)
{
	/* A cpu number is a place, not a magnitude: nothing rises with it. */
	return ptype_is_numeric(t) && t != PT_CPU;
}

static struct pkey *psearch_key(struct profile *p, const char *sec, const char *key)
{
	for (size_t i = 0; i < p->nkeys; i++)
		if (!strcmp(p->keys[i].section, sec) && !strcmp(p->keys[i].key, key))
			return &p->keys[i];
	return NULL;
}

/* The spec of the axis: the section must be one whose keys are a cell's
 * conditions and be on, the key known and numeric. */
static const struct pspec *psearch_axis_spec(struct pstate *st, const struct profile *p,
					     const struct pkey *ax, const char *sec,
					     const char *key)
{
	const struct section_spec *ss = section_spec_find(sec);
	const struct pspec *k = ss ? section_spec_key(ss, key) : NULL;
	struct pwords ws = { 0 };
	char hint[96], allowed[512];

	if (!strcmp(sec, "run") || !strcmp(sec, "expect") || !strcmp(sec, "search")) {
		pst_fail(st, "%s:%d: [search] axis: '%s' is a key of [%s]; the axis is a key of "
			 "[guests], [host], [monitor] or an [inject.NAME] section", st->path,
			 ax->line, ax->vals[0].text, sec);
		return NULL;
	}
	if (!strncmp(sec, "inject.", 7) && !profile_has_section(p, sec)) {
		pst_fail(st, "%s:%d: [search] axis: %s: the profile has no [%s] section; add it (a "
			 "section turns its injector on)", st->path, ax->line, ax->vals[0].text, sec);
		return NULL;
	}
	if (!k) {
		pwords_from_keys(&ws, ss);
		pwords_suggest(key, &ws, "'", "'", hint, sizeof(hint));
		pwords_join(&ws, false, allowed, sizeof(allowed));
		pst_fail(st, "%s:%d: [search] axis: [%s] has no key '%s'%s allowed keys: %s", st->path,
			 ax->line, sec, key, hint[0] ? hint : ";", allowed);
		return NULL;
	}
	if (!psearch_type_ok(k->type)) {
		for (size_t i = 0; i < ss->nkeys; i++)
			if (psearch_type_ok(ss->keys[i].type))
				pwords_add(&ws, ss->keys[i].key);
		pwords_join(&ws, false, allowed, sizeof(allowed));
		pst_fail(st, "%s:%d: [search] axis: %s is not numeric; a search bisects a key that "
			 "takes a number (numeric keys of [%s]: %s)", st->path, ax->line,
			 ax->vals[0].text, sec, ws.n ? allowed : "none");
		return NULL;
	}
	return k;
}

/* "[search] lo: why" for a value that does not parse as the axis'. */
static int psearch_value(struct pstate *st, const struct profile *p, const char *name,
			 const struct pspec *s, struct pval *v)
{
	const struct pkey *k = profile_key(p, "search", name);
	char why[512];

	if (pval_parse(s, k->vals[0].text, v, why, sizeof(why)) < 0)
		return pst_fail(st, "%s:%d: [search] %s: %s (%s is a value of the axis, in its units)",
				st->path, k->line, name, why, name);
	return 0;
}

/* lo, hi, resolution: in the axis' range, lo < hi, 0 < resolution <= hi - lo,
 * and not more points than an axis may have. */
static int psearch_range(struct pstate *st, const struct profile *p, const struct pspec *s,
			 struct profile_search *ps)
{
	struct pspec step = *s;
	struct pval lo, hi, res;
	const struct pkey *rk = profile_key(p, "search", "resolution");
	uint64_t n;

	step.min = 1;
	step.max = 0;
	if (psearch_value(st, p, "lo", s, &lo) || psearch_value(st, p, "hi", s, &hi) ||
	    psearch_value(st, p, "resolution", &step, &res))
		return st->rc;
	if (lo.num >= hi.num)
		return pst_fail(st, "%s:%d: [search] hi: %s is not above lo %s; the search runs from "
				"lo up to hi", st->path, profile_key(p, "search", "hi")->line,
				hi.text, lo.text);
	if (res.num <= 0 || (uint64_t)res.num > (uint64_t)hi.num - (uint64_t)lo.num) {
		char span[64];

		pval_fmt_num(s->type, hi.num - lo.num, span, sizeof(span));
		return pst_fail(st, "%s:%d: [search] resolution: %s must be greater than 0 and at most "
				"hi - lo (%s)", st->path, rk->line, res.text, span);
	}
	n = ((uint64_t)hi.num - (uint64_t)lo.num + (uint64_t)res.num - 1) / (uint64_t)res.num + 1;
	if (n > PROFILE_MAX_AXIS_VALUES)
		return pst_fail(st, "%s:%d: [search] resolution: %s gives %" PRIu64 " values from %s to "
				"%s; at most %d: use a coarser resolution", st->path, rk->line,
				res.text, n, lo.text, hi.text, PROFILE_MAX_AXIS_VALUES);
	ps->lo = lo;
	ps->hi = hi;
	ps->resolution = res;
	return 0;
}

/* The axis takes the points the search may probe, set by the [search] line:
 * its cells and their ids are those of a profile that lists these values. */
static void psearch_points(struct pkey *k, const struct profile_search *ps, int line)
{
	int64_t lo = ps->lo.num, hi = ps->hi.num, res = ps->resolution.num;
	uint64_t n = ((uint64_t)hi - (uint64_t)lo + (uint64_t)res - 1) / (uint64_t)res + 1;

	free(k->vals);
	k->vals = calloc(n, sizeof(*k->vals));
	if (!k->vals)
		abort();
	for (uint64_t i = 0; i < n; i++)
		pval_from_num(k->spec, i + 1 == n ? hi : lo + (int64_t)i * res, &k->vals[i]);
	k->nvals = n;
	k->is_set = true;
	k->line = line;
}

int psearch_apply(struct pstate *st, struct profile *p)
{
	const struct pkey *ax = profile_key(p, "search", "axis");
	const struct pkey *rep;
	struct profile_search ps = { 0 };
	const struct pspec *spec;
	const char *key;
	struct pkey *k;
	char sec[48];

	if (!ax)
		return 0;
	for (size_t i = 0; i < p->nkeys; i++)
		if (!strcmp(p->keys[i].section, "search") && p->keys[i].nvals > 1)
			return pst_fail(st, "%s:%d: [search] %s: takes one value, not %zu; a search has "
					"one axis", st->path, p->keys[i].line, p->keys[i].key,
					p->keys[i].nvals);
	if (!psearch_split(ax->vals[0].text, sec, sizeof(sec), &key))
		return pst_fail(st, "%s:%d: [search] axis: '%s' is not SECTION.KEY of a known section; "
				"write e.g. inject.irqoff.duration or guests.count", st->path,
				ax->line, ax->vals[0].text);
	spec = psearch_axis_spec(st, p, ax, sec, key);
	if (!spec)
		return st->rc;
	k = psearch_key(p, sec, key);
	if (k && k->is_set)
		return pst_fail(st, "%s:%d: [%s] %s: the [search] at line %d searches this key, so "
				"it takes no value here; remove this line (lo, hi and resolution in "
				"[search] give its values)", st->path, k->line, sec, key, ax->line);
	if (!k)
		return pst_fail(st, "%s:%d: [search] axis: %s: no such key in the profile (a lockmap "
				"bug)", st->path, ax->line, ax->vals[0].text);
	if (psearch_range(st, p, spec, &ps))
		return st->rc;
	psearch_points(k, &ps, ax->line);
	rep = profile_key(p, "search", "repeats");
	if (!rep->is_set)
		rep = profile_key(p, "run", "repeat");
	ps.repeats = rep ? (unsigned)rep->vals[0].num : 1;
	ps.axis = k;
	ps.line = ax->line;
	ps.reach = profile_key(p, "search", "reach")->vals[0].text;
	p->search = malloc(sizeof(*p->search));
	if (!p->search)
		abort();
	*p->search = ps;
	return 0;
}
