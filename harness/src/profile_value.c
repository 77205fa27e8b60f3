// SPDX-License-Identifier: GPL-2.0
/* One value of a profile key: numbers with their units (durations, rates,
 * sizes, percentages) computed exactly, yes/no, choices, lists and cpu lists,
 * each turned into a canonical text so equal values print alike. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "failon.h"
#include "lockmap.h"
#include "profile_int.h"

struct unit {
	const char *name;
	int64_t mult;
};

static const struct unit dur_units[] = {
	{ "ns", 1 }, { "us", NSEC_PER_USEC }, { "ms", NSEC_PER_MSEC }, { "s", NSEC_PER_SEC },
};
static const struct unit rate_units[] = { { "hz", 1 }, { "khz", 1000 } };
static const struct unit size_units[] = {
	{ "M", 1 }, { "MiB", 1 }, { "G", 1024 }, { "GiB", 1024 },
};
static const struct unit pct_units[] = { { "%", 100 } };

/* How a number-with-unit type reads: its units, the unit used in hints, and
 * the name of its base unit (for "not a whole number of ..."). */
struct unitkind {
	const struct unit *units;
	size_t n;
	const char *hint;
	const char *allowed;
	const char *base;
};

static const struct unitkind *unitkind_of(enum ptype t)
{
	static const struct unitkind dur = { dur_units, ARRAY_SIZE(dur_units), "ms",
					     "ns, us, ms, s", "nanoseconds" };
	static const struct unitkind rate = { rate_units, ARRAY_SIZE(rate_units), "hz",
					      "hz, khz", "hz" };
	static const struct unitkind size = { size_units, ARRAY_SIZE(size_units), "M",
					      "M, G", "MiB" };
	static const struct unitkind pct = { pct_units, ARRAY_SIZE(pct_units), "%",
					     "%", "hundredths of a percent" };

	switch (t) {
	case PT_DURATION:
		return &dur;
	case PT_RATE:
		return &rate;
	case PT_SIZE:
		return &size;
	case PT_PERCENT:
		return &pct;
	default:
		return NULL;
	}
}

/* "1.5ms" -> 1500000: a decimal number and a unit, computed exactly; a bare
 * 0 needs no unit. */
static int parse_scaled(const struct unitkind *uk, const char *text, int64_t *out,
			char *err, size_t len)
{
	const char *p = text, *unit;
	int64_t ip = 0, frac = 0, fscale = 1, mult = 0;
	int nd = 0, nf = 0;
	__int128 v;

	if (*p == '-') {
		profile_errf(err, len, "'%s' is negative; the value must be 0 or more", text);
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*p); p++, nd++) {
		if (ip > (INT64_MAX - 9) / 10)
			goto too_large;
		ip = ip * 10 + (*p - '0');
	}
	if (*p == '.' && nd) {
		for (p++; isdigit((unsigned char)*p); p++, nf++) {
			if (nf >= 18) {
				profile_errf(err, len, "'%s' has too many decimals", text);
				return -EINVAL;
			}
			frac = frac * 10 + (*p - '0');
			fscale *= 10;
		}
	}
	if (!nd) {
		profile_errf(err, len, "'%s' is not a number with a unit (e.g. 20%s); allowed units: %s",
			 text, uk->hint, uk->allowed);
		return -EINVAL;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	unit = p;
	if (!*unit) {
		if (ip == 0 && frac == 0) {
			*out = 0;
			return 0;
		}
		profile_errf(err, len, "'%s' has no unit; allowed units: %s (e.g. %s%s)", text,
			 uk->allowed, text, uk->hint);
		return -EINVAL;
	}
	for (size_t i = 0; i < uk->n; i++)
		if (!strcasecmp(unit, uk->units[i].name))
			mult = uk->units[i].mult;
	if (!mult) {
		profile_errf(err, len, "unknown unit '%s' in '%s'; allowed units: %s", unit, text,
			 uk->allowed);
		return -EINVAL;
	}
	v = (__int128)ip * mult;
	if ((__int128)frac * mult % fscale) {
		profile_errf(err, len, "'%s' is not a whole number of %s", text, uk->base);
		return -EINVAL;
	}
	v += (__int128)frac * mult / fscale;
	if (v > INT64_MAX)
		goto too_large;
	*out = (int64_t)v;
	return 0;
too_large:
	profile_errf(err, len, "'%s' is too large", text);
	return -EINVAL;
}

