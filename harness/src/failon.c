// SPDX-License-Identifier: GPL-2.0
/* [expect] fail_on: outcomes and metric thresholds (failon.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "failon.h"
#include "lockmap.h"
#include "outcome.h"
#include "profile_int.h"

/* How a metric's number is written: a count (no unit), a duration (ns, us,
 * ms, s; a bare 0), or guest.lost_ticks (a percent of the expected ticks of
 * the worst guest, or a bare count of ticks lost over all guests). */
enum fo_unit { FU_COUNT, FU_DURATION, FU_LOSS };

enum fo_metric {
	FM_MAX_CHAIN,
	FM_MAX_LAG,
	FM_MAX_IRQ,
	FM_CALLS_PER_S,
	FM_LOST_TICKS,		/* a count; FM_LOST_PCT when written with % */
	FM_MAXGAP,
	FM_LATE,
	FM_EVENTS,		/* events.<kind> */
	FM_LOST_PCT,
};

static const struct fo_metric_def {
	const char *name;
	enum fo_unit unit;
} metrics[] = {
	[FM_MAX_CHAIN] = { "probe.max_chain", FU_COUNT },
	[FM_MAX_LAG] = { "probe.max_lag", FU_DURATION },
	[FM_MAX_IRQ] = { "probe.max_irq", FU_DURATION },
	[FM_CALLS_PER_S] = { "probe.calls_per_s", FU_COUNT },
	[FM_LOST_TICKS] = { "guest.lost_ticks", FU_LOSS },
	[FM_MAXGAP] = { "guest.maxgap", FU_DURATION },
	[FM_LATE] = { "guest.late", FU_COUNT },
	[FM_EVENTS] = { "events.", FU_COUNT },
};

static const char *const op_names[] = { [FO_GT] = ">", [FO_GE] = ">=", [FO_LT] = "<",
					[FO_LE] = "<=", [FO_EQ] = "==" };

/* Every metric a threshold may name has its row (FM_LOST_PCT is a form of
 * guest.lost_ticks), every comparison its text. */
_Static_assert(ARRAY_SIZE(metrics) == FM_LOST_PCT, "a metric without its row");
_Static_assert(ARRAY_SIZE(op_names) == FO_EQ + 1, "a comparison without its text");

const char *failon_metrics_help(void)
{
	return "probe.max_chain, probe.calls_per_s, guest.late, events.KIND (counts, no unit); "
	       "probe.max_lag, probe.max_irq, guest.maxgap (durations: ns, us, ms, s); guest.lost_ticks "
	       "(N% of the worst guest's expected ticks, or N ticks over all guests)";
}

