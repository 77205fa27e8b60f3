// SPDX-License-Identifier: GPL-2.0
/* tickguest's libc: only what the guest uses. */
#include "console.h"
#include "libc.h"

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

bool str_eq_n(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !strncmp(s, word, n);
}

void str_copy_n(char *d, size_t dlen, const char *s, size_t n)
{
	if (!dlen)
		return;
	if (n > dlen - 1)
		n = dlen - 1;
	memcpy(d, s, n);
	d[n] = '\0';
}

int parse_u64(const char *s, size_t n, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	}
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* Shift-and-subtract division: the guest links without libgcc, and this is
 * what gcc calls for every 64-bit '/' and '%' in 32-bit code. */
static uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;

	if (!d) {
		/* Division by zero is a bug in the guest; make it loud, not a hang. */
		printf("error what=division-by-zero\n");
		console_exit(1);
	}
	if (!(n >> 32) && !(d >> 32)) {
		/* Both fit in 32 bits: one hardware divide. */
		uint32_t q32 = (uint32_t)n / (uint32_t)d;

		if (rem)
			*rem = (uint32_t)n - q32 * (uint32_t)d;
		return q32;
	}
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ULL << i;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	return udivmod64(n, d, NULL);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	udivmod64(n, d, &r);
	return r;
}

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	return udivmod64(n, d, rem);
}

uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
	return (a / c) * b + (a % c) * b / c;
}

struct outbuf {
	char *buf;
	size_t len, pos;
};

static void out_c(struct outbuf *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void out_num(struct outbuf *o, uint64_t v, unsigned base, bool neg)
{
	char tmp[24];
	int n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		out_c(o, '-');
	while (n)
		out_c(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct outbuf o = {buf, len, 0};

	for (; *fmt; fmt++) {
		int lng = 0;

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (*s)
				out_c(&o, *s++);
			break;
		}
		case 'c':
			out_c(&o, (char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = lng >= 2 ? va_arg(ap, long long)
				    : lng    ? va_arg(ap, long)
					     : va_arg(ap, int);

			out_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = lng >= 2 ? va_arg(ap, unsigned long long)
				     : lng    ? va_arg(ap, unsigned long)
					      : va_arg(ap, unsigned);

			out_num(&o, v, *fmt == 'x' ? 16 : 10, false);
			break;
		}
		case '%':
			out_c(&o, '%');
			break;
		default:
			/* An unknown conversion is a bug: show it rather than guess. */
			out_c(&o, '?');
			if (!*fmt)
				fmt--;
			break;
		}
	}
	if (len)
		o.buf[o.pos < len ? o.pos : len - 1] = '\0';
	return (int)o.pos;
}

int snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

void printf(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_write(line);
}