void fmt_duration(int64_t ns, char *buf, size_t len)
{
	static const struct unit big_first[] = {
		{ "s", NSEC_PER_SEC }, { "ms", NSEC_PER_MSEC }, { "us", NSEC_PER_USEC },
	};

	if (ns == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(big_first); i++) {
		if (ns % big_first[i].mult == 0) {
			snprintf(buf, len, "%" PRId64 "%s", ns / big_first[i].mult,
				 big_first[i].name);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ns", ns);
}

/* Canonical text of a number of a numeric type, so equal values print alike. */
void pval_fmt_num(enum ptype t, int64_t n, char *buf, size_t len)
{
	switch (t) {
	case PT_DURATION:
		fmt_duration(n, buf, len);
		break;
	case PT_RATE:
		if (n && n % 1000 == 0)
			snprintf(buf, len, "%" PRId64 "khz", n / 1000);
		else
			snprintf(buf, len, "%" PRId64 "hz", n);
		break;
	case PT_SIZE:
		if (n && n % 1024 == 0)
			snprintf(buf, len, "%" PRId64 "G", n / 1024);
		else
			snprintf(buf, len, "%" PRId64 "M", n);
		break;
	case PT_PERCENT:
		if (n % 100 == 0)
			snprintf(buf, len, "%" PRId64 "%%", n / 100);
		else if (n % 10 == 0)
			snprintf(buf, len, "%" PRId64 ".%" PRId64 "%%", n / 100, n % 100 / 10);
		else
			snprintf(buf, len, "%" PRId64 ".%02" PRId64 "%%", n / 100, n % 100);
		break;
	case PT_BOOL:
		snprintf(buf, len, "%s", n ? "yes" : "no");
		break;
	default:
		snprintf(buf, len, "%" PRId64, n);
		break;
	}
}

bool ptype_is_numeric(enum ptype t)
{
	return t == PT_INT || t == PT_CPU || t == PT_DURATION || t == PT_RATE || t == PT_PERCENT ||
	       t == PT_SIZE;
}

/* Kernel cpu-list form of a mask: "0-2,5". */
void cpulist_fmt(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < 64 && off < len; i++) {
		int j = i;
		int n;

		if (!(mask & (1ULL << i)))
			continue;
		while (j < 63 && (mask & (1ULL << (j + 1))))
			j++;
		if (j == i)
			n = snprintf(buf + off, len - off, "%s%d", off ? "," : "", i);
		else
			n = snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", i, j);
		if (n < 0)
			break;
		off += (size_t)n;
		i = j;
	}
}

const char *pspec_name(const struct pspec *s)
{
	return pspec_is_wildcard(s) ? "the value" : s->key;
}

static int parse_enum(const struct pspec *s, const char *t, struct pval *v, char *err,
		      size_t len)
{
	struct pwords ws;
	char hint[96], allowed[512];

	pwords_from_choices(&ws, s->choices);
	for (size_t i = 0; i < ws.n; i++) {
		if (!strcasecmp(ws.w[i], t)) {
			snprintf(v->text, sizeof(v->text), "%s", ws.w[i]);
			v->num = (int64_t)i;
			return 0;
		}
	}
	pwords_suggest(t, &ws, "'", "'", hint, sizeof(hint));
	pwords_join(&ws, false, allowed, sizeof(allowed));
	profile_errf(err, len, "'%s' is not a valid value%s allowed: %s", t,
		 hint[0] ? hint : ";", allowed);
	return -EINVAL;
}

/* A comma list of words: with choices, each must be one of them, the
 * canonical text lists them in choice order and num has bit i for choice i. */
static int parse_list(const struct pspec *s, const char *t, struct pval *v, char *err,
		      size_t len)
{
	char copy[512], *save = NULL, *w;
	struct pwords ws;
	uint64_t bits = 0;
	size_t off = 0, count = 0;

	pwords_from_choices(&ws, s->choices);
	snprintf(copy, sizeof(copy), "%s", t);
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;

		while (*w == ' ' || *w == '\t')
			w++;
		str_rtrim(w);
		if (!*w) {
			profile_errf(err, len, "empty item in '%s'; remove the extra ','", t);
			return -EINVAL;
		}
		if (!s->choices) {
			int n = snprintf(v->text + off, sizeof(v->text) - off, "%s%s",
					 off ? "," : "", w);

			if (n < 0 || (size_t)n >= sizeof(v->text) - off) {
				profile_errf(err, len, "'%s' is too long (at most %zu characters)", t,
					 sizeof(v->text) - 1);
				return -EINVAL;
			}
			off += (size_t)n;
			count++;
			continue;
		}
		for (i = 0; i < ws.n && i < 64; i++)
			if (!strcasecmp(ws.w[i], w))
				break;
		if (i == ws.n || i == 64) {
			char hint[96], allowed[512];

			pwords_suggest(w, &ws, "'", "'", hint, sizeof(hint));
			pwords_join(&ws, false, allowed, sizeof(allowed));
			profile_errf(err, len, "'%s' is not a valid item%s allowed (comma-separated): %s",
				 w, hint[0] ? hint : ";", allowed);
			return -EINVAL;
		}
		bits |= 1ULL << i;
	}
	/* strtok_r skips empty fields, so a stray comma is found here. */
	if (t[0] == ',' || t[strlen(t) - 1] == ',' || strstr(t, ",,")) {
		profile_errf(err, len, "empty item in '%s'; remove the extra ','", t);
		return -EINVAL;
	}
	if (!s->choices) {
		v->num = (int64_t)count;
		return 0;
	}
	for (size_t i = 0; i < ws.n && i < 64; i++) {
		if (bits & (1ULL << i)) {
			int n = snprintf(v->text + off, sizeof(v->text) - off, "%s%s",
					 off ? "," : "", ws.w[i]);

			if (n < 0 || (size_t)n >= sizeof(v->text) - off)
				break;
			off += (size_t)n;
		}
	}
	v->num = (int64_t)bits;
	return 0;
}

