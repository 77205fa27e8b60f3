// SPDX-License-Identifier: GPL-2.0
/* The run's journal seen from outside the lab host: the inner lockmap writes
 * journal.jsonl in the shared run directory, and its records, read as they
 * come, tell which cell runs (the last cell_start without a cell_end) and
 * which are done. The outer lockmap appends its own: lab_boot, lab_down, and
 * the cell_end of a cell the lab host died in or could not run. The inner run
 * skips every cell that has a cell_end, so the journal is the only hand-over. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "lab_int.h"
#include "lockmap.h"
#include "spawn.h"
#include "text.h"

static const char *const lab_end_names[] = {
	[LAB_END_INNER] = "inner_exit", [LAB_END_PANIC] = "panic",
	[LAB_END_HANG] = "host_hang", [LAB_END_OVERDUE] = "overdue", [LAB_END_DIED] = "died",
	[LAB_END_NOBOOT] = "no_boot", [LAB_END_STOP] = "interrupted",
};

/* A cell's result is known: show it and count it. */
static void lab_journal_cell_done(struct lab *L, size_t idx, const struct cell_result *res)
{
	L->run.res[idx] = *res;
	L->run.done[idx] = true;
	L->pg.counts[res->outcome]++;
	progress_clear(&L->pg);
	results_print_cell(&L->run, idx);
}

/* The running cell is over: stop copying the console to it. */
void lab_journal_cell_close(struct lab_boot *b)
{
	if (b->cur_con)
		fclose(b->cur_con);
	b->cur_con = NULL;
	json_decref(b->cur_events);
	b->cur_events = NULL;
	b->cur = -1;
}

/* The inner run started cell idx: its console lines and events are kept. */
static void lab_journal_cell_start(struct lab *L, struct lab_boot *b, size_t idx)
{
	char *dir = results_cell_dir(&L->run, &L->grid.cells[idx]), *path;

	lab_journal_cell_close(b);
	b->cur = (int)idx;
	b->cur_t0 = now_ns();
	b->cur_guests_at = 0;
	b->cur_events = json_array();
	memset(b->cur_nevents, 0, sizeof(b->cur_nevents));
	b->cur_worst = OUT_CLEAN;
	(void)mkdir_p(dir, 0755);
	path = xasprintf("%s/console.log", dir);
	b->cur_con = fopen(path, "ae");
	if (!b->cur_con)
		lm_warn("lab: cannot write %s: %s", path, strerror(errno));
	free(path);
	free(dir);
	/* A search runs few of its grid's cells: count them, not the index. */
	L->pg.cell = idx + 1;
	if (L->run.search) {
		L->pg.cell = 1;
		for (size_t i = 0; i < L->grid.ncells; i++)
			L->pg.cell += L->run.done[i];
	}
	lab_progress(L, "cell", L->cell_ns);
}

/* One journal record written by the inner lockmap (or by us, read back). */
static void lab_journal_record(struct lab *L, struct lab_boot *b, json_t *rec)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *id = json_string_value(json_object_get(rec, "cell"));
	json_int_t idx = json_integer_value(json_object_get(rec, "index"));
	struct cell_result res;

	/* The cell's guests are up: from here its end is due by a known time. */
	if (type && id && !strcmp(type, "guests_start") && b->cur >= 0 &&
	    !strcmp(L->grid.cells[b->cur].id, id)) {
		b->cur_guests_at = now_ns();
		return;
	}
	if (!type || !id || idx < 0 || (size_t)idx >= L->grid.ncells ||
	    strcmp(L->grid.cells[idx].id, id))
		return;
	if (!strcmp(type, "cell_start") && !L->run.done[idx]) {
		lab_journal_cell_start(L, b, (size_t)idx);
	} else if (!strcmp(type, "cell_end")) {
		if (b->cur == (int)idx)
			lab_journal_cell_close(b);
		if (!L->run.done[idx] && cell_result_from_json(rec, &res) == 0 &&
		    !res.interrupted)
			lab_journal_cell_done(L, (size_t)idx, &res);
	}
}

/* New complete lines of journal.jsonl. */
void lab_journal_read(struct lab *L, struct lab_boot *b)
{
	ssize_t n;
	char *nl;

	for (;;) {
		if (L->jr_cap - L->jr_len < 65536) {
			size_t ncap = L->jr_cap ? L->jr_cap * 2 : 131072;
			char *nb = realloc(L->jr_buf, ncap);

			if (!nb)
				return;
			L->jr_buf = nb;
			L->jr_cap = ncap;
		}
		n = read(L->jr_fd, L->jr_buf + L->jr_len, L->jr_cap - L->jr_len - 1);
		if (n <= 0)
			break;
		L->jr_len += (size_t)n;
	}
	while (L->jr_len && (nl = memchr(L->jr_buf, '\n', L->jr_len))) {
		size_t len = (size_t)(nl - L->jr_buf);
		json_t *rec = json_loadb(L->jr_buf, len, 0, NULL);

		if (json_is_object(rec))
			lab_journal_record(L, b, rec);
		json_decref(rec);
		memmove(L->jr_buf, nl + 1, L->jr_len - len - 1);
		L->jr_len -= len + 1;
	}
}

