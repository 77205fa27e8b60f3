/* SPDX-License-Identifier: GPL-2.0 */
/* Text from outside lockmap (kernel log lines, guest and VMM output, lab
 * console lines, profile values, paths) made fit for the files lockmap writes.
 * JSON strings must be UTF-8: jansson's json_string() returns NULL for
 * anything else, and json_object_set_new() then drops the field without a
 * word. XML 1.0 cannot carry most control characters at all, and a CSV row or
 * a terminal line must stay one line with no escape sequences in it. */
#ifndef LOCKMAP_TEXT_H
#define LOCKMAP_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* Length of the valid UTF-8 sequence at s (len bytes readable), or 0 when s
 * does not start one (a stray continuation byte, an overlong form, a
 * surrogate, a sequence cut short). */
size_t utf8_seq_len(const unsigned char *s, size_t len);

enum text_flags {
	/* Also escape control characters (C0, DEL, C1) and U+FFFE/U+FFFF, which
	 * are not characters in XML 1.0: for junit.xml, cells.csv, terminals. */
	TEXT_PRINTABLE = 1 << 0,
};

/* s[0..len) as valid UTF-8: every byte that is not part of a valid sequence
 * becomes the four characters \xNN (the form /dev/kmsg uses for the bytes it
 * will not print), and with TEXT_PRINTABLE every byte of a control character
 * too; a NUL byte always (the result is a C string). Malloc'd and
 * NUL-terminated; NULL only when out of memory. */
char *text_clean(const char *s, size_t len, unsigned flags);

/* A JSON string of arbitrary bytes (text_clean without TEXT_PRINTABLE: JSON
 * escapes control characters itself). NULL s gives JSON null. */
json_t *text_json(const char *s);
json_t *text_jsonn(const char *s, size_t len);

/* s as text or an attribute value of XML 1.0 and HTML (junit.xml,
 * report.html): text_clean with TEXT_PRINTABLE (XML cannot carry control
 * characters, not even as &#N;), then & < > " ' escaped. NULL s writes
 * nothing. */
void text_xml(FILE *f, const char *s);

#endif
