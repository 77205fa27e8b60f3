// SPDX-License-Identifier: GPL-2.0
/* The "linux" payload: the guest kernel, its tick rate and its initramfs
 * (linuxguest.h). The initramfs recipe is a shell script (guests/linux/),
 * so that it can be read, and run by hand, without lockmap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cache.h"
#include "grid.h"
#include "labimage.h"
#include "linuxguest.h"
#include "lockmap.h"
#include "spawn.h"

#define LINUX_KEY_VERSION "linux-1"
#define LINUX_BUSYBOX "/bin/busybox"
/* gzip -9 of a 2 MB busybox takes well under a second; a loaded lab host
 * reading it over 9p takes longer. */
#define LINUX_BUILD_MS (120 * 1000)

int linuxguest_config_hz(const char *config)
{
	FILE *f = fopen(config, "re");
	char line[256];
	int hz = -EINVAL;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		long v;

		if (strncmp(line, "CONFIG_HZ=", 10))
			continue;
		v = strtol(line + 10, &end, 10);
		hz = end != line + 10 && (*end == '\n' || !*end) && v > 0 && v <= 10000 ?
		     (int)v : -EINVAL;
		break;
	}
	fclose(f);
	return hz;
}

/* The config of a kernel image: /boot/config-<release> (a distribution
 * kernel), config-<release> beside the image, or the .config of the tree an
 * arch/x86/boot/bzImage was built in. */
static int linuxguest_config(struct linuxguest *lg)
{
	char dir[PATH_MAX], *slash;
	char *cands[3];
	int found = -ENOENT;

	snprintf(dir, sizeof(dir), "%s", lg->kernel);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	cands[0] = xasprintf("/boot/config-%s", lg->release);
	cands[1] = xasprintf("%s/config-%s", dir, lg->release);
	cands[2] = xasprintf("%s/../../../.config", dir);
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		if (found && access(cands[i], R_OK) == 0) {
			snprintf(lg->config, sizeof(lg->config), "%s", cands[i]);
			found = 0;
		}
		free(cands[i]);
	}
	return found;
}

/* The default guest kernel: the running one's image, else the lab's default
 * (the newest /boot/vmlinuz-* with headers). */
static int linuxguest_default_kernel(char *path, size_t len, char *why, size_t wlen)
{
	struct utsname u;

	if (uname(&u) == 0) {
		snprintf(path, len, "/boot/vmlinuz-%s", u.release);
		if (access(path, R_OK) == 0)
			return 0;
	}
	return labimage_default_kernel(path, len, why, wlen);
}

/* lg for the image named (NULL: the default kernel): release, config, HZ. */
static int linuxguest_of_image(const char *image, struct linuxguest *lg, char *why, size_t wlen)
{
	int rc;

	memset(lg, 0, sizeof(*lg));
	rc = labimage_kernel_find(image, linuxguest_default_kernel, lg->kernel, sizeof(lg->kernel),
				  lg->release, sizeof(lg->release), why, wlen);
	if (rc)
		return rc;
	if (linuxguest_config(lg)) {
		snprintf(why, wlen, "no config for the guest kernel %s (%s): looked for /boot/config-%s, config-%s beside the image and the .config of its tree; its CONFIG_HZ fixes the guests' tick",
			 lg->kernel, lg->release, lg->release, lg->release);
		return -ENOENT;
	}
	lg->hz = linuxguest_config_hz(lg->config);
	if (lg->hz < 0) {
		rc = lg->hz;
		snprintf(why, wlen, "cannot read CONFIG_HZ of the guest kernel from %s: %s",
			 lg->config, rc == -EINVAL ? "no CONFIG_HZ=N line" : strerror(-rc));
		return rc;
	}
	return 0;
}

int linuxguest_find(const struct cell *c, struct linuxguest *lg, char *why, size_t wlen)
{
	const char *named = cell_str(c, "guests", "linux_kernel");

	return linuxguest_of_image(strcmp(named, "auto") ? named : NULL, lg, why, wlen);
}

int linuxguest_check(const struct cell *c, char *err, size_t len)
{
	int64_t period_us = cell_num(c, "guests", "period") / NSEC_PER_USEC;
	struct linuxguest lg;
	char where[600], why[512 + PATH_MAX];

	if (linuxguest_find(c, &lg, why, sizeof(why))) {
		cell_where(c, "guests", "payload", where, sizeof(where));
		snprintf(err, len, "%s: linux: %s", where, why);
		return -EINVAL;
	}
	if (cell_num(c, "guests", "memory") < LINUXGUEST_MIN_MEMORY_MB) {
		cell_where(c, "guests", "memory", where, sizeof(where));
		snprintf(err, len, "%s: %s is too little for the payload linux: its kernel needs at least %dM; set memory = %dM or more",
			 where, cell_val(c, "guests", "memory")->text, LINUXGUEST_MIN_MEMORY_MB,
			 LINUXGUEST_MIN_MEMORY_MB);
		return -EINVAL;
	}
	/* timer and idle are tickguest's: a Linux guest's tick is periodic
	 * (checked by the guest) and it idles its own way. */
	if (strcmp(cell_str(c, "guests", "timer"), "periodic") ||
	    strcmp(cell_str(c, "guests", "idle"), "hlt")) {
		const char *key = strcmp(cell_str(c, "guests", "timer"), "periodic") ? "timer" : "idle";

		cell_where(c, "guests", key, where, sizeof(where));
		snprintf(err, len, "%s: %s is not for the payload linux: its tick is the kernel's, periodic on the LAPIC, and it idles its own way; remove the line (the default, %s, is the one it takes)",
			 where, cell_val(c, "guests", key)->text, !strcmp(key, "timer") ? "periodic" : "hlt");
		return -EINVAL;
	}
	/* The kernel's tick is HZ per second on each cpu; the guests report
	 * and are counted in whole us (init.sh: period_us=1000000/HZ). */
	if (period_us != 1000000 / lg.hz) {
		cell_where(c, "guests", "period", where, sizeof(where));
		snprintf(err, len, "%s: %s is not the tick of the payload linux: its kernel %s ticks at CONFIG_HZ=%d (%s), every %dus; set period = %dus",
			 where, cell_val(c, "guests", "period")->text, lg.kernel, lg.hz, lg.config,
			 1000000 / lg.hz, 1000000 / lg.hz);
		return -EINVAL;
	}
	return 0;
}

