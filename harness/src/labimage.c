// SPDX-License-Identifier: GPL-2.0
/* The lab host's boot inputs: kernel release from the bzImage, the helper
 * module built against that release's headers, and a cached initramfs written
 * with libarchive (newc cpio, gzip). Kernel modules are resolved with libkmod
 * from the release's modules.dep and decompressed (.ko.xz/.gz/.zst) while
 * copied, because busybox insmod loads plain .ko files only. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "accel.h"
#include "cache.h"
#include "kmodbuild.h"
#include "labimage.h"
#include "lockmap.h"
#include "spawn.h"

#define BUSYBOX "/bin/busybox"
#define MODULE_NAME KMODBUILD_NAME
#define MAX_MODULES 64
/* The running binary, whatever its path (or if it was replaced since). */
#define SELF_EXE "/proc/self/exe"
/* Bumped when what goes into the key changes meaning. */
#define LAB_KEY_VERSION "lab-1"

/* The files of the initramfs besides the kernel modules. */
struct lab_files {
	char *init;		/* harness/lab/init.sh */
	char *guest;		/* tickguest.elf */
	char *linux_recipe;	/* guests/linux/build-initramfs.sh, and the init */
	char *linux_init;	/* it packs, for payload linux inside the lab */
	const char *ko;		/* lockmap_inject.ko for the release */
};

/* What the lab host needs before its root is on 9p, plus KVM; dependencies
 * (virtio_ring, netfs, 9pnet, kvm, irqbypass, ccp ...) come from modules.dep.
 * A name the kernel has built in or does not have is simply left out. */
static const char *const lab_modules[] = {
	"virtio_pci", "9pnet_virtio", "9p", "virtio_console",
	"pvpanic_mmio", "pvpanic_pci", "kvm_amd", "kvm_intel",
	/* `lab --pstore`: its ramoops.* arguments come from the command line */
	"ramoops",
};

int labimage_kernel_version(const char *image, char *ver, size_t len, char *why, size_t wlen)
{
	unsigned char hdr[0x210];
	char buf[256];
	unsigned off;
	ssize_t n;
	int fd, e;

	fd = open(image, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(why, wlen, "cannot open kernel image %s: %s", image, strerror(e));
		return -e;
	}
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4)) {
		close(fd);
		snprintf(why, wlen, "%s is not a Linux bzImage (no \"HdrS\" setup header at 0x202)",
			 image);
		return -ENOEXEC;
	}
	/* kernel_version exists from boot protocol 2.00 on; 0 means absent. */
	off = (unsigned)hdr[0x20e] | (unsigned)hdr[0x20f] << 8;
	n = off ? pread(fd, buf, sizeof(buf) - 1, 0x200 + (off_t)off) : -1;
	close(fd);
	if (n <= 0) {
		snprintf(why, wlen, "%s: the bzImage header has no kernel version string", image);
		return -ENOEXEC;
	}
	buf[n] = '\0';
	buf[strcspn(buf, " \t\n")] = '\0';
	if (!buf[0] || strlen(buf) >= len) {
		snprintf(why, wlen, "%s: unreadable kernel version in the bzImage header", image);
		return -ENOEXEC;
	}
	snprintf(ver, len, "%s", buf);
	return 0;
}

static bool headers_present(const char *ver)
{
	char *p = xasprintf("/lib/modules/%s/build/Makefile", ver);
	bool ok = access(p, R_OK) == 0;

	free(p);
	return ok;
}

int labimage_default_kernel(char *path, size_t len, char *why, size_t wlen)
{
	char best[128] = "", newest[128] = "", ver[128], w[256];
	DIR *d = opendir("/boot");
	struct dirent *e;

	if (!d) {
		snprintf(why, wlen, "cannot read /boot: %s; name a kernel with --kernel IMAGE",
			 strerror(errno));
		return -ENOENT;
	}
	while ((e = readdir(d))) {
		char *img;

		if (strncmp(e->d_name, "vmlinuz-", 8))
			continue;
		img = xasprintf("/boot/%s", e->d_name);
		if (labimage_kernel_version(img, ver, sizeof(ver), w, sizeof(w)) == 0) {
			if (!newest[0] || strverscmp(ver, newest) > 0)
				snprintf(newest, sizeof(newest), "%s", ver);
			if (headers_present(ver) && (!best[0] || strverscmp(ver, best) > 0)) {
				snprintf(best, sizeof(best), "%s", ver);
				snprintf(path, len, "%s", img);
			}
		}
		free(img);
	}
	closedir(d);
	if (best[0])
		return 0;
	if (newest[0])
		snprintf(why, wlen, "no kernel in /boot has its headers installed (newest: %s); install them: apt-get install linux-headers-%s",
			 newest, newest);
	else
		snprintf(why, wlen, "no kernel image /boot/vmlinuz-*; install one (apt-get install linux-image-amd64 linux-headers-amd64) or name one with --kernel IMAGE");
	return -ENOENT;
}

