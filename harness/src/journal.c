// SPDX-License-Identifier: GPL-2.0
/* journal.jsonl: one JSON object a line, append-only; resume and reports read it.
 * Record types written from several places have their builder here. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "classify.h"
#include "grid.h"
#include "journal.h"
#include "lockmap.h"
#include "outcome.h"

struct journal {
	int fd;
};

int journal_open(const char *path, struct journal **out)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		int e = -errno;

		free(j);
		return e;
	}
	*out = j;
	return 0;
}

int journal_append(struct journal *j, json_t *rec, bool sync)
{
	char *s;
	size_t len;
	ssize_t n;
	int rc = 0;

	if (!j || !rec) {
		json_decref(rec);
		return -EINVAL;
	}
	json_object_set_new(rec, "ts", json_real((double)wall_ns() / NSEC_PER_SEC));
	/* 15 digits: 4.59 stays 4.59, and wall-clock stamps keep their ms. */
	s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(rec);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	s[len++] = '\n';	/* json_dumps left room: it NUL-terminated */
	/* One write per record: with O_APPEND a record is never interleaved. */
	n = write(j->fd, s, len);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	free(s);
	if (!rc && sync && fsync(j->fd) < 0)
		rc = -errno;
	return rc;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	(void)fsync(j->fd);
	close(j->fd);
	free(j);
}

int journal_read(const char *path, int (*cb)(json_t *rec, void *arg), void *arg)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *rec;

		/* A crash can leave a torn last line: skip what does not parse. */
		rec = json_loadb(line, (size_t)n, 0, &jerr);
		if (!rec || !json_is_object(rec)) {
			json_decref(rec);
			continue;
		}
		rc = cb(rec, arg);
		json_decref(rec);
		if (rc < 0)
			break;
	}
	free(line);
	fclose(f);
	return rc < 0 ? rc : 0;
}

static json_t *journal_or_null(json_t *v)
{
	return v ? v : json_null();
}

json_t *journal_cell_end(const struct cell *c, const struct cell_result *res,
			 const struct journal_cell_end_info *x)
{
	json_t *rec = json_object(), *ev = json_object();

	for (int k = 0; k < EV__COUNT; k++)
		json_object_set_new(ev, event_kind_name((enum event_kind)k),
				    json_integer(res->nevents[k]));
	json_object_set_new(rec, "type", json_string("cell_end"));
	json_object_set_new(rec, "cell", json_string(c->id));
	json_object_set_new(rec, "index", json_integer((json_int_t)c->index));
	json_object_set_new(rec, "rep", json_integer(c->rep));
	json_object_set_new(rec, "outcome", json_string(outcome_name(res->outcome)));
	json_object_set_new(rec, "error", res->error[0] ? json_string(res->error) : json_null());
	json_object_set_new(rec, "error_cause", !res->error[0] ? json_null() :
			    json_string(res->lockmap_error ? "lockmap" : "cell"));
	json_object_set_new(rec, "interrupted", json_boolean(res->interrupted));
	json_object_set_new(rec, "seconds", json_integer(res->seconds));
	json_object_set_new(rec, "events", ev);
	json_object_set_new(rec, "injectors", journal_or_null(x->injectors));
	json_object_set_new(rec, "summary", cell_result_to_json(res));
	json_object_set_new(rec, "metrics", journal_or_null(x->metrics));
	json_object_set_new(rec, "source", json_string(x->source));
	json_object_set_new(rec, "boot", x->boot > 0 ? json_integer(x->boot) : json_null());
	json_object_set_new(rec, "console_events", journal_or_null(x->console_events));
	json_object_set_new(rec, "console_tail", journal_or_null(x->console_tail));
	json_object_set_new(rec, "hang_cpus", journal_or_null(x->hang_cpus));
	return rec;
}
