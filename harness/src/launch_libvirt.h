/* SPDX-License-Identifier: GPL-2.0 */
/* What the libvirt launcher offers outside itself: the state of libvirtd for
 * `lockmap check`, and the domains killed runs left behind. */
#ifndef LOCKMAP_LAUNCH_LIBVIRT_H
#define LOCKMAP_LAUNCH_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>

/* The URI lockmap's guests are started at: the system QEMU driver. */
#define LIBVIRT_URI "qemu:///system"

/* Domains named lockmap-... whose lockmap (the pid in their metadata) is
 * gone: with destroy, each is destroyed and logged (one line each). Their
 * names (and the run each came from) are joined by blanks into names.
 * Returns how many were found, or -errno with why when libvirtd cannot be
 * reached or asked. */
int libvirt_leftovers(bool destroy, char *names, size_t len, char *why, size_t wlen);

/* libvirtd reachable: 0 and "libvirtd 9.0.0 at qemu:///system" in msg;
 * else -errno with why and the fix in msg. */
int libvirt_reachable(char *msg, size_t len);

#endif