int labimage_kernel_find(const char *image, labimage_default_fn *dflt, char *path, size_t len,
			 char *rel, size_t rlen, char *why, size_t wlen)
{
	int rc;

	if (image) {
		snprintf(path, len, "%s", image);
	} else {
		rc = dflt(path, len, why, wlen);
		if (rc)
			return rc;
	}
	return labimage_kernel_version(path, rel, rlen, why, wlen);
}

int labimage_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(s);
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

struct modlist {
	char *path[MAX_MODULES];
	int n;
};

/* Append a module after its dependencies (modules.dep holds the transitive
 * closure, so a depth-first walk gives a valid load order). */
static void modlist_add(struct modlist *ml, struct kmod_module *mod)
{
	const char *path = kmod_module_get_path(mod);
	struct kmod_list *deps, *it;

	if (!path)
		return;		/* built into the kernel */
	for (int i = 0; i < ml->n; i++)
		if (!strcmp(ml->path[i], path))
			return;
	deps = kmod_module_get_dependencies(mod);
	kmod_list_foreach(it, deps) {
		struct kmod_module *dep = kmod_module_get_module(it);

		modlist_add(ml, dep);
		kmod_module_unref(dep);
	}
	kmod_module_unref_list(deps);
	if (ml->n < MAX_MODULES)
		ml->path[ml->n++] = strdup(path);
}

/* The kernel modules of lab_modules[] and their dependencies, in load order.
 * A kernel without /lib/modules/<ver> (one built with everything =y) has none. */
static int labimage_resolve_modules(const char *ver, struct modlist *ml)
{
	char *dir = xasprintf("/lib/modules/%s", ver);
	struct kmod_ctx *ctx;

	ml->n = 0;
	if (access(dir, R_OK) < 0) {
		lm_info("lab: no %s: the kernel must have virtio, 9p and kvm built in", dir);
		free(dir);
		return 0;
	}
	ctx = kmod_new(dir, NULL);
	free(dir);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(lab_modules); i++) {
		struct kmod_list *l = NULL, *it;

		if (kmod_module_new_from_lookup(ctx, lab_modules[i], &l) < 0 || !l) {
			lm_debug("lab: kernel %s has no module %s", ver, lab_modules[i]);
			continue;
		}
		kmod_list_foreach(it, l) {
			struct kmod_module *m = kmod_module_get_module(it);

			modlist_add(ml, m);
			kmod_module_unref(m);
		}
		kmod_module_unref_list(l);
	}
	kmod_unref(ctx);
	return 0;
}

static void modlist_free(struct modlist *ml)
{
	for (int i = 0; i < ml->n; i++)
		free(ml->path[i]);
	ml->n = 0;
}

/* A whole file, decompressed by whatever filter libarchive recognises (none,
 * xz, gzip, zstd): the "raw" format passes the data through. */
