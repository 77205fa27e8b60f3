/* SPDX-License-Identifier: GPL-2.0 */
/* Which accelerator guests run under: KVM only when it has been seen to run a
 * guest here (a /dev/kvm that exists is not enough), else TCG. */
#ifndef LOCKMAP_ACCEL_H
#define LOCKMAP_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

/* Default bound of the KVM probe, in ms: the banner came after 3.7-5 s on a
 * paravirtual KVM, and two tick reports take 0.4 s more. */
#define ACCEL_PROBE_TIMEOUT_MS 10000
/* Inside a lab host under TCG a nested guest took 2-5 s to print its banner. */
#define ACCEL_PROBE_TIMEOUT_LAB_MS 30000

/* Boot tickguest under QEMU -accel kvm and wait up to timeout_ms (<= 0: the
 * default) for two tick reports with ticks counted. 0 when KVM really runs a
 * guest (a QEMU "KVM internal error" is -EIO at once); else -ENOENT
 * (/dev/kvm, QEMU or tickguest missing), -EACCES, -ETIMEDOUT (the guest made
 * no progress) or -EIO (QEMU failed), with what happened in why. Never hangs:
 * the QEMU it starts is always killed and reaped. */
int accel_probe_kvm(int timeout_ms, char *why, size_t len);

/* requested is "auto", "kvm" or "tcg". Returns "kvm" or "tcg" (why says how
 * it was decided), or NULL when "kvm" was asked for and the probe failed (why
 * says why). The probe runs at most once per process. */
const char *accel_choose(const char *requested, char *why, size_t len);

/* The last few lines of a QEMU log joined by " | " (for error messages);
 * buf is "" when the log is empty or missing. */
void qemu_log_tail(const char *path, char *buf, size_t len);

/* A guest that QEMU stopped with "KVM internal error" (a paravirtual or
 * broken KVM; QEMU then pauses the guest and stays alive): true, with
 * "QEMU: KVM internal error. Suberror: 1 (emulation failure) at EIP=..." in
 * buf. From the log file, or from its text. */
bool qemu_log_kvm_error(const char *path, char *buf, size_t len);
bool qemu_text_kvm_error(const char *text, char *buf, size_t len);

#endif
