/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the libvirt launcher, for launch_libvirt*.c and their unit tests: the
 * domain XML (launch_libvirt_xml.c: a template filled through libxml2, the
 * vCPU pins and lockmap's metadata), the one connection to libvirtd with its
 * event loop (launch_libvirt_conn.c), and domains left by killed runs
 * (launch_libvirt_left.c). */
#ifndef LOCKMAP_LAUNCH_LIBVIRT_INT_H
#define LOCKMAP_LAUNCH_LIBVIRT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "launch_libvirt.h"

/* Every domain lockmap starts is named "lockmap-..." and carries this
 * element in its <metadata>: who started it (pid), for which run. */
#define LIBVIRT_PREFIX "lockmap-"
#define LIBVIRT_META_NS "urn:lockmap:domain:1"
#define LIBVIRT_META_PREFIX "lockmap"
#define LIBVIRT_NAME_MAX 128

/* One value of a template: @KEY@ in an attribute or a text node becomes
 * value, escaped as XML when written. */
struct libvirt_var {
	const char *key;
	const char *value;
};

/* What <metadata> says of a domain. */
struct libvirt_meta {
	char run[128];
	char cell[64];
	pid_t pid;		/* the lockmap that started it; 0: not said */
	int guest;
};

/* lockmap-<run>-<cell>-g<index>, with every character of run and cell that is
 * not [A-Za-z0-9._-] made '_' and run cut to fit LIBVIRT_NAME_MAX; the whole
 * run id is in the metadata. -ENAMETOOLONG when it cannot fit in len. */
int libvirt_domain_name(char *buf, size_t len, const char *run, const char *cell, int index);
/* Does the name have lockmap's prefix? */
bool libvirt_name_ours(const char *name);

/* The domain XML of one guest: the template at path with every @KEY@
 * replaced by its value, a <vcpupin> for each of nvcpus vCPUs whose pins[v]
 * is >= 0 (in <cputune>), and lockmap's element in <metadata>. malloc'd
 * text in *out, or -errno with why (the file, a placeholder that has no
 * value, XML that does not parse). */
int libvirt_xml_build(const char *path, const struct libvirt_var *vars, size_t nvars,
		      const int *pins, int nvcpus, const struct libvirt_meta *meta, char **out,
		      char *why, size_t len);
/* Read lockmap's metadata element as virDomainGetMetadata returns it. 0, or
 * -EINVAL when it is not lockmap's or has no pid. */
int libvirt_meta_parse(const char *xml, struct libvirt_meta *m);

/* Is pid a lockmap that runs now (alive, and its comm is lockmap's)? */
bool libvirt_pid_is_lockmap(pid_t pid);

/* launch_libvirt_conn.c: the process's one connection to libvirtd, opened on
 * first use with the event loop thread running and lifecycle events
 * registered. NULL with why (and the fix) when libvirtd cannot be reached. */
struct _virConnect;
struct _virConnect *libvirt_conn(char *why, size_t len);
/* The message of libvirt's last error in this thread, or "unknown error". */
const char *libvirt_error(void);

/* A lifecycle event the loop saw for a domain: event and detail are libvirt's
 * (virDomainEventType and its detail enum). */
struct libvirt_event {
	int event, detail;
};
/* Take the oldest event not yet taken for the domain of that name. true
 * with it in ev, false when there is none. A closed connection is an event
 * for every domain: event -1 (libvirtd went away). */
bool libvirt_event_take(const char *name, struct libvirt_event *ev);
/* Forget the events of that domain (its guest is stopped). */
void libvirt_event_forget(const char *name);
/* "stopped (crashed)", "crashed (panicked)"..., for exit_why. */
void libvirt_event_describe(const struct libvirt_event *ev, char *buf, size_t len);

#endif
