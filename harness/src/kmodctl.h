/* SPDX-License-Identifier: GPL-2.0 */
/* The helper module lockmap_inject.ko from the harness: load it (libkmod) when
 * it is not loaded, open /dev/lockmap, and unload it at exit only if this
 * process loaded it. Each open file is one dead man's switch: closing it stops
 * everything started through it. */
#ifndef LOCKMAP_KMODCTL_H
#define LOCKMAP_KMODCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockmap_uapi.h"

/* 0 when /dev/lockmap exists or a module built for the running kernel is
 * there to load; else -ENOENT with the reason and how to build it. */
int kmodctl_available(char *why, size_t len);
/* Open /dev/lockmap (O_RDWR|O_CLOEXEC), loading the module first if needed.
 * Returns the fd, or -errno with why. */
int kmodctl_open(char *why, size_t len);
/* ioctl with errno as a negative return. */
int kmodctl_ioctl(int fd, unsigned long req, void *arg);
int kmodctl_stop(int fd, uint32_t what);
int kmodctl_stats(int fd, struct lockmap_stats *st);
/* Does what fd started (LOCKMAP_ACT_* bits) still run? A series of a given
 * count, or a storm of a given duration, ends by itself. */
bool kmodctl_running(int fd, uint32_t what);
/* For an injector: open /dev/lockmap and start one injection (req, arg);
 * errors are logged under who ("inject.irqoff"). Returns the fd or -errno. */
int kmodctl_start(const char *who, unsigned long req, void *arg);
/* Stop what fd started (LOCKMAP_ACT_* bits), take its statistics, close it. */
int kmodctl_finish(int *fd, uint32_t what, struct lockmap_stats *st, bool *have_stats);
/* The .ko for a kernel release: $LOCKMAP_KMOD, the cache's build of these
 * sources for the release (kmodbuild.h), or build/kmod/<release>/ next to the
 * binary; malloc'd, NULL if there is none. */
char *kmodctl_ko_path(const char *release);

#endif
