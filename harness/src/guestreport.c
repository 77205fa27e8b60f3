// SPDX-License-Identifier: GPL-2.0
/* Parse tickguest's banner and report lines (guests/tickguest/README.md) and
 * turn a stream of reports into one guest's metrics over a window. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guestreport.h"
#include "lockmap.h"

/* One "key=value" word of a line. */
struct kv {
	const char *key, *val;
	size_t klen, vlen;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The end of the line's content: a trailing "\r" or "\n" (debugcon logs,
 * serial consoles) and blanks are not part of it. */
static const char *line_end(const char *line)
{
	const char *e = line + strlen(line);

	while (e > line && (e[-1] == '\r' || e[-1] == '\n' || is_blank(e[-1])))
		e--;
	return e;
}

/* Match the line's first word against word; return what follows it, or NULL. */
static const char *line_word(const char *line, const char *end, const char *word)
{
	size_t n = strlen(word);

	while (line < end && is_blank(*line))
		line++;
	if ((size_t)(end - line) < n || memcmp(line, word, n))
		return NULL;
	line += n;
	if (line < end && !is_blank(*line))
		return NULL;
	return line;
}

/* Next key=value word from *p. 1 when one was read, 0 at the end, -EINVAL
 * for a word that is not key=value with a non-empty key. */
static int kv_next(const char **p, const char *end, struct kv *kv)
{
	const char *s = *p, *w, *eq;

	while (s < end && is_blank(*s))
		s++;
	if (s == end)
		return 0;
	w = s;
	while (s < end && !is_blank(*s))
		s++;
	*p = s;
	eq = memchr(w, '=', (size_t)(s - w));
	if (!eq || eq == w)
		return -EINVAL;
	kv->key = w;
	kv->klen = (size_t)(eq - w);
	kv->val = eq + 1;
	kv->vlen = (size_t)(s - eq - 1);
	return 1;
}

static bool kv_is(const struct kv *kv, const char *key)
{
	return strlen(key) == kv->klen && !memcmp(kv->key, key, kv->klen);
}

/* A decimal counter as the guest prints it: digits only, no sign, no
 * overflow. strtoull would accept " 12", "-1" and "0x10". */
