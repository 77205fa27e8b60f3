// SPDX-License-Identifier: GPL-2.0
/* Profiles: the text is read (profile_read.c), then every section and key is
 * checked against the spec tables (profile_spec.c), values are parsed with
 * their units into canonical form (profile_value.c), axes expanded
 * (profile_axis.c), defaults filled in and required keys demanded. Every error
 * names file:line, section, key and what is allowed. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "lockmap.h"
#include "profile_int.h"

#define PROFILE_MAX_BYTES (1 << 20)

static struct pkey *profile_push_key(struct profile *p, size_t *cap)
{
	p->keys = profile_grow(p->keys, cap, p->nkeys, sizeof(*p->keys));
	memset(&p->keys[p->nkeys], 0, sizeof(p->keys[0]));
	return &p->keys[p->nkeys++];
}

static int sect_line(const struct pstate *st, const char *name)
{
	for (size_t i = 0; i < st->nsects; i++)
		if (!strcmp(st->sects[i].name, name))
			return st->sects[i].line;
	return 0;
}

/* [guests] keys depend on launcher=, so that key is read first. */
static int guests_spec_resolve(struct pstate *st, const struct section_spec **out)
{
	const struct section_spec *ss = section_spec_find("guests");

	for (size_t i = 0; i < st->nraws; i++) {
		const struct raw *r = &st->raws[i];
		const struct pspec *k;
		struct pval v;
		char why[512];

		if (strcmp(r->section, "guests") || strcmp(r->key, "launcher"))
			continue;
		k = section_spec_key(ss, "launcher");
		if (pval_parse(k, r->value, &v, why, sizeof(why)) < 0)
			return pst_fail(st, "%s:%d: [guests] launcher: %s", st->path, r->line, why);
		ss = section_spec_guests(launcher_find(v.text));
		break;
	}
	*out = ss;
	return 0;
}

/* The run name becomes part of a directory name: keep it to a safe set. */
static int run_name_check(struct pstate *st, const char *name, int line)
{
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	    strlen(name) && name[0] != '.')
		return 0;
	return pst_fail(st, "%s:%d: [run] name: '%s' may only use letters, digits, '.', '_' "
			"and '-' (it names the results directory)", st->path, line, name);
}

/* One key as written in the file: known, set once, its values valid. */
static int key_add(struct pstate *st, struct profile *p, size_t *cap, size_t first,
		   const struct section_spec *ss, const struct raw *r)
{
	const struct pspec *k = section_spec_key(ss, r->key);
	struct pvalvec vv = { 0 };
	struct pkey *pk;
	char why[768];

	if (!k) {
		struct pwords ws;
		char hint[96], allowed[512];

		pwords_from_keys(&ws, ss);
		pwords_suggest(r->key, &ws, "'", "'", hint, sizeof(hint));
		pwords_join(&ws, false, allowed, sizeof(allowed));
		return pst_fail(st, "%s:%d: [%s] %s: unknown key%s allowed keys: %s", st->path,
				r->line, r->section, r->key, hint[0] ? hint : ";", allowed);
	}
	if (pspec_is_wildcard(k) && ss->key_check && ss->key_check(r->key, why, sizeof(why)) < 0)
		return pst_fail(st, "%s:%d: [%s] %s: %s", st->path, r->line, r->section, r->key, why);
	if (strlen(r->key) >= sizeof(pk->key))
		return pst_fail(st, "%s:%d: [%s] %s: key name is too long (at most %zu characters)",
				st->path, r->line, r->section, r->key, sizeof(pk->key) - 1);
	for (size_t i = first; i < p->nkeys; i++)
		if (!strcmp(p->keys[i].key, r->key))
			return pst_fail(st, "%s:%d: [%s] %s: set twice (first at line %d); keep one "
					"line (several values go on one line: %s = a, b, c)",
					st->path, r->line, r->section, r->key, p->keys[i].line,
					r->key);
	if (paxis_parse(k, r->value, &vv, why, sizeof(why)) < 0) {
		free(vv.v);
		return pst_fail(st, "%s:%d: [%s] %s: %s", st->path, r->line, r->section, r->key,
				why);
	}
	if (vv.n > 1 && !strcmp(r->section, "run") &&
	    (!strcmp(r->key, "name") || !strcmp(r->key, "target") || !strcmp(r->key, "repeat"))) {
		free(vv.v);
		return pst_fail(st, "%s:%d: [run] %s: takes one value, not %zu; only parameters of "
				"a cell can be axes", st->path, r->line, r->key, vv.n);
	}
	if (!strcmp(r->section, "run") && !strcmp(r->key, "name") &&
	    run_name_check(st, vv.v[0].text, r->line) < 0) {
		free(vv.v);
		return st->rc;
	}
	pk = profile_push_key(p, cap);
	snprintf(pk->section, sizeof(pk->section), "%s", r->section);
	snprintf(pk->key, sizeof(pk->key), "%s", r->key);
	pk->spec = k;
	pk->vals = vv.v;
	pk->nvals = vv.n;
	pk->is_set = true;
	pk->line = r->line;
	return 0;
}

