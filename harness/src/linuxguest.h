/* SPDX-License-Identifier: GPL-2.0 */
/* The "linux" payload's own facts (guests/linux/README.md): which kernel the
 * guests boot, its tick rate (CONFIG_HZ, which fixes the guests' period), and
 * the busybox initramfs guests/linux/build-initramfs.sh builds for it, kept in
 * the cache (<cache>/linux/<release>-<key>/initramfs.cpio.gz). */
#ifndef LOCKMAP_LINUXGUEST_H
#define LOCKMAP_LINUXGUEST_H

#include <limits.h>
#include <stddef.h>

struct cell;

/* Debian's 6.1.0-50-amd64 with the busybox initramfs under QEMU 7.2 TCG:
 * 96M boots; 80M panics "System is deadlocked on memory"; with 64M QEMU
 * resets before the kernel prints a line ("no suitable memory region"). */
#define LINUXGUEST_MIN_MEMORY_MB 96

struct linuxguest {
	char kernel[PATH_MAX];	/* the bzImage */
	char release[128];	/* its release, from the image */
	char config[PATH_MAX];	/* its config, where CONFIG_HZ comes from */
	int hz;			/* CONFIG_HZ */
};

/* CONFIG_HZ of a kernel config file: > 0, or -errno (-ENOENT unreadable,
 * -EINVAL no or a bad CONFIG_HZ line). */
int linuxguest_config_hz(const char *config);

/* The cell's guest kernel ([guests] linux_kernel unless auto, else /boot/vmlinuz-$(uname
 * -r), else the newest /boot/vmlinuz-* with headers), its release, config and
 * HZ. 0, or -errno with why saying what is missing and how to fix it. */
int linuxguest_find(const struct cell *c, struct linuxguest *lg, char *why, size_t wlen);

/* The profile checks of payload linux: a guest kernel that can be found,
 * period equal to its tick (1 s / CONFIG_HZ, in whole us), memory enough
 * for a Linux boot. 0, or -EINVAL with "path:line: [guests] key: ..." in err. */
int linuxguest_check(const struct cell *c, char *err, size_t len);

/* The initramfs for lg, built by guests/linux/build-initramfs.sh into the
 * cache unless an entry with the same inputs (recipe, init, busybox, the
 * kernel's config and release) exists; its path in out. 0, or -errno with why. */
int linuxguest_initramfs(const struct linuxguest *lg, char *out, size_t len, char *why,
			 size_t wlen);

/* Can payload linux run here with its default kernel? 0 with what it would
 * boot in msg ("/boot/vmlinuz-X, CONFIG_HZ=250 (period = 4000us), recipe
 * ..."), or -errno with what is missing and the fix in msg. */
int linuxguest_ready(char *msg, size_t len);

#endif
