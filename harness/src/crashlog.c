// SPDX-License-Identifier: GPL-2.0
/* What survived a dead boot, classified (crashlog.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "crashlog.h"
#include "lockmap.h"
#include "pstore.h"
#include "spawn.h"
#include "text.h"

/* journalctl reads a local journal: a minute is far more than it takes. */
#define CRASH_JOURNALCTL_MS 60000

void crash_boot_id(char id[37])
{
	if (read_file_str(BOOT_ID_PATH, id, 37) < 0)
		id[0] = '\0';
}

double crash_uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void crash_evidence_init(struct crash_evidence *ce)
{
	memset(ce, 0, sizeof(*ce));
	ce->events = json_array();
	ce->records = json_array();
	ce->ignored = json_array();
	ce->worst = OUT_CLEAN;
}

void crash_evidence_free(struct crash_evidence *ce)
{
	json_decref(ce->events);
	json_decref(ce->records);
	json_decref(ce->ignored);
	json_decref(ce->journal);
	memset(ce, 0, sizeof(*ce));
}

/* One source's classification: its events and counts. */
struct crash_feed {
	struct crash_evidence *ce;
	const char *source;
	double since_mono;
	unsigned n[EV__COUNT];
};

static void crash_on_event(const struct event *ev, void *arg)
{
	struct crash_feed *f = arg;
	json_t *o;

	if (f->since_mono >= 0 && ev->has_t && ev->t < f->since_mono - CRASH_SLACK_S)
		return;
	o = event_to_json(ev);
	if (!o)
		return;
	json_object_set_new(o, "source", text_json(f->source));
	json_array_append_new(f->ce->events, o);
	f->n[ev->kind]++;
	f->ce->worst = outcome_worst(f->ce->worst, event_outcome(ev));
}

void crash_from_text(struct crash_evidence *ce, const char *source, const char *text,
		     double since_mono)
{
	struct crash_feed f = { .ce = ce, .source = source, .since_mono = since_mono };
	struct classifier *cl = classifier_new(crash_on_event, &f);
	const char *p = text;

	if (!cl)
		return;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);

		if (line)
			classifier_feed(cl, line);
		free(line);
		p += n + (nl != NULL);
	}
	classifier_flush(cl);
	classifier_free(cl);
	/* Two sources are two views of one kernel log: count the larger. */
	for (int k = 0; k < EV__COUNT; k++)
		if (f.n[k] > ce->nevents[k])
			ce->nevents[k] = f.n[k];
}

/* Copy a record's text to copy_dir/pstore-NAME; its path, or NULL. */
static char *crash_copy(const char *copy_dir, const struct pstore_record *r)
{
	char *path = xasprintf("%s/pstore-%s", copy_dir, r->name);
	FILE *f = fopen(path, "we");
	bool ok = f && fwrite(r->text, 1, r->len, f) == r->len;

	if (f && fclose(f))
		ok = false;
	if (!ok) {
		lm_warn("cannot copy the pstore record %s to %s", r->name, path);
		free(path);
		return NULL;
	}
	return path;
}

int crash_from_pstore(struct crash_evidence *ce, const char *pstore_dir,
		      const struct crash_window *w, const char *copy_dir)
{
	struct pstore_record *r;
	size_t n;
	int rc = pstore_read_dir(pstore_dir, &r, &n);

	if (rc)
		return rc;
	if (copy_dir && n)
		(void)mkdir_p(copy_dir, 0755);
	for (size_t i = 0; i < n; i++) {
		char src[300], *copy;
		json_t *o;

		/* The kernel sets a record's mtime to when it was written; 0 is a
		 * record with no time (ramoops without a clock): not ours to judge. */
		if (r[i].mtime && (double)r[i].mtime < w->since - CRASH_SLACK_S) {
			json_array_append_new(ce->ignored, json_pack("{s:o, s:I, s:s}", "file",
					      text_json(r[i].name), "time", (json_int_t)r[i].mtime,
					      "why", "written before the cell started: an earlier crash's"));
			continue;
		}
		copy = copy_dir ? crash_copy(copy_dir, &r[i]) : NULL;
		o = json_pack("{s:o, s:o, s:o, s:I, s:b, s:o}", "file", text_json(r[i].name),
			      "backend", text_json(r[i].backend), "reason",
			      r[i].reason[0] ? text_json(r[i].reason) : json_null(),
			      "time", (json_int_t)r[i].mtime, "compressed", r[i].compressed,
			      "copy", copy ? text_json(copy) : json_null());
		json_array_append_new(ce->records, o);
		free(copy);
		ce->panic_record |= !strcmp(r[i].reason, "Panic");
		/* .enc.z: the kernel could not decompress it; it still proves a
		 * dump was written, but holds no lines to read. */
		if (r[i].compressed)
			continue;
		snprintf(src, sizeof(src), "pstore:%s", r[i].name);
		crash_from_text(ce, src, r[i].text, w->since_mono);
	}
	pstore_free(r, n);
	return 0;
}

