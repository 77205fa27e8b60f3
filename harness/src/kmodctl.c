// SPDX-License-Identifier: GPL-2.0
/* Loading and talking to lockmap_inject.ko. */
#include <fcntl.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kmodbuild.h"
#include "kmodctl.h"
#include "lockmap.h"

#define KMOD_NAME "lockmap_inject"

/* Set when this process inserted the module: only then does it remove it. */
static bool kmodctl_loaded_by_us;

char *kmodctl_ko_path(const char *release)
{
	const char *env = getenv("LOCKMAP_KMOD");
	struct kmodbuild kb;
	char *rel, *p, why[512];

	if (env)
		return access(env, R_OK) == 0 ? strdup(env) : NULL;
	/* Built by a lab run for this release, from these very sources. */
	if (kmodbuild_locate(release, NULL, &kb, why, sizeof(why)) == 0 && kmodbuild_ready(&kb))
		return strdup(kb.ko);
	/* Built by hand next to the binary (make -C harness/kmod O=build/kmod/<release>). */
	rel = xasprintf("kmod/%s/" KMOD_NAME ".ko", release);
	p = data_path(rel);
	free(rel);
	return p;
}

static char *kmodctl_running_ko(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return NULL;
	return kmodctl_ko_path(u.release);
}

int kmodctl_available(char *why, size_t len)
{
	struct utsname u;
	char *ko;

	if (access(LOCKMAP_DEV, F_OK) == 0) {
		snprintf(why, len, "lockmap_inject is loaded (%s)", LOCKMAP_DEV);
		return 0;
	}
	ko = kmodctl_running_ko();
	if (ko) {
		snprintf(why, len, "lockmap_inject not loaded; lockmap loads %s", ko);
		free(ko);
		return 0;
	}
	(void)uname(&u);
	snprintf(why, len, "lockmap_inject is not loaded and not built for this kernel (%s): "
		 "make -C harness/kmod KVER=%s O=$PWD/build/kmod/%s (needs linux-headers-%s); "
		 "the lab builds it by itself", u.release, u.release, u.release, u.release);
	return -ENOENT;
}

/* Remove the module at exit, if we inserted it and no file holds it. */
static void kmodctl_unload(void)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;

	if (!kmodctl_loaded_by_us)
		return;
	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return;
	if (kmod_module_new_from_name(ctx, KMOD_NAME, &mod) == 0) {
		if (kmod_module_remove_module(mod, 0) < 0)
			lm_warn("could not unload %s (still in use?)", KMOD_NAME);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	kmodctl_loaded_by_us = false;
}

static int kmodctl_load(char *why, size_t len)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod = NULL;
	char *ko = kmodctl_running_ko();
	int rc;

	if (!ko)
		return kmodctl_available(why, len);
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		free(ko);
		snprintf(why, len, "libkmod: cannot create a context");
		return -ENOMEM;
	}
	rc = kmod_module_new_from_path(ctx, ko, &mod);
	if (rc == 0)
		rc = kmod_module_insert_module(mod, 0, NULL);
	if (rc == -EEXIST)
		rc = 0;
	else if (rc == 0) {
		kmodctl_loaded_by_us = true;
		atexit(kmodctl_unload);
	}
	if (rc < 0)
		snprintf(why, len, "cannot load %s: %s (dmesg says why)", ko, strerror(-rc));
	if (mod)
		kmod_module_unref(mod);
	kmod_unref(ctx);
	free(ko);
	return rc;
}

/* A module of another uAPI version (one a killed or an older lockmap left
 * loaded) does not know this version's statistics ioctl: its numbers carry
 * the struct's size. */
static bool kmodctl_stale(int fd, char *why, size_t len)
{
	struct lockmap_stats *st = calloc(1, sizeof(*st));
	bool stale = st && kmodctl_ioctl(fd, LOCKMAP_IOC_STATS, st) == -ENOTTY;

	free(st);
	if (stale)
		snprintf(why, len, "the loaded %s is not of this lockmap (uAPI %d): it does not "
			 "know LOCKMAP_IOC_STATS; unload it (rmmod %s) and lockmap loads its own",
			 KMOD_NAME, LOCKMAP_UAPI_VERSION, KMOD_NAME);
	return stale;
}

int kmodctl_open(char *why, size_t len)
{
	int fd, rc;

	if (access(LOCKMAP_DEV, F_OK) < 0) {
		rc = kmodctl_load(why, len);
		if (rc < 0)
			return rc;
	}
	fd = open(LOCKMAP_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, len, "cannot open %s: %s", LOCKMAP_DEV, strerror(errno));
		return rc;
	}
	if (kmodctl_stale(fd, why, len)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int kmodctl_ioctl(int fd, unsigned long req, void *arg)
{
	while (ioctl(fd, req, arg) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int kmodctl_stop(int fd, uint32_t what)
{
	return kmodctl_ioctl(fd, LOCKMAP_IOC_STOP, &what);
}

int kmodctl_stats(int fd, struct lockmap_stats *st)
{
	memset(st, 0, sizeof(*st));
	return kmodctl_ioctl(fd, LOCKMAP_IOC_STATS, st);
}

int kmodctl_start(const char *who, unsigned long req, void *arg)
{
	char why[512];
	int fd = kmodctl_open(why, sizeof(why)), rc;

	if (fd < 0) {
		lm_err("%s: %s", who, why);
		return fd;
	}
	rc = kmodctl_ioctl(fd, req, arg);
	if (rc < 0) {
		lm_err("%s: the module refused the request: %s (dmesg says why)", who,
		       strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

int kmodctl_finish(int *fd, uint32_t what, struct lockmap_stats *st, bool *have_stats)
{
	int rc;

	if (*fd < 0)
		return 0;
	rc = kmodctl_stop(*fd, what);
	*have_stats = kmodctl_stats(*fd, st) == 0;
	close(*fd);
	*fd = -1;
	return rc;
}

bool kmodctl_running(int fd, uint32_t what)
{
	struct lockmap_stats st;

	return fd >= 0 && kmodctl_stats(fd, &st) == 0 && (st.active & what);
}