static int slurp(const char *path, void **data, size_t *len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	la_ssize_t r;
	int rc = 0;

	if (!a || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		lm_err("lab: cannot read %s: %s", path, archive_error_string(a));
		rc = -EIO;
		goto out;
	}
	while ((r = archive_read_data(a, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (r < 0) {
		lm_err("lab: cannot decompress %s: %s", path, archive_error_string(a));
		rc = -EIO;
	}
out:
	if (a)
		archive_read_free(a);
	if (rc) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* One archive member: a directory, a file with contents, a symlink or a node. */
static int cpio_put(struct archive *a, const char *name, unsigned mode, const void *data,
		    size_t len, const char *link, dev_t rdev)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_nlink(e, S_ISDIR(mode) ? 2 : 1);
	archive_entry_set_size(e, S_ISREG(mode) ? (la_int64_t)len : 0);
	if (link)
		archive_entry_set_symlink(e, link);
	if (rdev)
		archive_entry_set_rdev(e, rdev);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = -EIO;
	else if (S_ISREG(mode) && len && archive_write_data(a, data, len) != (la_ssize_t)len)
		rc = -EIO;
	if (rc)
		lm_err("lab: initramfs: writing %s: %s", name, archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

/* A file from the machine into the archive under name. */
static int cpio_put_file(struct archive *a, const char *name, unsigned mode, const char *src)
{
	void *data;
	size_t len;
	int rc = slurp(src, &data, &len);

	if (rc)
		return rc;
	rc = cpio_put(a, name, S_IFREG | mode, data, len, NULL, 0);
	free(data);
	return rc;
}

/* The module's file name in the initramfs: its base name without the
 * compression suffix ("kvm-amd.ko.xz" -> "kvm-amd.ko"). */
static char *module_base(const char *path)
{
	const char *b = strrchr(path, '/');
	char *s = strdup(b ? b + 1 : path), *ko;

	if (s && (ko = strstr(s, ".ko")))
		ko[3] = '\0';
	return s;
}

static int labimage_write_initramfs(const char *tmp, const struct lab_files *lf,
				    const struct modlist *ml)
{
	static const char *const dirs[] = {
		"bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys",
		"tmp", "run", "host", "lib", "lib/lockmap", "lib/lockmap/bin",
		"lib/lockmap/bin/linux",
	};
	struct archive *a = archive_write_new();
	char *order = NULL;
	int rc = 0;

	if (!a)
		return -ENOMEM;
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		lm_err("lab: cannot write %s: %s", tmp, archive_error_string(a));
		archive_write_free(a);
		return -EIO;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !rc; i++)
		rc = cpio_put(a, dirs[i], S_IFDIR | 0755, NULL, 0, NULL, 0);
	/* The kernel opens /dev/console for init's stdio before devtmpfs is up. */
	if (!rc)
		rc = cpio_put(a, "dev/console", S_IFCHR | 0600, NULL, 0, NULL, makedev(5, 1));
	if (!rc)
		rc = cpio_put_file(a, "bin/busybox", 0755, BUSYBOX);
	if (!rc)
		rc = cpio_put(a, "bin/sh", S_IFLNK | 0777, NULL, 0, "busybox", 0);
	if (!rc)
		rc = cpio_put_file(a, "init", 0755, lf->init);
	/* The lockmap that runs the cells inside and its guest travel with the
	 * initramfs: wherever this binary lives (even under /tmp, which the lab
	 * host covers), init copies them into its own /run. */
	if (!rc)
		rc = cpio_put_file(a, "lib/lockmap/bin/lockmap", 0755, SELF_EXE);
	if (!rc)
		rc = cpio_put_file(a, "lib/lockmap/bin/tickguest.elf", 0644, lf->guest);
	/* payload linux: the inner lockmap builds the guests' initramfs for
	 * the lab's kernel (linuxguest.c finds the recipe beside itself). */
	if (!rc)
		rc = cpio_put_file(a, "lib/lockmap/bin/linux/build-initramfs.sh", 0755,
				   lf->linux_recipe);
	if (!rc)
		rc = cpio_put_file(a, "lib/lockmap/bin/linux/init.sh", 0755, lf->linux_init);
	for (int i = 0; i < ml->n && !rc; i++) {
		char *base = module_base(ml->path[i]), *name, *o;

		name = xasprintf("lib/lockmap/%s", base);
		rc = cpio_put_file(a, name, 0644, ml->path[i]);
		o = xasprintf("%s%s\n", order ? order : "", base);
		free(order);
		order = o;
		free(name);
		free(base);
	}
	/* Last: the helper module's probe wants kvm loaded first. */
	if (!rc)
		rc = cpio_put_file(a, "lib/lockmap/" MODULE_NAME, 0644, lf->ko);
	if (!rc) {
		char *o = xasprintf("%s%s\n", order ? order : "", MODULE_NAME);

		rc = cpio_put(a, "lib/lockmap/modules.order", S_IFREG | 0644, o, strlen(o),
			      NULL, 0);
		free(o);
	}
	free(order);
	if (archive_write_close(a) != ARCHIVE_OK && !rc) {
		lm_err("lab: closing %s: %s", tmp, archive_error_string(a));
		rc = -EIO;
	}
	archive_write_free(a);
	return rc;
}

int labimage_key(const char *release, const char *const *paths, size_t n, struct cache_key *k)
{
	cache_key_init(k);
	cache_key_str(k, LAB_KEY_VERSION);
	cache_key_str(k, release);
	for (size_t i = 0; i < n; i++) {
		int rc;

		cache_key_str(k, paths[i]);
		rc = cache_key_file(k, paths[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The inputs of the initramfs, in a fixed order, and the entry they key. */
static int labimage_entry(struct labimage *li, const struct lab_files *lf,
			  const struct modlist *ml, char **entry, char **inputs)
{
	const char *paths[MAX_MODULES + 7] = { lf->init, BUSYBOX, lf->ko, SELF_EXE, lf->guest,
					       lf->linux_recipe, lf->linux_init };
	size_t n = 7;
	struct cache_key k;
	char *list = NULL;
	int rc;

	for (int i = 0; i < ml->n; i++)
		paths[n++] = ml->path[i];
	rc = labimage_key(li->version, paths, n, &k);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char *s = xasprintf("%s%s\n", list ? list : "", i == 3 ? exe_path() : paths[i]);

		free(list);
		list = s;
	}
	*entry = cache_entry_path("lab", li->version, &k);
	*inputs = list;
	return 0;
}

/* <cache>/lab/<release>-<key>/initramfs.cpio.gz, built when no entry has these
 * inputs; "inputs" beside it names them. */
static int labimage_initramfs(struct labimage *li, struct lab_files *lf, char *why, size_t wlen)
{
	char *entry = NULL, *inputs = NULL, *tmp = NULL, *p;
	struct modlist ml = { 0 };
	int rc;

	rc = labimage_resolve_modules(li->version, &ml);
	if (rc) {
		snprintf(why, wlen, "cannot read the modules of %s: %s", li->version, strerror(-rc));
		goto out;
	}
	li->nmodules = ml.n;
	rc = labimage_entry(li, lf, &ml, &entry, &inputs);
	if (rc) {
		snprintf(why, wlen, "cannot read the lab initramfs' inputs: %s", strerror(-rc));
		goto out;
	}
	snprintf(li->initramfs, sizeof(li->initramfs), "%s/initramfs.cpio.gz", entry);
	if (access(li->initramfs, R_OK) == 0) {
		lm_debug("lab: %s is up to date", li->initramfs);
		cache_entry_touch(entry);
		goto out;
	}
	tmp = cache_entry_begin(entry, why, wlen);
	if (!tmp) {
		rc = -EIO;
		goto out;
	}
	p = xasprintf("%s/initramfs.cpio.gz", tmp);
	rc = labimage_write_initramfs(p, lf, &ml);
	free(p);
	p = xasprintf("%s/inputs", tmp);
	if (!rc)
		rc = labimage_write_file(p, inputs);
	free(p);
	if (!rc)
		rc = cache_entry_commit(tmp, entry);
	if (rc) {
		(void)rm_rf(tmp);
		snprintf(why, wlen, "cannot write the lab initramfs %s: %s", li->initramfs,
			 strerror(-rc));
		goto out;
	}
	cache_entry_touch(entry);
	cache_prune("lab", entry);
	lm_info("lab: initramfs for %s: %d kernel modules + %s, this lockmap and its guest (%s)",
		li->version, ml.n, MODULE_NAME, li->initramfs);
out:
	modlist_free(&ml);
	free(entry);
	free(inputs);
	free(tmp);
	return rc;
}

/* What the initramfs needs from this machine; -ENOENT with why when some is
 * missing. */
static int labimage_files(struct lab_files *lf, char *why, size_t wlen)
{
	lf->init = data_source("harness/lab/init.sh", "lab/init.sh");
	if (!lf->init) {
		snprintf(why, wlen, "the lab's init (harness/lab/init.sh, installed as lab/init.sh) is not %s",
			 data_where());
		return -ENOENT;
	}
	lf->guest = data_path("tickguest.elf");
	if (!lf->guest) {
		snprintf(why, wlen, "tickguest.elf is not %s; build it (make) or install it (make install)",
			 data_where());
		return -ENOENT;
	}
	lf->linux_recipe = data_source("guests/linux/build-initramfs.sh", "linux/build-initramfs.sh");
	lf->linux_init = data_source("guests/linux/init.sh", "linux/init.sh");
	if (!lf->linux_recipe || !lf->linux_init) {
		snprintf(why, wlen, "the Linux guest's recipe and init (guests/linux/, installed as linux/) are not %s",
			 data_where());
		return -ENOENT;
	}
	if (access(BUSYBOX, X_OK) < 0) {
		snprintf(why, wlen, "%s is missing; install it: apt-get install busybox-static",
			 BUSYBOX);
		return -ENOENT;
	}
	return 0;
}

int labimage_prepare(const char *image, struct labimage *li, char *why, size_t wlen)
{
	struct lab_files lf = { 0 };
	struct kmodbuild kb;
	int rc;

	memset(li, 0, sizeof(*li));
	rc = labimage_kernel_find(image, labimage_default_kernel, li->kernel, sizeof(li->kernel),
				  li->version, sizeof(li->version), why, wlen);
	if (rc)
		return rc == -ENOEXEC ? -EINVAL : rc;
	rc = kmodbuild_tree(li->version, li->kernel, li->kdir, sizeof(li->kdir), why, wlen);
	if (rc)
		return rc;
	rc = labimage_files(&lf, why, wlen);
	if (!rc)
		rc = cache_prepare("lab", why, wlen);
	if (!rc)
		rc = kmodbuild_locate(li->version, li->kdir, &kb, why, wlen);
	if (!rc)
		rc = kmodbuild_make(&kb, why, wlen);
	if (!rc) {
		snprintf(li->module, sizeof(li->module), "%s", kb.ko);
		lf.ko = li->module;
		rc = labimage_initramfs(li, &lf, why, wlen);
	}
	free(lf.init);
	free(lf.guest);
	free(lf.linux_recipe);
	free(lf.linux_init);
	return rc;
}
