/* SPDX-License-Identifier: GPL-2.0 */
/* lockmap under systemd (libsystemd): readiness, status and watchdog pings
 * to the service manager (sd_notify; nothing without NOTIFY_SOCKET), and the
 * log to the journal with the run's id when stderr is the journal
 * (JOURNAL_STREAM). */
#ifndef LOCKMAP_NOTIFY_H
#define LOCKMAP_NOTIFY_H

/* The run the messages are of: from now on, when stderr is the journal, the
 * lm_* messages go to it with LOCKMAP_RUN=id (and PRIORITY). */
void notify_run(const char *id);
/* READY=1: the service is up (Type=notify). */
void notify_ready(void);
/* STOPPING=1, before the end. */
void notify_stopping(void);
/* STATUS=status (systemctl status shows it). */
void notify_status(const char *status);
/* WATCHDOG=1 when half of WATCHDOG_USEC has passed since the last ping;
 * called from the main loops (progress_draw, a soak's passes), so a lockmap
 * that stops looping is restarted by systemd's watchdog. */
void notify_watchdog(void);
/* progress_draw's line: STATUS at most every 5 s, and the watchdog. */
void notify_progress(const char *line);

#endif
