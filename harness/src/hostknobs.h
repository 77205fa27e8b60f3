/* SPDX-License-Identifier: GPL-2.0 */
/* Host knobs: sysctls and kvm module parameters a cell sets. The old values are
 * written to a restore file before anything is changed, and restored on every
 * exit path; `lockmap check --restore` replays a restore file left by a run that
 * was killed. */
#ifndef LOCKMAP_HOSTKNOBS_H
#define LOCKMAP_HOSTKNOBS_H

#include "grid.h"

struct hostknobs;

/* Default restore file: $LOCKMAP_STATE_DIR/knobs.restore, else
 * /run/lockmap/knobs.restore. */
const char *hostknobs_restore_path(void);
/* Save then set the cell's [host] knobs (watchdog_thresh, panic knobs,
 * sysctl.*, kvm.* ...). On error, whatever was set is restored. */
int hostknobs_apply(const struct cell *c, struct hostknobs **out, char *err, size_t errlen);
/* Restore and free; removes the restore file. NULL is a no-op. */
int hostknobs_restore(struct hostknobs *hk);
/* Replay a restore file (after a crash). 0 also when there is none. */
int hostknobs_restore_file(const char *path, char *msg, size_t len);
/* The [host] keys, for profile.c. */
extern const struct pspec hostknobs_keys[];
extern const size_t hostknobs_nkeys;

#endif
