// SPDX-License-Identifier: GPL-2.0
/* Domains a killed lockmap left running: named lockmap-..., with the pid of a
 * lockmap that is gone in their metadata. A run that uses the libvirt
 * launcher destroys them before its first cell; `lockmap check` lists them. */
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>

#include "launch_libvirt_int.h"
#include "lockmap.h"

/* Was dom started by a lockmap that is gone? m says by whom. A domain
 * without lockmap's metadata is not ours to judge, whatever its name. */
static bool libvirt_left_by_dead(virDomainPtr dom, struct libvirt_meta *m)
{
	char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, LIBVIRT_META_NS, 0);
	int rc = libvirt_meta_parse(xml, m);

	free(xml);
	return !rc && !libvirt_pid_is_lockmap(m->pid);
}

int libvirt_leftovers(bool destroy, char *names, size_t len, char *why, size_t wlen)
{
	virConnectPtr c = libvirt_conn(why, wlen);
	virDomainPtr *doms = NULL;
	size_t off = 0;
	int n, found = 0;

	if (len)
		names[0] = '\0';
	if (!c)
		return -ENOTCONN;
	n = virConnectListAllDomains(c, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0) {
		snprintf(why, wlen, "libvirt: cannot list the domains at %s: %s", LIBVIRT_URI,
			 libvirt_error());
		return -EIO;
	}
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		struct libvirt_meta m;

		if (libvirt_name_ours(name) && libvirt_left_by_dead(doms[i], &m)) {
			found++;
			if (off < len)
				off += (size_t)snprintf(names + off, len - off, "%s%s (run %s, lockmap pid %d)",
							off ? " " : "", name, m.run, (int)m.pid);
			if (destroy && virDomainDestroy(doms[i]) < 0)
				lm_warn("libvirt: cannot destroy domain %s left by lockmap pid %d (run %s): %s",
					name, (int)m.pid, m.run, libvirt_error());
			else if (destroy)
				lm_info("libvirt: destroyed domain %s left by lockmap pid %d (run %s), which is gone",
					name, (int)m.pid, m.run);
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	return found;
}
