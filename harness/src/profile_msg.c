// SPDX-License-Identifier: GPL-2.0
/* How the profile loader's messages read: cut to the caller's buffer, with
 * "did you mean" for a small typo and the list of what is allowed. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockmap.h"
#include "profile_int.h"

/* vsnprintf keeps gcc's truncation warnings for fixed buffers out of every
 * call site. */
void profile_errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

void pwords_add(struct pwords *ws, const char *w)
{
	if (ws->n < ARRAY_SIZE(ws->w))
		ws->w[ws->n++] = w;
}

/* Split "a|b|c" (spec choices) into ws. */
void pwords_from_choices(struct pwords *ws, const char *choices)
{
	char *save = NULL, *w;

	ws->n = 0;
	snprintf(ws->store, sizeof(ws->store), "%s", choices ? choices : "");
	for (w = strtok_r(ws->store, "|", &save); w; w = strtok_r(NULL, "|", &save))
		pwords_add(ws, w);
}

void pwords_from_keys(struct pwords *ws, const struct section_spec *ss)
{
	ws->n = 0;
	for (size_t i = 0; i < ss->nkeys; i++)
		pwords_add(ws, ss->keys[i].key);
}

/* Levenshtein distance, case-insensitive; words are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65], i, j;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;

			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "; did you mean 'x'?" when a candidate is a small typo away, else "". */
void pwords_suggest(const char *word, const struct pwords *ws, const char *quote_l,
			 const char *quote_r, char *buf, size_t len)
{
	size_t best = SIZE_MAX, bi = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ws->n; i++) {
		size_t d = edit_distance(word, ws->w[i]);

		if (d < best) {
			best = d;
			bi = i;
		}
	}
	if (best != SIZE_MAX && best <= (strlen(word) >= 5 ? 2u : 1u))
		snprintf(buf, len, "; did you mean %s%s%s?", quote_l, ws->w[bi], quote_r);
}

/* "a, b, c" (or "[a], [b]" with brackets). */
void pwords_join(const struct pwords *ws, bool brackets, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ws->n && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s%s%s", i ? ", " : "",
				 brackets ? "[" : "", ws->w[i], brackets ? "]" : "");

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