static void trim(char **s)
{
	char *e;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	e = *s + strlen(*s);
	while (e > *s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
}

/* The metric named name; for events.KIND the kind in *event. -1 when none. */
static int metric_find(const char *name, int *event)
{
	*event = -1;
	if (!strncmp(name, "events.", 7)) {
		for (int k = 0; k < EV__COUNT; k++)
			if (!strcmp(name + 7, event_kind_name((enum event_kind)k))) {
				*event = k;
				return FM_EVENTS;
			}
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(metrics); i++)
		if (i != FM_EVENTS && !strcmp(name, metrics[i].name))
			return (int)i;
	return -1;
}

static int op_parse(char **p, enum failon_op *op)
{
	char *s = *p;

	if (s[0] == '>' || s[0] == '<') {
		bool eq = s[1] == '=';

		*op = s[0] == '>' ? (eq ? FO_GE : FO_GT) : (eq ? FO_LE : FO_LT);
		*p = s + 1 + eq;
		return 0;
	}
	if (s[0] == '=' && s[1] == '=') {
		*op = FO_EQ;
		*p = s + 2;
		return 0;
	}
	return -EINVAL;
}

/* The number and unit of a threshold, in the metric's base unit. */
static int value_parse(const char *item, const char *t, int *metric, double *out, char *why,
		       size_t len)
{
	static const struct { const char *u; double us; } dur[] = {
		{ "ns", 0.001 }, { "us", 1 }, { "ms", 1000 }, { "s", 1e6 },
	};
	enum fo_unit unit = metrics[*metric].unit;
	char *end;
	double v = strtod(t, &end);

	if (end == t || !isfinite(v) || v < 0 || *t == '+' || *t == '-') {
		snprintf(why, len, "'%s': '%s' is not a number of 0 or more (no commas in it)",
			 item, t);
		return -EINVAL;
	}
	while (*end == ' ')
		end++;
	if (unit == FU_DURATION) {
		for (size_t i = 0; i < ARRAY_SIZE(dur); i++)
			if (!strcmp(end, dur[i].u)) {
				*out = v * dur[i].us;
				return 0;
			}
		if (!*end && v == 0) {
			*out = 0;
			return 0;
		}
		snprintf(why, len, "'%s': %s is a duration; its units are ns, us, ms, s (e.g. 500us)",
			 item, metrics[*metric].name);
		return -EINVAL;
	}
	if (unit == FU_LOSS && !strcmp(end, "%")) {
		*metric = FM_LOST_PCT;
		*out = v;
		return 0;
	}
	if (*end) {
		snprintf(why, len, "'%s': '%s' is no unit of %s; %s", item, end,
			 metrics[*metric].name,
			 unit == FU_LOSS ? "write N% (of the expected ticks) or N (ticks)"
					 : "it is a count: write a number alone");
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* One threshold item, "METRIC OP NUMBER[UNIT]". */
static int cond_parse(const char *item, struct failon_cond *c, char *why, size_t len)
{
	char buf[128], *name = buf, *opp, *val;

	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "%s", item);
	opp = strpbrk(buf, "<>=");
	if (!opp) {
		snprintf(why, len, "'%s' is not an outcome or a threshold METRIC OP VALUE", item);
		return -EINVAL;
	}
	val = opp;
	if (op_parse(&val, &c->op) < 0 || strpbrk(val, "<>=")) {
		snprintf(why, len, "'%s': the comparison must be one of >, >=, <, <=, ==", item);
		return -EINVAL;
	}
	*opp = '\0';
	trim(&name);
	trim(&val);
	c->metric = metric_find(name, &c->event);
	if (c->metric < 0 && !strncmp(name, "events.", 7)) {
		char kinds[256];
		size_t off = 0;

		for (int k = 0; k < EV__COUNT && off < sizeof(kinds); k++)
			off += (size_t)snprintf(kinds + off, sizeof(kinds) - off, "%s%s",
						k ? ", " : "", event_kind_name((enum event_kind)k));
		snprintf(why, len, "'%s': unknown event kind '%s'; allowed: events. and one of %s",
			 item, name + 7, kinds);
		return -EINVAL;
	}
	if (c->metric < 0) {
		snprintf(why, len, "'%s': unknown metric '%s'; allowed: %s", item, name,
			 failon_metrics_help());
		return -EINVAL;
	}
	if (value_parse(item, val, &c->metric, &c->value, why, len) < 0)
		return -EINVAL;
	snprintf(c->text, sizeof(c->text), "%s %s %s", name, op_names[c->op], val);
	return 0;
}

int failon_parse(const char *text, const char *choices, struct failon *f, char *why,
		 size_t len)
{
	char copy[512], names[160], hint[96], *save = NULL, *w;
	const char *t = text;
	struct pwords ws;

	memset(f, 0, sizeof(*f));
	snprintf(copy, sizeof(copy), "%s", text);
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		enum outcome o;
		struct failon_cond c;

		trim(&w);
		if (!*w)
			break;
		if (outcome_parse(w, &o) == 0) {
			f->outcomes |= 1u << o;
			continue;
		}
		if (!strpbrk(w, "<>="))
			goto bad_outcome;
		if (cond_parse(w, &c, why, len) < 0)
			return -EINVAL;
		if (f->nconds == FAILON_MAX_CONDS) {
			snprintf(why, len, "more than %d thresholds", FAILON_MAX_CONDS);
			return -EINVAL;
		}
		f->conds[f->nconds++] = c;
		continue;
bad_outcome:
		pwords_from_choices(&ws, choices ? choices : "");
		pwords_suggest(w, &ws, "'", "'", hint, sizeof(hint));
		pwords_join(&ws, false, names, sizeof(names));
		snprintf(why, len, "'%s' is not a valid item%s allowed (comma-separated): the outcomes "
			 "%s, and thresholds METRIC OP VALUE (OP one of >, >=, <, <=, ==; METRIC one of "
			 "%s)", w, hint[0] ? hint : ";", names, failon_metrics_help());
		return -EINVAL;
	}
	/* strtok_r skips empty fields, so a stray comma is found here. */
	while (*t == ' ')
		t++;
	if (!*t || t[0] == ',' || t[strlen(t) - 1] == ',' || strstr(t, ",,") || w) {
		snprintf(why, len, "empty item in '%s'; remove the extra ','", text);
		return -EINVAL;
	}
	return 0;
}

int failon_pval(const struct pspec *s, const char *text, struct pval *v, char *why, size_t len)
{
	struct failon f;
	size_t off = 0;

	if (failon_parse(text, s->choices, &f, why, len) < 0)
		return -EINVAL;
	for (int o = 0; o < OUT__COUNT; o++)
		if (f.outcomes & (1u << o))
			off += (size_t)snprintf(v->text + off, sizeof(v->text) - off, "%s%s",
						off ? "," : "", outcome_name((enum outcome)o));
	for (size_t i = 0; i < f.nconds && off < sizeof(v->text); i++)
		off += (size_t)snprintf(v->text + off, sizeof(v->text) - off, "%s%s",
					off ? "," : "", f.conds[i].text);
	if (off >= sizeof(v->text)) {
		snprintf(why, len, "'%s' is too long (at most %zu characters)", text,
			 sizeof(v->text) - 1);
		return -EINVAL;
	}
	v->num = f.outcomes;
	return 0;
}

/* The cell's figure for c's metric; false when the cell did not measure it. */
static bool metric_value(const struct failon_cond *c, const struct cell_result *r, double *v)
{
	bool guests = r->expected > 0;

	switch ((enum fo_metric)c->metric) {
	case FM_MAX_CHAIN: *v = (double)r->probe.max_chain; return r->probe.ran;
	case FM_MAX_LAG: *v = (double)r->probe.max_lag_us; return r->probe.ran;
	case FM_MAX_IRQ: *v = (double)r->probe.max_irq_us; return r->probe.irq_known;
	case FM_CALLS_PER_S: *v = r->probe.calls_per_s; return r->probe.ran;
	case FM_LOST_TICKS: *v = (double)r->lost; return guests;
	case FM_LOST_PCT: *v = (double)r->worst_loss_bp / 100.0; return guests;
	case FM_MAXGAP: *v = (double)r->maxgap_us; return guests;
	case FM_LATE: *v = (double)r->late; return guests;
	case FM_EVENTS: *v = r->nevents[c->event]; return true;
	}
	return false;
}

static bool op_holds(enum failon_op op, double a, double b)
{
	switch (op) {
	case FO_GT: return a > b;
	case FO_GE: return a >= b;
	case FO_LT: return a < b;
	case FO_LE: return a <= b;
	case FO_EQ: return a == b;
	}
	return false;
}

bool failon_metric_hit(const struct failon *f, const struct cell_result *r, char *why,
		       size_t len)
{
	for (size_t i = 0; i < f->nconds; i++) {
		const struct failon_cond *c = &f->conds[i];
		const char *unit = c->metric == FM_LOST_PCT ? "%" :
				   metrics[c->metric].unit == FU_DURATION ? "us" : "";
		double v;

		if (!metric_value(c, r, &v) || !op_holds(c->op, v, c->value))
			continue;
		/* "probe.max_chain 124769 (> 1000)": the figure, then the threshold. */
		snprintf(why, len, "%.*s %.*f%s (%s)", (int)strcspn(c->text, " "), c->text,
			 v == floor(v) ? 0 : 2, v, unit, c->text + strcspn(c->text, " ") + 1);
		return true;
	}
	return false;
}

bool failon_hit(const struct failon *f, const struct cell_result *r, char *why, size_t len)
{
	if (f->outcomes & (1u << r->outcome)) {
		snprintf(why, len, "outcome %s", outcome_name(r->outcome));
		return true;
	}
	return failon_metric_hit(f, r, why, len);
}
