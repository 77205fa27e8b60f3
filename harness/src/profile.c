// SPDX-License-Identifier: GPL-2.0
/* Profiles: inih splits the file into [section] and key = value lines; every
 * section and key is then checked against the spec tables (profile_keys.c,
 * hostknobs.c, the launchers and the injectors), values are parsed with their
 * units into canonical form, and axes (comma lists, a..b+step, a..b*factor)
 * are expanded. Every error names file:line, section, key and what is allowed. */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ini.h>

#include "hostknobs.h"
#include "inject.h"
#include "launch.h"
#include "lockmap.h"
#include "profile.h"

#define PROFILE_MAX_BYTES (1 << 20)

/* Messages are cut to the caller's buffer; vsnprintf keeps gcc's
 * truncation warnings for fixed buffers out of every call site. */
static void errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ---- section specs ---------------------------------------------------- */

/* run, host, guests (default launcher), expect, then inject.* */
static struct section_spec *all_specs;
static size_t nall_specs;
/* [guests] for each launcher, in the order of launchers[]. */
static struct section_spec *guests_specs;
static struct section_spec guests_plain;

/* The [guests] table for one launcher: built-in keys, with the launcher
 * names as the choices of launcher=, followed by the launcher's keys. */
static struct pspec *guests_merge(const struct launcher_ops *lo, const char *choices,
				  size_t *n)
{
	size_t extra = lo ? lo->nkeys : 0;
	struct pspec *k = calloc(profile_guests_nkeys + extra, sizeof(*k));

	if (!k)
		abort();
	memcpy(k, profile_guests_keys, profile_guests_nkeys * sizeof(*k));
	for (size_t i = 0; i < profile_guests_nkeys; i++)
		if (!strcmp(k[i].key, "launcher"))
			k[i].choices = choices;
	if (extra)
		memcpy(k + profile_guests_nkeys, lo->keys, extra * sizeof(*k));
	*n = profile_guests_nkeys + extra;
	return k;
}

/* The tables of [host], launchers and injectors are only known at run time
 * (their sizes are not constant expressions), so they are put together once. */
static void specs_init(void)
{
	const char *def_launcher = NULL;
	struct section_spec *def_guests = &guests_plain;
	size_t len = 1, i, n = 0;
	char *choices;

	for (i = 0; i < nr_launchers; i++)
		len += strlen(launchers[i]->name) + 1;
	choices = calloc(1, len);
	all_specs = calloc(5 + nr_injectors, sizeof(*all_specs));
	guests_specs = calloc(nr_launchers + 1, sizeof(*guests_specs));
	if (!choices || !all_specs || !guests_specs)
		abort();
	for (i = 0; i < nr_launchers; i++) {
		if (i)
			strcat(choices, "|");
		strcat(choices, launchers[i]->name);
	}
	for (i = 0; i < profile_guests_nkeys; i++)
		if (!strcmp(profile_guests_keys[i].key, "launcher"))
			def_launcher = profile_guests_keys[i].def;
	guests_plain.name = "guests";
	guests_plain.keys = guests_merge(NULL, choices, &guests_plain.nkeys);
	for (i = 0; i < nr_launchers; i++) {
		guests_specs[i].name = "guests";
		guests_specs[i].keys = guests_merge(launchers[i], choices, &guests_specs[i].nkeys);
		if (def_launcher && !strcmp(launchers[i]->name, def_launcher))
			def_guests = &guests_specs[i];
	}

	all_specs[n++] = (struct section_spec){ "run", profile_run_keys, profile_run_nkeys };
	all_specs[n++] = (struct section_spec){ "host", hostknobs_keys, hostknobs_nkeys };
	all_specs[n++] = *def_guests;
	all_specs[n++] = (struct section_spec){ "expect", profile_expect_keys,
						profile_expect_nkeys };
	all_specs[n++] = (struct section_spec){ "monitor", profile_monitor_keys,
						profile_monitor_nkeys };
	for (i = 0; i < nr_injectors; i++)
		all_specs[n++] = (struct section_spec){
			xasprintf("inject.%s", injectors[i]->name), injectors[i]->keys,
			injectors[i]->nkeys };
	nall_specs = n;
}

static pthread_once_t specs_once = PTHREAD_ONCE_INIT;

