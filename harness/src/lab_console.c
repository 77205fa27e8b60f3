// SPDX-License-Identifier: GPL-2.0
/* The lab host's serial console: QEMU appends it to a file; lockmap reads it
 * back as it grows, reassembles lines, keeps the last ones for error texts,
 * copies them to the running cell's console.log, picks out init's own
 * messages and classifies the kernel's. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab_int.h"
#include "lockmap.h"
#include "text.h"

/* A report keeps printing for a moment after its first line: it is flushed
 * once the console has been quiet this long. */
#define TRACE_QUIET_NS (500 * NSEC_PER_MSEC)

/* Remember a console line for error texts. */
static void lab_console_tail_add(struct lab *L, const char *line)
{
	if (!line[0])
		return;
	if (L->ntail == LAB_TAIL_LINES) {
		memmove(L->tail[0], L->tail[1], sizeof(L->tail[0]) * (LAB_TAIL_LINES - 1));
		L->ntail--;
	}
	snprintf(L->tail[L->ntail++], sizeof(L->tail[0]), "%s", line);
}

/* The last n console lines joined by " | ". */
void lab_console_tail_join(const struct lab *L, int n, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = L->ntail > n ? L->ntail - n : 0; i < L->ntail; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", used ? " | " : "", L->tail[i]);
	}
}

/* The console tail as a JSON array, for the records the outer lockmap writes. */
json_t *lab_console_tail_json(const struct lab *L)
{
	json_t *a = json_array();

	for (int i = 0; i < L->ntail; i++)
		json_array_append_new(a, text_json(L->tail[i]));
	return a;
}

/* A complete kernel event on the console: kept for the running cell, in case
 * the lab host dies in it (the inner kmsg monitor journals it otherwise). */
void lab_console_on_event(const struct event *ev, void *arg)
{
	struct lab_boot *b = arg;

	if (ev->kind == EV_PANIC && !b->panic_at) {
		b->panic_at = now_ns();
		snprintf(b->panic_how, sizeof(b->panic_how), "console: %.250s", ev->line);
		b->panic_outcome = event_outcome(ev);
	}
	if (b->cur < 0) {
		lm_debug("lab: console event outside a cell: %s: %s",
			 event_kind_name(ev->kind), ev->line);
		return;
	}
	json_array_append_new(b->cur_events, event_to_json(ev));
	b->cur_nevents[ev->kind]++;
	b->cur_worst = outcome_worst(b->cur_worst, event_outcome(ev));
}

/* One complete console line: init's own messages tell how the boot goes; the
 * kernel's go to the classifier. */
static void lab_console_line(struct lab *L, struct lab_boot *b, char *line)
{
	const char *p;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		line[--n] = '\0';
	b->last_con = now_ns();
	lab_console_tail_add(L, line);
	if (b->cur_con)
		fprintf(b->cur_con, "%s\n", line);
	lm_debug("lab console: %s", line);
	if ((p = strstr(line, "lockmap-lab: inner exit "))) {
		b->inner_done = true;
		b->inner_at = now_ns();
		b->inner_rc = atoi(p + strlen("lockmap-lab: inner exit "));
		return;
	}
	if ((p = strstr(line, "lockmap-lab: fatal: "))) {
		snprintf(b->fatal, sizeof(b->fatal), "%s", p + strlen("lockmap-lab: "));
		return;
	}
	if (strstr(line, "lockmap-lab: "))
		return;
	classifier_feed(b->cl, line);
}

/* Whatever QEMU appended to the console file since the last call. */
void lab_console_read(struct lab *L, struct lab_boot *b)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(L->con_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || L->con_len == sizeof(L->con_line) - 1) {
				L->con_line[L->con_len] = '\0';
				lab_console_line(L, b, L->con_line);
				L->con_len = 0;
				if (buf[i] == '\n')
					continue;
			}
			if (buf[i])
				L->con_line[L->con_len++] = buf[i];
		}
	}
	if (classifier_pending_age(b->cl, now_ns()) >= TRACE_QUIET_NS)
		classifier_flush(b->cl);
}
