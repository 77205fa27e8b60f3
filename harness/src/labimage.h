/* SPDX-License-Identifier: GPL-2.0 */
/* What a lab host boots: the kernel image and its release, the helper module
 * built for that release, and the initramfs (busybox, harness/lab/init.sh, the
 * kernel modules needed before the 9p root mounts, lockmap_inject.ko). */
#ifndef LOCKMAP_LABIMAGE_H
#define LOCKMAP_LABIMAGE_H

#include <limits.h>
#include <stddef.h>

#include "cache.h"

struct labimage {
	char kernel[PATH_MAX];		/* the bzImage */
	char version[128];		/* its release, "6.1.0-50-amd64" */
	char kdir[PATH_MAX];		/* kbuild tree of that release (headers) */
	char module[PATH_MAX];		/* lockmap_inject.ko built for it */
	char initramfs[PATH_MAX];	/* <cache>/lab/<version>-<key>/initramfs.cpio.gz */
	int nmodules;			/* kernel modules put in the initramfs */
};

/* The release string of a bzImage from its setup header ("HdrS" at 0x202;
 * the word at 0x20e points to the version string, relative to 0x200). 0, or
 * -ENOEXEC when the file is not a bzImage, -errno when unreadable; why says so. */
int labimage_kernel_version(const char *image, char *ver, size_t len, char *why, size_t wlen);

/* The newest /boot/vmlinuz-* whose headers (/lib/modules/<ver>/build) are
 * installed. -ENOENT with why naming the package to install. */
int labimage_default_kernel(char *path, size_t len, char *why, size_t wlen);

/* How a caller finds its default kernel image when none is named
 * (labimage_default_kernel is one): 0 with its path, or -errno with why. */
typedef int labimage_default_fn(char *path, size_t len, char *why, size_t wlen);

/* The kernel image named (NULL: the one dflt finds) into path, then its
 * release into rel. 0, or -errno with why (-ENOEXEC: not a bzImage). */
int labimage_kernel_find(const char *image, labimage_default_fn *dflt, char *path, size_t len,
			 char *rel, size_t rlen, char *why, size_t wlen);

/* Fill li for image (NULL: the default kernel): its version and headers, then
 * build the module and the initramfs (which carries this lockmap binary and
 * tickguest.elf into the lab host) in the cache, each only when no entry has
 * its inputs. -EINVAL when the image is not a kernel, -ENOENT when headers,
 * busybox, init.sh, tickguest.elf or the module's sources are missing or the
 * cache directory is not writable, -EIO when the module build failed; why says
 * which and how to fix it (the build log's tail for a failed build). */
int labimage_prepare(const char *image, struct labimage *li, char *why, size_t wlen);

/* The key of a lab initramfs entry: its release and, in order, each input's
 * path and contents (cache.h). 0, or -errno when an input is unreadable. */
int labimage_key(const char *release, const char *const *paths, size_t n, struct cache_key *k);

/* Create or truncate path and write s to it (write_file_str() is for sysfs
 * files that exist already). 0 or -errno. */
int labimage_write_file(const char *path, const char *s);

#endif