static int parse_u64(const struct kv *kv, uint64_t *out)
{
	uint64_t v = 0;

	if (!kv->vlen)
		return -EINVAL;
	for (size_t i = 0; i < kv->vlen; i++) {
		unsigned d = (unsigned char)kv->val[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A word value into a fixed buffer: non-empty and fitting, or -EINVAL. */
static int parse_word(const struct kv *kv, char *buf, size_t len)
{
	if (!kv->vlen || kv->vlen >= len)
		return -EINVAL;
	memcpy(buf, kv->val, kv->vlen);
	buf[kv->vlen] = '\0';
	return 0;
}

int tick_report_parse(const char *line, struct tick_report *r)
{
	static const char *const keys[] = {"seq", "ticks", "expected", "maxgap_us", "late"};
	/* Filled in a copy, so a malformed line leaves *r as it was. */
	struct tick_report out = {0};
	uint64_t *vals[] = {&out.seq, &out.ticks, &out.expected, &out.maxgap_us, &out.late};
	_Static_assert(ARRAY_SIZE(keys) == ARRAY_SIZE(vals), "keys and vals differ");
	const char *end = line_end(line), *p = line_word(line, end, "tick");
	unsigned seen = 0;
	struct kv kv;
	int ret;

	if (!p)
		return -EINVAL;
	while ((ret = kv_next(&p, end, &kv)) > 0) {
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if (!kv_is(&kv, keys[i]))
				continue;
			/* A key twice means a garbled line, not a newer format. */
			if ((seen & (1u << i)) || parse_u64(&kv, vals[i]))
				return -EINVAL;
			seen |= 1u << i;
		}
	}
	if (ret < 0 || seen != (1u << ARRAY_SIZE(keys)) - 1)
		return -EINVAL;
	*r = out;
	return 0;
}

/* The keys every banner has, then those of Linux guests only. */
enum banner_key {
	B_PERIOD, B_TIMER, B_IDLE, B_REPORT, B_TSC, B_CALIB, B__REQUIRED,
	B_CLOCKEVENT = B__REQUIRED, B_TICK_MODE, B_HZ, B__COUNT
};

/* The first word of a banner: which guest printed it. */
static const char *const banner_guests[] = { "tickguest", "linuxguest" };

int tick_banner_parse(const char *line, struct tick_banner *b)
{
	static const char *const keys[] = {
	    [B_PERIOD] = "period_us", [B_TIMER] = "timer", [B_IDLE] = "idle",
	    [B_REPORT] = "report_ms", [B_TSC] = "tsc_khz", [B_CALIB] = "calib",
	    [B_CLOCKEVENT] = "clockevent", [B_TICK_MODE] = "tick_mode", [B_HZ] = "hz",
	};
	_Static_assert(ARRAY_SIZE(keys) == B__COUNT, "banner keys incomplete");
	const char *end = line_end(line), *p = NULL;
	struct tick_banner out;
	unsigned seen = 0;
	struct kv kv;
	int ret;

	memset(&out, 0, sizeof(out));
	for (size_t g = 0; !p && g < ARRAY_SIZE(banner_guests); g++)
		if ((p = line_word(line, end, banner_guests[g])))
			snprintf(out.guest, sizeof(out.guest), "%s", banner_guests[g]);
	if (!p)
		return -EINVAL;
	while ((ret = kv_next(&p, end, &kv)) > 0) {
		int i, err;

		for (i = 0; i < B__COUNT && !kv_is(&kv, keys[i]); i++)
			;
		switch (i) {
		case B_PERIOD:
			err = parse_u64(&kv, &out.period_us);
			break;
		case B_TIMER:
			err = parse_word(&kv, out.timer, sizeof(out.timer));
			break;
		case B_IDLE:
			err = parse_word(&kv, out.idle, sizeof(out.idle));
			break;
		case B_REPORT:
			err = parse_u64(&kv, &out.report_ms);
			break;
		case B_TSC:
			err = parse_u64(&kv, &out.tsc_khz);
			break;
		case B_CALIB:
			err = parse_word(&kv, out.calib, sizeof(out.calib));
			break;
		case B_CLOCKEVENT:
			err = parse_word(&kv, out.clockevent, sizeof(out.clockevent));
			break;
		case B_TICK_MODE:
			err = parse_word(&kv, out.tick_mode, sizeof(out.tick_mode));
			break;
		case B_HZ:
			err = parse_u64(&kv, &out.hz);
			break;
		default:
			continue; /* a key a newer guest added */
		}
		if (err || (seen & (1u << i)))
			return -EINVAL;
		seen |= 1u << i;
	}
	if (ret < 0 || (seen & ((1u << B__REQUIRED) - 1)) != (1u << B__REQUIRED) - 1)
		return -EINVAL;
	*b = out;
	return 0;
}

void guest_metrics_feed(struct guest_metrics *m, const char *line, int64_t now_ns)
{
	const char *end = line_end(line);
	struct tick_report r;
	bool report = !tick_report_parse(line, &r);

	if (report) {
		m->latest = r;
		m->have_latest = true;
	}
	if (m->window_closed)
		return;
	if (report) {
		if (!m->window_open || !m->have_base) {
			/* The latest report before the window is its base; without
			 * one, the first report inside it. */
			m->base = r;
			m->base_ns = now_ns;
			m->have_base = true;
		}
		if (!m->window_open)
			return;
		m->last = r;
		m->last_ns = now_ns;
		m->have_last = true;
		m->nreports++;
		if (r.maxgap_us > m->maxgap_us)
			m->maxgap_us = r.maxgap_us;
		return;
	}
	if (!m->banner_seen && !tick_banner_parse(line, &m->banner)) {
		m->banner_seen = true;
		m->banner_ns = now_ns;
		return;
	}
	/* Keep the first error: later ones are usually its consequences. */
	if (!m->error[0] && line_word(line, end, "error"))
		snprintf(m->error, sizeof(m->error), "%.*s", (int)(end - line), line);
}

void guest_metrics_open(struct guest_metrics *m, int64_t now_ns, int64_t period_ns,
			int64_t report_ns)
{
	if (m->window_open || m->window_closed)
		return;
	m->window_open = true;
	m->open_ns = now_ns;
	m->period_ns = period_ns;
	m->report_ns = report_ns;
	m->nreports = 0;
	m->maxgap_us = 0;
	m->have_last = false;
}

void guest_metrics_close(struct guest_metrics *m, int64_t now_ns)
{
	if (m->window_open)
		m->close_ns = now_ns;
	m->window_open = false;
	m->window_closed = true;
}

int64_t guest_metrics_silent_ns(const struct guest_metrics *m)
{
	int64_t grace = GUEST_SILENCE_REPORTS * m->report_ns, head = 0, tail, silent;
	int64_t window = m->close_ns - m->open_ns;

	/* close_ns is set only when an open window was closed. */
	if (!m->close_ns)
		return 0;
	/* No report, or only the one that is also the base: the counters span no
	 * time of the window, so nothing of it was measured. */
	if (!m->nreports || (m->nreports == 1 && m->base.seq == m->last.seq))
		return window;
	/* A base read before the window was opened covers its start. */
	if (m->base_ns > m->open_ns)
		head = m->base_ns - m->open_ns;
	/* Reports read as the window is being closed end after it. */
	tail = m->close_ns - m->last_ns;
	silent = (head > grace ? head : 0) + (tail > grace ? tail : 0);
	return silent < window ? silent : window;
}

/* The share of the span the counters cover (base to last report, as read)
 * that lies inside the closed window, as num / den. It is all of it when the
 * span sticks out by less than the silence grace, as with reports that come
 * when due; a guest the host starves reports so rarely that its base can be
 * far older than the window (and the last report can be read well after it,
 * while the window is being closed): then only the part inside counts,
 * taking the guest's ticks as spread evenly over the span. */
static void window_share(const struct guest_metrics *m, int64_t *num, int64_t *den)
{
	int64_t grace = GUEST_SILENCE_REPORTS * m->report_ns;
	int64_t from = m->base_ns, to = m->last_ns;

	*num = *den = 1;
	if (!m->close_ns || to <= from ||
	    (from >= m->open_ns - grace && to <= m->close_ns + grace))
		return;
	*den = to - from;
	if (from < m->open_ns)
		from = m->open_ns;
	if (to > m->close_ns)
		to = m->close_ns;
	*num = to > from ? to - from : 0;
}

/* last - base for one counter, inside the window (window_share); 0 when the
 * window holds no report after the base, or when the counter went backwards
 * (the guest restarted). */
static uint64_t window_delta(const struct guest_metrics *m, uint64_t base, uint64_t last)
{
	int64_t num, den;

	if (!m->have_base || !m->have_last || last < base)
		return 0;
	window_share(m, &num, &den);
	return (uint64_t)((unsigned __int128)(last - base) * (uint64_t)num / (uint64_t)den);
}

uint64_t guest_metrics_ticks(const struct guest_metrics *m)
{
	return window_delta(m, m->base.ticks, m->last.ticks);
}

uint64_t guest_metrics_expected(const struct guest_metrics *m)
{
	uint64_t e = window_delta(m, m->base.expected, m->last.expected);

	if (m->period_ns > 0)
		e += (uint64_t)(guest_metrics_silent_ns(m) / m->period_ns);
	return e;
}

uint64_t guest_metrics_lost(const struct guest_metrics *m)
{
	uint64_t t = guest_metrics_ticks(m), e = guest_metrics_expected(m);

	return e > t ? e - t : 0;
}

/* Signed: a guest that got more ticks than expected (catch-up bursts, a
 * calibration error) shows as a negative loss rather than a clamped 0. */
int64_t guest_metrics_loss_bp(const struct guest_metrics *m)
{
	uint64_t t = guest_metrics_ticks(m), e = guest_metrics_expected(m);

	if (!e)
		return 0;
	return ((int64_t)e - (int64_t)t) * 10000 / (int64_t)e;
}

double guest_metrics_tick_rate(const struct guest_metrics *m)
{
	int64_t num, den, span;

	if (!m->have_base || !m->have_last || m->last_ns <= m->base_ns)
		return 0;
	window_share(m, &num, &den);
	span = num == den ? m->last_ns - m->base_ns : num;
	return span > 0 ? (double)guest_metrics_ticks(m) * NSEC_PER_SEC / (double)span : 0;
}

uint64_t guest_metrics_late(const struct guest_metrics *m)
{
	return window_delta(m, m->base.late, m->last.late);
}
