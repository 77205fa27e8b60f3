/* SPDX-License-Identifier: GPL-2.0 */
/* Host knobs: sysctls and kvm module parameters a cell sets. The old values are
 * written to a restore file before anything is changed, and restored on every
 * exit path; `lockmap check --restore` replays a restore file left by a run that
 * was killed. */
#ifndef LOCKMAP_HOSTKNOBS_H
#define LOCKMAP_HOSTKNOBS_H

#include "grid.h"

struct hostknobs;

/* The root of /proc/sys and /sys: $LOCKMAP_SYSROOT, default "/" (tests
 * point it at a directory tree). */
const char *hostknobs_sysroot(void);
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
/* The name after "sysctl." or "MODULE." of a [host] key is a name, not a path:
 * 0, or -EINVAL and why with an example (the [host] section's key_check). */
int hostknobs_key_check(const char *key, char *why, size_t len);
/* Does this kernel have the knob of a [host] key, writable at runtime (when a
 * value of the key changes it)? 0, or -errno and "[host] KEY: why" in err:
 * -EINVAL for a name that is not one, else what the host lacks. */
struct pkey;
int hostknobs_check_key(const struct pkey *k, char *err, size_t errlen);
/* The [host] keys, for profile.c. */
extern const struct pspec hostknobs_keys[];
extern const size_t hostknobs_nkeys;

#endif