int crash_from_archive(struct crash_evidence *ce, const char *archive,
		       const struct crash_window *w, const char *copy_dir)
{
	DIR *d = opendir(archive);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *sub;

		if (e->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", archive, e->d_name);
		(void)crash_from_pstore(ce, sub, w, copy_dir);
		free(sub);
	}
	closedir(d);
	return 0;
}

/* "0123abcd-..." as journalctl -b takes it (32 hex digits). */
static void crash_boot_hex(const char *id, char out[33])
{
	size_t o = 0;

	for (; *id && o < 32; id++)
		if (*id != '-')
			out[o++] = *id;
	out[o] = '\0';
}

int crash_from_journal(struct crash_evidence *ce, const struct crash_window *w,
		       const char *copy_dir)
{
	char hex[33], since[32], path[4096], first[200] = "";
	struct spawn_argv a = { 0 };
	struct spawn_opts so = { .stdout_fd = -1 };
	char *text = NULL, *out;
	size_t lines = 0;
	int rc;

	if (!w->boot_id || !w->boot_id[0] || !spawn_which("journalctl", path, sizeof(path)))
		return -ENOENT;
	crash_boot_hex(w->boot_id, hex);
	snprintf(since, sizeof(since), "@%lld", (long long)(w->since - CRASH_SLACK_S));
	(void)mkdir_p(copy_dir, 0755);
	out = xasprintf("%s/journal-boot-%s.log", copy_dir, hex);
	so.stdout_path = out;
	spawn_argv_add(&a, "journalctl");
	spawn_argv_add(&a, "-k");
	spawn_argv_add(&a, "-b");
	spawn_argv_add(&a, "%s", hex);
	spawn_argv_add(&a, "--since");
	spawn_argv_add(&a, "%s", since);
	spawn_argv_add(&a, "-o");
	spawn_argv_add(&a, "short-monotonic");
	spawn_argv_add(&a, "--no-pager");
	spawn_argv_add(&a, "-q");
	rc = spawn_run(a.v, &so, CRASH_JOURNALCTL_MS);
	spawn_argv_free(&a);
	if (rc >= 0 && pstore_read_text(AT_FDCWD, out, &text, NULL, NULL) == 0) {
		for (const char *p = text; *p; p++)
			lines += *p == '\n';
		sscanf(text, "%199[^\n]", first);
	}
	/* No such boot (journald kept none, or a volatile journal): say so,
	 * and keep no empty copy. */
	if (rc != 0 || !lines) {
		ce->journal = json_pack("{s:s, s:s, s:i, s:o}", "boot", hex, "since", since,
					"exit", rc, "found", text_json(rc ? first : "no kernel lines"));
		(void)unlink(out);
	} else {
		ce->journal = json_pack("{s:s, s:s, s:I, s:o}", "boot", hex, "since", since,
					"lines", (json_int_t)lines, "copy", text_json(out));
		crash_from_text(ce, "journal", text, -1);
	}
	free(text);
	free(out);
	return 0;
}

enum outcome crash_decide(const struct crash_evidence *ce)
{
	enum outcome worst = ce->worst;

	if (worst >= OUT_SOFTLOCKUP)
		return worst;
	if (ce->panic_record)
		return OUT_PANIC;
	if (json_array_size(ce->records) || worst > OUT_CLEAN)
		return OUT_HOST_HANG;
	return OUT_CLEAN;
}

void crash_describe(const struct crash_evidence *ce, char *buf, size_t len)
{
	size_t off = 0, i;
	json_t *r;

	buf[0] = '\0';
	json_array_foreach(ce->records, i, r)
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s (%s)",
					off ? ", " : "pstore ",
					json_string_value(json_object_get(r, "file")),
					json_string_value(json_object_get(r, "reason")) ?: "no header");
	if (ce->journal && json_object_get(ce->journal, "lines") && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%sjournal of boot %s (%lld lines)",
					off ? "; " : "",
					json_string_value(json_object_get(ce->journal, "boot")),
					(long long)json_integer_value(json_object_get(ce->journal,
										      "lines")));
	for (int k = 0; k < EV__COUNT && off < len; k++)
		if (ce->nevents[k])
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%u",
						off ? " " : "", event_kind_name((enum event_kind)k),
						ce->nevents[k]);
}
