/* SPDX-License-Identifier: GPL-2.0 */
/* journal.jsonl: append-only, one JSON object a line, fsync'd at cell start/end
 * and lockup events so a crash loses nothing that mattered. */
#ifndef LOCKMAP_JOURNAL_H
#define LOCKMAP_JOURNAL_H

#include <stdbool.h>
#include <jansson.h>

struct journal;
int journal_open(const char *path, struct journal **out);
/* Append rec (adds "ts", wall-clock seconds); steals the reference. */
int journal_append(struct journal *j, json_t *rec, bool sync);
void journal_close(struct journal *j);
/* Read every record of a journal file, in order; cb returns <0 to stop. */
int journal_read(const char *path, int (*cb)(json_t *rec, void *arg), void *arg);

#endif
