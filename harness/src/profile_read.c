// SPDX-License-Identifier: GPL-2.0
/* Reading a profile's text with inih: [section] headers are checked as they
 * come (inih does not report a section without keys), every "key = value"
 * is kept with its line, and a line inih cannot read is shown. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "inject.h"
#include "lockmap.h"
#include "profile_int.h"

int pst_fail(struct pstate *st, const char *fmt, ...)
{
	va_list ap;

	if (st->rc)
		return st->rc;
	va_start(ap, fmt);
	vsnprintf(st->err, st->errlen, fmt, ap);
	va_end(ap);
	st->rc = -EINVAL;
	return st->rc;
}

void *profile_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void *na;

	if (n < *cap)
		return arr;
	na = realloc(arr, (*cap ? *cap * 2 : 8) * size);
	if (!na)
		abort();
	*cap = *cap ? *cap * 2 : 8;
	return na;
}

/* An unknown section: suggest the closest name, and list what exists. */
static int section_unknown(struct pstate *st, const char *name)
{
	struct pwords ws = { 0 };
	char hint[96], allowed[512];
	const struct section_spec *ss;

	if (!strncmp(name, "inject.", 7)) {
		for (size_t i = 0; i < nr_injectors; i++)
			pwords_add(&ws, injectors[i]->name);
		pwords_suggest(name + 7, &ws, "'", "'", hint, sizeof(hint));
		pwords_join(&ws, false, allowed, sizeof(allowed));
		return pst_fail(st, "%s:%d: [%s]: unknown injector '%s'%s allowed injectors: %s",
				st->path, st->lineno, name, name + 7, hint[0] ? hint : ";", allowed);
	}
	for (size_t i = 0; (ss = section_spec_at(i)); i++)
		pwords_add(&ws, ss->name);
	pwords_suggest(name, &ws, "[", "]", hint, sizeof(hint));
	pwords_join(&ws, true, allowed, sizeof(allowed));
	return pst_fail(st, "%s:%d: [%s]: unknown section%s allowed sections: %s", st->path,
			st->lineno, name, hint[0] ? hint : ";", allowed);
}

/* inih does not report sections without keys, and [inject.pause] alone
 * (every key at its default) is a real profile; so headers are seen here. */
static int section_header(struct pstate *st, const char *line)
{
	const char *p = line, *end;
	char name[128];
	size_t n;

	if (st->lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[')
		return 0;
	end = strchr(p, ']');
	if (!end) {
		char shown[64];

		snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(p, "\r\n"), p);
		return pst_fail(st, "%s:%d: '%s' has no closing ']'; write a section header as "
				"[name]", st->path, st->lineno, shown);
	}
	n = (size_t)(end - p - 1);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, p + 1, n);
	name[n] = '\0';
	if (!section_spec_find(name))
		return section_unknown(st, name);
	for (size_t i = 0; i < st->nsects; i++)
		if (!strcmp(st->sects[i].name, name))
			return pst_fail(st, "%s:%d: [%s] appears twice (first at line %d); put all "
					"its keys under one [%s] header", st->path, st->lineno,
					name, st->sects[i].line, name);
	st->sects = profile_grow(st->sects, &st->capsects, st->nsects, sizeof(*st->sects));
	st->sects[st->nsects].name = strdup(name);
	st->sects[st->nsects].line = st->lineno;
	if (!st->sects[st->nsects].name)
		abort();
	st->nsects++;
	return 0;
}

/* fgets for inih over the text in memory, counting lines as it goes (this
 * inih's handler gets no line number). */
static char *pst_reader(char *str, int num, void *stream)
{
	struct pstate *st = stream;
	const char *line = st->text + st->pos, *nl;
	size_t n;

	if (st->rc || !*line)
		return NULL;
	nl = strchr(line, '\n');
	n = nl ? (size_t)(nl - line) + 1 : strlen(line);
	st->lineno++;
	if (n + 1 > (size_t)num) {
		pst_fail(st, "%s:%d: line is too long (%zu characters, at most %d); shorten it",
			 st->path, st->lineno, n, num - 2);
		return NULL;
	}
	memcpy(str, line, n);
	str[n] = '\0';
	st->pos += n;
	st->indented = line[0] == ' ' || line[0] == '\t';
	if (section_header(st, str) < 0)
		return NULL;
	return str;
}

#if INI_HANDLER_LINENO
static int pst_handler(void *user, const char *section, const char *name, const char *value,
		       int lineno)
#else
static int pst_handler(void *user, const char *section, const char *name, const char *value)
#endif
{
	struct pstate *st = user;
	struct raw *r;
	char *v, *hash;

#if INI_HANDLER_LINENO
	(void)lineno;	/* the same as the reader's count */
#endif
	if (st->rc)
		return 0;
	if (!*section) {
		pst_fail(st, "%s:%d: %s: key outside any section; put it under a section header "
			 "such as [guests]", st->path, st->lineno, name);
		return 0;
	}
	/* inih reads an indented line after a key as more of that key's value. */
	if (st->indented && st->nraws) {
		r = &st->raws[st->nraws - 1];
		if (!strcmp(r->section, section) && !strcmp(r->key, name)) {
			pst_fail(st, "%s:%d: [%s] %s: this line is indented, so it is read as a "
				 "continuation of '%s' (line %d); remove the leading blanks",
				 st->path, st->lineno, section, name, name, r->line);
			return 0;
		}
	}
	v = strdup(value);
	if (!v)
		abort();
	/* inih strips " ; comments"; " # comments" are stripped here. */
	for (hash = strchr(v, '#'); hash; hash = strchr(hash + 1, '#')) {
		if (hash > v && (hash[-1] == ' ' || hash[-1] == '\t')) {
			*hash = '\0';
			str_rtrim(v);
			break;
		}
	}
	st->raws = profile_grow(st->raws, &st->capraws, st->nraws, sizeof(*st->raws));
	r = &st->raws[st->nraws++];
	r->section = strdup(section);
	r->key = strdup(name);
	r->value = v;
	r->line = st->lineno;
	if (!r->section || !r->key)
		abort();
	return 1;
}

void pstate_free(struct pstate *st)
{
	for (size_t i = 0; i < st->nraws; i++) {
		free(st->raws[i].section);
		free(st->raws[i].key);
		free(st->raws[i].value);
	}
	free(st->raws);
	for (size_t i = 0; i < st->nsects; i++)
		free(st->sects[i].name);
	free(st->sects);
}


int profile_read(struct pstate *st)
{
	int rc = ini_parse_stream(pst_reader, st, pst_handler, st);

	if (st->rc)
		return st->rc;
	if (rc > 0) {
		/* Show the line inih could not read. */
		const char *l = st->text;
		int n = 1;

		while (n < rc && (l = strchr(l, '\n')))
			l++, n++;
		return pst_fail(st, "%s:%d: cannot read '%.*s': expected 'key = value', "
				"'[section]', or a comment starting with '#' or ';'", st->path, rc,
				l ? (int)strcspn(l, "\r\n") : 0, l ? l : "");
	}
	return rc < 0 ? -ENOMEM : 0;
}
