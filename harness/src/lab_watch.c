// SPDX-License-Identifier: GPL-2.0
/* Watching one boot of the lab host: its heartbeat (a virtio-serial port the
 * lab's init writes to, appended to a file by QEMU), QMP events and status,
 * the console's silence, and QEMU itself; until the host is done, dead or
 * silent. */
#include <poll.h>
#include <string.h>
#include <sys/stat.h>

#include "lab_int.h"
#include "lockmap.h"
#include "qmp.h"
#include "spawn.h"

/* After the inner run said it is done, the lab host powers off by itself. */
#define LAB_POWEROFF_MS 30000
/* A panic report keeps printing for a moment after its first line. */
#define LAB_PANIC_GRACE_NS (2 * NSEC_PER_SEC)

/* The heartbeat file grew since the last look: the lab host is alive. */
static void lab_watch_heartbeat(struct lab *L, struct lab_boot *b)
{
	struct stat st;

	if (stat(L->hb_path, &st) < 0 || st.st_size <= b->hb_size)
		return;
	b->hb_size = st.st_size;
	b->last_hb = now_ns();
	if (!b->up) {
		b->up = true;
		b->up_at = b->last_hb;
		lm_info("lab: host up after %.1f s (boot %d)",
			(double)(b->up_at - b->t0) / NSEC_PER_SEC, b->n);
		lab_progress(L, "lab: inner lockmap starting", 0);
	}
}

/* QMP events: a pvpanic GUEST_PANICKED is a panic. */
static void lab_watch_qmp(struct lab_boot *b)
{
	json_t *ev;

	if (!b->qmp)
		return;
	(void)qmp_pump(b->qmp, 0);
	while ((ev = qmp_event_next(b->qmp))) {
		const char *name = json_string_value(json_object_get(ev, "event"));

		lm_debug("lab: QMP event %s", name ? name : "?");
		if (name && !strcmp(name, "GUEST_PANICKED") && !b->panic_at) {
			b->panic_at = now_ns();
			snprintf(b->panic_how, sizeof(b->panic_how),
				 "pvpanic: QEMU reported GUEST_PANICKED");
		}
		json_decref(ev);
	}
}

/* Watch one boot until the lab host is done, dead or silent. */
enum lab_end lab_watch(struct lab *L, struct lab_boot *b)
{
	int64_t boot_ns = (int64_t)L->boot_timeout_s * NSEC_PER_SEC;
	int64_t hang_ns = (int64_t)L->hang_timeout_s * NSEC_PER_SEC;
	/* the cell's guests up, then warm-up, window and cool-down, then this */
	int64_t end_ns = L->cell_ns + (int64_t)L->end_timeout_s * NSEC_PER_SEC;
	int64_t mute_ns = (int64_t)L->end_timeout_s * NSEC_PER_SEC;

	for (;;) {
		struct pollfd pfd = { .fd = sig_fd(), .events = POLLIN };
		int64_t now, quiet;

		if (lm_stop_requested)
			return LAB_END_STOP;
		lab_console_read(L, b);
		lab_watch_heartbeat(L, b);
		lab_journal_read(L, b);
		lab_watch_qmp(b);
		if (spawn_poll(b->pid, &b->status) != 0) {
			b->exited = true;
			b->died = true;
			b->pid = 0;
			lab_console_read(L, b);
			lab_journal_read(L, b);
			if (b->inner_done)
				return LAB_END_INNER;
			if (b->panic_at)
				return LAB_END_PANIC;
			if (!b->up || b->fatal[0])
				return LAB_END_NOBOOT;
			return LAB_END_DIED;
		}
		now = now_ns();
		if (b->panic_at && now - b->panic_at >= LAB_PANIC_GRACE_NS)
			return LAB_END_PANIC;
		if (b->inner_done && now - b->inner_at >= LAB_POWEROFF_MS * NSEC_PER_MSEC) {
			lm_warn("lab: the host did not power off %d s after the inner run ended; stopping it",
				LAB_POWEROFF_MS / 1000);
			return LAB_END_INNER;
		}
		if (!b->up && now - b->t0 >= boot_ns)
			return LAB_END_NOBOOT;
		quiet = now - (b->last_hb > b->last_con ? b->last_hb : b->last_con);
		if (b->up && !b->inner_done && quiet >= hang_ns) {
			snprintf(b->end_why, sizeof(b->end_why),
				 "lab host silent for %d s (console and heartbeat)", L->hang_timeout_s);
			return LAB_END_HANG;
		}
		/* Lockup reports keep a dead host's console talking. */
		if (b->up && !b->inner_done && now - b->last_hb >= mute_ns) {
			snprintf(b->end_why, sizeof(b->end_why),
				 "lab host's heartbeat silent for %d s, its console still printing",
				 L->end_timeout_s);
			return LAB_END_HANG;
		}
		if (b->cur >= 0 && b->cur_guests_at && now - b->cur_guests_at >= end_ns) {
			snprintf(b->end_why, sizeof(b->end_why),
				 "lab host alive, cell not ended %d s past its end", L->end_timeout_s);
			return LAB_END_OVERDUE;
		}
		progress_draw(&L->pg, 0);
		(void)poll(&pfd, 1, 100);
	}
}

/* What QEMU thinks of its guest when the watch ended: a panic whose event was
 * missed (QMP not yet connected) still shows as guest-panicked. Returns the
 * end, panic where QEMU says so. */
enum lab_end lab_watch_status(struct lab_boot *b, enum lab_end end)
{
	json_t *st = NULL;

	if (qmp_cmd(b->qmp, "query-status", NULL, &st, 1000) == 0)
		snprintf(b->vm_status, sizeof(b->vm_status), "%s",
			 json_string_value(json_object_get(st, "status")) ?: "");
	json_decref(st);
	if (!strcmp(b->vm_status, "guest-panicked") && end != LAB_END_PANIC &&
	    end != LAB_END_STOP) {
		end = LAB_END_PANIC;
		snprintf(b->panic_how, sizeof(b->panic_how),
			 "pvpanic: QEMU status guest-panicked");
	}
	return end;
}
