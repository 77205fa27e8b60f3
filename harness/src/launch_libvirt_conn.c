// SPDX-License-Identifier: GPL-2.0
/* The libvirt launcher's one connection to libvirtd, and its events: libvirt's
 * default event loop runs in a thread of its own, and the lifecycle events of
 * lockmap's domains are queued by name for the launcher's poll(), so a guest
 * that crashes or is stopped is seen at the next poll, not at the next look
 * at its state. The connection lives as long as lockmap. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "launch_libvirt_int.h"
#include "lockmap.h"

/* Events queued and not yet taken: a cell's guests are polled every few
 * milliseconds, so only a lockmap that stopped polling fills this. */
#define LIBVIRT_EVENTS_MAX 4096

struct libvirt_queued {
	char name[LIBVIRT_NAME_MAX];
	struct libvirt_event ev;
};

static pthread_mutex_t lv_lock = PTHREAD_MUTEX_INITIALIZER;
static struct libvirt_queued *lv_queue;
static size_t lv_nqueued;
static bool lv_closed;		/* libvirtd closed the connection */
static int lv_close_reason;
static virConnectPtr lv_conn;
static bool lv_loop_up;

const char *libvirt_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown error";
}

/* libvirt prints every error to stderr unless told otherwise: lockmap says
 * them itself, with what it was doing, or not at all (a probe). */
static void libvirt_quiet(void *opaque, virErrorPtr err)
{
	(void)opaque, (void)err;
}

static void *libvirt_loop(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			lm_debug("libvirt: event loop: %s", libvirt_error());
	return NULL;
}

/* Only what tells that a guest stopped running: starts, resumes and the
 * like are of no interest to poll(). */
static bool libvirt_event_wanted(int event)
{
	return event == VIR_DOMAIN_EVENT_STOPPED || event == VIR_DOMAIN_EVENT_CRASHED ||
	       event == VIR_DOMAIN_EVENT_SUSPENDED || event == VIR_DOMAIN_EVENT_SHUTDOWN;
}

static int libvirt_on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
				void *opaque)
{
	const char *name = virDomainGetName(dom);

	(void)conn, (void)opaque;
	if (!libvirt_name_ours(name) || !libvirt_event_wanted(event))
		return 0;
	pthread_mutex_lock(&lv_lock);
	if (lv_nqueued == LIBVIRT_EVENTS_MAX) {
		memmove(lv_queue, lv_queue + 1, (lv_nqueued - 1) * sizeof(*lv_queue));
		lv_nqueued--;
	}
	snprintf(lv_queue[lv_nqueued].name, sizeof(lv_queue[0].name), "%s", name);
	lv_queue[lv_nqueued].ev.event = event;
	lv_queue[lv_nqueued].ev.detail = detail;
	lv_nqueued++;
	pthread_mutex_unlock(&lv_lock);
	return 0;
}

static void libvirt_on_close(virConnectPtr conn, int reason, void *opaque)
{
	(void)conn, (void)opaque;
	pthread_mutex_lock(&lv_lock);
	lv_closed = true;
	lv_close_reason = reason;
	pthread_mutex_unlock(&lv_lock);
}

bool libvirt_event_take(const char *name, struct libvirt_event *ev)
{
	bool found = false;

	pthread_mutex_lock(&lv_lock);
	for (size_t i = 0; i < lv_nqueued && !found; i++) {
		if (strcmp(lv_queue[i].name, name))
			continue;
		*ev = lv_queue[i].ev;
		memmove(lv_queue + i, lv_queue + i + 1, (lv_nqueued - i - 1) * sizeof(*lv_queue));
		lv_nqueued--;
		found = true;
	}
	if (!found && lv_closed) {
		ev->event = -1;
		ev->detail = lv_close_reason;
		found = true;
	}
	pthread_mutex_unlock(&lv_lock);
	return found;
}

void libvirt_event_forget(const char *name)
{
	pthread_mutex_lock(&lv_lock);
	for (size_t i = 0; i < lv_nqueued;) {
		if (strcmp(lv_queue[i].name, name)) {
			i++;
			continue;
		}
		memmove(lv_queue + i, lv_queue + i + 1, (lv_nqueued - i - 1) * sizeof(*lv_queue));
		lv_nqueued--;
	}
	pthread_mutex_unlock(&lv_lock);
}