/* "results/smoke.profile" -> "smoke". */
static void default_run_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 8 && !strcmp(base + n - 8, ".profile"))
		n -= 8;
	if (n >= len)
		n = len - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
	/* Keep the name usable in a directory name, whatever the file is called. */
	for (char *c = buf; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			*c = '_';
	if (!buf[0] || buf[0] == '.')
		snprintf(buf, len, "profile");
}

/* Every key of the section that the file did not set gets its default;
 * a key without a default is required. */
static int section_defaults(struct pstate *st, struct profile *p, size_t *cap, size_t first,
			    const char *section, const struct section_spec *ss, const char *owned)
{
	for (size_t i = 0; i < ss->nkeys; i++) {
		const struct pspec *k = &ss->keys[i];
		const char *def = k->def;
		char why[512], name[128];
		struct pkey *pk;
		bool set = false, searched;
		int line;

		if (pspec_is_wildcard(k))
			continue;
		for (size_t j = first; j < p->nkeys; j++)
			set |= !strcmp(p->keys[j].key, k->key);
		if (set)
			continue;
		searched = owned && !strcmp(k->key, owned);
		if (!def && !searched) {
			line = sect_line(st, section);
			if (line)
				return pst_fail(st, "%s:%d: [%s] %s: required key is missing; add a line "
						"'%s = VALUE' under [%s] (%s)", st->path, line,
						section, k->key, k->key, section, k->help);
			/* Where the section would go: the end of the file. */
			return pst_fail(st, "%s:%d: [%s] %s: required key is missing; add a [%s] "
					"section with a line '%s = VALUE' (%s)", st->path,
					st->lineno + 1, section, k->key, section, k->key, k->help);
		}
		if (!strcmp(section, "run") && !strcmp(k->key, "name")) {
			default_run_name(st->path, name, sizeof(name));
			def = name;
		}
		pk = profile_push_key(p, cap);
		snprintf(pk->section, sizeof(pk->section), "%s", section);
		snprintf(pk->key, sizeof(pk->key), "%s", k->key);
		pk->spec = k;
		pk->vals = calloc(1, sizeof(*pk->vals));
		if (!pk->vals)
			abort();
		pk->nvals = 1;
		/* The [search] gives it its values (psearch_apply). */
		if (searched)
			continue;
		if (pval_parse(k, def, pk->vals, why, sizeof(why)) < 0)
			return pst_fail(st, "%s: [%s] %s: the built-in default '%s' is invalid (a "
					"lockmap bug): %s", st->path, section, k->key, def, why);
	}
	return 0;
}

/* A grid too large to ever finish is a profile error, found before any cell. */
static int grid_size_check(struct pstate *st, const struct profile *p)
{
	uint64_t cells = profile_repeat(p);
	char axes[512] = "";
	size_t off = 0;
	const struct pkey *widest = NULL;

	for (size_t i = 0; i < p->nkeys; i++) {
		const struct pkey *k = &p->keys[i];
		int n;

		if (k->nvals < 2)
			continue;
		if (!widest || k->nvals > widest->nvals)
			widest = k;
		cells = cells > PROFILE_MAX_CELLS ? cells : cells * k->nvals;
		n = snprintf(axes + off, sizeof(axes) - off, "%s.%s %zu x ", k->section, k->key,
			     k->nvals);
		if (n > 0 && (size_t)n < sizeof(axes) - off)
			off += (size_t)n;
	}
	if (cells <= PROFILE_MAX_CELLS)
		return 0;
	/* The line of the axis with the most values, the first to shrink. */
	return pst_fail(st, "%s:%d: the grid has more than %d cells (%srepeat %" PRId64 "); use "
			"fewer axis values", st->path, widest ? widest->line : 1,
			PROFILE_MAX_CELLS, axes, (int64_t)profile_repeat(p));
}

