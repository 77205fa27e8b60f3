// SPDX-License-Identifier: GPL-2.0
/* The persistent store's dmesg records (pstore.h), and whether this host has
 * one set up (`lockmap check`). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockmap.h"
#include "pstore.h"

/* A record larger than this is not a kernel log tail (ramoops' record_size
 * and efi-pstore's variables are kilobytes): read only its start. */
#define PSTORE_RECORD_MAX (4 << 20)

bool pstore_parse_header(const char *text, struct pstore_record *r)
{
	char why[32];
	int count, part, used = 0;

	/* fs/pstore/platform.c pstore_dump(): "%s#%d Part%u\n". */
	if (sscanf(text, "%31[A-Za-z]#%d Part%d%n", why, &count, &part, &used) != 3 || !used ||
	    (text[used] != '\n' && text[used] != '\0'))
		return false;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	r->count = count;
	r->part = part;
	return true;
}

/* "dmesg-ramoops-0", "dmesg-efi-167...", "dmesg-efi_pstore-167...", each
 * maybe with ".enc.z": the backend's name, or false when not a dmesg record. */
static bool pstore_dmesg_name(const char *name, struct pstore_record *r)
{
	const char *b = name + 6, *dash;
	size_t nl = strlen(name);

	if (strncmp(name, "dmesg-", 6))
		return false;
	dash = strrchr(b, '-');
	if (!dash || dash == b)
		return false;
	snprintf(r->backend, sizeof(r->backend), "%.*s", (int)(dash - b), b);
	r->compressed = nl > 6 && !strcmp(name + nl - 6, ".enc.z");
	snprintf(r->name, sizeof(r->name), "%s", name);
	return true;
}

int pstore_read_text(int dfd, const char *name, char **text, size_t *len, int64_t *mtime)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	size_t cap = 65536, n = 0;
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	int rc = 0;

	*text = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !(buf = malloc(cap + 1))) {
		rc = buf ? -errno : -ENOMEM;
		goto out;
	}
	while (n < cap && (got = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap && cap < PSTORE_RECORD_MAX) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (got < 0) {
		rc = -errno;
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	buf = NULL;
	if (len)
		*len = n;
	if (mtime)
		*mtime = st.st_mtime;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Read one record file into r (its text and mtime). */
static int pstore_read_one(int dfd, struct pstore_record *r)
{
	int rc = pstore_read_text(dfd, r->name, &r->text, &r->len, &r->mtime);

	if (!rc && !r->compressed)
		(void)pstore_parse_header(r->text, r);
	return rc;
}
/* Oldest first: time, dump number, then the higher part first. */
static int pstore_cmp(const void *a, const void *b)
{
	const struct pstore_record *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	if (x->part != y->part)
		return x->part > y->part ? -1 : 1;
	return strcmp(x->name, y->name);
}

int pstore_read_dir(const char *dir, struct pstore_record **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct pstore_record *v = NULL;
	struct dirent *e;
	size_t cnt = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct pstore_record r = { 0 };

		if (!pstore_dmesg_name(e->d_name, &r))
			continue;
		if (cnt == cap) {
			struct pstore_record *nv = realloc(v, (cap ? cap * 2 : 8) * sizeof(*v));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = cap ? cap * 2 : 8;
		}
		rc = pstore_read_one(dirfd(d), &r);
		if (rc) {
			free(r.text);
			break;
		}
		v[cnt++] = r;
	}
	closedir(d);
	if (rc) {
		pstore_free(v, cnt);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), pstore_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

void pstore_free(struct pstore_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].text);
	free(r);
}

/* Is pstore mounted at path? */
static bool pstore_mounted(const char *path)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], mnt[512], type[64];
	bool found = false;

	if (!f)
		return false;
	while (!found && fscanf(f, "%255s %511s %63s %*[^\n]", dev, mnt, type) == 3)
		found = !strcmp(mnt, path) && !strcmp(type, "pstore");
	fclose(f);
	return found;
}

/* The dmesg records in PSTORE_DIR, for the check's line. */
static size_t pstore_count(void)
{
	struct pstore_record *r;
	size_t n;

	if (pstore_read_dir(PSTORE_DIR, &r, &n) < 0)
		return 0;
	pstore_free(r, n);
	return n;
}

int pstore_usable(char *msg, size_t len, char *fix, size_t flen)
{
	char backend[64] = "", addr[64] = "", size[64] = "";
	bool mounted = pstore_mounted(PSTORE_DIR);
	bool ramoops = read_file_str("/sys/module/ramoops/parameters/mem_address", addr,
				     sizeof(addr)) == 0 &&
		       read_file_str("/sys/module/ramoops/parameters/mem_size", size,
				     sizeof(size)) == 0 && strtoull(size, NULL, 0) > 0;
	bool efi = access("/sys/module/efi_pstore", F_OK) == 0;

	/* Since 5.8 pstore_register() writes the backend it took there;
	 * "(null)" until one registers. */
	if (read_file_str("/sys/module/pstore/parameters/backend", backend, sizeof(backend)) < 0 ||
	    !strcmp(backend, "(null)"))
		backend[0] = '\0';
	if (backend[0] && mounted) {
		char where[160] = "";

		if (ramoops)
			snprintf(where, sizeof(where), " (ramoops at %s, size %s)", addr, size);
		snprintf(msg, len, "backend %s%s, mounted at %s, %zu dmesg record(s) there; a crashed "
			 "host's cut cell is decided from them on resume", backend, where, PSTORE_DIR,
			 pstore_count());
		return 1;
	}
	if (backend[0]) {
		snprintf(msg, len, "backend %s registered, but pstore is not mounted at %s",
			 backend, PSTORE_DIR);
		snprintf(fix, flen, "mount -t pstore pstore %s (systemd mounts it at boot)",
			 PSTORE_DIR);
		return 0;
	}
	snprintf(msg, len, "no pstore backend registered%s: a host that dies leaves no record of "
		 "why, and its cut cell is run again on resume (unless journald kept the boot)",
		 efi ? " (efi_pstore is loaded: no EFI variable store?)" : "");
	snprintf(fix, flen, "reserve RAM for ramoops on the kernel command line, e.g. "
		 "memmap=1M$0x7f000000 ramoops.mem_address=0x7f000000 ramoops.mem_size=0x100000 "
		 "ramoops.record_size=0x20000 (a region the firmware keeps across a warm reset; in "
		 "GRUB write \\$ for $), modprobe ramoops; or on UEFI: modprobe efi_pstore");
	return 0;
}
