// SPDX-License-Identifier: GPL-2.0
/* The values of one key: a single value, a comma list (a '|' list for keys
 * whose values hold commas), or ranges a..b+step and a..b*factor; each value
 * in range, none twice. Several values make the key an axis of the grid. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lockmap.h"
#include "profile_int.h"

static int valvec_push(struct pvalvec *vv, const struct pval *v, char *err, size_t len)
{
	if (vv->n >= PROFILE_MAX_AXIS_VALUES) {
		profile_errf(err, len, "more than %d values in one axis; use a larger step or fewer values",
			 PROFILE_MAX_AXIS_VALUES);
		return -EINVAL;
	}
	if (vv->n == vv->cap) {
		size_t cap = vv->cap ? vv->cap * 2 : 4;
		struct pval *nv = realloc(vv->v, cap * sizeof(*nv));

		if (!nv) {
			profile_errf(err, len, "out of memory");
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
	return t == PT_LIST || t == PT_FAILON || t == PT_CPULIST || t == PT_STRING ? '|' : ',';
}

/* "a..b+step" or "a..b*factor": both ends carry units and must be in range. */
static int range_expand(const struct pspec *s, const char *item, struct pvalvec *vv, char *err,
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
		profile_errf(err, len, "range '%s' has no step; write a..b+STEP (e.g. 1..8+1) or "
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
		profile_errf(err, len, "incomplete range '%s'; write a..b+STEP or a..b*FACTOR", item);
		return -EINVAL;
	}
	rc = pval_parse(s, a_txt, &a, why, sizeof(why));
	if (!rc)
		rc = pval_parse(s, b_txt, &b, why, sizeof(why));
	if (rc) {
		profile_errf(err, len, "in range '%s': %s", item, why);
		return rc;
	}
	if (a.num > b.num) {
		profile_errf(err, len, "inverted range '%s': the start %s is larger than the end %s; "
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
			profile_errf(err, len, "step of range '%s': %s", item, why);
			return rc;
		}
		if (step.num <= 0) {
			profile_errf(err, len, "the step of range '%s' must be greater than 0", item);
			return -EINVAL;
		}
		count = (int64_t)(((uint64_t)b.num - (uint64_t)a.num) / (uint64_t)step.num) + 1;
		if (count > PROFILE_MAX_AXIS_VALUES - (int64_t)vv->n) {
			profile_errf(err, len, "range '%s' gives %" PRId64 " values; an axis may have at "
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
			profile_errf(err, len, "the factor of range '%s' must be a whole number greater "
				 "than 1 (e.g. *2)", item);
			return -EINVAL;
		}
		if (a.num <= 0) {
			profile_errf(err, len, "range '%s' multiplies, so it must start above 0", item);
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
static int axis_check_dups(const struct pvalvec *vv, char *err, size_t len)
{
	const struct pval **sorted;
	int rc = 0;

	if (vv->n < 2)
		return 0;
	sorted = malloc(vv->n * sizeof(*sorted));
	if (!sorted) {
		profile_errf(err, len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < vv->n; i++)
		sorted[i] = &vv->v[i];
	qsort(sorted, vv->n, sizeof(*sorted), pval_cmp);
	for (size_t i = 1; i < vv->n; i++) {
		if (!pval_cmp(&sorted[i - 1], &sorted[i])) {
			profile_errf(err, len, "the value %s appears twice in the axis (note 1ms and "
				 "1000us are the same value); list each value once", sorted[i]->text);
			rc = -EINVAL;
			break;
		}
	}
	free(sorted);
	return rc;
}

/* The value text of one key: one value, or an axis of several. */
int paxis_parse(const struct pspec *s, const char *text, struct pvalvec *vv, char *err,
		      size_t len)
{
	char sep = axis_sep(s->type);
	const char *p = text;
	int rc = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		profile_errf(err, len, "empty value; write %s = VALUE%s%s", pspec_name(s),
			 s->def && *s->def ? ", e.g. " : "", s->def ? s->def : "");
		return -EINVAL;
	}
	for (;;) {
		const char *end = strchr(p, sep);
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char item[256];
		struct pval v;

		if (n >= sizeof(item)) {
			profile_errf(err, len, "value is too long");
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
			profile_errf(err, len, "empty value in '%s'; remove the extra '%c'", text, sep);
			return -EINVAL;
		}
		if (ptype_is_numeric(s->type) && strstr(item, "..")) {
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

