/* SPDX-License-Identifier: GPL-2.0 */
/* What a lab host boots: the kernel image and its release, the helper module
 * built for that release, and the initramfs (busybox, harness/lab/init.sh, the
 * kernel modules needed before the 9p root mounts, lockmap_inject.ko). */
#ifndef LOCKMAP_LABIMAGE_H
#define LOCKMAP_LABIMAGE_H

#include <limits.h>
#include <stddef.h>

struct labimage {
	char kernel[PATH_MAX];		/* the bzImage */
	char version[128];		/* its release, "6.1.0-50-amd64" */
	char kdir[PATH_MAX];		/* kbuild tree of that release (headers) */
	char module[PATH_MAX];		/* lockmap_inject.ko built for it */
	char initramfs[PATH_MAX];	/* <cache>/lab/<version>/initramfs.cpio.gz */
	int nmodules;			/* kernel modules put in the initramfs */
};

/* The release string of a bzImage from its setup header ("HdrS" at 0x202;
 * the word at 0x20e points to the version string, relative to 0x200). 0, or
 * -ENOEXEC when the file is not a bzImage, -errno when unreadable; why says so. */
int labimage_kernel_version(const char *image, char *ver, size_t len, char *why, size_t wlen);

/* The newest /boot/vmlinuz-* whose headers (/lib/modules/<ver>/build) are
 * installed. -ENOENT with why naming the package to install. */
int labimage_default_kernel(char *path, size_t len, char *why, size_t wlen);

/* Fill li for image (NULL: the default kernel): its version and headers, then
 * build the module and the initramfs, each only when its inputs changed. -EINVAL
 * when the image is not a kernel, -ENOENT when headers, busybox, init.sh or the
 * module's sources are missing, -EIO when the module build failed; why says
 * which and how to fix it (the build log's tail for a failed build). */
int labimage_prepare(const char *image, struct labimage *li, char *why, size_t wlen);

/* Where lockmap keeps what it builds for lab hosts: the directory of the
 * binary (build/) when writable, else /var/cache/lockmap. Static buffer. */
const char *labimage_cache_dir(void);

/* Create or truncate path and write s to it (write_file_str() is for sysfs
 * files that exist already). 0 or -errno. */
int labimage_write_file(const char *path, const char *s);

#endif
