/* SPDX-License-Identifier: GPL-2.0 */
/* tickguest's own tiny libc: strings, number parsing and formatting, printf to
 * the console, and 64-bit arithmetic helpers. */
#ifndef TICKGUEST_LIBC_H
#define TICKGUEST_LIBC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
/* Does the n-byte string s equal the NUL-terminated word? */
bool str_eq_n(const char *s, size_t n, const char *word);
/* Copy n bytes of s into d as a string, cut to fit dlen. */
void str_copy_n(char *d, size_t dlen, const char *s, size_t n);

/* Parse n bytes as an unsigned number: decimal, or hex with 0x. Rejects empty
 * strings, other characters and overflow. 0 or -1. */
int parse_u64(const char *s, size_t n, uint64_t *out);

/* a * b / c without overflowing 64 bits as long as (c - 1) * b fits. */
uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c);

/* printf subset: %s %c %d %u %x with l/ll, and %%. Output goes to the console. */
int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
int snprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
