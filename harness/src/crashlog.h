/* SPDX-License-Identifier: GPL-2.0 */
/* What survived a boot of this host that died: its pstore records and, when
 * journald kept that boot, its kernel log (journalctl -k -b ID), read for a
 * window (a cell's start to the boot's end), classified (classify.c), and the
 * outcome they prove (DESIGN.md "Outcomes"). */
#ifndef LOCKMAP_CRASHLOG_H
#define LOCKMAP_CRASHLOG_H

#include <stdbool.h>
#include <jansson.h>

#include "outcome.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

/* This boot's id (36 characters and NUL; "" when unreadable). */
void crash_boot_id(char id[37]);
/* This boot's kernel seconds (CLOCK_MONOTONIC: what printk stamps, near enough). */
double crash_uptime(void);

/* The part of a dead boot a question is about. */
struct crash_window {
	const char *boot_id;	/* the boot (journalctl -b); NULL: unknown */
	double since;		/* wall-clock seconds when the window began */
	double since_mono;	/* that boot's kernel seconds then; < 0: unknown */
};

struct crash_evidence {
	unsigned nevents[EV__COUNT];	/* by kind, the most any one source showed */
	json_t *events;		/* the matched events, each with its "source" */
	json_t *records;	/* pstore records of the window: file, backend, reason,
				 * time, copy */
	json_t *ignored;	/* pstore records from before the window: file, time, why */
	json_t *journal;	/* journalctl: what ran, how many lines, copy; or why not */
	bool panic_record;	/* a record whose header says Panic */
	enum outcome worst;	/* the worst outcome an event implies (event_outcome) */
};

void crash_evidence_init(struct crash_evidence *ce);
void crash_evidence_free(struct crash_evidence *ce);
/* The dmesg records of pstore_dir written in w (an older record belongs to an
 * earlier crash: it goes to ignored), classified, copied into copy_dir as
 * pstore-NAME (copy_dir NULL: not copied). Returns 0 or -errno (-ENOENT: no
 * pstore_dir). */
int crash_from_pstore(struct crash_evidence *ce, const char *pstore_dir,
		      const struct crash_window *w, const char *copy_dir);
/* The same for each directory of archive (PSTORE_ARCHIVE_DIR: systemd-pstore
 * moved the records there). Returns 0 or -errno (-ENOENT: no archive). */
int crash_from_archive(struct crash_evidence *ce, const char *archive,
		       const struct crash_window *w, const char *copy_dir);
/* The kernel log journald kept of w's boot since w->since (journalctl -k -b),
 * classified, copied to copy_dir/journal-boot-ID.log. Returns 0 when it ran
 * (ce->journal says what it found), -errno when it could not. */
int crash_from_journal(struct crash_evidence *ce, const struct crash_window *w,
		       const char *copy_dir);
/* Classify text (kernel log lines) from source into ce; events stamped before
 * since_mono (>= 0) - CRASH_SLACK_S are of an earlier time and left out. */
void crash_from_text(struct crash_evidence *ce, const char *source, const char *text,
		     double since_mono);
/* The outcome the evidence proves: the worst event's when it is softlockup or
 * worse; panic for a Panic record; host_hang for any other record or an event
 * worse than clean (the host died after it); OUT_CLEAN: no evidence at all. */
enum outcome crash_decide(const struct crash_evidence *ce);
/* A one-line account of the evidence, for a cell_end's error text. */
void crash_describe(const struct crash_evidence *ce, char *buf, size_t len);

/* printk stamps and CLOCK_MONOTONIC drift apart a little, and a record's time
 * is written after the crash began: the windows allow this much. */
#define CRASH_SLACK_S 2.0

#endif
