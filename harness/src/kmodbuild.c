// SPDX-License-Identifier: GPL-2.0
/* Building lockmap_inject.ko for a kernel release into the cache, once per
 * set of inputs (kmodbuild.h). */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "kmodbuild.h"
#include "lockmap.h"
#include "spawn.h"

/* A module build that takes longer than this is stuck. */
#define KMODBUILD_TIMEOUT_MS (10 * 60 * 1000)
/* Bumped when what goes into the key changes meaning. */
#define KMODBUILD_KEY_VERSION "kmod-1"

/* The files `make install` ships of the module: what the build reads. */
static bool kmodbuild_is_source(const char *name)
{
	size_t n = strlen(name);

	return !strcmp(name, "Kbuild") || !strcmp(name, "Makefile") ||
	       (n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h') &&
		!strstr(name, ".mod.c"));
}

static int kmodbuild_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int kmodbuild_key_sources(struct kmodbuild *kb)
{
	struct dirent **names;
	int n = scandir(kb->src, &names, NULL, kmodbuild_name_cmp), rc = 0;

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (!rc && kmodbuild_is_source(names[i]->d_name)) {
			char *p = xasprintf("%s/%s", kb->src, names[i]->d_name);

			cache_key_str(&kb->key, names[i]->d_name);
			rc = cache_key_file(&kb->key, p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* What of the headers decides the module's binary: the configuration and
 * the exported symbols' versions (a kernel tree rebuilt under the same
 * release changes them). A file a tree does not have counts as absent. */
static void kmodbuild_key_headers(struct kmodbuild *kb)
{
	static const char *const files[] = { "include/config/auto.conf", "Module.symvers" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = xasprintf("%s/%s", kb->kdir, files[i]);

		cache_key_str(&kb->key, files[i]);
		if (cache_key_file(&kb->key, p) < 0)
			cache_key_str(&kb->key, "absent");
		free(p);
	}
}

int kmodbuild_locate(const char *release, const char *kdir, struct kmodbuild *kb, char *why,
		     size_t wlen)
{
	const char *env = getenv("LOCKMAP_KMOD_DIR");
	char *src = env && *env ? strdup(env) : data_source("harness/kmod", "kmod");
	char *mk = src ? xasprintf("%s/Makefile", src) : NULL;
	char *entry;
	int rc = 0;

	memset(kb, 0, sizeof(*kb));
	if (!src || access(mk, R_OK) < 0) {
		snprintf(why, wlen, "the helper module's sources are not %s/Makefile nor %s; set LOCKMAP_KMOD_DIR to the harness/kmod directory",
			 src ? src : "in harness/kmod", data_where());
		rc = -ENOENT;
		goto out;
	}
	snprintf(kb->src, sizeof(kb->src), "%s", src);
	snprintf(kb->release, sizeof(kb->release), "%s", release);
	if (kdir)
		snprintf(kb->kdir, sizeof(kb->kdir), "%s", kdir);
	else
		snprintf(kb->kdir, sizeof(kb->kdir), "/lib/modules/%s/build", release);
	cache_key_init(&kb->key);
	cache_key_str(&kb->key, KMODBUILD_KEY_VERSION);
	cache_key_str(&kb->key, release);
	cache_key_str(&kb->key, kb->kdir);
	rc = kmodbuild_key_sources(kb);
	if (rc) {
		snprintf(why, wlen, "cannot read the helper module's sources in %s: %s", src,
			 strerror(-rc));
		goto out;
	}
	kmodbuild_key_headers(kb);
	entry = cache_entry_path("kmod", release, &kb->key);
	snprintf(kb->entry, sizeof(kb->entry), "%s", entry);
	snprintf(kb->ko, sizeof(kb->ko), "%s/" KMODBUILD_NAME, entry);
	free(entry);
out:
	free(src);
	free(mk);
	return rc;
}

bool kmodbuild_ready(const struct kmodbuild *kb)
{
	return kb->ko[0] && access(kb->ko, R_OK) == 0;
}

/* A failed build stays, with its log, in <entry>.failed for the person to read. */
static char *kmodbuild_keep_failed(const struct kmodbuild *kb, const char *tmp)
{
	char *failed = xasprintf("%s.failed", kb->entry), *log;

	(void)rm_rf(failed);
	log = xasprintf("%s/build.log", rename(tmp, failed) == 0 ? failed : tmp);
	free(failed);
	return log;
}

int kmodbuild_make(struct kmodbuild *kb, char *why, size_t wlen)
{
	char *tmp, *log, *kver, *kdir, *o, tail[512];
	struct spawn_opts so = { .stdout_fd = -1 };
	int rc;

	if (kmodbuild_ready(kb)) {
		cache_entry_touch(kb->entry);
		return 0;
	}
	rc = cache_prepare("kmod", why, wlen);
	if (rc)
		return rc;
	tmp = cache_entry_begin(kb->entry, why, wlen);
	if (!tmp)
		return -EIO;
	log = xasprintf("%s/build.log", tmp);
	kver = xasprintf("KVER=%s", kb->release);
	kdir = xasprintf("KDIR=%s", kb->kdir);
	o = xasprintf("O=%s", tmp);
	so.stdout_path = log;
	lm_info("building %s for %s in %s", KMODBUILD_NAME, kb->release, kb->entry);
	{
		char *const argv[] = { "make", "-s", "-C", kb->src, kver, kdir, o, NULL };

		rc = spawn_run(argv, &so, KMODBUILD_TIMEOUT_MS);
	}
	free(log);
	log = xasprintf("%s/" KMODBUILD_NAME, tmp);
	if (!rc && access(log, R_OK) < 0)
		rc = -ENOENT;
	if (rc) {
		free(log);
		log = kmodbuild_keep_failed(kb, tmp);
		qemu_log_tail(log, tail, sizeof(tail));
		snprintf(why, wlen, "building %s for %s failed (%s): %s (full log: %s)",
			 KMODBUILD_NAME, kb->release,
			 rc < 0 ? strerror(-rc) : "make exited non-zero", tail[0] ? tail : "no output",
			 log);
		rc = -EIO;
		goto out;
	}
	rc = cache_entry_commit(tmp, kb->entry);
	if (rc) {
		snprintf(why, wlen, "cannot rename %s to %s: %s", tmp, kb->entry, strerror(-rc));
		(void)rm_rf(tmp);
		goto out;
	}
	cache_entry_touch(kb->entry);
	cache_prune("kmod", kb->entry);
out:
	free(tmp);
	free(log);
	free(kver);
	free(kdir);
	free(o);
	return rc;
}

/* What a kbuild tree needs for `make M=`: a tree made by `make O=DIR bzImage
 * modules` has them all; Debian's linux-headers packages too. */
static const char *const kmodbuild_tree_files[] = {
	"Makefile", "include/generated/autoconf.h", "include/config/kernel.release",
	"scripts/mod/modpost", "Module.symvers",
};

/* The missing files of the tree, ", "-separated, or "" when it is complete. */
static void kmodbuild_tree_missing(const char *kdir, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(kmodbuild_tree_files); i++) {
		char *p = xasprintf("%s/%s", kdir, kmodbuild_tree_files[i]);

		if (access(p, R_OK) < 0 && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						kmodbuild_tree_files[i]);
		free(p);
	}
}

int kmodbuild_tree(const char *release, const char *image, char *kdir, size_t len, char *why,
		   size_t wlen)
{
	char *img = image ? strdup(image) : NULL, *beside, *p, missing[256], rel[128] = "";
	char *sys = xasprintf("/lib/modules/%s/build", release);
	int rc = 0;
	FILE *f;

	beside = img ? xasprintf("%s/build", dirname(img)) : NULL;
	if (beside && access(beside, F_OK) == 0) {
		/* The image's own tree (harness/lab/build-kernel.sh): it must be
		 * this very release, and prepared. */
		snprintf(kdir, len, "%s", beside);
		p = xasprintf("%s/include/config/kernel.release", beside);
		f = fopen(p, "re");
		free(p);
		if (f) {
			if (!fgets(rel, sizeof(rel), f))
				rel[0] = '\0';
			rel[strcspn(rel, "\n")] = '\0';
			fclose(f);
		}
		kmodbuild_tree_missing(beside, missing, sizeof(missing));
		if (missing[0]) {
			snprintf(why, wlen, "the kernel tree %s beside %s is not prepared for building modules (missing: %s); build it with harness/lab/build-kernel.sh, or run make O=%s bzImage modules in its source",
				 beside, image, missing, beside);
			rc = -ENOENT;
		} else if (strcmp(rel, release)) {
			snprintf(why, wlen, "the kernel tree %s beside %s is release %s, the image is %s: the image was not built from it",
				 beside, image, rel, release);
			rc = -ENOENT;
		}
	} else if (access(sys, F_OK) == 0) {
		snprintf(kdir, len, "%s", sys);
		kmodbuild_tree_missing(sys, missing, sizeof(missing));
		if (missing[0]) {
			snprintf(why, wlen, "the headers of kernel %s in %s are incomplete (missing: %s); reinstall them: apt-get install --reinstall linux-headers-%s",
				 release, sys, missing, release);
			rc = -ENOENT;
		}
	} else {
		snprintf(why, wlen, "no kernel tree to build %s for kernel %s: neither %s nor %s; install the headers (apt-get install linux-headers-%s) or build the kernel with harness/lab/build-kernel.sh, which keeps its tree beside the image",
			 KMODBUILD_NAME, release, beside ? beside : "a build/ directory beside the image",
			 sys, release);
		rc = -ENOENT;
	}
	free(img);
	free(beside);
	free(sys);
	return rc;
}