void libvirt_event_describe(const struct libvirt_event *ev, char *buf, size_t len)
{
	static const char *const stopped[] = { "shut down", "destroyed (by someone else)",
		"crashed", "migrated", "saved", "failed in the hypervisor", "restored from a snapshot" };
	static const char *const crashed[] = { "panicked", "crashed and loaded a crash kernel" };
	static const char *const suspended[] = { "paused", "paused to migrate",
		"paused on a disk I/O error", "paused by its watchdog", "restored paused",
		"restored from a paused snapshot", "paused after a failed libvirt call",
		"paused for post-copy migration", "paused: post-copy migration failed" };
	const char *what = NULL;
	int d = ev->detail;

	if (ev->event == -1) {
		snprintf(buf, len, "libvirt: the connection to libvirtd closed (reason %d): is libvirtd still running?",
			 d);
		return;
	}
	if (ev->event == VIR_DOMAIN_EVENT_STOPPED && d >= 0 && d < (int)ARRAY_SIZE(stopped))
		what = stopped[d];
	else if (ev->event == VIR_DOMAIN_EVENT_CRASHED && d >= 0 && d < (int)ARRAY_SIZE(crashed))
		what = crashed[d];
	else if (ev->event == VIR_DOMAIN_EVENT_SUSPENDED && d >= 0 &&
		 d < (int)ARRAY_SIZE(suspended))
		what = suspended[d];
	else if (ev->event == VIR_DOMAIN_EVENT_SHUTDOWN)
		what = "shutting down";
	if (what)
		snprintf(buf, len, "libvirt: the domain %s", what);
	else
		snprintf(buf, len, "libvirt: lifecycle event %d, detail %d", ev->event, d);
}

/* libvirt's event loop must be registered before the first connection is
 * opened, once per process; its thread takes no signals (lockmap's handlers
 * run in the main thread's context of poll loops). */
static int libvirt_loop_start(char *why, size_t len)
{
	sigset_t all, old;
	pthread_t t;
	int rc;

	if (lv_loop_up)
		return 0;
	virSetErrorFunc(NULL, libvirt_quiet);
	lv_queue = calloc(LIBVIRT_EVENTS_MAX, sizeof(*lv_queue));
	if (!lv_queue || virEventRegisterDefaultImpl() < 0) {
		snprintf(why, len, "libvirt: cannot set up its event loop: %s", libvirt_error());
		return -ENOMEM;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, NULL, libvirt_loop, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(why, len, "libvirt: cannot start the event loop thread: %s", strerror(rc));
		return -rc;
	}
	(void)pthread_detach(t);
	lv_loop_up = true;
	return 0;
}

struct _virConnect *libvirt_conn(char *why, size_t len)
{
	bool closed;

	pthread_mutex_lock(&lv_lock);
	closed = lv_closed;
	pthread_mutex_unlock(&lv_lock);
	if (lv_conn && !closed)
		return lv_conn;
	if (libvirt_loop_start(why, len) < 0)
		return NULL;
	if (lv_conn) {
		/* libvirtd went away since: a new connection, new events. */
		(void)virConnectClose(lv_conn);
		lv_conn = NULL;
		pthread_mutex_lock(&lv_lock);
		lv_closed = false;
		pthread_mutex_unlock(&lv_lock);
	}
	lv_conn = virConnectOpen(LIBVIRT_URI);
	if (!lv_conn) {
		snprintf(why, len, "cannot connect to libvirtd at %s: %s; start it: systemctl start libvirtd, or where systemd is not PID 1 virtlogd -d; libvirtd -d (scripts/start-libvirtd.sh); not installed: apt-get install libvirt-daemon-system",
			 LIBVIRT_URI, libvirt_error());
		return NULL;
	}
	/* Keepalive: a libvirtd that dies is noticed by the event loop, which
	 * closes the connection and so tells every guest's poll(). */
	(void)virConnectSetKeepAlive(lv_conn, 5, 3);
	if (virConnectRegisterCloseCallback(lv_conn, libvirt_on_close, NULL, NULL) < 0 ||
	    virConnectDomainEventRegisterAny(lv_conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					     VIR_DOMAIN_EVENT_CALLBACK(libvirt_on_lifecycle),
					     NULL, NULL) < 0) {
		snprintf(why, len, "libvirt: cannot register for domain events at %s: %s",
			 LIBVIRT_URI, libvirt_error());
		(void)virConnectClose(lv_conn);
		lv_conn = NULL;
		return NULL;
	}
	return lv_conn;
}

int libvirt_reachable(char *msg, size_t len)
{
	virConnectPtr c = libvirt_conn(msg, len);
	unsigned long v = 0;

	if (!c)
		return -ENOTCONN;
	(void)virConnectGetLibVersion(c, &v);
	snprintf(msg, len, "libvirtd %lu.%lu.%lu at %s", v / 1000000, v / 1000 % 1000, v % 1000,
		 LIBVIRT_URI);
	return 0;
}
