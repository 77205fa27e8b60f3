/* SPDX-License-Identifier: GPL-2.0 */
/* journal.jsonl: append-only, one JSON object a line, fsync'd at cell start/end
 * and lockup events so a crash loses nothing that mattered. */
#ifndef LOCKMAP_JOURNAL_H
#define LOCKMAP_JOURNAL_H

#include <stdbool.h>
#include <jansson.h>

struct cell;
struct cell_result;

struct journal;
/* Open (create) a journal to append to. A last line without its newline (a
 * lockmap killed mid-record) is cut off and a journal_repair record appended
 * (journal_repair), so the next record does not glue onto the fragment. */
int journal_open(const char *path, struct journal **out);
/* Cut off a torn last line and journal it: {"type":"journal_repair",
 * "offset", "dropped_bytes", "fragment" (its first 256 bytes, as valid
 * UTF-8), "fragment_complete"}. Returns the bytes dropped (0: the journal
 * ended with a whole line), or -errno. */
int journal_repair(struct journal *j);
/* Append rec (adds "ts", wall-clock seconds); steals the reference. */
int journal_append(struct journal *j, json_t *rec, bool sync);
/* rec as a line of a journal (compact JSON, the newline included, *len
 * bytes), as journal_append writes it; malloc'd, NULL when out of memory. */
char *journal_format(const json_t *rec, size_t *len);
void journal_close(struct journal *j);
/* Read every record of a journal file, in order; cb returns <0 to stop. */
int journal_read(const char *path, int (*cb)(json_t *rec, void *arg), void *arg);

/* What a cell_end holds beyond the cell and its result. Every cell_end has
 * every key, whoever writes it: what the writer does not have is null. The
 * builder takes the references. */
struct journal_cell_end_info {
	const char *source;	/* "cell": the lockmap that ran the cell; "lab": the
				 * outer lockmap, for a lab host that died in the
				 * cell or could not run it; "resume": the run that
				 * resumed after the host died in the cell */
	json_t *injectors;	/* what each injector was asked and did */
	json_t *metrics;	/* guests, helper module, launcher */
	int boot;		/* the lab boot the cell died in; 0: none */
	json_t *console_events;	/* lab: kernel events its console showed in the cell */
	json_t *console_tail;	/* lab: the last console lines */
	json_t *hang_cpus;	/* lab host_hang: sampled vCPU RIPs, by cpu */
	json_t *evidence;	/* resume: what survived a host that died in the cell
				 * (resume_crash.h): pstore records, journal, events */
};

/* The one builder of a cell_end record (the cell's result; read back by
 * cell_result_from_json). The caller appends it. */
json_t *journal_cell_end(const struct cell *c, const struct cell_result *res,
			 const struct journal_cell_end_info *x);

#endif
