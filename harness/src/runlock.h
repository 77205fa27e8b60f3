/* SPDX-License-Identifier: GPL-2.0 */
/* One lockmap at a time on a host: a run, a lab, `inject` and `check
 * --restore` hold an flock on $LOCKMAP_STATE_DIR/lock (/run/lockmap/lock), and
 * write who they are into it. The kernel drops the lock when its holder dies,
 * however it dies, so a held lock always means a live holder. */
#ifndef LOCKMAP_RUNLOCK_H
#define LOCKMAP_RUNLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* lockmap's state directory: $LOCKMAP_STATE_DIR, else /run/lockmap. */
const char *lm_state_dir(void);

struct runlock;

/* Take the lock for `what` ("run", "lab", "inject", "check --restore").
 * Without wait, a held lock is -EBUSY at once, and err names the holder (pid,
 * what, run id, profile); with wait, it blocks until the lock is free or a
 * signal asks us to stop (-EINTR). */
int runlock_take(const char *what, bool wait, struct runlock **out, char *err, size_t len);
/* Record the run id and profile once known (NULL: unchanged). */
void runlock_describe(struct runlock *lk, const char *run_id, const char *profile);
/* Release; NULL is a no-op. */
void runlock_release(struct runlock *lk);
/* Is the lock held by a live lockmap other than us? holder says who. */
bool runlock_busy(char *holder, size_t len);

/* With the lock held: put back what a killed run left changed on this host
 * (host knobs from their restore file, its cgroups and QMP sockets). msg says
 * what was done (empty when nothing was left); busy counts what was left:
 * lockmap cgroups that still have tasks (not a killed run's) and sockets that
 * could not be removed. Returns 0, or <0 when a knob could not be put back. */
int runlock_restore_leftovers(char *msg, size_t len, int *busy);

#endif