/* lab_boot: how this boot of the lab host was started. */
void lab_journal_boot(struct lab *L, const struct lab_boot *b, const struct spawn_argv *a)
{
	json_t *rec = json_object(), *argv = json_array();

	for (int i = 0; i < a->n; i++)
		json_array_append_new(argv, text_json(a->v[i]));
	json_object_set_new(rec, "type", json_string("lab_boot"));
	json_object_set_new(rec, "boot", json_integer(b->n));
	json_object_set_new(rec, "kernel", json_string(L->li.kernel));
	json_object_set_new(rec, "kernel_release", json_string(L->li.version));
	json_object_set_new(rec, "accel", json_string(L->accel));
	json_object_set_new(rec, "argv", argv);
	(void)journal_append(L->run.journal, rec, true);
}

/* lab_down: how this boot ended. */
void lab_journal_down(struct lab *L, const struct lab_boot *b, enum lab_end end)
{
	json_t *rec = json_object();

	/* A lab host that died while its lockmap wrote a record left a torn last
	 * line: cut it off before ours goes after it (QEMU is stopped, nothing
	 * else writes now), and drop what the reader holds of it. */
	if (journal_repair(L->run.journal) > 0) {
		L->jr_len = 0;
		(void)lseek(L->jr_fd, 0, SEEK_END);
	}
	json_object_set_new(rec, "type", json_string("lab_down"));
	json_object_set_new(rec, "boot", json_integer(b->n));
	json_object_set_new(rec, "end", json_string(lab_end_names[end]));
	json_object_set_new(rec, "boot_seconds", b->up ?
			    json_real((double)(b->up_at - b->t0) / NSEC_PER_SEC) : json_null());
	json_object_set_new(rec, "seconds", json_real((double)(now_ns() - b->t0) / NSEC_PER_SEC));
	if (b->inner_done)
		json_object_set_new(rec, "inner_exit", json_integer(b->inner_rc));
	if (b->panic_how[0])
		json_object_set_new(rec, "panic", text_json(b->panic_how));
	if (b->fatal[0])
		json_object_set_new(rec, "init", text_json(b->fatal));
	if (b->vm_status[0])
		json_object_set_new(rec, "qemu_status", text_json(b->vm_status));
	if (b->hang_cpus)
		json_object_set_new(rec, "hang_cpus", json_incref(b->hang_cpus));
	(void)journal_append(L->run.journal, rec, true);
}

/* The lab host died in cell cur: its cell_end is ours to write, with what the
 * console showed (the inner lockmap never got to write one). Its injectors and
 * metrics died with the host: they are null. */
void lab_journal_cell_died(struct lab *L, struct lab_boot *b, enum outcome o, const char *why)
{
	size_t idx = (size_t)b->cur;
	struct cell_result res = { 0 };
	struct journal_cell_end_info x = { .source = "lab", .boot = b->n };

	classifier_flush(b->cl);
	res.outcome = outcome_worst(o, b->cur_worst);
	memcpy(res.nevents, b->cur_nevents, sizeof(b->cur_nevents));
	res.seconds = (now_ns() - b->cur_t0) / NSEC_PER_SEC;
	snprintf(res.error, sizeof(res.error), "%s", why);
	x.console_events = json_incref(b->cur_events);
	x.console_tail = lab_console_tail_json(L);
	x.hang_cpus = json_incref(b->hang_cpus);
	(void)journal_append(L->run.journal, journal_cell_end(&L->grid.cells[idx], &res, &x),
			     true);
	lab_journal_cell_close(b);
	lab_journal_cell_done(L, idx, &res);
}

/* --pstore: the lab host died in cell cur and the inner run decides it when
 * it resumes, from the pstore record that boot left (lab_cell_left says so,
 * with what the console showed). */
void lab_journal_cell_left(struct lab *L, struct lab_boot *b, const char *why)
{
	const struct cell *c = &L->grid.cells[b->cur];
	json_t *rec = json_object();

	classifier_flush(b->cl);
	json_object_set_new(rec, "type", json_string("lab_cell_left"));
	json_object_set_new(rec, "cell", json_string(c->id));
	json_object_set_new(rec, "index", json_integer((json_int_t)c->index));
	json_object_set_new(rec, "rep", json_integer(c->rep));
	json_object_set_new(rec, "boot", json_integer(b->n));
	json_object_set_new(rec, "why", text_json(why));
	json_object_set_new(rec, "console_outcome", json_string(outcome_name(b->cur_worst)));
	json_object_set_new(rec, "console_events", json_incref(b->cur_events));
	(void)journal_append(L->run.journal, rec, true);
	lm_info("lab: cell %s r%d is left to the run that resumes in the next boot: it decides it from the pstore record (--pstore)",
		c->id, c->rep);
	lab_journal_cell_close(b);
}

/* Every cell the run still wants (results_wanted: without a [search], every
 * cell without a result) becomes an error with why (the lab host could not
 * run them). */
void lab_journal_error_rest(struct lab *L, const char *why)
{
	size_t n = results_wanted(&L->run, NULL, 0);
	size_t *want = calloc(n ? n : 1, sizeof(*want));

	if (!want)
		return;
	/* With a [search], its next probes: an error ends their searches. */
	n = results_wanted(&L->run, want, n);
	for (size_t w = 0; w < n; w++) {
		struct cell_result res = { .outcome = OUT_ERROR, .lockmap_error = true };
		struct journal_cell_end_info x = { .source = "lab" };
		size_t i = want[w];

		snprintf(res.error, sizeof(res.error), "%s", why);
		x.console_tail = lab_console_tail_json(L);
		(void)journal_append(L->run.journal, journal_cell_end(&L->grid.cells[i], &res, &x),
				     true);
		lab_journal_cell_done(L, i, &res);
	}
	free(want);
}
