// SPDX-License-Identifier: GPL-2.0
/* A profile is printable UTF-8 text. Its values end up on terminals (every
 * message quotes them), in JSON (run.json, the journal: jansson refuses a
 * string that is not UTF-8, and the field is lost) and in XML (junit.xml,
 * which has no way to carry most control characters). So a byte that is not
 * part of printable UTF-8 is refused where the profile is read, with its line,
 * and messages show such bytes escaped, never raw: a value holding a terminal
 * escape sequence must not reach the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "profile_int.h"

/* Length of the UTF-8 sequence at s (n bytes left) when it is well formed
 * (shortest form, no surrogates, at most U+10FFFF), else 0; its code point in
 * *cp. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Why a code point is not printable text, or NULL when it is. Tabs are
 * blanks; line ends are handled by the caller. */
static const char *cp_unprintable(uint32_t cp)
{
	if (cp == 0)
		return "a NUL byte";
	if (cp == 0x1b)
		return "an escape character (ESC, which starts terminal escape sequences)";
	if ((cp < 0x20 && cp != '\t') || cp == 0x7f)
		return "a control character";
	if (cp >= 0x80 && cp <= 0x9f)
		return "a C1 control character (terminals read some as escape sequences)";
	/* Bidirectional overrides and isolates make text display in another
	 * order than it is read. */
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return "a bidirectional-text control";
	if (cp == 0xfeff)
		return "an invisible byte-order mark";
	return NULL;
}

/* How many bytes at s[i] (n in all) are printable text, and why not at the
 * first that is not (NULL when all are, up to a line end or the end). In a
 * file, a byte-order mark may open the text and a CR may end a line. */
static size_t text_span(const unsigned char *s, size_t i, size_t n, bool in_file,
			const char **why)
{
	size_t start = i;

	*why = NULL;
	while (i < n && s[i] != '\n') {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);

		if (!len) {
			*why = "bytes that are not UTF-8";
			break;
		}
		if (!in_file || !((i == 0 && cp == 0xfeff) ||
				  (cp == '\r' && (i + 1 == n || s[i + 1] == '\n'))))
			*why = cp_unprintable(cp);
		if (*why)
			break;
		i += len;
	}
	return i - start;
}

size_t ptext_escape(const char *s, size_t n, char *out, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, i = 0;

	if (!len)
		return 0;
	while (i < n) {
		const char *why;
		size_t ok = text_span(u, i, n, false, &why);

		if (ok) {
			/* Cut only between characters. */
			if (ok > len - 1 - o) {
				ok = len - 1 - o;
				while (ok && (u[i + ok] & 0xc0) == 0x80)
					ok--;
			}
			if (!ok)
				break;
			memcpy(out + o, s + i, ok);
			o += ok;
			i += ok;
			continue;
		}
		if (o + 5 > len)
			break;
		snprintf(out + o, len - o, "\\x%02x", u[i]);
		o += 4;
		i++;
	}
	out[o] = '\0';
	return i;
}

char *ptext_escape_dup(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * n + 1);

	if (!out)
		abort();
	ptext_escape(s, n, out, 4 * n + 1);
	return out;
}

/* The section in effect at the start of the line at text[pos], from the last
 * "[name]" header above it (lines above have been checked already). */
static void text_section_at(const char *text, size_t pos, char *buf, size_t len)
{
	size_t i = 0;

	buf[0] = '\0';
	while (i < pos) {
		const char *l = text + i, *nl = memchr(l, '\n', pos - i), *p = l, *end;
		size_t n = nl ? (size_t)(nl - l) : pos - i;

		while (p < l + n && (*p == ' ' || *p == '\t'))
			p++;
		if (p < l + n && *p == '[' && (end = memchr(p, ']', n - (size_t)(p - l))) != NULL)
			ptext_escape(p + 1, (size_t)(end - p - 1), buf, len);
		i += n + 1;
	}
}

/* The message for the first unprintable byte, in the line text[ls..le):
 * "[section] key: the value holds ..." when it is in a value, else "the line
 * holds ...", then the line's text with such bytes escaped. */
static int text_fail(const char *path, const char *text, size_t ls, size_t le, size_t bad,
		     int line, const char *why, char *err, size_t len)
{
	const char *l = text + ls, *eq = NULL;
	char sect[64], shown[96], where[160] = "";
	size_t off;

	for (const char *p = l; p < text + bad; p++) {
		if (*p == '=' || *p == ':') {
			eq = p;
			break;
		}
	}
	off = eq ? (size_t)(eq + 1 - text) : ls;
	while (off < le && (text[off] == ' ' || text[off] == '\t'))
		off++;
	if (ptext_escape(text + off, le - off, shown, sizeof(shown) - 3) < le - off)
		strcat(shown, "...");
	if (eq) {
		const char *k = l, *ke = eq;

		while (k < ke && (*k == ' ' || *k == '\t'))
			k++;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		text_section_at(text, ls, sect, sizeof(sect));
		snprintf(where, sizeof(where), "%s%s%s%.*s: the value", sect[0] ? "[" : "", sect,
			 sect[0] ? "] " : "", (int)(ke - k < 64 ? ke - k : 64), k);
	}
	profile_errf(err, len, "%s:%d: %s holds %s at byte %zu of the line ('%s', such bytes "
		     "shown as \\xNN); a profile holds printable UTF-8 text only: remove it", path,
		     line, where[0] ? where : "the line", why, bad - ls + 1, shown);
	return -EINVAL;
}

int ptext_check(const char *path, const char *text, size_t n, char *err, size_t len)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i = 0;
	int line = 1;

	while (i < n) {
		const char *why;
		size_t ok = text_span(u, i, n, true, &why);
		const char *nl;
		size_t le;

		nl = memchr(text + i, '\n', n - i);
		le = nl ? (size_t)(nl - text) : n;
		if (why)
			return text_fail(path, text, i, le, i + ok, line, why, err, len);
		i = le + 1;
		line++;
	}
	return 0;
}