/* The recipe and the init it packs; -ENOENT with why when missing. */
static int linuxguest_files(char **recipe, char **init, char *why, size_t wlen)
{
	char *slash;

	*init = NULL;
	*recipe = data_source("guests/linux/build-initramfs.sh", "linux/build-initramfs.sh");
	if (!*recipe) {
		snprintf(why, wlen, "the Linux guest's recipe (guests/linux/build-initramfs.sh, installed as linux/build-initramfs.sh) is not %s",
			 data_where());
		return -ENOENT;
	}
	slash = strrchr(*recipe, '/');
	*init = xasprintf("%.*s/init.sh", (int)(slash - *recipe), *recipe);
	if (access(*init, R_OK) < 0) {
		snprintf(why, wlen, "%s is missing beside %s", *init, *recipe);
		return -ENOENT;
	}
	if (access(LINUX_BUSYBOX, X_OK) < 0) {
		snprintf(why, wlen, "%s is missing; install it: apt-get install busybox-static",
			 LINUX_BUSYBOX);
		return -ENOENT;
	}
	return 0;
}

/* Run the recipe into the build directory tmp; its output in tmp/build.log. */
static int linuxguest_build(const struct linuxguest *lg, const char *recipe, const char *tmp,
			    char *why, size_t wlen)
{
	char *out = xasprintf("%s/initramfs.cpio.gz", tmp), *log = xasprintf("%s/build.log", tmp);
	char *argv[] = { "sh", (char *)recipe, "-c", (char *)lg->config, "-r",
			 (char *)lg->release, "-o", out, "-b", LINUX_BUSYBOX, NULL };
	struct spawn_opts so = { .stdout_path = log, .stdout_fd = -1 };
	char tail[400] = "";
	int rc = spawn_run(argv, &so, LINUX_BUILD_MS);

	if (rc) {
		(void)read_file_str(log, tail, sizeof(tail));
		tail[strcspn(tail, "\n")] = '\0';
		snprintf(why, wlen, "%s failed (%s): %s", recipe,
			 rc < 0 ? strerror(-rc) : "exit status", tail);
		rc = -EIO;
	}
	free(out);
	free(log);
	return rc;
}

int linuxguest_initramfs(const struct linuxguest *lg, char *out, size_t len, char *why,
			 size_t wlen)
{
	char *recipe = NULL, *init = NULL, *entry = NULL, *tmp = NULL;
	const char *inputs[4];
	struct cache_key k;
	int rc;

	rc = linuxguest_files(&recipe, &init, why, wlen);
	if (!rc)
		rc = cache_prepare("linux", why, wlen);
	if (rc)
		goto out;
	inputs[0] = recipe;
	inputs[1] = init;
	inputs[2] = LINUX_BUSYBOX;
	inputs[3] = lg->config;
	cache_key_init(&k);
	cache_key_str(&k, LINUX_KEY_VERSION);
	cache_key_str(&k, lg->release);
	for (size_t i = 0; !rc && i < ARRAY_SIZE(inputs); i++)
		rc = cache_key_file(&k, inputs[i]);
	if (rc) {
		snprintf(why, wlen, "cannot read the Linux guest's inputs: %s", strerror(-rc));
		goto out;
	}
	entry = cache_entry_path("linux", lg->release, &k);
	snprintf(out, len, "%s/initramfs.cpio.gz", entry);
	if (access(out, R_OK) == 0) {
		cache_entry_touch(entry);
		goto out;
	}
	tmp = cache_entry_begin(entry, why, wlen);
	if (!tmp) {
		rc = -EIO;
		goto out;
	}
	rc = linuxguest_build(lg, recipe, tmp, why, wlen);
	if (!rc) {
		rc = cache_entry_commit(tmp, entry);
		if (rc)
			snprintf(why, wlen, "cannot store %s: %s", entry, strerror(-rc));
	}
	if (rc) {
		(void)rm_rf(tmp);
		goto out;
	}
	cache_entry_touch(entry);
	cache_prune("linux", entry);
	lm_info("linux guest: initramfs for %s (CONFIG_HZ=%d): %s", lg->release, lg->hz, out);
out:
	free(recipe);
	free(init);
	free(entry);
	free(tmp);
	return rc;
}

int linuxguest_ready(char *msg, size_t len)
{
	char *recipe = NULL, *init = NULL;
	struct linuxguest lg;
	int rc = linuxguest_of_image(NULL, &lg, msg, len);

	if (!rc)
		rc = linuxguest_files(&recipe, &init, msg, len);
	if (!rc)
		snprintf(msg, len, "%s, CONFIG_HZ=%d (period = %dus), recipe %s", lg.kernel, lg.hz,
			 1000000 / lg.hz, recipe);
	free(recipe);
	free(init);
	return rc;
}