static int parse_bool(const char *t, struct pval *v, char *err, size_t len)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(t, yes[i]) || !strcasecmp(t, no[i])) {
			v->num = !strcasecmp(t, yes[i]);
			pval_fmt_num(PT_BOOL, v->num, v->text, sizeof(v->text));
			return 0;
		}
	}
	profile_errf(err, len, "'%s' is not a yes/no value; allowed: yes, no, true, false, on, off, 1, 0",
		 t);
	return -EINVAL;
}

static int parse_int(const char *t, int64_t *out, char *err, size_t len)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(t, &end, 10);
	if (end == t || *end) {
		profile_errf(err, len, "'%s' is not a whole number; write digits only, e.g. 8", t);
		return -EINVAL;
	}
	if (errno == ERANGE) {
		profile_errf(err, len, "'%s' is too large", t);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

/* Set v from a number of spec s's type (values generated by ranges). */
/* The mask of one cpu (PT_CPU values are bounded to 0..63 by their spec). */
static uint64_t cpu_mask(int64_t n)
{
	return n >= 0 && n < 64 ? 1ULL << n : 0;
}

void pval_from_num(const struct pspec *s, int64_t n, struct pval *v)
{
	memset(v, 0, sizeof(*v));
	v->num = n;
	if (s->type == PT_CPU)
		v->mask = cpu_mask(n);
	pval_fmt_num(s->type, n, v->text, sizeof(v->text));
}

int pval_parse(const struct pspec *s, const char *text, struct pval *v, char *err,
	       size_t errlen)
{
	char t[256];
	char *p = t;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	while (*text == ' ' || *text == '\t')
		text++;
	if (snprintf(t, sizeof(t), "%s", text) >= (int)sizeof(t)) {
		profile_errf(err, errlen, "value is too long (at most %zu characters)",
			 sizeof(v->text) - 1);
		return -EINVAL;
	}
	str_rtrim(t);
	if (!*p) {
		profile_errf(err, errlen, "empty value; write %s = VALUE%s%s", pspec_name(s),
			 s->def && *s->def ? ", e.g. " : "", s->def ? s->def : "");
		return -EINVAL;
	}

	switch (s->type) {
	case PT_INT:
	case PT_CPU:
		rc = parse_int(p, &v->num, err, errlen);
		break;
	case PT_DURATION:
	case PT_RATE:
	case PT_PERCENT:
	case PT_SIZE:
		rc = parse_scaled(unitkind_of(s->type), p, &v->num, err, errlen);
		break;
	case PT_BOOL:
		return parse_bool(p, v, err, errlen);
	case PT_ENUM:
		return parse_enum(s, p, v, err, errlen);
	case PT_STRING:
		if (strlen(p) >= sizeof(v->text)) {
			profile_errf(err, errlen, "'%s' is too long (at most %zu characters)", p,
				 sizeof(v->text) - 1);
			return -EINVAL;
		}
		memcpy(v->text, p, strlen(p) + 1);
		return 0;
	case PT_CPULIST:
		if (cpulist_parse(p, &v->mask) < 0) {
			profile_errf(err, errlen,
				 "'%s' is not a cpu list; write cpus 0-63 like 0 or 0-3 or 0,2,4-5 "
				 "(use '|' between the values of an axis)", p);
			return -EINVAL;
		}
		v->num = __builtin_popcountll(v->mask);
		cpulist_fmt(v->mask, v->text, sizeof(v->text));
		return 0;
	case PT_LIST:
		return parse_list(s, p, v, err, errlen);
	case PT_FAILON:
		return failon_pval(s, p, v, err, errlen);
	}
	if (rc)
		return rc;
	pval_fmt_num(s->type, v->num, v->text, sizeof(v->text));
	if (s->min <= s->max && (v->num < s->min || v->num > s->max)) {
		char lo[40], hi[40];

		pval_fmt_num(s->type, s->min, lo, sizeof(lo));
		pval_fmt_num(s->type, s->max, hi, sizeof(hi));
		profile_errf(err, errlen, "%s is out of range; %s must be between %s and %s", p,
			 pspec_name(s), lo, hi);
		return -EINVAL;
	}
	if (s->type == PT_CPU)
		v->mask = cpu_mask(v->num);
	return 0;
}

