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
#include "text.h"

/* Why the valid UTF-8 sequence s[0..len) is not printable text, or NULL when
 * it is. Tabs are blanks; line ends are the caller's. */
static const char *seq_unprintable(const unsigned char *s, size_t len)
{
	if (len == 1 && s[0] == 0)
		return "a NUL byte";
	if (len == 1 && s[0] == 0x1b)
		return "an escape character (ESC, which starts terminal escape sequences)";
	if (len == 1 && ((s[0] < 0x20 && s[0] != '\t') || s[0] == 0x7f))
		return "a control character";
	if (len == 2 && s[0] == 0xc2 && s[1] <= 0x9f)
		return "a C1 control character (terminals read some as escape sequences)";
	/* U+202A..U+202E and U+2066..U+2069 make text display in another order
	 * than it is read. */
	if (len == 3 && s[0] == 0xe2 && ((s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae) ||
					 (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)))
		return "a bidirectional-text control";
	if (len == 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
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
		size_t len = utf8_seq_len(s + i, n - i);

		if (!len) {
			*why = "bytes that are not UTF-8";
			break;
		}
		if (!in_file || !((i == 0 && len == 3 && !memcmp(s, "\xef\xbb\xbf", 3)) ||
				  (s[i] == '\r' && (i + 1 == n || s[i + 1] == '\n'))))
			*why = seq_unprintable(s + i, len);
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
	char *out = text_clean(s, strlen(s), TEXT_PRINTABLE);

	if (!out)
		abort();
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
