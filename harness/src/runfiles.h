/* SPDX-License-Identifier: GPL-2.0 */
/* Files a run keeps only while it lives, in the state directory
 * ($LOCKMAP_STATE_DIR, default /run/lockmap): the QMP sockets of its QEMUs,
 * qmp/<pid>-<what>.sock, named for the lockmap that made them. A socket whose
 * lockmap is gone and on which nobody listens is stale: `lockmap check`
 * reports it and `check --restore` removes it. (A QEMU dies with its lockmap,
 * spawn.c, so a socket outlives its run only when lockmap was killed.)
 * And the RAM files of `lockmap lab --pstore`, in /dev/shm, whose lockmap
 * holds an flock on each while it lives. */
#ifndef LOCKMAP_RUNFILES_H
#define LOCKMAP_RUNFILES_H

#include <stdbool.h>
#include <stddef.h>

/* <state>/qmp/<pid>-<what>.sock for a QEMU this lockmap starts, its directory
 * made. malloc'd, or NULL with why (the directory cannot be made, or the path
 * is longer than a unix socket's). */
char *runfiles_qmp_path(const char *what, char *why, size_t wlen);

/* The stale sockets under <state>/qmp, their paths joined by blanks into
 * names; with remove, they are deleted. Returns how many were found (removed
 * or not), or -errno when one could not be removed. */
int runfiles_stale(bool remove, char *names, size_t len);

/* --pstore: where the lab host's RAM files go. In /dev/shm: RAM either way,
 * never written out to a disk, and no limit below the lab's memory. */
#define RUNFILES_RAM_DIR "/dev/shm"

/* <dir>/lockmap-lab-<id>.ram, made (emptied if it was there) and flock'd
 * for as long as the returned fd stays open: a file no lockmap holds that way
 * is left by a killed one, and runfiles_ram_sweep removes it. Returns the fd
 * (close-on-exec) with *path malloc'd, or -errno (-EBUSY: a live lockmap holds
 * that name). */
int runfiles_ram_open(const char *dir, const char *id, char **path);

/* Remove every <dir>/lockmap-lab-*.ram that no live lockmap holds (above),
 * their paths joined by blanks into names. Returns how many were removed, or
 * -errno when one could not be. */
int runfiles_ram_sweep(const char *dir, char *names, size_t len);

#endif
