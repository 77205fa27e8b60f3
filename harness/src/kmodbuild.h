/* SPDX-License-Identifier: GPL-2.0 */
/* lockmap_inject.ko built for one kernel release, in the cache:
 * <cache>/kmod/<release>-<key>/lockmap_inject.ko (and build.log). The key
 * hashes the module's sources (their contents), the release, the headers'
 * directory and their kernel configuration and Module.symvers, so an edited
 * source or a rebuilt kernel of the same release gets a new build. The lab
 * builds it for the lab kernel; a local run loads the build for the running
 * kernel when one is there. */
#ifndef LOCKMAP_KMODBUILD_H
#define LOCKMAP_KMODBUILD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cache.h"

#define KMODBUILD_NAME "lockmap_inject.ko"

struct kmodbuild {
	char src[PATH_MAX];	/* the module's sources */
	char kdir[PATH_MAX];	/* kbuild tree of the release (headers) */
	char release[128];
	char entry[PATH_MAX];	/* <cache>/kmod/<release>-<key> */
	char ko[PATH_MAX];	/* <entry>/lockmap_inject.ko */
	struct cache_key key;
};

/* Find the sources ($LOCKMAP_KMOD_DIR, harness/kmod of the source tree, or
 * lib/lockmap/kmod of an installed lockmap) and compute the entry for release
 * and kdir (NULL: /lib/modules/<release>/build). 0, or -ENOENT with why. */
int kmodbuild_locate(const char *release, const char *kdir, struct kmodbuild *kb, char *why,
		     size_t wlen);
/* Is the entry built? */
bool kmodbuild_ready(const struct kmodbuild *kb);
/* Build the entry unless it is there (make -C <src> KVER= KDIR= O=<tmp>, then
 * renamed into place), and mark it used. 0, or -errno with why (the build
 * log's tail for a failed build, which stays in <entry>.failed). */
int kmodbuild_make(struct kmodbuild *kb, char *why, size_t wlen);

/* The kbuild tree to build the module against for release: the build/
 * directory beside image (harness/lab/build-kernel.sh keeps a kernel's O= tree
 * there, so a self-built kernel needs nothing under /lib/modules), checked to be
 * that release and prepared; else /lib/modules/<release>/build (a headers
 * package). image may be NULL. 0, or -ENOENT with why saying what is missing. */
int kmodbuild_tree(const char *release, const char *image, char *kdir, size_t len, char *why,
		   size_t wlen);

#endif
