// SPDX-License-Identifier: GPL-2.0
/* sd_notify and the journal (notify.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "lockmap.h"
#include "notify.h"

static char notify_run_id[128];

/* Is stderr the journal? systemd says which stream it connected
 * (JOURNAL_STREAM=dev:ino); a stderr redirected since is not. */
static bool notify_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* lm_log_hook: the message to the journal, with the run's id. */
static bool notify_log(int level, const char *msg)
{
	static const int prio[] = { [LM_LOG_ERR] = LOG_ERR, [LM_LOG_WARN] = LOG_WARNING,
				    [LM_LOG_INFO] = LOG_INFO, [LM_LOG_DEBUG] = LOG_DEBUG };

	return sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio[level],
			       "SYSLOG_IDENTIFIER=lockmap", "LOCKMAP_RUN=%s", notify_run_id,
			       NULL) == 0;
}

void notify_run(const char *id)
{
	snprintf(notify_run_id, sizeof(notify_run_id), "%s", id);
	if (notify_stderr_is_journal())
		lm_log_hook = notify_log;
}

void notify_ready(void)
{
	(void)sd_notify(0, "READY=1");
}

void notify_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1");
}

void notify_status(const char *status)
{
	(void)sd_notifyf(0, "STATUS=%s", status);
}

void notify_watchdog(void)
{
	static int64_t last;
	uint64_t usec;
	int64_t now = now_ns();

	/* sd_watchdog_enabled checks WATCHDOG_PID too: a child does not ping. */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	if (last && now - last < (int64_t)usec * NSEC_PER_USEC / 2)
		return;
	last = now;
	(void)sd_notify(0, "WATCHDOG=1");
}

void notify_progress(const char *line)
{
	static int64_t last;
	int64_t now = now_ns();

	notify_watchdog();
	if (!getenv("NOTIFY_SOCKET") || (last && now - last < 5 * NSEC_PER_SEC))
		return;
	last = now;
	notify_status(line);
}
