// SPDX-License-Identifier: GPL-2.0
/* Arbitrary bytes to valid, and if asked printable, UTF-8 (text.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0], n, min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Is the valid sequence s[0..n) one TEXT_PRINTABLE escapes: C0, DEL, C1
 * (U+0080..U+009F, "\xc2\x80".."\xc2\x9f"), U+FFFE, U+FFFF? */
static bool text_is_control(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	if (n == 2)
		return s[0] == 0xc2 && s[1] <= 0x9f;
	return n == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf);
}

char *text_clean(const char *s, size_t len, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out;
	size_t o = 0;

	/* Each input byte becomes at most four output bytes. */
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(u + i, len - i);
		bool esc = !n || !u[i] || ((flags & TEXT_PRINTABLE) && text_is_control(u + i, n));

		if (!n)
			n = 1;
		if (esc) {
			for (size_t k = 0; k < n; k++)
				o += (size_t)sprintf(out + o, "\\x%02x", u[i + k]);
		} else {
			memcpy(out + o, u + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}

json_t *text_jsonn(const char *s, size_t len)
{
	char *clean;
	json_t *j;

	if (!s)
		return json_null();
	clean = text_clean(s, len, 0);
	if (!clean)
		return NULL;
	j = json_stringn(clean, strlen(clean));
	free(clean);
	return j;
}

json_t *text_json(const char *s)
{
	return text_jsonn(s, s ? strlen(s) : 0);
}

void text_xml(FILE *f, const char *s)
{
	char *t;

	if (!s)
		return;
	t = text_clean(s, strlen(s), TEXT_PRINTABLE);

	for (const char *p = t ? t : ""; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*p, f);
		}
	}
	free(t);
}
