/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the lab target, for lab*.c only: the state of a lab run and of one
 * boot of its lab host, shared by the files that boot it (lab_qemu.c), read
 * its console (lab_console.c), follow the run's journal and write the records
 * only the outer lockmap can (lab_journal.c), watch it (lab_watch.c), sample
 * it when it falls silent (lab_hang.c), and decide what comes next (lab.c). */
#ifndef LOCKMAP_LAB_INT_H
#define LOCKMAP_LAB_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#include "classify.h"
#include "grid.h"
#include "lab.h"
#include "labimage.h"
#include "outcome.h"
#include "progress.h"
#include "results.h"

#define QEMU_BIN "qemu-system-x86_64"
#define LAB_TAIL_LINES 20
#define LAB_LINE_MAX 1024

enum lab_end {
	LAB_END_INNER,		/* the inner run finished and the host powered off */
	LAB_END_PANIC,		/* GUEST_PANICKED or a console panic */
	LAB_END_HANG,		/* console and heartbeat silent past the limit */
	LAB_END_OVERDUE,	/* alive, but the cell did not end long after its planned end */
	LAB_END_DIED,		/* QEMU exited without a word from the inner run */
	LAB_END_NOBOOT,		/* no heartbeat within the boot limit, or init failed */
	LAB_END_STOP,		/* a signal asked lockmap to stop */
};

struct lab {
	const struct lab_opts *o;
	struct labimage li;
	const char *accel;
	char accel_why[768];
	int boot_timeout_s, hang_timeout_s, end_timeout_s, cpus, mem_mb;
	struct profile *prof;
	struct grid grid;
	struct run run;
	bool have_run;
	char rundir[PATH_MAX];		/* absolute: the same path inside the lab */
	char *profile_copy;		/* the profile, inside the run directory */
	char *console_path, *hb_path, *qemu_log, *qmp_path, *inner_log;
	char *ram_path;			/* --pstore: the lab host's RAM, kept across boots */
	int ram_fd;			/* its flock, held while this lab lives; -1: none */
	int left_cell;			/* --pstore: the cell last left to the inner run's
					 * resume; -1: none */
	int con_fd, jr_fd;
	char con_line[LAB_LINE_MAX];
	size_t con_len;
	char *jr_buf;
	size_t jr_len, jr_cap;
	char tail[LAB_TAIL_LINES][256];	/* last console lines, for error texts */
	int ntail;
	struct progress pg;
	int64_t cell_ns;
};

/* State of one boot of the lab host. */
struct lab_boot {
	int n;
	pid_t pid;
	struct qmp *qmp;
	struct classifier *cl;
	int64_t t0, up_at, last_hb, last_con, panic_at, inner_at;
	/* What the console's panic line says the cell ended as: panic, or the
	 * lockup that called it (event_outcome); OUT_SKIPPED before one. */
	enum outcome panic_outcome;
	off_t hb_size;
	bool up, inner_done, exited;
	bool died;			/* QEMU exited on its own (not stopped by us) */
	int inner_rc, status;
	char fatal[256];		/* init's "fatal:" line */
	char panic_how[300];
	char vm_status[32];		/* QEMU's query-status when the watch ended */
	json_t *hang_cpus;		/* host_hang: sampled vCPU RIPs, by cpu */
	char hang_where[400];		/* host_hang: "cpu0 at f+0x1, cpu1 at ..." */
	char end_why[160];		/* host_hang, overdue: what lab_watch saw */
	/* the cell the inner lockmap is running: the last cell_start without
	 * a cell_end */
	int cur;
	int64_t cur_t0;
	int64_t cur_guests_at;		/* its guests_start record came (0: not yet) */
	FILE *cur_con;
	json_t *cur_events;
	unsigned cur_nevents[EV__COUNT];
	enum outcome cur_worst;
};

/* lab.c: the run, its cells and the boots they take */
void lab_progress(struct lab *L, const char *phase, int64_t len);

/* lab_qemu.c: the lab host's QEMU */
const char *lab_qemu_accel(const char *req, char *why, size_t len);
int lab_qemu_start(struct lab *L, struct lab_boot *b);
void lab_qemu_stop(struct lab_boot *b);

/* lab_console.c: the serial console */
void lab_console_on_event(const struct event *ev, void *arg);
void lab_console_read(struct lab *L, struct lab_boot *b);
void lab_console_tail_join(const struct lab *L, int n, char *buf, size_t len);
json_t *lab_console_tail_json(const struct lab *L);

/* lab_journal.c: the run's journal, read as the inner run writes it, and the
 * records of the outer lockmap */
struct spawn_argv;
void lab_journal_read(struct lab *L, struct lab_boot *b);
void lab_journal_cell_close(struct lab_boot *b);
void lab_journal_boot(struct lab *L, const struct lab_boot *b, const struct spawn_argv *a);
void lab_journal_down(struct lab *L, const struct lab_boot *b, enum lab_end end);
void lab_journal_cell_died(struct lab *L, struct lab_boot *b, enum outcome o, const char *why);
void lab_journal_cell_left(struct lab *L, struct lab_boot *b, const char *why);
void lab_journal_error_rest(struct lab *L, const char *why);

/* lab_watch.c: heartbeat, QMP, console silence */
enum lab_end lab_watch(struct lab *L, struct lab_boot *b);
enum lab_end lab_watch_status(struct lab_boot *b, enum lab_end end);

/* lab_hang.c: where the cpus of a silent lab host are */
json_t *lab_hang_sample(const struct lab *L, struct lab_boot *b, char *brief, size_t len);

#endif
