// SPDX-License-Identifier: GPL-2.0
/* journal.jsonl: one JSON object a line, append-only; resume and reports read it.
 * Record types written from several places have their builder here. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cell.h"
#include "classify.h"
#include "grid.h"
#include "journal.h"
#include "lockmap.h"
#include "outcome.h"
#include "text.h"

struct journal {
	int fd;
};

/* How much of a torn last line its journal_repair record quotes. */
#define JOURNAL_FRAGMENT_QUOTE 256

/* Offset just past the last '\n' in the first size bytes of fd; 0 if none. */
static int journal_line_end(int fd, off_t size, off_t *end)
{
	char buf[4096];
	off_t pos = size;

	while (pos > 0) {
		size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t got = pread(fd, buf, n, pos - (off_t)n);

		if (got != (ssize_t)n)
			return got < 0 ? -errno : -EIO;
		pos -= (off_t)n;
		for (size_t i = n; i-- > 0;) {
			if (buf[i] == '\n') {
				*end = pos + (off_t)i + 1;
				return 0;
			}
		}
	}
	*end = 0;
	return 0;
}

int journal_repair(struct journal *j)
{
	char frag[JOURNAL_FRAGMENT_QUOTE];
	struct stat st;
	off_t end, dropped;
	ssize_t got;
	json_t *rec;
	int rc;

	if (fstat(j->fd, &st) < 0)
		return -errno;
	rc = journal_line_end(j->fd, st.st_size, &end);
	if (rc || end == st.st_size)
		return rc;
	dropped = st.st_size - end;
	got = pread(j->fd, frag, dropped < (off_t)sizeof(frag) ? (size_t)dropped : sizeof(frag),
		    end);
	if (got < 0)
		return -errno;
	if (ftruncate(j->fd, end) < 0)
		return -errno;
	rec = json_object();
	json_object_set_new(rec, "type", json_string("journal_repair"));
	json_object_set_new(rec, "offset", json_integer((json_int_t)end));
	json_object_set_new(rec, "dropped_bytes", json_integer((json_int_t)dropped));
	json_object_set_new(rec, "fragment", text_jsonn(frag, (size_t)got));
	json_object_set_new(rec, "fragment_complete", json_boolean(got == dropped));
	rc = journal_append(j, rec, true);
	return rc ? rc : dropped > INT_MAX ? INT_MAX : (int)dropped;
}

int journal_open(const char *path, struct journal **out)
{
	struct journal *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return -ENOMEM;
	/* Read and write: a torn last line is found and cut off here. */
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		rc = -errno;
		free(j);
		return rc;
	}
	rc = journal_repair(j);
	if (rc < 0) {
		journal_close(j);
		return rc;
	}
	if (rc > 0)
		lm_warn("%s: its last line was torn (%d bytes with no newline, written by a lockmap killed mid-record): cut off; a journal_repair record quotes them",
			path, rc);
	*out = j;
	return 0;
}

char *journal_format(const json_t *rec, size_t *len)
{
	/* 15 digits: 4.59 stays 4.59, and wall-clock stamps keep their ms. */
	char *s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));

	if (!s)
		return NULL;
	*len = strlen(s);
	s[(*len)++] = '\n';	/* json_dumps left room: it NUL-terminated */
	return s;
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
	s = journal_format(rec, &len);
	json_decref(rec);
	if (!s)
		return -ENOMEM;
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
	json_object_set_new(rec, "error", res->error[0] ? text_json(res->error) : json_null());
	json_object_set_new(rec, "error_cause", !res->error[0] ? json_null() :
			    json_string(res->lockmap_error ? "lockmap" : "cell"));
	json_object_set_new(rec, "interrupted", json_boolean(res->interrupted));
	json_object_set_new(rec, "signal", res->signal ? json_integer(res->signal) : json_null());
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
	json_object_set_new(rec, "evidence", journal_or_null(x->evidence));
	return rec;
}