const struct section_spec *section_spec_at(size_t i)
{
	pthread_once(&specs_once, specs_init);
	return i < nall_specs ? &all_specs[i] : NULL;
}

const struct section_spec *section_spec_find(const char *name)
{
	pthread_once(&specs_once, specs_init);
	for (size_t i = 0; i < nall_specs; i++)
		if (!strcmp(all_specs[i].name, name))
			return &all_specs[i];
	return NULL;
}

const struct section_spec *section_spec_guests(const struct launcher_ops *lo)
{
	pthread_once(&specs_once, specs_init);
	for (size_t i = 0; i < nr_launchers; i++)
		if (launchers[i] == lo)
			return &guests_specs[i];
	return NULL;
}

static bool spec_is_wildcard(const struct pspec *k)
{
	size_t l = strlen(k->key);

	return l && k->key[l - 1] == '*';
}

/* Exact names first, then "prefix.*" patterns; the part after a pattern's
 * prefix must look like a sysctl or parameter name. */
static const struct pspec *spec_key_find(const struct section_spec *ss, const char *key)
{
	for (size_t i = 0; i < ss->nkeys; i++)
		if (!spec_is_wildcard(&ss->keys[i]) && !strcmp(ss->keys[i].key, key))
			return &ss->keys[i];
	for (size_t i = 0; i < ss->nkeys; i++) {
		const struct pspec *k = &ss->keys[i];
		size_t l = strlen(k->key) - 1;
		const char *rest = key + l;

		if (!spec_is_wildcard(k) || strncmp(k->key, key, l) || !*rest)
			continue;
		if (strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789_./-") == strlen(rest))
			return k;
	}
	return NULL;
}

/* ---- "did you mean" and "allowed:" lists ------------------------------- */

struct words {
	size_t n;
	const char *w[64];
	char store[1024];
};

static void words_add(struct words *ws, const char *w)
{
	if (ws->n < ARRAY_SIZE(ws->w))
		ws->w[ws->n++] = w;
}

/* Split "a|b|c" (spec choices) into ws. */
static void words_from_choices(struct words *ws, const char *choices)
{
	char *save = NULL, *w;

	ws->n = 0;
	snprintf(ws->store, sizeof(ws->store), "%s", choices ? choices : "");
	for (w = strtok_r(ws->store, "|", &save); w; w = strtok_r(NULL, "|", &save))
		words_add(ws, w);
}

static void words_from_keys(struct words *ws, const struct section_spec *ss)
{
	ws->n = 0;
	for (size_t i = 0; i < ss->nkeys; i++)
		words_add(ws, ss->keys[i].key);
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
static void did_you_mean(const char *word, const struct words *ws, const char *quote_l,
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
static void words_join(const struct words *ws, bool brackets, char *buf, size_t len)
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

/* ---- values ------------------------------------------------------------ */

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
		errf(err, len, "'%s' is negative; the value must be 0 or more", text);
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
				errf(err, len, "'%s' has too many decimals", text);
				return -EINVAL;
			}
			frac = frac * 10 + (*p - '0');
			fscale *= 10;
		}
	}
	if (!nd) {
		errf(err, len, "'%s' is not a number with a unit (e.g. 20%s); allowed units: %s",
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
		errf(err, len, "'%s' has no unit; allowed units: %s (e.g. %s%s)", text,
			 uk->allowed, text, uk->hint);
		return -EINVAL;
	}
	for (size_t i = 0; i < uk->n; i++)
		if (!strcasecmp(unit, uk->units[i].name))
			mult = uk->units[i].mult;
	if (!mult) {
		errf(err, len, "unknown unit '%s' in '%s'; allowed units: %s", unit, text,
			 uk->allowed);
		return -EINVAL;
	}
	v = (__int128)ip * mult;
	if ((__int128)frac * mult % fscale) {
		errf(err, len, "'%s' is not a whole number of %s", text, uk->base);
		return -EINVAL;
	}
	v += (__int128)frac * mult / fscale;
	if (v > INT64_MAX)
		goto too_large;
	*out = (int64_t)v;
	return 0;
too_large:
	errf(err, len, "'%s' is too large", text);
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
static void fmt_num(enum ptype t, int64_t n, char *buf, size_t len)
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

static bool type_is_numeric(enum ptype t)
{
	return t == PT_INT || t == PT_DURATION || t == PT_RATE || t == PT_PERCENT ||
	       t == PT_SIZE;
}

/* Kernel cpu-list form of a mask: "0-2,5". */
static void fmt_cpulist(uint64_t mask, char *buf, size_t len)
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

static const char *spec_name(const struct pspec *s)
{
	return spec_is_wildcard(s) ? "the value" : s->key;
}

static int parse_enum(const struct pspec *s, const char *t, struct pval *v, char *err,
		      size_t len)
{
	struct words ws;
	char hint[96], allowed[512];

	words_from_choices(&ws, s->choices);
	for (size_t i = 0; i < ws.n; i++) {
		if (!strcasecmp(ws.w[i], t)) {
			snprintf(v->text, sizeof(v->text), "%s", ws.w[i]);
			v->num = (int64_t)i;
			return 0;
		}
	}
	did_you_mean(t, &ws, "'", "'", hint, sizeof(hint));
	words_join(&ws, false, allowed, sizeof(allowed));
	errf(err, len, "'%s' is not a valid value%s allowed: %s", t,
		 hint[0] ? hint : ";", allowed);
	return -EINVAL;
}

/* A comma list of words: with choices, each must be one of them, the
 * canonical text lists them in choice order and num has bit i for choice i. */
static int parse_list(const struct pspec *s, const char *t, struct pval *v, char *err,
		      size_t len)
{
	char copy[512], *save = NULL, *w;
	struct words ws;
	uint64_t bits = 0;
	size_t off = 0, count = 0;

	words_from_choices(&ws, s->choices);
	snprintf(copy, sizeof(copy), "%s", t);
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;

		while (*w == ' ' || *w == '\t')
			w++;
		str_rtrim(w);
		if (!*w) {
			errf(err, len, "empty item in '%s'; remove the extra ','", t);
			return -EINVAL;
		}
		if (!s->choices) {
			int n = snprintf(v->text + off, sizeof(v->text) - off, "%s%s",
					 off ? "," : "", w);

			if (n < 0 || (size_t)n >= sizeof(v->text) - off) {
				errf(err, len, "'%s' is too long (at most %zu characters)", t,
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

			did_you_mean(w, &ws, "'", "'", hint, sizeof(hint));
			words_join(&ws, false, allowed, sizeof(allowed));
			errf(err, len, "'%s' is not a valid item%s allowed (comma-separated): %s",
				 w, hint[0] ? hint : ";", allowed);
			return -EINVAL;
		}
		bits |= 1ULL << i;
	}
	/* strtok_r skips empty fields, so a stray comma is found here. */
	if (t[0] == ',' || t[strlen(t) - 1] == ',' || strstr(t, ",,")) {
		errf(err, len, "empty item in '%s'; remove the extra ','", t);
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
			fmt_num(PT_BOOL, v->num, v->text, sizeof(v->text));
			return 0;
		}
	}
	errf(err, len, "'%s' is not a yes/no value; allowed: yes, no, true, false, on, off, 1, 0",
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
		errf(err, len, "'%s' is not a whole number; write digits only, e.g. 8", t);
		return -EINVAL;
	}
	if (errno == ERANGE) {
		errf(err, len, "'%s' is too large", t);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

/* Set v from a number of spec s's type (values generated by ranges). */
static void pval_from_num(const struct pspec *s, int64_t n, struct pval *v)
{
	memset(v, 0, sizeof(*v));
	v->num = n;
	fmt_num(s->type, n, v->text, sizeof(v->text));
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
		errf(err, errlen, "value is too long (at most %zu characters)",
			 sizeof(v->text) - 1);
		return -EINVAL;
	}
	str_rtrim(t);
	if (!*p) {
		errf(err, errlen, "empty value; write %s = VALUE%s%s", spec_name(s),
			 s->def && *s->def ? ", e.g. " : "", s->def ? s->def : "");
		return -EINVAL;
	}

	switch (s->type) {
	case PT_INT:
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
			errf(err, errlen, "'%s' is too long (at most %zu characters)", p,
				 sizeof(v->text) - 1);
			return -EINVAL;
		}
		memcpy(v->text, p, strlen(p) + 1);
		return 0;
	case PT_CPULIST:
		if (cpulist_parse(p, &v->mask) < 0) {
			errf(err, errlen,
				 "'%s' is not a cpu list; write cpus 0-63 like 0 or 0-3 or 0,2,4-5 "
				 "(use '|' between the values of an axis)", p);
			return -EINVAL;
		}
		v->num = __builtin_popcountll(v->mask);
		fmt_cpulist(v->mask, v->text, sizeof(v->text));
		return 0;
	case PT_LIST:
		return parse_list(s, p, v, err, errlen);
	}
	if (rc)
		return rc;
	fmt_num(s->type, v->num, v->text, sizeof(v->text));
	if (s->min <= s->max && (v->num < s->min || v->num > s->max)) {
		char lo[40], hi[40];

		fmt_num(s->type, s->min, lo, sizeof(lo));
		fmt_num(s->type, s->max, hi, sizeof(hi));
		errf(err, errlen, "%s is out of range; %s must be between %s and %s", p,
			 spec_name(s), lo, hi);
		return -EINVAL;
	}
	return 0;
}

/* ---- axes -------------------------------------------------------------- */

struct valvec {
	struct pval *v;
	size_t n, cap;
};

static int valvec_push(struct valvec *vv, const struct pval *v, char *err, size_t len)
{
	if (vv->n >= PROFILE_MAX_AXIS_VALUES) {
		errf(err, len, "more than %d values in one axis; use a larger step or fewer values",
			 PROFILE_MAX_AXIS_VALUES);
		return -EINVAL;
	}
	if (vv->n == vv->cap) {
		size_t cap = vv->cap ? vv->cap * 2 : 4;
		struct pval *nv = realloc(vv->v, cap * sizeof(*nv));

		if (!nv) {
			errf(err, len, "out of memory");
			return -ENOMEM;
		}
		vv->v = nv;
		vv->cap = cap;
	}
	vv->v[vv->n++] = *v;
	return 0;
}

static char axis_sep(enum ptype t)
{
	return t == PT_LIST || t == PT_CPULIST || t == PT_STRING ? '|' : ',';
}

/* "a..b+step" or "a..b*factor": both ends carry units and must be in range. */
static int range_expand(const struct pspec *s, const char *item, struct valvec *vv, char *err,
			size_t len)
{
	char buf[256], *a_txt, *b_txt, *st_txt, *op, opc;
	struct pval a, b, step;
	char why[256];
	int rc;

	snprintf(buf, sizeof(buf), "%s", item);
	a_txt = buf;
	b_txt = strstr(buf, "..");
	*b_txt = '\0';
	b_txt += 2;
	op = strpbrk(b_txt, "+*");
	if (!op) {
		errf(err, len, "range '%s' has no step; write a..b+STEP (e.g. 1..8+1) or "
			 "a..b*FACTOR (e.g. 1..64*2)", item);
		return -EINVAL;
	}
	opc = *op;
	*op = '\0';
	st_txt = op + 1;
	str_rtrim(a_txt);
	str_rtrim(b_txt);
	while (*b_txt == ' ')
		b_txt++;
	while (*st_txt == ' ')
		st_txt++;
	str_rtrim(st_txt);
	if (!*a_txt || !*b_txt || !*st_txt) {
		errf(err, len, "incomplete range '%s'; write a..b+STEP or a..b*FACTOR", item);
		return -EINVAL;
	}
	rc = pval_parse(s, a_txt, &a, why, sizeof(why));
	if (!rc)
		rc = pval_parse(s, b_txt, &b, why, sizeof(why));
	if (rc) {
		errf(err, len, "in range '%s': %s", item, why);
		return rc;
	}
	if (a.num > b.num) {
		errf(err, len, "inverted range '%s': the start %s is larger than the end %s; "
			 "write the smaller value first (%s..%s%c%s)", item, a.text, b.text,
			 b.text, a.text, opc, st_txt);
		return -EINVAL;
	}

	if (opc == '+') {
		struct pspec unbounded = *s;
		int64_t count;

		unbounded.min = 1;
		unbounded.max = 0;
		rc = pval_parse(&unbounded, st_txt, &step, why, sizeof(why));
		if (rc) {
			errf(err, len, "step of range '%s': %s", item, why);
			return rc;
		}
		if (step.num <= 0) {
			errf(err, len, "the step of range '%s' must be greater than 0", item);
			return -EINVAL;
		}
		count = (int64_t)(((uint64_t)b.num - (uint64_t)a.num) / (uint64_t)step.num) + 1;
		if (count > PROFILE_MAX_AXIS_VALUES - (int64_t)vv->n) {
			errf(err, len, "range '%s' gives %" PRId64 " values; an axis may have at "
				 "most %d, use a larger step", item, count, PROFILE_MAX_AXIS_VALUES);
			return -EINVAL;
		}
		for (int64_t i = 0; i < count; i++) {
			struct pval v;

			pval_from_num(s, a.num + i * step.num, &v);
			rc = valvec_push(vv, &v, err, len);
			if (rc)
				return rc;
		}
		return 0;
	}

	/* '*': a geometric range. */
	{
		int64_t f, n;
		char *end;

		errno = 0;
		f = strtoll(st_txt, &end, 10);
		if (end == st_txt || *end || errno || f <= 1) {
			errf(err, len, "the factor of range '%s' must be a whole number greater "
				 "than 1 (e.g. *2)", item);
			return -EINVAL;
		}
		if (a.num <= 0) {
			errf(err, len, "range '%s' multiplies, so it must start above 0", item);
			return -EINVAL;
		}
		for (n = a.num; n <= b.num;) {
			pval_from_num(s, n, &step);
			rc = valvec_push(vv, &step, err, len);
			if (rc)
				return rc;
			if (n > INT64_MAX / f)
				break;
			n *= f;
		}
	}
	return 0;
}

static int pval_cmp(const void *x, const void *y)
{
	const struct pval *a = *(const struct pval *const *)x;
	const struct pval *b = *(const struct pval *const *)y;

	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return strcmp(a->text, b->text);
}

/* Two spellings of one value (1ms, 1000us) would make two cells with the
 * same id, so duplicates in an axis are an error. */
static int axis_check_dups(const struct valvec *vv, char *err, size_t len)
{
	const struct pval **sorted;
	int rc = 0;

	if (vv->n < 2)
		return 0;
	sorted = malloc(vv->n * sizeof(*sorted));
	if (!sorted) {
		errf(err, len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < vv->n; i++)
		sorted[i] = &vv->v[i];
	qsort(sorted, vv->n, sizeof(*sorted), pval_cmp);
	for (size_t i = 1; i < vv->n; i++) {
		if (!pval_cmp(&sorted[i - 1], &sorted[i])) {
			errf(err, len, "the value %s appears twice in the axis (note 1ms and "
				 "1000us are the same value); list each value once", sorted[i]->text);
			rc = -EINVAL;
			break;
		}
	}
	free(sorted);
	return rc;
}

/* The value text of one key: one value, or an axis of several. */
static int axis_parse(const struct pspec *s, const char *text, struct valvec *vv, char *err,
		      size_t len)
{
	char sep = axis_sep(s->type);
	const char *p = text;
	int rc = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		errf(err, len, "empty value; write %s = VALUE%s%s", spec_name(s),
			 s->def && *s->def ? ", e.g. " : "", s->def ? s->def : "");
		return -EINVAL;
	}
	for (;;) {
		const char *end = strchr(p, sep);
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char item[256];
		struct pval v;

		if (n >= sizeof(item)) {
			errf(err, len, "value is too long");
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		str_rtrim(item);
		{
			char *q = item;

			while (*q == ' ' || *q == '\t')
				q++;
			memmove(item, q, strlen(q) + 1);
		}
		if (!*item) {
			errf(err, len, "empty value in '%s'; remove the extra '%c'", text, sep);
			return -EINVAL;
		}
		if (type_is_numeric(s->type) && strstr(item, "..")) {
			rc = range_expand(s, item, vv, err, len);
		} else {
			rc = pval_parse(s, item, &v, err, len);
			if (!rc)
				rc = valvec_push(vv, &v, err, len);
		}
		if (rc)
			return rc;
		if (!end)
			break;
		p = end + 1;
	}
	return axis_check_dups(vv, err, len);
}

/* ---- reading the file with inih ---------------------------------------- */

struct raw {
	char *section, *key, *value;
	int line;
};

struct sect {
	char *name;
	int line;
};

struct pstate {
	const char *path;
	const char *text;
	size_t pos;
	int lineno;
	bool indented;		/* the line just read starts with a blank */
	struct raw *raws;
	size_t nraws, capraws;
	struct sect *sects;
	size_t nsects, capsects;
	char *err;
	size_t errlen;
	int rc;			/* the first error; parsing stops there */
};

static int pst_fail(struct pstate *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int pst_fail(struct pstate *st, const char *fmt, ...)
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

static void *grow(void *arr, size_t *cap, size_t n, size_t size)
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
	struct words ws = { 0 };
	char hint[96], allowed[512];
	const struct section_spec *ss;

	if (!strncmp(name, "inject.", 7)) {
		for (size_t i = 0; i < nr_injectors; i++)
			words_add(&ws, injectors[i]->name);
		did_you_mean(name + 7, &ws, "'", "'", hint, sizeof(hint));
		words_join(&ws, false, allowed, sizeof(allowed));
		return pst_fail(st, "%s:%d: [%s]: unknown injector '%s'%s allowed injectors: %s",
				st->path, st->lineno, name, name + 7, hint[0] ? hint : ";", allowed);
	}
	for (size_t i = 0; (ss = section_spec_at(i)); i++)
		words_add(&ws, ss->name);
	did_you_mean(name, &ws, "[", "]", hint, sizeof(hint));
	words_join(&ws, true, allowed, sizeof(allowed));
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
	st->sects = grow(st->sects, &st->capsects, st->nsects, sizeof(*st->sects));
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
	st->raws = grow(st->raws, &st->capraws, st->nraws, sizeof(*st->raws));
	r = &st->raws[st->nraws++];
	r->section = strdup(section);
	r->key = strdup(name);
	r->value = v;
	r->line = st->lineno;
	if (!r->section || !r->key)
		abort();
	return 1;
}

static void pstate_free(struct pstate *st)
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

/* ---- building the profile ---------------------------------------------- */

static struct pkey *profile_push_key(struct profile *p, size_t *cap)
{
	p->keys = grow(p->keys, cap, p->nkeys, sizeof(*p->keys));
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
		k = spec_key_find(ss, "launcher");
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
	const struct pspec *k = spec_key_find(ss, r->key);
	struct valvec vv = { 0 };
	struct pkey *pk;
	char why[768];

	if (!k) {
		struct words ws;
		char hint[96], allowed[512];

		words_from_keys(&ws, ss);
		did_you_mean(r->key, &ws, "'", "'", hint, sizeof(hint));
		words_join(&ws, false, allowed, sizeof(allowed));
		return pst_fail(st, "%s:%d: [%s] %s: unknown key%s allowed keys: %s", st->path,
				r->line, r->section, r->key, hint[0] ? hint : ";", allowed);
	}
	if (strlen(r->key) >= sizeof(pk->key))
		return pst_fail(st, "%s:%d: [%s] %s: key name is too long (at most %zu characters)",
				st->path, r->line, r->section, r->key, sizeof(pk->key) - 1);
	for (size_t i = first; i < p->nkeys; i++)
		if (!strcmp(p->keys[i].key, r->key))
			return pst_fail(st, "%s:%d: [%s] %s: set twice (first at line %d); keep one "
					"line (several values go on one line: %s = a, b, c)",
					st->path, r->line, r->section, r->key, p->keys[i].line,
					r->key);
	if (axis_parse(k, r->value, &vv, why, sizeof(why)) < 0) {
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
			    const char *section, const struct section_spec *ss)
{
	for (size_t i = 0; i < ss->nkeys; i++) {
		const struct pspec *k = &ss->keys[i];
		const char *def = k->def;
		char why[512], name[128];
		struct pkey *pk;
		bool set = false;
		int line;

		if (spec_is_wildcard(k))
			continue;
		for (size_t j = first; j < p->nkeys; j++)
			set |= !strcmp(p->keys[j].key, k->key);
		if (set)
			continue;
		if (!def) {
			line = sect_line(st, section);
			if (line)
				return pst_fail(st, "%s:%d: [%s] %s: required key is missing; add a line "
						"'%s = VALUE' under [%s] (%s)", st->path, line,
						section, k->key, k->key, section, k->help);
			return pst_fail(st, "%s: [%s] %s: required key is missing; add a [%s] "
					"section with a line '%s = VALUE' (%s)", st->path, section,
					k->key, section, k->key, k->help);
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
		if (pval_parse(k, def, pk->vals, why, sizeof(why)) < 0)
			return pst_fail(st, "%s: [%s] %s: the built-in default '%s' is invalid (a "
					"lockmap bug): %s", st->path, section, k->key, def, why);
	}
	return 0;
}

/* A grid too large to ever finish is a profile error, found before any cell. */
static int grid_size_check(struct pstate *st, const struct profile *p)
{
	const struct pkey *rep = profile_key(p, "run", "repeat");
	uint64_t cells = rep ? (uint64_t)rep->vals[0].num : 1;
	char axes[512] = "";
	size_t off = 0;

	for (size_t i = 0; i < p->nkeys; i++) {
		const struct pkey *k = &p->keys[i];
		int n;

		if (k->nvals < 2)
			continue;
		cells = cells > PROFILE_MAX_CELLS ? cells : cells * k->nvals;
		n = snprintf(axes + off, sizeof(axes) - off, "%s.%s %zu x ", k->section, k->key,
			     k->nvals);
		if (n > 0 && (size_t)n < sizeof(axes) - off)
			off += (size_t)n;
	}
	if (cells <= PROFILE_MAX_CELLS)
		return 0;
	return pst_fail(st, "%s: the grid has more than %d cells (%srepeat %" PRId64 "); use "
			"fewer axis values", st->path, PROFILE_MAX_CELLS, axes,
			rep ? rep->vals[0].num : 1);
}

static int profile_build(struct pstate *st, struct profile *p)
{
	static const char *const builtin[] = { "run", "host", "guests", "expect", "monitor" };
	size_t cap = 0;

	p->sections = calloc(st->nsects + ARRAY_SIZE(builtin), sizeof(*p->sections));
	if (!p->sections)
		abort();
	for (size_t i = 0; i < st->nsects; i++)
		p->sections[p->nsections++] = strdup(st->sects[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++)
		if (!sect_line(st, builtin[i]))
			p->sections[p->nsections++] = strdup(builtin[i]);
	for (size_t i = 0; i < p->nsections; i++)
		if (!p->sections[i])
			abort();

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
		if (section_defaults(st, p, &cap, first, name, ss) < 0)
			return st->rc;
	}
	return grid_size_check(st, p);
}

int profile_parse(const char *path, const char *text, struct profile **out, char *err,
		  size_t errlen)
{
	struct pstate st = { .path = path, .text = text, .err = err, .errlen = errlen };
	struct profile *p;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(path);
	p->text = strdup(text);
	if (!p->path || !p->text) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ini_parse_stream(pst_reader, &st, pst_handler, &st);
	if (st.rc) {
		rc = st.rc;
		goto fail;
	}
	if (rc > 0) {
		/* Show the line inih could not read. */
		const char *l = text;
		int n = 1;

		while (n < rc && (l = strchr(l, '\n')))
			l++, n++;
		errf(err, errlen, "%s:%d: cannot read '%.*s': expected 'key = value', "
			 "'[section]', or a comment starting with '#' or ';'", path, rc,
			 l ? (int)strcspn(l, "\r\n") : 0, l ? l : "");
		rc = -EINVAL;
		goto fail;
	}
	if (rc < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = profile_build(&st, p);
	if (rc)
		goto fail;
	pstate_free(&st);
	*out = p;
	return 0;
fail:
	pstate_free(&st);
	profile_free(p);
	return rc;
}

int profile_load(const char *path, struct profile **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	if (!f) {
		rc = -errno;
		errf(err, errlen, "%s: cannot open the profile: %s; check the path", path,
			 strerror(-rc));
		return rc;
	}
	buf = malloc(PROFILE_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, PROFILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		errf(err, errlen, "%s: cannot read the profile: %s", path, strerror(errno));
		goto out;
	}
	if (n > PROFILE_MAX_BYTES) {
		rc = -EFBIG;
		errf(err, errlen, "%s: the profile is larger than %d bytes; is it the right file?",
			 path, PROFILE_MAX_BYTES);
		goto out;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		rc = -EINVAL;
		errf(err, errlen, "%s: contains a NUL byte; a profile is a text file", path);
		goto out;
	}
	rc = profile_parse(path, buf, out, err, errlen);
out:
	free(buf);
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

bool profile_has_section(const struct profile *p, const char *section)
{
	for (size_t i = 0; i < p->nsections; i++)
		if (!strcmp(p->sections[i], section))
			return true;
	return false;
}