static int profile_build(struct pstate *st, struct profile *p)
{
	static const char *const builtin[] = { "run", "host", "guests", "expect", "monitor" };
	const char *owned_key = NULL;
	char owned_sec[48] = "";
	size_t cap = 0;

	p->sections = calloc(st->nsects + ARRAY_SIZE(builtin), sizeof(*p->sections));
	p->section_lines = calloc(st->nsects + ARRAY_SIZE(builtin), sizeof(*p->section_lines));
	if (!p->sections || !p->section_lines)
		abort();
	for (size_t i = 0; i < st->nsects; i++) {
		p->section_lines[p->nsections] = st->sects[i].line;
		p->sections[p->nsections++] = strdup(st->sects[i].name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++)
		if (!sect_line(st, builtin[i]))
			p->sections[p->nsections++] = strdup(builtin[i]);
	for (size_t i = 0; i < p->nsections; i++)
		if (!p->sections[i])
			abort();
	if (!psearch_owned(st, owned_sec, sizeof(owned_sec), &owned_key))
		owned_key = NULL;

	for (size_t s = 0; s < p->nsections; s++) {
		const char *name = p->sections[s];
		const struct section_spec *ss = section_spec_find(name);
		size_t first = p->nkeys;

		if (!strcmp(name, "guests") && guests_spec_resolve(st, &ss) < 0)
			return st->rc;
		for (size_t i = 0; i < st->nraws; i++)
			if (!strcmp(st->raws[i].section, name) &&
			    key_add(st, p, &cap, first, ss, &st->raws[i]) < 0)
				return st->rc;
		if (section_defaults(st, p, &cap, first, name, ss,
				     strcmp(name, owned_sec) ? NULL : owned_key) < 0)
			return st->rc;
	}
	if (psearch_apply(st, p) < 0 || preport_check(st, p) < 0)
		return st->rc;
	return grid_size_check(st, p);
}

int profile_parse_mem(const char *path, const char *data, size_t size, struct profile **out,
		      char *err, size_t errlen)
{
	struct pstate st = { .err = err, .errlen = errlen };
	struct profile *p;
	char *shown;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	/* The path is the caller's, but it is quoted in every message too. */
	shown = ptext_escape_dup(path);
	st.path = shown;
	rc = ptext_check(shown, data, size, err, errlen);
	if (rc) {
		free(shown);
		return rc;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->path = strdup(path);
	p->text = malloc(size + 1);
	if (!p->path || !p->text)
		abort();
	memcpy(p->text, data, size);
	p->text[size] = '\0';
	st.text = p->text;
	rc = profile_read(&st);
	if (!rc)
		rc = profile_build(&st, p);
	pstate_free(&st);
	free(shown);
	if (rc) {
		profile_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int profile_parse(const char *path, const char *text, struct profile **out, char *err,
		  size_t errlen)
{
	return profile_parse_mem(path, text, strlen(text), out, err, errlen);
}

int profile_load(const char *path, struct profile **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf, *shown = ptext_escape_dup(path);
	size_t n;
	int rc;

	*out = NULL;
	if (!f) {
		rc = -errno;
		profile_errf(err, errlen, "%s: cannot open the profile: %s; check the path", shown,
			     strerror(-rc));
		free(shown);
		return rc;
	}
	buf = malloc(PROFILE_MAX_BYTES + 1);
	if (!buf)
		abort();
	n = fread(buf, 1, PROFILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		profile_errf(err, errlen, "%s: cannot read the profile: %s", shown, strerror(errno));
	} else if (n > PROFILE_MAX_BYTES) {
		rc = -EFBIG;
		profile_errf(err, errlen, "%s: the profile is larger than %d bytes; is it the right "
			     "file?", shown, PROFILE_MAX_BYTES);
	} else {
		rc = profile_parse_mem(path, buf, n, out, err, errlen);
	}
	free(buf);
	free(shown);
	fclose(f);
	return rc;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nkeys; i++)
		free(p->keys[i].vals);
	free(p->keys);
	for (size_t i = 0; i < p->nsections; i++)
		free(p->sections[i]);
	free(p->sections);
	free(p->section_lines);
	free(p->search);
	free(p->path);
	free(p->text);
	free(p);
}

const struct pkey *profile_key(const struct profile *p, const char *section, const char *key)
{
	for (size_t i = 0; i < p->nkeys; i++)
		if (!strcmp(p->keys[i].section, section) && !strcmp(p->keys[i].key, key))
			return &p->keys[i];
	return NULL;
}

unsigned profile_repeat(const struct profile *p)
{
	const struct pkey *rep = profile_key(p, "run", "repeat");

	if (p->search)
		return p->search->repeats;
	return rep ? (unsigned)rep->vals[0].num : 1;
}

bool profile_has_section(const struct profile *p, const char *section)
{
	for (size_t i = 0; i < p->nsections; i++)
		if (!strcmp(p->sections[i], section))
			return true;
	return false;
}

int profile_section_line(const struct profile *p, const char *section)
{
	for (size_t i = 0; i < p->nsections; i++)
		if (!strcmp(p->sections[i], section))
			return p->section_lines[i];
	return 0;
}

void profile_where(const struct profile *p, const struct pkey *k, char *buf, size_t len)
{
	char path[512];
	int line = k->line ? k->line : profile_section_line(p, k->section);

	ptext_escape(p->path, strlen(p->path), path, sizeof(path));
	if (line)
		snprintf(buf, len, "%s:%d: [%s] %s", path, line, k->section, k->key);
	else
		snprintf(buf, len, "%s: [%s] %s", path, k->section, k->key);
}
